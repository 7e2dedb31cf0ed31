"""Sync specs: the repo's specs load; a bad spec fails with the file, the key and the reason."""

from __future__ import annotations

import pytest
import yaml
from activation_support import spec_dict, write_spec

from orchestration.activation.spec import SpecError, load_spec, load_specs, syncs_dir

PG = {"type": "postgres", "dsn_env": "CRM_DSN", "table": "crm.aud"}


def test_repo_specs_load_and_name_their_audience_models():
    specs = load_specs()
    assert {
        "newcomer_onboarding_nurture",
        "webinar_invite_consideration",
        "churn_risk_retention",
        "wholesaler_call_list",
        "paid_media_seed",
    } <= set(specs)
    for spec in specs.values():
        assert spec.audience.startswith("aud_")
        assert (syncs_dir().parent / "models" / "activation" / f"{spec.audience}.sql").exists()


def test_valid_spec_defaults(tmp_path):
    spec = load_spec(write_spec(tmp_path, spec_dict("ok_sync", PG)))
    assert spec.mirror_delete_threshold == 0.20 and spec.blocking is True and spec.key_field == "customer_id"


@pytest.mark.parametrize(
    ("patch", "key", "reason"),
    [
        ({"mode": "merge"}, "mode", "Input should be 'upsert', 'mirror' or 'insert'"),
        ({"batch_size": 0}, "batch_size", "greater than or equal to 1"),
        ({"batchsize": 10}, "batchsize", "Extra inputs are not permitted"),
        ({"schedule": "daily"}, "schedule", "five-field cron"),
        ({"primary_key": "email_address"}, "<root>", "primary_key 'email_address' must be one of the mapped"),
        ({"channel": "fax"}, "channel", "Input should be 'email', 'phone' or 'ads'"),
        ({"mapping": {}}, "mapping", "at least one field"),
        ({"mirror_delete_threshold": 1.5}, "mirror_delete_threshold", "less than or equal to 1"),
        (
            {"destination": {**PG, "dsn_env": "postgresql://u:pw@host/db"}},
            "destination.postgres.dsn_env",
            "NAME of an environment variable",
        ),
        ({"destination": {"type": "kafka"}}, "destination", "does not match any of the expected tags"),
        (
            {"destination": {"type": "webhook", "secret_env": "S"}},
            "destination.webhook",
            "exactly one of url or url_env",
        ),
        ({"destination": {"type": "postgres", "table": "t"}}, "destination.postgres.dsn_env", "Field required"),
    ],
)
def test_bad_spec_names_file_key_and_reason(tmp_path, patch, key, reason):
    data = {**spec_dict("bad_sync", PG), **patch}
    path = write_spec(tmp_path, data)
    with pytest.raises(SpecError) as info:
        load_spec(path)
    assert info.value.file == str(path)
    assert info.value.key == key
    assert reason in info.value.reason
    assert str(path) in str(info.value) and key in str(info.value)


def test_missing_required_key(tmp_path):
    data = spec_dict("bad_sync", PG)
    del data["audience"]
    with pytest.raises(SpecError, match=r"bad_sync\.yml: audience: Field required"):
        load_spec(write_spec(tmp_path, data))


def test_invalid_yaml_and_name_mismatch(tmp_path):
    p = tmp_path / "broken.yml"
    p.write_text("name: broken\nmapping: {a: b\n")
    with pytest.raises(SpecError, match=r"broken\.yml: line \d+: invalid YAML"):
        load_spec(p)
    p2 = tmp_path / "other.yml"
    p2.write_text(yaml.safe_dump(spec_dict("not_other", PG)))
    with pytest.raises(SpecError, match="name: must equal the file name 'other'"):
        load_spec(p2)
