"""Activation benchmark -> benchmarks/results/activation.json.

    python benchmarks/bench_activation.py [--rows 1000000] [--webhook-rows 1000000] [--kills 25]

Measures, on a synthetic audience of --rows people (all consented):
- diff computation: read + privacy re-check + hash + diff, against empty state and against a full
  (unchanged) state;
- rows/s to a real local PostgreSQL (started by scripts/pg_test_server.py; COPY + upsert, 50k-row
  transactions; target >= 50k rows/s);
- re-sync of the unchanged audience (must send 0 rows);
- rows/s to a local webhook (threaded HTTP server on 127.0.0.1, 1k-row batches, HMAC + idempotency
  key per batch; target >= 5k rows/s);
- crash test with --kills SIGKILLs of a `python -m orchestration.activation sync run` subprocess at
  random points, then a clean re-run: destination == intended audience, 0 duplicates, 0 lost rows.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import random
import select
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import psycopg
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "activation"))

from benchmarks._measure import write_results  # noqa: E402
from orchestration.activation import state as st  # noqa: E402
from orchestration.activation.engine import build_current_hashed, diff, read_audience, run_sync  # noqa: E402
from orchestration.activation.privacy import blocked_customers  # noqa: E402
from orchestration.activation.spec import parse_spec  # noqa: E402


def _pg():
    spec = importlib.util.spec_from_file_location("pg_test_server", ROOT / "scripts" / "pg_test_server.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["pg_test_server"] = mod
    spec.loader.exec_module(mod)
    return mod


def make_warehouse(path: Path, rows: int) -> None:
    con = duckdb.connect(str(path))
    con.execute(
        "create schema if not exists marts; create schema if not exists intermediate;"
        "create schema if not exists staging; create schema if not exists activation"
    )
    con.execute(f"""
        create or replace table marts.dim_customers as
        select 'c' || lpad(cast(i as varchar), 8, '0') as customer_id,
               'person' || i || '@example.com' as email, true as consent_email, true as consent_phone,
               true as consent_ads
        from range({rows}) t(i)""")
    con.execute(
        "create or replace table intermediate.int_identity_graph as "
        "select customer_id, false as is_forgotten from marts.dim_customers"
    )
    con.execute(
        "create or replace table staging.stg_privacy__deletion_requests "
        "(request_id varchar, advisor_id varchar, email varchar)"
    )
    con.execute(
        "create or replace table activation.aud_bench as select customer_id, email, "
        "cast(hash(customer_id) % 1000 as bigint) as score from marts.dim_customers"
    )
    con.close()


def spec_for(name: str, destination: dict, batch_size: int) -> dict:
    return {
        "name": name,
        "audience": "aud_bench",
        "destination": destination,
        "mode": "mirror",
        "primary_key": "customer_id",
        "channel": "email",
        "mapping": {"customer_id": "customer_id", "email": "email", "score": "score"},
        "batch_size": batch_size,
    }


def bench_diff(db: Path, spec, pg_sync_name: str) -> dict:
    """Time the pure planning path (after the PostgreSQL sync, so a full state exists)."""
    con = duckdb.connect(str(db))
    try:
        t0 = time.perf_counter()
        table = read_audience(con, spec, with_hash=True)
        t1 = time.perf_counter()
        blocked = blocked_customers(con, table.column("customer_id"), "email")
        t2 = time.perf_counter()
        current, _, _ = build_current_hashed(table, spec, blocked=blocked)
        t3 = time.perf_counter()
        empty = diff(current, {}, "mirror", {})
        t4 = time.perf_counter()
        state = st.load_state(con, pg_sync_name)
        t5 = time.perf_counter()
        full = diff(current, state, "mirror", {})
        t6 = time.perf_counter()
    finally:
        con.close()
    return {
        "rows": table.num_rows,
        "read_and_hash_sql_s": round(t1 - t0, 2),
        "privacy_check_s": round(t2 - t1, 2),
        "build_current_s": round(t3 - t2, 2),
        "diff_vs_empty_s": round(t4 - t3, 3),
        "load_state_s": round(t5 - t4, 2),
        "diff_vs_full_unchanged_s": round(t6 - t5, 3),
        "planned_vs_empty": len(empty.added),
        "planned_vs_full_unchanged": len(full.added) + len(full.changed) + len(full.removed),
        "total_plan_s": round((t3 - t0) + (t6 - t4), 2),
    }


def bench_webhook(root: Path, rows: int) -> dict:
    from activation_support import WebhookServer

    db = root / "hook.duckdb"
    make_warehouse(db, rows)
    with WebhookServer("bench-secret") as srv:
        srv.rx.keep_bodies = False
        os.environ["BENCH_HOOK_URL"], os.environ["BENCH_HOOK_SECRET"] = srv.url, "bench-secret"
        spec = parse_spec(
            spec_for(
                "bench_hook", {"type": "webhook", "url_env": "BENCH_HOOK_URL", "secret_env": "BENCH_HOOK_SECRET"}, 1000
            )
        )
        res = run_sync(spec, db_path=db)
        received = len(srv.rx.records)
        again = run_sync(spec, db_path=db)
    db.unlink()
    return {
        "rows": rows,
        "batch_size": 1000,
        "requests": res.batches,
        "seconds": res.duration_s,
        "rows_per_s": round(res.acked / res.duration_s),
        "received_distinct": received,
        "bad_signatures": srv.rx.bad_signatures,
        "resync_unchanged_sent": again.sent,
        "target_rows_per_s": 5000,
        "meets_target": res.acked / res.duration_s >= 5000,
    }


def bench_crash(root: Path, dsn: str, kills: int, seed: int) -> dict:
    rng = random.Random(seed)
    db, syncs = root / "crash.duckdb", root / "syncs"
    syncs.mkdir(exist_ok=True)
    make_warehouse(db, 3000)
    (syncs / "bench_crash.yml").write_text(
        yaml.safe_dump(
            spec_for("bench_crash", {"type": "postgres", "dsn_env": "BENCH_PG_DSN", "table": "bench.crash"}, 100)
        )
    )
    env = {**os.environ, "BENCH_PG_DSN": dsn, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    cmd = [
        sys.executable,
        "-m",
        "orchestration.activation",
        "sync",
        "run",
        "bench_crash",
        "--db",
        str(db),
        "--syncs-dir",
        str(syncs),
    ]
    landed = 0
    started = time.perf_counter()
    for _ in range(kills * 3):
        if landed >= kills:
            break
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env={**env, "CJO_SYNC_BATCH_SLEEP": "0.01"}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if select.select([proc.stdout], [], [], 0.1)[0]:
                line = proc.stdout.readline()
                if not line or b"plan +" in line:
                    break
        time.sleep(rng.uniform(0, 0.6))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            landed += 1
        proc.wait()
        # Change the audience between kills: scores move, some leave, some consents are withdrawn.
        con = duckdb.connect(str(db))
        con.execute(
            f"update activation.aud_bench set score = score + 1 where hash(customer_id || '{rng.random()}') % 4 = 0"
        )
        con.execute(f"delete from activation.aud_bench where hash(customer_id || '{rng.random()}') % 200 = 0")
        con.execute(
            f"update marts.dim_customers set consent_email = false "
            f"where hash(customer_id || '{rng.random()}') % 300 = 0"
        )
        con.close()
    final = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    con = duckdb.connect(str(db), read_only=True)
    want = dict(
        con.execute(
            "select a.customer_id, cast(a.score as varchar) from activation.aud_bench a "
            "join marts.dim_customers c using (customer_id) where c.consent_email"
        ).fetchall()
    )
    con.close()
    with psycopg.connect(dsn) as pg:
        got = pg.execute("select customer_id, score from bench.crash").fetchall()
    keys = [k for k, _ in got]
    return {
        "kills": landed,
        "seed": seed,
        "final_rc": final.returncode,
        "audience": len(want),
        "destination": len(got),
        "duplicates": len(keys) - len(set(keys)),
        "lost": len(set(want) - set(keys)),
        "extra": len(set(keys) - set(want)),
        "values_equal": dict(got) == want,
        "seconds": round(time.perf_counter() - started, 1),
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--webhook-rows", type=int, default=1_000_000)
    ap.add_argument("--kills", type=int, default=25)
    ap.add_argument("--seed", type=int, default=20261125)
    args = ap.parse_args()
    pg = _pg()
    server = pg.start(fsync=True)  # durable commits: the rows/s figure is honest
    results: dict = {"rows": args.rows, "load_average_at_start": [round(x, 1) for x in os.getloadavg()]}
    try:
        with tempfile.TemporaryDirectory(prefix="cjo-bench-act-") as tmp:
            root = Path(tmp)
            os.environ["BENCH_PG_DSN"] = server.dsn
            db = root / "wh.duckdb"
            t = time.perf_counter()
            make_warehouse(db, args.rows)
            results["setup_s"] = round(time.perf_counter() - t, 1)
            spec = parse_spec(
                spec_for("bench_pg", {"type": "postgres", "dsn_env": "BENCH_PG_DSN", "table": "bench.audience"}, 50_000)
            )
            print(f"postgres: syncing {args.rows} rows", flush=True)
            res = run_sync(spec, db_path=db)
            with psycopg.connect(server.dsn) as con:
                in_pg = con.execute("select count(*) from bench.audience").fetchone()[0]
            results["postgres"] = {
                "rows": res.acked,
                "batch_size": 50_000,
                "seconds": res.duration_s,
                "rows_per_s": round(res.acked / res.duration_s),
                "rows_in_table": in_pg,
                "target_rows_per_s": 50_000,
                "meets_target": res.acked / res.duration_s >= 50_000,
            }
            print(results["postgres"], flush=True)
            again = run_sync(spec, db_path=db)
            results["resync_unchanged"] = {"sent": again.sent, "seconds": again.duration_s}
            print(results["resync_unchanged"], flush=True)
            results["diff"] = bench_diff(db, spec, "bench_pg")
            print(results["diff"], flush=True)
            db.unlink()
            print(f"webhook: syncing {args.webhook_rows} rows", flush=True)
            results["webhook"] = bench_webhook(root, args.webhook_rows)
            print(results["webhook"], flush=True)
            print(f"crash: {args.kills} kills", flush=True)
            results["crash"] = bench_crash(root, server.dsn, args.kills, args.seed)
            print(results["crash"], flush=True)
    finally:
        server.stop()
    # Other work on the machine slows every figure: record the load so numbers can be compared.
    results["load_average_1_5_15"] = [round(x, 1) for x in os.getloadavg()]
    write_results("activation", results)
    ok = (
        results["resync_unchanged"]["sent"] == 0
        and results["crash"]["duplicates"] == 0
        and results["crash"]["lost"] == 0
        and results["crash"]["extra"] == 0
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
