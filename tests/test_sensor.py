"""new_raw_files_sensor: one new file set -> one run request; files already seen -> no new run."""

from __future__ import annotations

import os
import time
from pathlib import Path

import dagster as dg
import pytest

from orchestration.sensors import new_files, new_raw_files_sensor, parse_cursor, run_key, scan


def _drop(raw: Path, rel: str, text: str, age_seconds: float = 120) -> Path:
    path = raw / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    old = time.time() - age_seconds
    os.utime(path, (old, old))
    return path


@pytest.fixture()
def raw(tmp_path, monkeypatch):
    raw = tmp_path / "raw"
    raw.mkdir()
    monkeypatch.setenv("CJO_RAW_DIR", str(raw))
    monkeypatch.setenv("CJO_SENSOR_SETTLE_SECONDS", "30")
    return raw


def _tick(cursor: str | None, definitions=None):
    ctx = dg.build_sensor_context(cursor=cursor, definitions=definitions)
    result = new_raw_files_sensor(ctx)
    return result, ctx.cursor


def test_one_file_dropped_gives_one_run_and_seeing_it_again_gives_none(raw):
    result, cursor = _tick(None)
    assert isinstance(result, dg.SkipReason)

    _drop(raw, "crm/advisors/advisors_2026-10-01.csv", "advisor_id\nA1\n")
    result, cursor = _tick(cursor)
    assert isinstance(result, dg.RunRequest)
    assert result.tags["cjo/tables"] == "crm.advisors"
    assert result.tags["cjo/files"] == "1"
    assert "crm/advisors/advisors_2026-10-01.csv" in parse_cursor(cursor)
    first_key = result.run_key

    # Same file, next tick: nothing new.
    result, cursor2 = _tick(cursor)
    assert isinstance(result, dg.SkipReason)
    assert cursor2 == cursor

    # A second file: exactly that one, with a different run key.
    _drop(raw, "marketing/email_events/email_2026-10-02.csv", "event_id\nE1\n")
    result, cursor3 = _tick(cursor2)
    assert isinstance(result, dg.RunRequest)
    assert result.tags["cjo/tables"] == "marketing.email_events"
    assert result.tags["cjo/files"] == "1"
    assert result.run_key != first_key
    assert set(parse_cursor(cursor3)) == {"crm/advisors/advisors_2026-10-01.csv",
                                          "marketing/email_events/email_2026-10-02.csv"}


def test_file_still_being_written_waits_and_is_not_missed(raw):
    path = _drop(raw, "crm/firms/firms.csv", "firm_id\nF1\n", age_seconds=0)
    result, cursor = _tick(None)
    assert isinstance(result, dg.SkipReason)  # too fresh: may still be copying
    assert parse_cursor(cursor) == {}
    old = time.time() - 120
    os.utime(path, (old, old))
    result, cursor = _tick(cursor)
    assert isinstance(result, dg.RunRequest)
    assert result.tags["cjo/tables"] == "crm.firms"


def test_files_outside_the_contract_are_ignored(raw):
    _drop(raw, "crm/not_a_table/x.csv", "a\n1\n")
    _drop(raw, "crm/advisors/_partial.csv", "a\n1\n")
    _drop(raw, "crm/advisors/notes.txt", "a\n")
    result, _ = _tick(None)
    assert isinstance(result, dg.SkipReason)


def test_rewritten_file_is_a_new_delivery(raw):
    path = _drop(raw, "crm/advisors/full.csv", "advisor_id\nA1\n")
    seen: dict[str, list[int]] = {}
    batch = new_files(scan(raw), seen, time.time(), 30)
    assert [f.path for f in batch] == ["crm/advisors/full.csv"]
    for f in batch:
        seen[f.path] = [f.size, f.mtime_ns]
    assert new_files(scan(raw), seen, time.time(), 30) == []
    path.write_text("advisor_id\nA1\nA2\n")
    old = time.time() - 60
    os.utime(path, (old, old))
    again = new_files(scan(raw), seen, time.time(), 30)
    assert [f.path for f in again] == ["crm/advisors/full.csv"]
    assert run_key(again) != run_key(batch)


