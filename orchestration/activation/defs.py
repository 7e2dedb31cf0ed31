"""Dagster definitions for the activation area: one asset per sync declared on an audience model (dbt meta).

Each sync asset ``["activation", "sync_<name>"]`` depends on
- its audience's dbt asset (key from ``get_asset_key_for_model``, never typed by hand), and
- when the spec says ``blocking: true``, the quality area's ``activation_quality_gate``, which depends on
  every table activation reads and fails (or is skipped) when a blocking quality check on them failed.
  Dagster skips a downstream asset whose upstream failed or whose upstream blocking check failed in the
  same run, so a failed blocking check upstream stops the sync before anything is sent.
The asset body is thin: :func:`orchestration.activation.engine.run_sync`, with the run's counts as
materialization metadata. It runs in the single-writer pool (it writes ``ops.*`` in the live file).
"""

import logging
from collections.abc import Sequence

import dagster as dg
from pydantic import Field

from orchestration.activation.spec import SyncSpec
from orchestration.resources import DUCKDB_WRITER_POOL, WarehouseResource

log = logging.getLogger(__name__)

SYNC_GROUP = "activation"


class SyncConfig(dg.Config):
    """Run-time switches for one sync materialization."""

    dry_run: bool = Field(default=False, description="Plan and store the diff (ops.sync_planned_diffs); send nothing.")
    force: bool = Field(
        default=False, description="Override the mirror circuit breaker (removing more than the spec's threshold)."
    )


def sync_asset_key(spec: SyncSpec) -> dg.AssetKey:
    return dg.AssetKey(["activation", f"sync_{spec.name}"])


def build_sync_asset(spec: SyncSpec, deps: Sequence[dg.AssetKey], pool: str | None = None) -> dg.AssetsDefinition:
    """A thin asset running one sync; ``deps`` are the audience asset (and the quality gate)."""

    @dg.asset(
        key=sync_asset_key(spec),
        deps=list(deps),
        group_name=SYNC_GROUP,
        kinds={"python", spec.destination.type},
        pool=pool,
        description=f"Reverse-ETL sync {spec.name}: {spec.audience} -> {spec.destination.type} ({spec.mode}). "
        + (spec.description or ""),
        owners=[f"team:{spec.owner}"] if spec.owner else None,
        tags={"destination": spec.destination.type, "mode": spec.mode},
        metadata={"schedule": spec.schedule or "", "blocking": spec.blocking, "audience": spec.audience},
    )
    def _sync(
        context: dg.AssetExecutionContext, config: SyncConfig, warehouse: WarehouseResource
    ) -> dg.MaterializeResult:
        from orchestration.activation.engine import run_sync

        res = run_sync(
            spec, db_path=warehouse.duckdb_path(), dry_run=config.dry_run, force=config.force, echo=context.log.info
        )
        meta = res.as_metadata()
        meta["destination"] = spec.destination.type
        return dg.MaterializeResult(metadata=meta)

    return _sync


def _audience_key(spec: SyncSpec) -> dg.AssetKey | None:
    try:
        from dagster_dbt import get_asset_key_for_model

        from orchestration.dbt_assets import cjo_dbt_assets
    except ImportError:  # the Dagster area is not there yet
        return None
    try:
        return get_asset_key_for_model([cjo_dbt_assets], spec.audience)
    except Exception:  # model not in the manifest (yet)
        log.warning("sync %s: audience model %s is not in the dbt manifest; sync left out", spec.name, spec.audience)
        return None


def _gate_key() -> dg.AssetKey | None:
    try:
        from orchestration.quality.gate import GATE_KEY
    except ImportError:
        return None
    return GATE_KEY


def build_sync_assets(specs: dict[str, SyncSpec]) -> list[dg.AssetsDefinition]:
    gate = _gate_key()
    assets = []
    for spec in specs.values():
        audience = _audience_key(spec)
        if audience is None:
            continue
        deps = [audience] + ([gate] if spec.blocking and gate is not None else [])
        assets.append(build_sync_asset(spec, deps, DUCKDB_WRITER_POOL))
    return assets


def build_schedules(specs: dict[str, SyncSpec], assets: list[dg.AssetsDefinition]) -> list[dg.ScheduleDefinition]:
    built = {k for a in assets for k in a.keys}
    out = []
    for spec in specs.values():
        key = sync_asset_key(spec)
        if spec.schedule and key in built:
            job = dg.define_asset_job(f"sync_{spec.name}_job", selection=[key])
            out.append(
                dg.ScheduleDefinition(
                    name=f"sync_{spec.name}_schedule", job=job, cron_schedule=spec.schedule, execution_timezone="UTC"
                )
            )
    return out


def defs() -> dg.Definitions:
    from orchestration.activation.spec import load_specs

    specs = load_specs()
    assets = build_sync_assets(specs)
    return dg.Definitions(assets=assets, schedules=build_schedules(specs, assets))
