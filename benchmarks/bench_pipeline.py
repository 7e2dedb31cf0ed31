"""End-to-end pipeline at scale: generate -> land -> build (the whole Dagster job through `cjo run`).

Default: the demo scale (20k advisors x 365 days). `--advisors 1000000` for the 1M run (tens of minutes).
Writes benchmarks/results/pipeline_<advisors>.json.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import measure, write_results

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def dagster_step_seconds(dagster_home: Path) -> dict[str, float]:
    """Wall seconds of each step of the latest run in this Dagster instance (from its run history)."""
    import dagster as dg

    with dg.DagsterInstance.from_config(str(dagster_home.resolve())) as instance:
        runs = instance.get_runs(limit=1)
        stats = instance.get_run_step_stats(runs[0].run_id) if runs else []
    steps = {s.step_key: round(s.end_time - s.start_time, 1) for s in stats if s.end_time and s.start_time}
    return dict(sorted(steps.items(), key=lambda kv: -kv[1]))


def persona_recovery(work: Path) -> dict[str, float] | None:
    """Adjusted Rand index of the segments against the generator's true personas (ground truth files)."""
    import duckdb
    import pandas as pd
    from sklearn.metrics import adjusted_rand_score

    truth_dir = work / "raw" / "_ground_truth"
    if not (work / "cjo.duckdb").exists() or not (truth_dir / "people.csv").exists():
        return None
    with duckdb.connect(str(work / "cjo.duckdb"), read_only=True) as con:
        if not con.execute("select count(*) from information_schema.tables where table_schema = 'ml' "
                           "and table_name = 'customer_segments'").fetchone()[0]:
            return None
        seg = con.execute("select s.customer_id, s.segment_id, c.advisor_id from ml.customer_segments s "
                          "join marts.dim_customers c using (customer_id)").df()
    records = pd.read_csv(truth_dir / "advisor_records.csv")
    people = pd.read_csv(truth_dir / "people.csv")[["person_id", "persona"]]
    both = seg.merge(records, on="advisor_id").merge(people, on="person_id").drop_duplicates("customer_id")
    return {"segments": int(both["segment_id"].nunique()), "customers": len(both),
            "adjusted_rand_index": round(float(adjusted_rand_score(both["persona"], both["segment_id"])), 3)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--advisors", type=int, default=20000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--workdir", type=Path, default=ROOT / "benchmarks" / "tmp")
    ap.add_argument("--dbt-only", action="store_true", help="build with `dbt build` instead of the Dagster job")
    args = ap.parse_args()
    work = args.workdir / f"pipeline_{args.advisors}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    env = {**os.environ, "CJO_RAW_DIR": str(work / "raw"), "CJO_LANDING_DIR": str(work / "landing"),
           "CJO_DUCKDB_PATH": str(work / "cjo.duckdb"), "CJO_PUBLISH_DIR": str(work / "published"),
           "CJO_STATE_DIR": str(work / "state"), "DAGSTER_HOME": str(work / "dagster_home"),
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    (work / "dagster_home").mkdir()
    steps = [measure("generate", [str(BIN / "python"), "-m", "cjo_data.generate", "--advisors",
                                  str(args.advisors), "--days", str(args.days), "--seed", str(args.seed),
                                  "--out", str(work / "raw")], env=env, cwd=ROOT)]
    if args.dbt_only or not (BIN / "cjo").exists():
        steps.append(measure("land", [str(BIN / "python"), "-m", "orchestration.landing"], env=env, cwd=ROOT))
        steps.append(measure("dbt_build", [str(BIN / "dbt"), "build", "--quiet"], env=env, cwd=ROOT))
    else:
        steps.append(measure("cjo_run_full_pipeline", [str(BIN / "cjo"), "run", "--job", "full_pipeline"],
                             env=env, cwd=ROOT))
    raw_mb = sum(p.stat().st_size for p in (work / "raw").rglob("*") if p.is_file()) / 2**20
    db = work / "cjo.duckdb"
    write_results(f"pipeline_{args.advisors}", {
        "advisors": args.advisors, "days": args.days, "seed": args.seed,
        "raw_mb": round(raw_mb, 1), "warehouse_mb": round(db.stat().st_size / 2**20, 1) if db.exists() else None,
        "total_seconds": round(sum(s.seconds for s in steps), 1),
        "peak_rss_mb": max(s.peak_rss_mb for s in steps),
        "steps": steps,
        "segments_vs_true_personas": persona_recovery(work),
        # Where the pipeline's time went, step by step (seconds >= 1 only), from the run's history.
        "dagster_step_seconds": {k: v for k, v in dagster_step_seconds(work / "dagster_home").items() if v >= 1},
    })
    return 0 if all(s.returncode == 0 for s in steps) else 1


if __name__ == "__main__":
    raise SystemExit(main())