def test_run_request_selects_only_what_is_downstream_of_the_new_tables(raw, cjo_defs):
    from dagster_dbt import get_asset_key_for_model

    from orchestration.dbt_assets import cjo_dbt_assets
    from orchestration.raw_assets import RAW_ASSET_KEYS

    _drop(raw, "crm/firms/firms_1.csv", "firm_id\nF1\n")
    result, _ = _tick(None, definitions=cjo_defs)
    requests = result if isinstance(result, list) else [result]
    assert all(isinstance(r, dg.RunRequest) for r in requests)
    selected = set().union(*(r.asset_selection for r in requests))
    assert RAW_ASSET_KEYS["crm.firms"] in selected
    assert RAW_ASSET_KEYS["crm.advisors"] not in selected
    assert get_asset_key_for_model([cjo_dbt_assets], "stg_crm__firms") in selected
    assert get_asset_key_for_model([cjo_dbt_assets], "stg_marketing__email_events") not in selected
    assert not any(k.path[0] == "ml" for k in selected)
    incremental = set(cjo_defs.resolve_job_def("incremental").asset_layer.selected_asset_keys)
    assert selected <= incremental


def test_a_delivery_that_reaches_a_journey_runs_the_journey_path_first(raw, cjo_defs):
    """Two runs for one file set: landing, the journey path and the journey syncs first; then the rest of
    what is below the new files and publishing. Disjoint, together the whole, one batch tag."""
    from dagster_dbt import get_asset_key_for_model

    from orchestration.dbt_assets import cjo_dbt_assets
    from orchestration.jobs import journey_selection
    from orchestration.publish import PUBLISHED_KEY_PATH
    from orchestration.raw_assets import BATCH_TAG, RAW_ASSET_KEYS

    _drop(raw, "advisor/application_events/apps_1.csv", "event_id\nX1\n")
    result, _ = _tick(None, definitions=cjo_defs)
    assert isinstance(result, list) and len(result) == 2
    first, rest = (set(r.asset_selection) for r in result)
    graph = cjo_defs.get_repository_def().asset_graph
    syncs = journey_selection().resolve(graph)
    model = lambda name: get_asset_key_for_model([cjo_dbt_assets], name)  # noqa: E731
    assert RAW_ASSET_KEYS["advisor.application_events"] in first
    assert syncs <= first and not syncs & rest
    assert model("stg_advisor__application_events") in first
    assert model("fct_action_eligibility") in first
    assert dg.AssetKey(list(PUBLISHED_KEY_PATH)) in rest
    assert not first & rest
    # nothing in the first run that the journey syncs do not need
    assert first <= journey_selection().upstream().resolve(graph)
    assert result[0].tags[BATCH_TAG] == result[1].tags[BATCH_TAG]
    assert result[0].run_key != result[1].run_key
    incremental = set(cjo_defs.resolve_job_def("incremental").asset_layer.selected_asset_keys)
    assert first | rest <= incremental


def test_a_raw_file_the_erasure_rewrote_is_not_a_new_delivery(raw, tmp_path, monkeypatch):
    """The erasure pass rewrites a landed raw file without the forgotten person, and landing records the
    rewrite: the sensor takes the changed file into its cursor without a run. A real re-delivery under
    the same name (content not landed) still gets its run."""
    import json

    from orchestration import landing

    landing_dir = tmp_path / "landing"
    landing_dir.mkdir()
    monkeypatch.setenv("CJO_LANDING_DIR", str(landing_dir))
    path = _drop(raw, "crm/advisors/advisors_1.csv", "advisor_id\nA1\nA2\n")
    first, cursor = _tick(None)
    assert isinstance(first, dg.RunRequest)

    _drop(raw, "crm/advisors/advisors_1.csv", "advisor_id\nA1\n", age_seconds=60)  # A2 erased
    (landing_dir / landing.REWRITTEN).write_text(json.dumps(
        {"delivery_id": landing.delivery_id(path), "table": "crm.advisors", "landed_as": "x"}) + "\n")
    result, cursor2 = _tick(cursor)
    assert isinstance(result, dg.SkipReason) and "rewritten by the erasure" in result.skip_message
    assert parse_cursor(cursor2)["crm/advisors/advisors_1.csv"] != parse_cursor(cursor)["crm/advisors/advisors_1.csv"]
    assert isinstance(_tick(cursor2)[0], dg.SkipReason)

    _drop(raw, "crm/advisors/advisors_1.csv", "advisor_id\nA1\nA3\n", age_seconds=30)  # a real re-delivery
    result, _ = _tick(cursor2)
    assert isinstance(result, dg.RunRequest)
