"""What an operator needs from the run history of the live Dagster instance (not the published copy).

- ``run_seconds``: THE duration of a run, everywhere (`cjo run`, `cjo status`, the run stats): the run
  record's end minus start, as Dagster's UI shows it. Before this, `cjo run` printed its own stopwatch,
  the time line printed first-to-last event, and `cjo status` the record: three numbers for one run.
- ``failure_reasons``: why a run failed: every failed step's message (a blocked delivery names the file
  and the rule), then every failed check's description. Read from the event log, so it is there even
  when the run failed before publishing (the published copy still shows the run before).
- ``writer_queue`` / ``waiting_for``: who holds the one-writer pool and who waits for it, and what a
  given run is waiting for.
"""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg

from orchestration.warehouse_lock import DUCKDB_WRITER_POOL


def run_seconds(record) -> float | None:
    """Duration of a run record (end - start), None while it has not started or not finished."""
    if record is None or not record.start_time or not record.end_time:
        return None
    return max(record.end_time - record.start_time, 0.0)


def seconds_of(instance: dg.DagsterInstance, run_id: str) -> float | None:
    return run_seconds(instance.get_run_record_by_id(run_id))


@dataclass(frozen=True)
class Reason:
    kind: str  # step | check
    name: str  # step key, or asset:check
    severity: str  # ERROR | WARN
    message: str


def failure_reasons(instance: dg.DagsterInstance, run_id: str) -> list[Reason]:
    """Failed steps (their error message, first lines) and failed checks (their description) of a run."""
    out: list[Reason] = []
    for r in instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_FAILURE):
        ev = r.dagster_event
        err = ev.event_specific_data.error if ev and ev.event_specific_data else None
        msg = (err.message if err else r.user_message or "").strip()
        out.append(Reason("step", ev.step_key or "?", "ERROR", " ".join(msg.splitlines()[:6])[:1500]))
    for r in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION):
        ev = r.dagster_event.event_specific_data
        if not ev.passed:
            out.append(Reason("check", f"{ev.asset_key.to_user_string()}:{ev.check_name}", ev.severity.value,
                              ev.description or ""))
    return out


@dataclass(frozen=True)
class QueueEntry:
    state: str  # holding | waiting
    run_id: str
    step_key: str
    since: object | None = None


def writer_queue(instance: dg.DagsterInstance, pool: str = DUCKDB_WRITER_POOL) -> list[QueueEntry]:
    """Steps holding the writer pool's slot, then steps waiting for it (oldest first)."""
    try:
        info = instance.event_log_storage.get_concurrency_info(pool)
    except Exception:  # an instance without concurrency storage: no queue to show
        return []
    held = {(s.run_id, s.step_key) for s in info.claimed_slots}
    out = [QueueEntry("holding", run_id, step) for run_id, step in sorted(held)]
    waiting = sorted((p for p in info.pending_steps if (p.run_id, p.step_key) not in held),
                     key=lambda p: p.enqueued_timestamp)
    out += [QueueEntry("waiting", p.run_id, p.step_key, p.enqueued_timestamp) for p in waiting]
    return out


def waiting_for(queue: list[QueueEntry], run_id: str) -> str | None:
    """A sentence when ``run_id`` has a step waiting for the writer pool, naming the holder."""
    mine = [e for e in queue if e.run_id == run_id and e.state == "waiting"]
    if not mine:
        return None
    holders = [e for e in queue if e.state == "holding" and e.run_id != run_id]
    by = ", ".join(f"run {e.run_id[:8]} ({e.step_key})" for e in holders) or "another run"
    return f"waiting for the warehouse writer (pool {DUCKDB_WRITER_POOL}): {mine[0].step_key} waits for {by}"
