"""Sync assets in Dagster: counts in metadata, and a failed blocking check upstream stops the sync."""

from __future__ import annotations

import dagster as dg
from activation_support import spec_dict

from orchestration.activation.defs import build_sync_asset, sync_asset_key
from orchestration.activation.spec import parse_spec
from orchestration.resources import WarehouseResource

AUD_KEY = dg.AssetKey(["activation", "aud_test"])


def _upstream(check_passes: bool):
    @dg.asset(key=AUD_KEY)
    def aud_test() -> None:  # stands in for the dbt audience model (the table is already in the fixture)
        return None

    @dg.asset_check(asset=AUD_KEY, blocking=True)
    def aud_size_ok() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=check_passes, metadata={"why": "injected"})

    return aud_test, aud_size_ok


def _run(db, tmp_path, check_passes: bool):
    spec = parse_spec(spec_dict("dg_sync", {"type": "files", "path": str(tmp_path / "out")}))
    aud, check = _upstream(check_passes)
    sync = build_sync_asset(spec, [AUD_KEY])
    return dg.materialize(
        [aud, sync, check],
        resources={"warehouse": WarehouseResource(duckdb_path_override=str(db))},
        raise_on_error=False,
    ), spec


def _mats(result, spec):
    key = sync_asset_key(spec)
    return [e.materialization for e in result.get_asset_materialization_events() if e.asset_key == key]


def test_sync_asset_reports_counts(warehouse, tmp_path):
    db, _ = warehouse
    result, spec = _run(db, tmp_path, check_passes=True)
    assert result.success
    (mat,) = _mats(result, spec)
    meta = {k: v.value for k, v in mat.metadata.items()}
    assert meta["acked"] == 60 and meta["added"] == 60 and meta["status"] == "success"
    assert len(list((tmp_path / "out").glob("*.manifest.json"))) == 1


def test_failed_blocking_check_upstream_stops_the_sync(warehouse, tmp_path):
    db, _ = warehouse
    result, spec = _run(db, tmp_path, check_passes=False)
    assert not result.success
    assert _mats(result, spec) == []
    assert not (tmp_path / "out").exists()  # nothing reached the destination
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        has_runs = con.execute(
            "select count(*) from information_schema.tables where table_schema = 'ops' and table_name = 'sync_runs'"
        ).fetchone()[0]
    finally:
        con.close()
    assert has_runs == 0  # the engine never started


def test_sync_asset_depends_on_its_audience_and_the_gate_when_blocking():
    from orchestration.activation.defs import build_sync_assets

    spec = parse_spec(spec_dict("dg_sync", {"type": "files", "path": "x"}))
    (asset,) = [build_sync_asset(spec, [AUD_KEY, dg.AssetKey(["activation_quality_gate"])])]
    deps = asset.asset_deps[sync_asset_key(spec)]
    assert deps == {AUD_KEY, dg.AssetKey(["activation_quality_gate"])}
    assert callable(build_sync_assets)


def test_repo_syncs_are_wired_downstream_of_their_audience_and_the_gate(cjo_defs):
    from dagster_dbt import get_asset_key_for_model

    from orchestration.activation.spec import load_specs
    from orchestration.dbt_assets import cjo_dbt_assets
    from orchestration.quality.gate import GATE_KEY

    graph = cjo_defs.resolve_asset_graph()
    specs = load_specs()
    assert specs
    for spec in specs.values():
        parents = graph.get(sync_asset_key(spec)).parent_keys
        assert get_asset_key_for_model([cjo_dbt_assets], spec.audience) in parents
        assert (GATE_KEY in parents) == spec.blocking
    assert {f"sync_{n}_schedule" for n, s in specs.items() if s.schedule} <= {s.name for s in cjo_defs.schedules}
