"""One evaluation of every journey against the live warehouse: the glue between the pure engine, the
warehouse state and the event source. Everything it writes (the loaded definitions, the state changes,
the acknowledged events, the evaluation log) is committed in ONE transaction: killed before the commit,
the next run evaluates the same events again and writes the same rows (they are keyed by content)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration.journeys import engine, store
from orchestration.journeys.events import EventSource
from orchestration.journeys.model import Changes
from orchestration.journeys.spec import JourneySpec, JourneySpecError, load_journeys

CLOCK_SQL = "select as_of_at from intermediate.int_journey_clock_resolved"


@dataclass
class Evaluation:
    clock: datetime | None
    new_events: int
    journeys: list[str]
    errors: list[JourneySpecError]
    counts: dict[str, int] = field(default_factory=dict)
    per_journey: dict[str, dict[str, int]] = field(default_factory=dict)
    duration_s: float = 0.0


def journeys_dir() -> Path:
    from orchestration import settings

    return settings.get().journeys_dir


def catalog_csv() -> Path:
    from orchestration import settings

    return settings.PROJECT_ROOT / "seeds" / "actions.csv"


def load() -> tuple[dict[str, JourneySpec], list[JourneySpecError]]:
    return load_journeys(journeys_dir(), catalog_csv())


def _definition_rows(specs: dict[str, JourneySpec], now: datetime) -> dict[str, list[dict]]:
    from orchestration import settings

    root = settings.PROJECT_ROOT
    definitions, arms, steps = [], [], []
    for spec in specs.values():
        path = next((p for p in sorted(journeys_dir().glob("*.y*ml")) if _name_of(p) == spec.name), None)
        shown = str(path.relative_to(root)) if path and path.is_relative_to(root) else (str(path) if path else None)
        definitions.append({
            "journey": spec.name, "enabled": spec.enabled, "owner": spec.owner, "description": spec.description,
            "source_file": shown, "trigger_type": spec.trigger.type,
            "control_share": spec.split.control, "split_unit": spec.split.unit, "goal_event": spec.goal.event,
            "goal_within_hours": spec.goal.within.total_seconds() / 3600, "loaded_at": now})
        arms += [{"journey": spec.name, "arm": arm, "share_from": lo, "share_to": hi}
                 for arm, lo, hi in spec.split.bounds()]
        steps += [{"journey": spec.name, "step_index": i, "step_id": s.id, "actions": "|".join(s.actions),
                   "wait_hours": s.wait.total_seconds() / 3600, "arms": "|".join(s.arms) if s.arms else None}
                  for i, s in enumerate(spec.steps)]
    return {"definitions": definitions, "arms": arms, "definition_steps": steps}


def _name_of(path: Path) -> str | None:
    import yaml

    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError:
        return None
    return data.get("name") if isinstance(data, dict) else None


def _clock(con: duckdb.DuckDBPyConnection) -> datetime | None:
    if not store._exists(con, "intermediate", "int_journey_clock_resolved"):
        return None
    rows = con.execute(CLOCK_SQL).fetchall()
    return rows[0][0] if rows else None


def _per_journey(ch) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for o in ch.occurrences:
        d = out.setdefault(o.journey, {})
        d["fired"] = d.get("fired", 0) + 1
        d["enrolled"] = d.get("enrolled", 0) + (o.outcome == "enrolled")
    for s in ch.steps.values():
        d = out.setdefault(s.journey, {})
        d[f"steps_{s.status}"] = d.get(f"steps_{s.status}", 0) + 1
    for e in ch.enrollments.values():
        if e.exited_at is not None:
            d = out.setdefault(e.journey, {})
            d[f"exit_{e.exit_reason}"] = d.get(f"exit_{e.exit_reason}", 0) + 1
    return out


def evaluate(con: duckdb.DuckDBPyConnection, source: EventSource | None = None,
             specs: dict[str, JourneySpec] | None = None, errors: list[JourneySpecError] | None = None
             ) -> Evaluation:
    """Load the journeys (unless given), read the new events, evaluate, and commit everything at once."""
    started = time.monotonic()
    if specs is None:
        specs, errors = load()
    source = source or store.WarehouseEventSource()
    now = datetime.now(UTC).replace(tzinfo=None)
    store.ensure_tables(con)
    con.execute("begin transaction")
    try:
        for table, rows in _definition_rows(specs, now).items():
            store.upsert(con, table, rows)
        store.upsert(con, "spec_errors", [{"file": e.file, "line": e.line, "field": e.field, "reason": e.reason,
                                            "loaded_at": now} for e in errors or []])
        store.forget(con)
        clock = _clock(con)
        events = source.read(con) if clock is not None else []
        ch = engine.evaluate(specs, store.WarehouseState(con), events, clock, store.WarehouseLookups(con)) \
            if clock is not None else Changes()
        _crash_hook()
        store.apply_changes(con, ch, now)
        source.ack(con, events, now)
        result = Evaluation(clock, len(events), sorted(specs), list(errors or []), ch.counts(), _per_journey(ch))
        result.duration_s = round(time.monotonic() - started, 3)
        store.append(con, "evaluations", [{"evaluated_at": now, "clock": clock, "new_events": len(events),
                                           "journeys": len(specs), "spec_errors": len(errors or []),
                                           **result.counts, "duration_s": result.duration_s}])
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return result


def _crash_hook() -> None:
    # Test hook: widen the window between evaluating and committing, so a SIGKILL lands inside it.
    from orchestration import settings

    delay = settings.get().journey_commit_sleep
    if delay:
        time.sleep(delay)
