"""Does a bounded training sample cost model quality? Hold-out ROC AUC of each propensity model trained on
every training row against trained on ``max_train_rows`` (whole customers drawn at random), on the same
split and the same hold-out, with the time each took.

    python benchmarks/bench_training_sample.py --db <a built warehouse, e.g. the scale benchmark's
        published copy> --advisors 100000 [--max-train-rows 250000] [--seeds 3]

The sample is drawn with several seeds: the spread between seeds is the noise a difference must beat.
Reads a copy of the database (read-only). Writes benchmarks/results/ml_training_sample_<advisors>.json.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import duckdb
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import write_results


def _fit(task, data, spec, seed: int) -> dict:
    from orchestration.ml import propensity as prop

    started = time.perf_counter()
    model = prop.train(task, data, seed=seed, spec=spec)
    m = model.metrics
    return {"seconds": round(time.perf_counter() - started, 1), "n_train": m["n_train"],
            "n_train_available": m["n_train_available"], "n_test": m["n_test"], "champion": model.champion,
            "holdout_roc_auc": round(model.auc, 4), "baseline_roc_auc": round(m["logistic"]["roc_auc"], 4),
            "hgb_roc_auc": round(m["hgb"]["roc_auc"], 4)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", type=Path, required=True)
    ap.add_argument("--advisors", type=int, required=True)
    ap.add_argument("--max-train-rows", type=int, default=250_000)
    ap.add_argument("--seeds", type=int, default=3)
    args = ap.parse_args()
    from dataclasses import replace

    from orchestration.ml import features as feat
    from orchestration.ml.assets import PropensityConfig, _TrainingData, clock

    config = PropensityConfig()
    with duckdb.connect(str(args.db), read_only=True) as con:
        tables = feat.FeatureTables()
        as_of = clock(con, tables, None)
        started = time.perf_counter()
        data = _TrainingData(con, tables, config, config.tasks(), as_of)
        sets = {t: data.for_task(t) for t in data.tasks}
        out: dict = {"advisors": args.advisors, "max_train_rows": args.max_train_rows,
                     "snapshots_seconds": round(time.perf_counter() - started, 1), "tasks": {}}
        for name, task in data.tasks.items():
            full = _fit(task, sets[name], replace(config.split(), max_train_rows=None), 0)
            bounded = [_fit(task, sets[name], replace(config.split(), max_train_rows=args.max_train_rows), s)
                       for s in range(args.seeds)]
            aucs = np.array([b["holdout_roc_auc"] for b in bounded])
            out["tasks"][name] = {
                "all_rows": full, "bounded": bounded,
                "auc_difference_mean": round(float(aucs.mean() - full["holdout_roc_auc"]), 4),
                "auc_difference_worst": round(float(aucs.min() - full["holdout_roc_auc"]), 4),
                "within_0_005": bool(abs(aucs.mean() - full["holdout_roc_auc"]) <= 0.005),
            }
            print(name, out["tasks"][name]["auc_difference_mean"], full["seconds"], [b["seconds"] for b in bounded])
    write_results(f"ml_training_sample_{args.advisors}", out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
