"""Where the time of a Dagster run goes: dbt's own work, Python asset work, and the rest (overhead).

overhead = run wall time - dbt execution time (dbt's run_results elapsed_time, after its start-up)
           - the wall time of the non-dbt steps (landing, ML, quality, publish...)
It therefore includes dbt's process start-up (version check, adapter setup, manifest load) and
Dagster's own bookkeeping (event log writes, step orchestration, asset check bookkeeping).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import dagster as dg

from orchestration.dbt_assets import DBT_ELAPSED_PREFIX, OP_NAME


@dataclass
class RunStats:
    run_id: str
    wall_seconds: float
    dbt_step_seconds: float
    dbt_work_seconds: float
    python_step_seconds: float
    assets_materialized: int
    checks_evaluated: int
    overhead_seconds: float
    overhead_per_asset_seconds: float

    def as_dict(self) -> dict:
        return asdict(self)


def run_stats(instance: dg.DagsterInstance, run_id: str, dbt_step_key: str = OP_NAME) -> RunStats:
    from orchestration.run_status import seconds_of

    records = instance.all_logs(run_id)
    times = [r.timestamp for r in records]
    # The run's one duration (its record, as `cjo run`, `cjo status` and the UI show it); the span of
    # its events only for a run that has no finished record.
    wall = seconds_of(instance, run_id) or (max(times) - min(times) if times else 0.0)
    starts: dict[str, float] = {}
    durations: dict[str, float] = {}
    dbt_work = 0.0
    materialized = checks = 0
    for r in records:
        ev = r.dagster_event
        if ev is None:
            if DBT_ELAPSED_PREFIX in r.user_message:
                dbt_work += float(r.user_message.split(DBT_ELAPSED_PREFIX, 1)[1].split()[0])
            continue
        if ev.event_type == dg.DagsterEventType.STEP_START:
            starts[ev.step_key] = r.timestamp
        elif ev.event_type in (dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE):
            if ev.step_key in starts:
                durations[ev.step_key] = r.timestamp - starts[ev.step_key]
        elif ev.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION:
            materialized += 1
        elif ev.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            checks += 1
    dbt_step = sum(d for k, d in durations.items() if k.startswith(dbt_step_key))
    python = sum(d for k, d in durations.items() if not k.startswith(dbt_step_key))
    overhead = max(wall - dbt_work - python, 0.0)
    return RunStats(run_id, round(wall, 3), round(dbt_step, 3), round(dbt_work, 3), round(python, 3),
                    materialized, checks, round(overhead, 3),
                    round(overhead / materialized, 4) if materialized else 0.0)
