"""Identity resolution, fct_touchpoints and fct_sessions at scale.

Default: the demo scale (20k advisors x 365 days). Generates into --workdir (reused unless --fresh), then:
1. lands the first half of the deliveries (by delivery date) as of T1 and builds the identity and
   touchpoint models in full (`dbt run --full-refresh`, staging views included);
2. lands the second half as of T1 + 7 days (beyond the 3-day lookback) and runs fct_touchpoints
   incrementally, with everything upstream (a realistic daily-ish run);
3. runs again with no new files.
Reads dbt's run_results.json for the time of each model. Writes benchmarks/results/identity_<advisors>.json.
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
SELECT = ("+fct_touchpoints", "+fct_sessions")
MINE = ("int_identity_mentions_unioned", "int_identity_edges", "int_identity_graph", "int_touchpoints_unioned",
        "fct_touchpoints", "fct_sessions")


def model_timings(run_results: Path) -> dict[str, float]:
    out = {}
    for r in json.loads(run_results.read_text())["results"]:
        name = r["unique_id"].split(".")[-1]
        if r["unique_id"].startswith("model.") and name in MINE:
            out[name] = round(r["execution_time"], 2)
    return out


def split(raw: Path, batch1: Path, batch2: Path) -> None:
    """Deliveries are named delivery_<k>_<date>.<ext>: the first half of the dates go to batch 1."""
    files = [p for p in raw.rglob("delivery_*") if "_ground_truth" not in p.parts]
    labels = sorted({p.name.split("_", 2)[2].split(".")[0] for p in files})
    cut = labels[len(labels) // 2]
    for p in files:
        target = batch1 if p.name.split("_", 2)[2].split(".")[0] < cut else batch2
        dest = target / p.relative_to(raw)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(p, dest)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--advisors", type=int, default=20000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--workdir", type=Path, default=ROOT / "benchmarks" / "tmp")
    ap.add_argument("--fresh", action="store_true", help="regenerate the raw data")
    args = ap.parse_args()
    work = args.workdir / f"identity_{args.advisors}x{args.days}"
    if args.fresh:
        shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    for stale in ("batch1", "batch2", "landing", "dbt_target"):  # every run starts from the raw files
        shutil.rmtree(work / stale, ignore_errors=True)
    (work / "cjo.duckdb").unlink(missing_ok=True)
    env = {**os.environ, "CJO_LANDING_DIR": str(work / "landing"), "CJO_DUCKDB_PATH": str(work / "cjo.duckdb"),
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    steps = []
    if not (work / "raw").exists():
        steps.append(measure("generate", [str(BIN / "python"), "-m", "cjo_data.generate", "--advisors",
                                          str(args.advisors), "--days", str(args.days), "--seed",
                                          str(args.seed), "--out", str(work / "raw")], env=env, cwd=ROOT))
    split(work / "raw", work / "batch1", work / "batch2")
    target = work / "dbt_target"
    dbt = [str(BIN / "dbt"), "--quiet"]
    common = ["--project-dir", str(ROOT), "--profiles-dir", str(ROOT), "--target-path", str(target)]
    results: dict[str, dict[str, float]] = {}

    def land(batch: str, now: str) -> None:
        steps.append(measure(f"land_{batch}", [
            str(BIN / "python"), "-c",
            "from datetime import datetime; from pathlib import Path; from orchestration.landing import land; "
            f"land(Path({str(work / batch)!r}), Path({str(work / 'landing')!r}), now=datetime.fromisoformat({now!r}))"],
            env=env, cwd=ROOT))

    def run(label: str, *extra: str) -> None:
        steps.append(measure(label, [*dbt, "run", "--select", *SELECT, *extra, *common], env=env, cwd=ROOT))
        if (target / "run_results.json").exists():
            results[label] = model_timings(target / "run_results.json")

    land("batch1", "2026-11-05T06:00:00")  # after the data (2026-10-31): see tests/test_incremental.py
    run("full_build_batch1", "--full-refresh")
    land("batch2", "2026-11-12T06:00:00")
    run("incremental_batch2")
    run("incremental_no_new_files")
    write_results(f"identity_{args.advisors}", {
        "advisors": args.advisors, "days": args.days, "seed": args.seed,
        "model_seconds": results,
        "identity_and_touchpoint_models_seconds": {k: round(sum(v.values()), 1) for k, v in results.items()},
        "steps": steps,
    })
    return 0 if all(s.returncode == 0 for s in steps) else 1


if __name__ == "__main__":
    raise SystemExit(main())
