"""Quality gates: time and peak memory of the GX suites at delivery and mart scale.

- ``raw_delivery``: land one email_events delivery of ``--rows`` rows (default 200k, a large daily file)
  and run its raw suite (DuckDB builds the frame, GX validates it in pandas);
- ``dim_customers``: the marts suite on a ``--customers`` (default 1M) row dim_customers: DuckDB
  aggregates, GX sees one row.
Each step runs in its own process (GX import included), measured by _measure.measure.
Writes benchmarks/results/quality.json. Usage: python benchmarks/bench_quality.py [--rows N] [--customers N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))


def _raw_step(work: Path, rows: int) -> None:
    import duckdb

    from expectations._config import Thresholds
    from orchestration.landing import land
    from orchestration.quality.raw import new_deliveries, validate_deliveries

    raw, landing = work / "raw", work / "landing"
    out = raw / "marketing" / "email_events"
    out.mkdir(parents=True, exist_ok=True)
    duckdb.sql(f"""copy (select 'E' || i as event_id, 'C' || (i % 50) as campaign_id, 'A' || (i % 20000) as advisor_id,
                   'p' || (i % 20000) || '@x.com' as email,
                   (['send','deliver','open','click','bounce','unsubscribe'])[1 + i % 6] as event_type,
                   strftime(timestamp '2025-01-01' + to_seconds(i * 7), '%Y-%m-%dT%H:%M:%SZ') as occurred_at
                   from range({rows}) t(i)) to '{out / "big.csv"}' (header)""")
    land(raw, landing)
    t0 = time.perf_counter()
    res = validate_deliveries(landing, new_deliveries(landing, None), Thresholds())
    (r,) = res["marketing.email_events"]
    print(f"    validated {r.rows} rows, success={r.success} in {time.perf_counter() - t0:.1f} s (after landing)")


def _mart_step(work: Path, customers: int) -> None:
    import duckdb

    from expectations import mart_suites
    from expectations._config import Thresholds
    from orchestration.quality.marts import run_mart_suite

    db = work / "wh.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("create schema if not exists marts")
        con.execute(f"create or replace table marts.dim_customers as select 'c' || i as customer_id, "
                    f"i % 2 = 0 as consent_email, i % 3 = 0 as consent_phone, i % 5 = 0 as consent_ads "
                    f"from range({customers}) t(i)")
    r = run_mart_suite(db, mart_suites()["marts_dim_customers"], Thresholds())
    print(f"    dim_customers suite success={r.success}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--step", choices=["raw_delivery", "dim_customers"])
    ap.add_argument("--work")
    a = ap.parse_args()
    if a.step:
        (_raw_step if a.step == "raw_delivery" else _mart_step)(Path(a.work),
                                                                a.rows if a.step == "raw_delivery" else a.customers)
        return 0

    from _measure import measure, write_results

    work = Path(tempfile.mkdtemp(prefix="bench_quality_"))
    env = {**os.environ, "GX_ANALYTICS_ENABLED": "false"}
    try:
        steps = [measure(s, [sys.executable, __file__, "--step", s, "--work", str(work), "--rows", str(a.rows),
                             "--customers", str(a.customers)], env=env, cwd=HERE.parent)
                 for s in ("raw_delivery", "dim_customers")]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    write_results("quality", {"rows": a.rows, "customers": a.customers, "steps": steps,
                              "note": "each step includes interpreter start and the GX import (~5 s)"})
    return 0 if all(s.returncode == 0 for s in steps) else 1


if __name__ == "__main__":
    raise SystemExit(main())
