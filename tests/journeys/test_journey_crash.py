"""Exactly once under SIGKILL: the journey evaluation runs as a real process
(``python -m orchestration.journeys evaluate``) on a DuckDB warehouse while deliveries of application
events arrive (some late, some re-delivered under the same key). Most runs are SIGKILLed at a random
moment (``CJO_JOURNEY_COMMIT_SLEEP`` widens the window between evaluating and committing, so kills land
before, inside and after it). The final state must equal a run that was never killed: every trigger fired
once per customer, journey and occurrence, every step scheduled once, nothing lost."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import warehouse_support as ws

pytestmark = pytest.mark.slow  # ~1 min: a dozen interpreter start-ups

ROOT = Path(__file__).resolve().parents[2]
MIN_KILLS = 5


def _env(db: Path, journeys: Path, sleep: float) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1", "CJO_DUCKDB_PATH": str(db),
           "CJO_JOURNEYS_DIR": str(journeys), "CJO_JOURNEY_COMMIT_SLEEP": str(sleep)}
    return env


def _evaluate(db: Path, journeys: Path, sleep: float = 0.0, kill_after: float | None = None) -> bool:
    """Run one evaluation; SIGKILL it after ``kill_after`` seconds. True when it was killed."""
    proc = subprocess.Popen([sys.executable, "-m", "orchestration.journeys", "evaluate", "--db", str(db)],
                            cwd=ROOT, env=_env(db, journeys, sleep), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    if kill_after is not None:
        try:
            proc.wait(timeout=kill_after)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            return True
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, out.decode()
    return False


def _in_process(db: Path, journeys: Path, monkeypatch) -> None:
    from orchestration.journeys import run
    from orchestration.warehouse_lock import connect_live

    monkeypatch.setenv("CJO_JOURNEYS_DIR", str(journeys))
    monkeypatch.setenv("CJO_JOURNEY_COMMIT_SLEEP", "0")
    with connect_live(db) as con:
        run.evaluate(con)


def test_sigkill_redelivery_and_late_events_fire_each_occurrence_once(tmp_path, monkeypatch):
    journeys = ws.journeys_dir(tmp_path, "application_abandonment", drop_cooldown=True)
    crashed, reference = tmp_path / "crashed.duckdb", tmp_path / "reference.duckdb"
    ids = ws.create(crashed)
    ws.create(reference)
    schedule = ws.application_schedule(ids)
    rnd = random.Random(11)
    kills, killed_in_a_row = 0, 0
    for rows, clock in zip(schedule.rounds, schedule.clocks, strict=True):
        ws.deliver(reference, rows, clock)
        _in_process(reference, journeys, monkeypatch)
        ws.deliver(crashed, rows, clock)
        # Never three kills in a row: a step's 24 h expiry must not pass unseen (that is a different
        # outcome, expired, which a scheduler that never runs for a day would rightly record).
        if killed_in_a_row < 2 and rnd.random() < 0.7:
            was_killed = _evaluate(crashed, journeys, sleep=1.5, kill_after=rnd.uniform(0.2, 4.0))
        else:
            was_killed = _evaluate(crashed, journeys)
        kills += was_killed
        killed_in_a_row = killed_in_a_row + 1 if was_killed else 0
    _evaluate(crashed, journeys)
    _in_process(reference, journeys, monkeypatch)
    assert kills >= MIN_KILLS, f"only {kills} runs were killed: the test did not exercise crashes"

    got, want = ws.state(crashed), ws.state(reference)
    occurrences = Counter((r[1], r[2], r[3]) for r in got["occurrences"])
    assert occurrences and max(occurrences.values()) == 1, "a trigger fired twice for one occurrence"
    assert len({r[0] for r in got["steps"]}) == len(got["steps"]), "a step was scheduled twice"
    for table in ws.STATE_SQL:
        assert got[table] == want[table], f"journeys.{table} differs from the run that was never killed"
    # Every application started and never submitted fired exactly once (nothing lost).
    started = {r[4]: r[2] for rows in schedule.rounds for r in rows if r[3] == "application_started"}
    submitted = {r[4] for rows in schedule.rounds for r in rows if r[3] == "application_submitted"}
    fired = {r[3] for r in got["occurrences"]}
    assert {a for a in started if a not in submitted} <= fired
