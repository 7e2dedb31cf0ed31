"""Crash safety: SIGKILL the sync process at random points, re-run, and the destination is exact.

The sync runs as a real subprocess (``python -m orchestration.activation sync run``) against a
DuckDB warehouse and a real PostgreSQL. ``CJO_SYNC_BATCH_SLEEP`` widens the windows before each send
and between the destination's commit and ours, so kills land in every phase (reading, sending,
between commits, committing state). Between kills the audience changes (adds, removals, changed values,
consent withdrawals), so later runs have real diffs to apply on top of half-applied ones.
"""

from __future__ import annotations

import os
import random
import select
import signal
import subprocess
import sys
import time

import psycopg
import pytest
from activation_support import allowed, people, query, spec_dict, write_manifest, write_warehouse

# > 30 s on 2 cores (10+ interpreter start-ups); still part of `make test`.
pytestmark = [pytest.mark.postgres, pytest.mark.slow]

ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]
MIN_KILLS = 10


def _spawn(db, syncs, dsn, sleep: str | None):
    env = {**os.environ, "CJO_TEST_PG_DSN": dsn, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1",
           "CJO_DBT_MANIFEST": str(syncs / "manifest.json")}
    env.pop("CJO_SYNC_BATCH_SLEEP", None)
    if sleep:
        env["CJO_SYNC_BATCH_SLEEP"] = sleep
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "orchestration.activation",
            "sync",
            "run",
            "crash_sync",
            "--db",
            str(db),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def wait_for_plan(proc, timeout: float = 60.0) -> bool:
    """Block until the engine printed its plan (it is past start-up and about to send)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], 0.1)
        if ready:
            line = proc.stdout.readline()
            if not line:
                return False  # exited
            if b"plan +" in line:
                return True
    return False


def mutate(persons, rng: random.Random) -> None:
    # Enough changes that every run has several batches to apply (15 rows each).
    for p in rng.sample(persons, 80):
        p.score = rng.randint(0, 1000)
    for p in rng.sample(persons, 3):
        p.in_audience = not p.in_audience
    for p in rng.sample(persons, 2):
        p.consent_email = not p.consent_email
    rng.choice(persons).deletion_requested = True


def destination(dsn):
    with psycopg.connect(dsn) as con:
        return con.execute("select customer_id, email, score from crm.audience").fetchall()


def test_sigkill_at_random_points_then_rerun_gives_exact_destination(tmp_path, pg_dsn):
    seed = int(os.environ.get("CJO_CRASH_SEED", random.randrange(1_000_000)))
    rng = random.Random(seed)
    db, syncs = tmp_path / "wh.duckdb", tmp_path / "syncs"
    persons = people(300)
    write_warehouse(db, persons, audience="aud_crash_sync")
    spec = spec_dict(
        "crash_sync", {"type": "postgres", "dsn_env": "CJO_TEST_PG_DSN", "table": "crm.audience"}, batch_size=15
    )
    spec["audience"] = "aud_crash_sync"
    write_manifest(syncs, spec)
    kills, attempts = 0, 0
    while kills < MIN_KILLS and attempts < 40:
        attempts += 1
        proc = _spawn(db, syncs, pg_dsn, "0.02")
        if wait_for_plan(proc):
            # ~6-20 batches at >= 40 ms each: a kill anywhere from the first send to the last commit.
            time.sleep(rng.uniform(0.0, 0.5))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait(timeout=60)
        mutate(persons, rng)
        write_warehouse(db, persons, audience="aud_crash_sync")
    assert kills >= MIN_KILLS, f"only {kills} kills landed (seed {seed})"
    final = _spawn(db, syncs, pg_dsn, None)
    out = final.communicate(timeout=120)[0].decode()
    assert final.returncode == 0, out
    want = allowed(persons)
    got = destination(pg_dsn)
    keys = [r[0] for r in got]
    assert len(keys) == len(set(keys)), f"duplicates (seed {seed})"
    assert set(keys) == set(want), f"seed {seed}: missing {set(want) - set(keys)}, extra {set(keys) - set(want)}"
    assert {r[0]: (r[1], int(r[2])) for r in got} == {k: (p.email, p.score) for k, p in want.items()}
    # The engine's acknowledged state agrees with the destination: a re-run sends nothing.
    again = _spawn(db, syncs, pg_dsn, None)
    again.communicate(timeout=120)
    assert query(db, "select sent from ops.sync_runs order by started_at desc limit 1") == [(0,)]
    # Killed runs stay in the log as never finished ("running"), with their acknowledged work kept.
    assert query(db, "select count(*) from ops.sync_runs where status = 'running'")[0][0] >= MIN_KILLS // 2
