"""The Dagster code location: core assets (landing, dbt, publishing) merged with each area's defs.

Loaded by `dagster dev` (pyproject `[tool.dagster]`), `cjo run` and the tests. Import-time work is
limited to building definitions from the dbt manifest: no warehouse connection is opened here.

One writer (docs/operations.md): every op that opens the live DuckDB file runs in the
``duckdb_writer`` pool, limited to 1 in dagster.yaml, and every job runs in process. Area assets and
checks that do not name a pool are put in it here (they all read or write the warehouse); only
landing (Parquet files) and the freshness checks (instance metadata) stay outside.
"""

from __future__ import annotations

import importlib
import logging

import dagster as dg

from orchestration.dbt_assets import cjo_dbt_assets
from orchestration.jobs import JOBS
from orchestration.publish import PUBLISHED_KEY_PATH, build_published_asset
from orchestration.raw_assets import freshness_checks, freshness_sensor, raw_landing
from orchestration.resources import DUCKDB_WRITER_POOL, resources
from orchestration.schedules import SCHEDULES
from orchestration.sensors import SENSORS

log = logging.getLogger(__name__)

# Area packages merged into the code location, each exposing `defs() -> dg.Definitions`.
AREAS = ("quality", "ml", "activation", "analytics")
# dbt groups whose models are published to readers (with the ml/ops schemas written by Python).
PUBLISHED_GROUPS = ("marts", "activation")
PUBLISHED_PREFIXES = ("ml", "ops")


def area_definitions() -> list[dg.Definitions]:
    return [importlib.import_module(f"orchestration.{area}.defs").defs() for area in AREAS]


def _node_defs(area: dg.Definitions):
    for a in list(area.assets or []) + list(area.asset_checks or []):
        node = getattr(a, "node_def", None)
        if node is not None:
            yield a, node


def ensure_writer_pool(areas: list[dg.Definitions]) -> list[str]:
    """Put every area op without a pool into the writer pool. Returns the ops changed.

    Dagster has no public way to set the pool of an existing definition, so this sets the op's pool
    attribute; area owners should pass ``pool=DUCKDB_WRITER_POOL`` themselves (then this is a no-op)."""
    changed = []
    for area in areas:
        for _, node in _node_defs(area):
            if isinstance(node, dg.OpDefinition) and not node.pool:
                node._pool = DUCKDB_WRITER_POOL
                changed.append(node.name)
    if changed:
        log.debug("put into pool %s: %s", DUCKDB_WRITER_POOL, ", ".join(changed))
    return changed


def published_deps(areas: list[dg.Definitions]) -> list[dg.AssetKey]:
    """Every dbt mart/activation model and every area asset writing the ml/ops schemas."""
    published = dg.AssetKey(list(PUBLISHED_KEY_PATH))
    keys = [k for k in cjo_dbt_assets.keys if cjo_dbt_assets.group_names_by_key.get(k) in PUBLISHED_GROUPS]
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
    areas = area_definitions()
    ensure_writer_pool(areas)
    checks = freshness_checks()
    core = dg.Definitions(
        assets=[raw_landing, cjo_dbt_assets, build_published_asset(published_deps(areas))],
        asset_checks=checks,
        jobs=list(JOBS),
        schedules=list(SCHEDULES),
        sensors=[*SENSORS, freshness_sensor(checks)],
        resources=resources(),
        # One process per run: parallel steps collided on DuckDB's lock, and a process per step costs
        # seconds of start-up each (stack-notes).
        executor=dg.in_process_executor,
    )
    return dg.Definitions.merge(core, *areas)


defs = build_definitions()
