"""Journey stages and the customer-360 at scale: build times of each journey/customer model.

Default: the demo scale (20k advisors x 365 days). Generates and lands the data into --workdir (reused
when it is already there: pass --fresh to regenerate), builds everything the journey marts need with
`dbt run`, then reads dbt's run_results.json for the time of each model under
models/intermediate/{journey,customers} and models/marts/{journey,customers}.
Writes benchmarks/results/journey_<advisors>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import measure, write_results

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
AREAS = ("intermediate/journey/", "intermediate/customers/", "marts/journey/", "marts/customers/")
SELECT = ("+dim_customers", "+agg_journey_funnel", "+fct_journey_transitions")


def model_timings(run_results: Path) -> dict[str, float]:
    """Seconds per journey/customer model from a dbt run_results.json."""
    out = {}
    for r in json.loads(run_results.read_text())["results"]:
        if r["unique_id"].startswith("model.") and r.get("relation_name"):
            name = r["unique_id"].split(".")[-1]
            path = r.get("path") or ""
            if any(a in path for a in AREAS) or name.startswith(("int_journey", "int_customer", "fct_journey",
                                                                     "agg_journey", "dim_customers")):
                out[name] = round(r["execution_time"], 2)
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--advisors", type=int, default=20000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--workdir", type=Path, default=ROOT / "benchmarks" / "tmp")
    ap.add_argument("--fresh", action="store_true", help="regenerate and re-land the data")
    args = ap.parse_args()
    work = args.workdir / f"journey_{args.advisors}x{args.days}"
    if args.fresh:
        shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "CJO_RAW_DIR": str(work / "raw"), "CJO_LANDING_DIR": str(work / "landing"),
           "CJO_DUCKDB_PATH": str(work / "cjo.duckdb"), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    steps = []
    if not (work / "raw").exists():
        steps.append(measure("generate", [str(BIN / "python"), "-m", "cjo_data.generate", "--advisors",
                                          str(args.advisors), "--days", str(args.days), "--seed",
                                          str(args.seed), "--out", str(work / "raw")], env=env, cwd=ROOT))
        steps.append(measure("land", [str(BIN / "python"), "-c",
                                      "from pathlib import Path; from orchestration.landing import land; "
                                      f"land(Path({str(work / 'raw')!r}), Path({str(work / 'landing')!r}))"],
                             env=env, cwd=ROOT))
    target = work / "dbt_target"
    dbt = [str(BIN / "dbt"), "--quiet"]
    common = ["--project-dir", str(ROOT), "--profiles-dir", str(ROOT), "--target-path", str(target)]
    steps.append(measure("dbt_seed", [*dbt, "seed", *common], env=env, cwd=ROOT))
    steps.append(measure("dbt_run_journey_and_customers", [*dbt, "run", "--select", *SELECT, *common],
                         env=env, cwd=ROOT))
    timings = model_timings(target / "run_results.json") if (target / "run_results.json").exists() else {}
    write_results(f"journey_{args.advisors}", {
        "advisors": args.advisors, "days": args.days, "seed": args.seed,
        "model_seconds": timings, "journey_and_customer_models_seconds": round(sum(timings.values()), 1),
        "steps": steps,
    })
    return 0 if all(s.returncode == 0 for s in steps) else 1


if __name__ == "__main__":
    raise SystemExit(main())
