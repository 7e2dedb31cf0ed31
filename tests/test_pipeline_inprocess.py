"""The whole graph materialized in process through Dagster, on the small fixture's raw data.

Runs `full_pipeline` against a real DagsterInstance in a private folder (the shared built_warehouse is
left untouched; only its raw files are copied) and checks:
- every asset of the job materialized, every dbt test ran as an asset check and none failed;
- row counts line up: landing metadata = rows in the landed Parquet; the marts built through Dagster
  have the same row counts as the ones the fixture built with the dbt CLI from the same raw data;
  the published copy has the live tables' counts;
- every op that opened the live warehouse (took the writer lock) runs in the writer pool;
- the per-asset overhead (printed and written to tests/output/inprocess_overhead.json).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from pipeline_support import ensure_manifest, prepare_dagster_home, warehouse_env

OUTPUT = Path(__file__).parent / "output"
# The fixture holds 120 days; the defaults (first snapshot after 90 days, every 30) are for a year of
# data and would train no model here. Snapshots every 15 days from day 15 train both models, so the
# run exercises real scores (the GX and AUC checks, scored next-best actions), not only the fallback.
SHORT_HISTORY = {"ops": {"ml__propensity_scores": {"config": {"snapshot_every_days": 15, "min_history_days": 15}}}}


# (op name, its pool) of every acquisition of the warehouse writer lock during the run.
WAREHOUSE_OPENED_BY: list[tuple[str, str | None]] = []


def _recording_acquire(real):
    def acquire(*args, **kwargs):
        ctx = dg.OpExecutionContext.get()
        WAREHOUSE_OPENED_BY.append((ctx.op_def.name, ctx.op_def.pool))
        return real(*args, **kwargs)

    return acquire


@pytest.fixture(scope="module")
def pipeline_run(built_warehouse, cjo_defs, tmp_path_factory):
    from orchestration import warehouse_lock

    root = tmp_path_factory.mktemp("inprocess")
    env = warehouse_env(root)
    shutil.copytree(built_warehouse.raw_dir, env["CJO_RAW_DIR"])
    with pytest.MonkeyPatch.context() as mp:
        for k, v in env.items():
            mp.setenv(k, v)
        mp.setenv("CJO_WRITER_FILE_LOCK", "1")
        # The fixture's few months cannot hold a 90-day churn label at two snapshot dates, so this
        # project expects the conversion model only (with both expected, the AUC check fails on the
        # missing churn model, as it should: tests/ml/test_demo_data.py).
        mp.setenv("CJO_PROPENSITY_MODELS", '["conversion"]')
        mp.setattr(warehouse_lock, "_acquire", _recording_acquire(warehouse_lock._acquire))
        home = prepare_dagster_home(Path(env["DAGSTER_HOME"]))
        instance = dg.DagsterInstance.from_config(str(home))
        job = cjo_defs.resolve_job_def("full_pipeline")
        result = job.execute_in_process(instance=instance, raise_on_error=False, run_config=SHORT_HISTORY)
        yield root, env, instance, job, result
        instance.dispose()


def test_full_pipeline_succeeds_and_materializes_every_asset(pipeline_run):
    _, _, _, job, result = pipeline_run
    failures = [f"{e.step_key}: {e.event_specific_data.error.message.strip()[:1500]}"
                for e in result.all_events if e.is_step_failure]
    assert result.success, failures
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    missing = set(job.asset_layer.selected_asset_keys) - materialized
    assert not missing, f"not materialized: {sorted(k.to_user_string() for k in missing)}"


def test_every_op_that_opened_the_warehouse_is_in_the_writer_pool(pipeline_run):
    from orchestration.resources import DUCKDB_WRITER_POOL

    opened = dict(WAREHOUSE_OPENED_BY)
    assert "cjo_dbt_assets" in opened and any(op.endswith("published_warehouse") for op in opened), opened
    outside = sorted(op for op, pool in opened.items() if pool != DUCKDB_WRITER_POOL)
    assert not outside, f"ops that opened the warehouse outside the writer pool: {outside}"


def test_every_dbt_test_ran_as_a_check_and_passed(pipeline_run):
    from orchestration.dbt_assets import cjo_dbt_assets

    _, _, _, _, result = pipeline_run
    evaluations = [e.event_specific_data for e in result.all_events
                   if e.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION]
    by_key = {dg.AssetCheckKey(ev.asset_key, ev.check_name): ev for ev in evaluations}
    not_run = set(cjo_dbt_assets.check_keys) - set(by_key)
    assert not not_run, f"dbt tests that did not report: {sorted(str(k) for k in not_run)[:10]}"
    failed = [f"{k.asset_key.to_user_string()}:{k.name}" for k, ev in by_key.items()
              if not ev.passed and ev.severity == dg.AssetCheckSeverity.ERROR]
    assert not failed, f"failed checks: {failed}"


def test_row_counts_line_up(pipeline_run, built_warehouse):
    from orchestration.publish import read_manifest
    from orchestration.raw_assets import RAW_ASSET_KEYS

    _, env, _, _, result = pipeline_run
    mats = {e.asset_key: e.event_specific_data.materialization for e in result.get_asset_materialization_events()}
    landed_rows = mats[RAW_ASSET_KEYS["crm.advisors"]].metadata["rows_landed"].value
    with duckdb.connect() as con:
        on_disk = con.execute(
            "select count(*) from read_parquet(?, union_by_name=true)",
            [str(Path(env["CJO_LANDING_DIR"]) / "crm" / "advisors" / "*.parquet")]).fetchone()[0]
    # The erasure pass rewrote the landed files without the fixture's forgotten people (docs/privacy.md).
    erasure = mats[dg.AssetKey(["ops", "erasure"])].metadata
    assert 0 < on_disk <= landed_rows and landed_rows - on_disk <= erasure["landed_rows"].value

    published = read_manifest(Path(env["CJO_PUBLISH_DIR"]))
    assert published is not None, "the run did not reach published_warehouse (see the failure above)"
    ours = published["tables"]
    theirs = read_manifest(built_warehouse.publish_dir)["tables"]
    assert ours["marts.dim_customers"] > 0
    # Same raw data, same dbt project: Dagster's build equals the dbt CLI build, mart by mart. The
    # fixture's CLI build has no ML or analytics tables (dbt alone), so marts downstream of ml.* differ
    # by design, and so do those grouped by value tier (predicted CLV here, historical value there);
    # dim_customers keeps one row per customer either way.
    ml_downstream = _models_downstream_of_source_schema("ml") | (
        _models_downstream_of_source_schema("analytics") - {"dim_customers"})
    # ... and what reads the journey state: the CLI build has no journey evaluation (a Python asset), so
    # no enrollments or journey steps (the ledger decides those steps too).
    ml_downstream |= _models_downstream_of_source_schema("journeys")
    # ... and tables the erasure pass deleted forgotten people's rows from (the CLI build has no erasure).
    erased = set(erasure["rows_deleted_by_table"].value)
    compared = [t for t in theirs if t.startswith("marts.") and t.split(".", 1)[1] not in ml_downstream
                and t not in erased]
    assert "marts.dim_customers" in compared and "marts.dim_segments" not in compared
    for table in compared:
        assert ours.get(table) == theirs[table], table
    with duckdb.connect(env["CJO_DUCKDB_PATH"], read_only=True) as con:
        for table in ("marts.dim_customers", "marts.fct_journey_stages"):
            if table in ours:
                assert con.execute(f"select count(*) from {table}").fetchone()[0] == ours[table]


def _models_downstream_of_source_schema(source_name: str) -> set[str]:
    """Names of the dbt models with a source of `source_name` among their ancestors (from the manifest)."""
    manifest = json.loads(ensure_manifest().read_text())
    parents = manifest["parent_map"]
    tainted: dict[str, bool] = {}

    def reaches(node: str) -> bool:
        if node not in tainted:
            tainted[node] = False  # cycles cannot happen in dbt; this only guards the recursion
            tainted[node] = any(p.startswith(f"source.cjo.{source_name}.") or reaches(p)
                                for p in parents.get(node, []))
        return tainted[node]

    return {n.split(".")[-1] for n in parents if n.startswith("model.") and reaches(n)}


def test_measure_per_asset_overhead(pipeline_run):
    from orchestration.runstats import run_stats

    _, _, instance, _, result = pipeline_run
    stats = run_stats(instance, result.run_id)
    assert stats.dbt_work_seconds > 0 and stats.assets_materialized > 0
    assert stats.wall_seconds >= stats.dbt_work_seconds
    OUTPUT.mkdir(exist_ok=True)
    (OUTPUT / "inprocess_overhead.json").write_text(json.dumps(stats.as_dict(), indent=2) + "\n")
    print(json.dumps(stats.as_dict(), indent=2))
