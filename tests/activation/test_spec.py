"""Sync specs: the repo's specs load; a bad spec fails with the file, the key and the reason."""

from __future__ import annotations

import pytest
from activation_support import spec_dict

from orchestration.activation.manifest import audience_nodes, load_manifest
from orchestration.activation.spec import SpecError, load_specs, parse_spec, spec_from_node

PG = {"type": "postgres", "dsn_env": "CRM_DSN", "table": "crm.aud"}


def test_repo_specs_load_and_name_their_audience_models():
    specs = load_specs()
    assert {
        "newcomer_onboarding_nurture",
        "webinar_invite_consideration",
        "churn_risk_retention",
        "key_account_retention",
        "wholesaler_call_list",
        "paid_media_seed",
    } <= set(specs)
    for spec in specs.values():
        assert spec.audience == f"aud_{spec.name}"
        assert spec.owner and spec.description
    # Every declared audience has a sync, and every sync sends the audience's action.
    assert {n["name"] for n in audience_nodes(load_manifest())} == {s.audience for s in specs.values()}
    assert all("action" in s.mapping.values() or s.destination.type == "ads" for s in specs.values())


def test_a_bad_declared_sync_names_the_yaml_file_the_model_and_the_key():
    node = {"name": "aud_x", "original_file_path": "models/activation/_activation__models.yml",
            "config": {"meta": {"sync": {**spec_dict("ignored", PG), "mode": "merge"}}}}
    node["config"]["meta"]["sync"].pop("name")
    node["config"]["meta"]["sync"].pop("audience")
    with pytest.raises(SpecError) as exc:
        spec_from_node(node)
    assert "models/activation/_activation__models.yml: model aud_x: config.meta.sync" in str(exc.value)
    assert exc.value.key == "mode"


def test_valid_spec_defaults():
    spec = parse_spec(spec_dict("ok_sync", PG))
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
def test_bad_spec_names_file_key_and_reason(patch, key, reason):
    data = {**spec_dict("bad_sync", PG), **patch}
    where = "models/activation/_activation__models.yml: model aud_bad_sync: config.meta.sync"
    with pytest.raises(SpecError) as info:
        parse_spec(data, where)
    assert info.value.file == where
    assert info.value.key == key
    assert reason in info.value.reason
    assert where in str(info.value) and key in str(info.value)


def test_missing_required_key():
    data = spec_dict("bad_sync", PG)
    del data["mapping"]
    with pytest.raises(SpecError, match=r"<string>: mapping: Field required"):
        parse_spec(data)
