"""A minimal warehouse for running journey evaluations for real (store + run, DuckDB file): the marts
and the clock the evaluation reads, filled with a few customers, and deliveries of events appended to
marts.fct_journey_events the way a landed raw file would add rows."""

from __future__ import annotations

import random
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import yaml

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 6, 1, 0, 0, 0)
EVENT_COLUMNS = ("occurred_at", "event_key", "customer_id", "event_name", "subject_id", "detail")


def create(db: Path, customers: int = 40) -> list[str]:
    """The marts the journeys read (the columns they use), every customer reachable by email, half by sms
    (with a stated sms preference for every fourth one). Returns the customer ids."""
    ids = [f"c{i:03d}" for i in range(customers)]
    con = duckdb.connect(str(db))
    try:
        con.execute("create schema marts; create schema intermediate")
        con.execute("create table marts.fct_journey_events (occurred_at timestamp, event_key varchar, "
                    "customer_id varchar, event_name varchar, subject_id varchar, detail varchar)")
        con.execute("create table marts.dim_customers (customer_id varchar, full_name varchar, firm_name varchar, "
                    "phone_e164 varchar, persona varchar, wholesaler_id varchar, frequency integer, "
                    "last_touch_at timestamp)")
        con.execute("create table marts.dim_customer_channels (customer_id varchar, channel varchar, "
                    "is_usable boolean, has_consent boolean, is_stated_preference boolean, response_rate double)")
        con.execute("create table intermediate.int_journey_clock_resolved (as_of_at timestamp)")
        for i, cid in enumerate(ids):
            con.execute("insert into marts.dim_customers values (?, ?, 'Firm', '+15550000', ?, ?, 1, null)",
                        [cid, None if i % 7 == 0 else f"Ada{i} Lovelace", "seasoned" if i % 3 else "new",
                         f"w{i % 4}" if i % 2 else None])
            con.execute("insert into marts.dim_customer_channels values (?, 'email', true, true, false, ?)",
                        [cid, 0.02 + (i % 5) / 100])
            con.execute("insert into marts.dim_customer_channels values (?, 'sms', ?, ?, ?, 0.05)",
                        [cid, i % 2 == 0, i % 2 == 0, i % 4 == 0])
        con.execute("insert into intermediate.int_journey_clock_resolved values (?)", [T0])
    finally:
        con.close()
    return ids


def journeys_dir(tmp: Path, *names: str, drop_cooldown: bool = False) -> Path:
    """A journeys folder with copies of the shipped journeys. ``drop_cooldown``: without a cooldown the
    outcome of an occurrence does not depend on which other occurrences were seen in the same run."""
    out = tmp / "journeys"
    out.mkdir(exist_ok=True)
    for name in names:
        src = ROOT / "journeys" / f"{name}.yml"
        if drop_cooldown:
            data = yaml.safe_load(src.read_text())
            data.get("entry", {}).pop("cooldown", None)
            (out / src.name).write_text(yaml.safe_dump(data, sort_keys=False))
        else:
            shutil.copy(src, out / src.name)
    return out


def deliver(db: Path, rows: list[tuple], clock: datetime) -> None:
    con = duckdb.connect(str(db))
    try:
        if rows:
            con.executemany("insert into marts.fct_journey_events (occurred_at, event_key, customer_id, event_name, "
                            "subject_id, detail) values (?, ?, ?, ?, ?, ?)", rows)
        con.execute("update intermediate.int_journey_clock_resolved set as_of_at = ?", [clock])
    finally:
        con.close()


@dataclass
class Schedule:
    """Application events and the round each arrives in: most on time, some late, some twice."""

    rounds: list[list[tuple]]
    clocks: list[datetime]


def application_schedule(ids: list[str], rounds: int = 14, step: timedelta = timedelta(hours=6),
                         seed: int = 3) -> Schedule:
    rnd = random.Random(seed)
    clocks = [T0 + step * (r + 1) for r in range(rounds)]
    arrivals: list[list[tuple]] = [[] for _ in range(rounds)]

    def put(row: tuple) -> None:
        on_time = next((r for r, c in enumerate(clocks) if c >= row[0]), rounds - 1)
        r = min(rounds - 1, on_time + (rnd.randint(1, 4) if rnd.random() < 0.15 else 0))
        arrivals[r].append(row)
        if rnd.random() < 0.10:  # re-delivered later (the same event key)
            arrivals[min(rounds - 1, r + rnd.randint(1, 3))].append(row)

    horizon = (clocks[-1] - T0) - timedelta(hours=60)
    for n in range(len(ids) * 2):
        cid, app = rnd.choice(ids), f"app{n:04d}"
        started = T0 + timedelta(seconds=rnd.randint(0, int(horizon.total_seconds())))
        put((started, f"s:{app}", cid, "application_started", app, "1"))
        for k in range(2, rnd.randint(2, 5)):
            put((started + timedelta(minutes=7 * k), f"p:{app}:{k}", cid, "application_step_completed", app, str(k)))
        if rnd.random() < 0.5:  # submitted, sometimes after the 48 h window (a late finisher)
            put((started + timedelta(hours=rnd.choice([1, 20, 47, 60, 90])), f"u:{app}", cid,
                 "application_submitted", app, None))
    return Schedule(arrivals, clocks)


STATE_SQL = {
    "occurrences": "select occurrence_id, journey, customer_id, occurrence_key, outcome, reason "
                   "from journeys.occurrences",
    "enrollments": "select enrollment_id, step_index, next_due_at, converted_at, exited_at, exit_reason "
                   "from journeys.enrollments",
    "steps": "select send_id, enrollment_id, step_id, status, status_reason, action, channel, channel_source, "
             "message from journeys.steps",
}


def state(db: Path) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {name: sorted(con.execute(sql).fetchall(), key=repr) for name, sql in STATE_SQL.items()}
    finally:
        con.close()
