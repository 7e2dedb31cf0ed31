"""The Dagster code location loads, and its shape is what we expect.

The snapshot (tests/snapshots/asset_graph.txt, a syrupy text snapshot) lists every asset key, asset
check, job, schedule and sensor, so a change to the graph shows up in review. After an intended change,
regenerate it with ``.venv/bin/pytest tests/test_definitions.py --snapshot-update`` and commit the diff.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode


class TextSnapshot(SingleFileSnapshotExtension):
    """One plain-text file per named snapshot under tests/snapshots/ (readable in a diff)."""

    _write_mode = WriteMode.TEXT
    file_extension = "txt"

    @classmethod
    def dirname(cls, *, test_location) -> str:
        return str(Path(__file__).parent / "snapshots")

    @classmethod
    def get_snapshot_name(cls, *, test_location, index=0) -> str:
        if isinstance(index, str):
            return index
        return super().get_snapshot_name(test_location=test_location, index=index)


@pytest.fixture
def text_snapshot(snapshot):
    return snapshot.use_extension(TextSnapshot)


def graph_listing(defs: dg.Definitions) -> str:
    graph = defs.resolve_asset_graph()
    lines = []
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        if node.is_external:
            lines.append(f"asset {key.to_user_string()} (external)")
            continue
        pools = ",".join(sorted(node.pools or [])) or "-"
        lines.append(f"asset {key.to_user_string()} group={node.group_name} pool={pools}")
    for ck in sorted(graph.asset_check_keys, key=lambda c: (c.asset_key.to_user_string(), c.name)):
        lines.append(f"check {ck.asset_key.to_user_string()}:{ck.name}")
    for job in sorted(defs.resolve_all_job_defs(), key=lambda j: j.name):
        if not job.name.startswith("__"):
            lines.append(f"job {job.name}")
    for s in sorted(defs.schedules or [], key=lambda s: s.name):
        lines.append(f"schedule {s.name} {s.cron_schedule} job={s.job_name}")
    for s in sorted(defs.sensors or [], key=lambda s: s.name):
        lines.append(f"sensor {s.name}")
    return "\n".join(lines) + "\n"


def test_definitions_validate(cjo_defs):
    dg.Definitions.validate_loadable(cjo_defs)


def test_snapshot_of_the_asset_graph(cjo_defs, text_snapshot):
    # If the change is intended: .venv/bin/pytest tests/test_definitions.py --snapshot-update
    assert graph_listing(cjo_defs) == text_snapshot(name="asset_graph")


def test_dbt_groups_and_tests_as_checks(cjo_defs):
    from dagster_dbt import get_asset_key_for_model

    from orchestration.dbt_assets import cjo_dbt_assets

    groups = {cjo_dbt_assets.group_names_by_key[k] for k in cjo_dbt_assets.keys}
    assert {"staging", "intermediate", "marts"} <= groups
    # dbt tests are asset checks: at least one per model that has tests in its YAML.
    assert len(cjo_dbt_assets.check_keys) > len(cjo_dbt_assets.keys)
    stg = get_asset_key_for_model([cjo_dbt_assets], "stg_crm__advisors")
    assert cjo_dbt_assets.group_names_by_key[stg] == "staging"


def test_every_raw_source_is_downstream_of_landing(cjo_defs):
    from orchestration.contract import TABLES
    from orchestration.raw_assets import RAW_ASSET_KEYS, raw_landing

    graph = cjo_defs.resolve_asset_graph()
    assert set(RAW_ASSET_KEYS.values()) <= set(raw_landing.keys)
    assert len(RAW_ASSET_KEYS) == len(TABLES)
    # No dbt source is left as an external (un-materializable) asset for a contract table.
    external = {k for k in graph.get_all_asset_keys() if graph.get(k).is_external}
    assert not external & set(RAW_ASSET_KEYS.values())
    # Staging reads the landing outputs.
    children = set()
    for key in RAW_ASSET_KEYS.values():
        children |= graph.get(key).child_keys
    assert any(c.path[0] == "staging" for c in children)


def test_every_warehouse_asset_names_the_writer_pool(cjo_defs):
    """Static half (the whole-run half is in tests/test_pipeline_inprocess.py): every asset is in the
    writer pool except those that never open the warehouse."""
    from orchestration.dashboard.defs import REPORT_KEY_PATH
    from orchestration.quality.gate import GATE_KEY
    from orchestration.raw_assets import raw_landing
    from orchestration.resources import DUCKDB_WRITER_POOL

    # Landing writes Parquet; the gate reads the instance; the report reads the published copy.
    never_open_it = {*raw_landing.keys, GATE_KEY, dg.AssetKey(list(REPORT_KEY_PATH))}
    graph = cjo_defs.resolve_asset_graph()
    unpooled = []
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if node.is_external or key in never_open_it:
            continue
        if node.pools != {DUCKDB_WRITER_POOL}:
            unpooled.append(key.to_user_string())
    assert not unpooled, f"assets that open the warehouse outside the writer pool: {unpooled}"


def test_jobs_and_their_selections(cjo_defs):
    from orchestration.publish import PUBLISHED_KEY_PATH
    from orchestration.raw_assets import RAW_ASSET_KEYS

    graph = cjo_defs.resolve_asset_graph()
    full = cjo_defs.resolve_job_def("full_pipeline")
    inc = cjo_defs.resolve_job_def("incremental")
    full_keys = set(full.asset_layer.selected_asset_keys)
    inc_keys = set(inc.asset_layer.selected_asset_keys)
    materializable = {k for k in graph.get_all_asset_keys() if not graph.get(k).is_external}
    syncs = {k for k in materializable if k.path[0] == "activation" and k.path[-1].startswith("sync_")}
    assert full_keys == materializable - syncs
    published = dg.AssetKey(list(PUBLISHED_KEY_PATH))
    assert published in inc_keys and set(RAW_ASSET_KEYS.values()) <= inc_keys
    # The journey syncs are the one exception: journey messages go out in the run that landed their events.
    from orchestration.journeys.audiences import journey_sync_names
    from orchestration.journeys.defs import JOURNEYS_KEY

    journey_syncs = {dg.AssetKey(["activation", f"sync_{n}"]) for n in journey_sync_names()}
    assert journey_syncs and journey_syncs <= inc_keys and JOURNEYS_KEY in inc_keys
    assert inc_keys - journey_syncs < full_keys
    assert not any(k.path[0] == "ml" for k in inc_keys), "ML retraining belongs to the full run"
    sched = {s.name: s for s in cjo_defs.schedules}
    assert sched["daily_full_pipeline"].job_name == "full_pipeline"
    assert "new_raw_files_sensor" in {s.name for s in cjo_defs.sensors}


def test_published_warehouse_is_downstream_of_every_mart(cjo_defs):
    from orchestration.dbt_assets import cjo_dbt_assets
    from orchestration.privacy.assets import ERASURE_KEY_PATH
    from orchestration.publish import PUBLISHED_KEY_PATH

    graph = cjo_defs.resolve_asset_graph()
    # Publishing waits for the erasure pass, which waits for every mart (readers never see a forgotten
    # person: docs/privacy.md).
    erasure = dg.AssetKey(list(ERASURE_KEY_PATH))
    assert erasure in graph.get(dg.AssetKey(list(PUBLISHED_KEY_PATH))).parent_keys
    parents = graph.get(erasure).parent_keys
    marts = {k for k in cjo_dbt_assets.keys if cjo_dbt_assets.group_names_by_key[k] == "marts"}
    assert marts and marts <= parents
