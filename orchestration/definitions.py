"""The Dagster code location: core assets (landing, dbt, publishing) merged with each area's defs.

Loaded by `dg dev` (pyproject `[tool.dg]`), `cjo run` and the tests. ``defs`` is a lazy
``@dg.definitions`` function: importing this module builds nothing; Dagster (or a test) calls it. Loading
reads the dbt manifest (parsing it first only if it is stale) and opens no warehouse connection.

One writer (docs/operations.md): every op that opens the live DuckDB file runs in the
``duckdb_writer`` pool, limited to 1 in dagster.yaml, and every job runs in process. Each asset and
check that opens the warehouse names that pool itself; the ones that never open it (landing writes
Parquet, freshness checks and the activation gate read the instance, the ML model checks read the
model run files) stay outside. tests/test_pipeline_inprocess.py checks it on a whole run.
"""

from __future__ import annotations

import importlib

import dagster as dg

from orchestration.privacy.assets import build_erasure_asset
from orchestration.publish import PUBLISHED_KEY_PATH, build_published_asset
from orchestration.raw_assets import freshness_checks, freshness_sensor, raw_landing
from orchestration.resources import resources
from orchestration.schedules import SCHEDULES
from orchestration.sensors import SENSORS

# Area packages merged into the code location, each exposing `defs() -> dg.Definitions`.
AREAS = ("quality", "ml", "journeys", "activation", "analytics", "dashboard")
# dbt groups whose models are published to readers (with the ml/ops schemas written by Python).
PUBLISHED_GROUPS = ("marts", "activation")
PUBLISHED_PREFIXES = ("ml", "ops")


def area_definitions() -> list[dg.Definitions]:
    return [importlib.import_module(f"orchestration.{area}.defs").defs() for area in AREAS]


def published_deps(dbt_assets: dg.AssetsDefinition, areas: list[dg.Definitions]) -> list[dg.AssetKey]:
    """Every dbt mart/activation model and every area asset writing the ml/ops schemas, except the syncs.

    A sync talks to an outside system that can be down. Were the erasure pass (and publishing after it)
    downstream of a sync, a dead destination would skip both, and a forgotten person would stay in the
    live file and the published copy. So nothing waits for a sync: the gate and the sync engine's
    last-mile check keep forgotten people out of every send either way, a removal a sync sends after the
    pass is pseudonymized by the next one (docs/privacy.md), and in a run with syncs Dagster runs them
    before the pass (they sit lower in the graph; tests/test_demo_activation.py checks the order)."""
    published = dg.AssetKey(list(PUBLISHED_KEY_PATH))
    keys = [k for k in dbt_assets.keys if dbt_assets.group_names_by_key.get(k) in PUBLISHED_GROUPS]
    for area in areas:
        for a in area.assets or []:
            if not isinstance(a, dg.AssetsDefinition):
                continue
            for k in a.keys:
                upstream = {d for d in a.asset_deps.get(k, set())}
                if k.path[0] in PUBLISHED_PREFIXES and published not in upstream:
                    keys.append(k)
    return sorted(set(keys), key=lambda k: k.to_user_string())


def build_definitions() -> dg.Definitions:
    from orchestration.dbt_assets import cjo_dbt_assets
    from orchestration.jobs import build_jobs

    areas = area_definitions()
    checks = freshness_checks()
    # The erasure runs after everything publishing waits for but the syncs, and publishing waits for it:
    # readers never see a forgotten person, and a dead destination cannot hold either back.
    erasure = build_erasure_asset(published_deps(cjo_dbt_assets, areas))
    core = dg.Definitions(
        assets=[raw_landing, cjo_dbt_assets, erasure, build_published_asset([*erasure.keys])],
        asset_checks=checks,
        jobs=build_jobs(cjo_dbt_assets),
        schedules=list(SCHEDULES),
        sensors=[*SENSORS, freshness_sensor(checks)],
        resources=resources(),
        # One process per run: parallel steps collided on DuckDB's lock, and a process per step costs
        # seconds of start-up each (stack-notes).
        executor=dg.in_process_executor,
    )
    return dg.Definitions.merge(core, *areas)


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions()
