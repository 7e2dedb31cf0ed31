"""Dagster definitions for journeys (merged by orchestration/definitions.py).

- asset ``journeys/state``: evaluates every journey on the events not seen yet and writes the journey
  state (schema ``journeys``, one transaction), downstream of the event stream and the customer marts it
  reads (keys from ``get_asset_key_for_model``). The dbt staging of ``journeys.*`` names this asset as its
  source's asset key, so fct_journey_* and the decision ledger run after it. Its materialization lists
  what fired per journey; a bad journey file is a warning in the log and the metadata, never a failure.
- asset ``ml/abandonment_model``: the application abandonment model, evaluated by time and customer
  against a logistic regression and a recency baseline, logged to ml.model_runs (full run only: the
  incremental job leaves ML out).
- check ``journey_files_valid``: every file in journeys/ loads (WARN: the other journeys keep running).
The raw-file sensor's incremental run reaches this asset and the journey syncs (orchestration/jobs.py):
each delivery is evaluated minutes after it lands.
"""

# No `from __future__ import annotations`: Dagster reads the context annotation of the asset function.

from typing import Any

import dagster as dg

JOURNEYS_KEY = dg.AssetKey(["journeys", "state"])
JOURNEYS_GROUP = "journeys"
# What the evaluation reads (besides its own tables, ops.sync_state and the ledger's last verdicts, which
# are its feedback from the previous run and would be a cycle as graph edges).
UPSTREAM_MODELS = ("fct_journey_events", "dim_customers", "dim_customer_channels", "int_journey_clock_resolved")
ABANDONMENT_KEY = dg.AssetKey(["ml", "abandonment_model"])
ABANDONMENT_MODELS = ("fct_applications", "fct_journey_events", "fct_touchpoints", "dim_customers")


def _upstream_keys(models: tuple[str, ...] = UPSTREAM_MODELS) -> list[dg.AssetKey]:
    from dagster_dbt import get_asset_key_for_model

    from orchestration.dbt_assets import cjo_dbt_assets

    return [get_asset_key_for_model([cjo_dbt_assets], m) for m in models]


def _md(rows: dict[str, dict[str, int]]) -> str:
    if not rows:
        return "(nothing fired)"
    cols = sorted({k for r in rows.values() for k in r})
    lines = ["| journey | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
    lines += [f"| {j} | " + " | ".join(str(r.get(c, 0)) for c in cols) + " |" for j, r in sorted(rows.items())]
    return "\n".join(lines)


def evaluation_metadata(result) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "clock": str(result.clock), "new_events": result.new_events, "journeys": len(result.journeys),
        "spec_errors": len(result.errors), "duration_s": dg.FloatMetadataValue(result.duration_s),
        "fired": dg.MarkdownMetadataValue(_md(result.per_journey)),
        **{k: v for k, v in result.counts.items()},
    }
    if result.errors:
        meta["bad_files"] = dg.MarkdownMetadataValue("\n".join(f"- `{e}`" for e in result.errors))
    return meta


def build_assets() -> tuple[list[dg.AssetsDefinition], list[dg.AssetChecksDefinition]]:
    from orchestration.resources import DUCKDB_WRITER_POOL  # one writer on the DuckDB file

    @dg.asset(key=JOURNEYS_KEY, deps=_upstream_keys(), group_name=JOURNEYS_GROUP, kinds={"python", "duckdb"},
              pool=DUCKDB_WRITER_POOL,
              description="Evaluate journeys/*.yml on the new events: triggers, enrollments, exits, due steps "
              "with their channel of choice and rendered message (schema journeys; fct_journey_* publish it).")
    def journey_state(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        from orchestration import settings
        from orchestration.journeys import run
        from orchestration.warehouse_lock import connect_live

        specs, errors = run.load()
        for err in errors:
            context.log.warning(f"journey file skipped: {err}")
        with connect_live(settings.duckdb_path()) as con:
            result = run.evaluate(con, specs=specs, errors=errors)
        context.log.info(f"journeys at {result.clock}: {result.new_events} new events, {result.counts}")
        return dg.MaterializeResult(metadata=evaluation_metadata(result))

    @dg.asset_check(asset=JOURNEYS_KEY, name="journey_files_valid", blocking=False,
                    description="Every journey file loads; a bad one is named with its line and field.")
    def journey_files_valid() -> dg.AssetCheckResult:
        from orchestration.journeys import run

        specs, errors = run.load()
        return dg.AssetCheckResult(
            passed=not errors, severity=dg.AssetCheckSeverity.WARN,
            metadata={"journeys": len(specs), "errors": dg.MarkdownMetadataValue(
                "\n".join(f"- `{e}`" for e in errors) or "(none)")})

    @dg.asset(key=ABANDONMENT_KEY, deps=_upstream_keys(ABANDONMENT_MODELS), group_name="ml",
              kinds={"python", "scikitlearn"}, pool=DUCKDB_WRITER_POOL,
              description="Application abandonment propensity, evaluated by time and customer hold-out against "
              "a logistic regression and a recency baseline; both AUCs go to ml.model_runs (model abandonment).")
    def abandonment_model(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        from datetime import UTC, datetime

        from orchestration import settings
        from orchestration.ml import abandonment
        from orchestration.warehouse_lock import connect_live

        with connect_live(settings.duckdb_path()) as con:
            ev, _row = abandonment.run(con, datetime.now(UTC).replace(tzinfo=None))
        if ev.skipped:
            context.log.warning(f"abandonment model: {ev.skipped}")
        meta = {"n_train": ev.n_train, "n_test": ev.n_test, "cutoff": str(ev.cutoff)}
        meta.update({f"{name}_roc_auc": dg.FloatMetadataValue(m["roc_auc"]) for name, m in ev.metrics.items()})
        if ev.skipped:
            meta["skipped"] = ev.skipped
        return dg.MaterializeResult(metadata=meta)

    return [journey_state, abandonment_model], [journey_files_valid]


def defs() -> dg.Definitions:
    assets, checks = build_assets()
    return dg.Definitions(assets=assets, asset_checks=checks)
