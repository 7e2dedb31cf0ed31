"""How well the wholesaler regression recovers the generator's planted skill (issue 14: Spearman >= 0.8 on
the demo). An accuracy measurement, not a speed one; tests/analytics/test_wholesaler_recovery.py asserts
the bar on the demo's world, this script reports every number for any world or an existing warehouse.

Two ways to get the warehouse:
- ``--warehouse PATH --raw DIR``: an existing warehouse (e.g. the `make demo` one, warehouse/cjo.duckdb
  with data/raw) whose analytics assets have run; the effects are read from marts.agg_wholesaler_effects;
- ``--advisors N --seed S``: generate N advisors x 365 days, land only what the coverage panel reads,
  build the panel's models, fit (orchestration.analytics.assets.run_wholesalers).

Besides the model's Spearman correlation with the planted skill, it reports the naive rankings (purchases
and purchase amount per covered advisor-month) and the model on amounts, so the number can be judged.

Usage: python benchmarks/bench_wholesaler_recovery.py [--warehouse warehouse/cjo.duckdb --raw data/raw]
                                                      [--advisors 20000 --seed 42] [--keep DIR]
       -> benchmarks/results/wholesaler_recovery_<demo | advisors_seed>.json
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from _measure import write_results
from pipeline_support import build_wholesaler_world, wholesaler_recovery

PANEL = "intermediate.int_wholesaler_coverage_monthly"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, help="an existing warehouse whose analytics assets have run")
    parser.add_argument("--raw", type=Path, default=Path("data/raw"), help="its raw folder (with _ground_truth)")
    parser.add_argument("--advisors", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--keep", type=Path, help="build the generated warehouse here and keep it")
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="cjo_ws_") as tmp_dir:
        if args.warehouse:
            con = duckdb.connect(str(args.warehouse), read_only=True)
            effects = con.execute("select wholesaler_id, effect from marts.agg_wholesaler_effects").df()
            raw, label = args.raw, "demo"
        else:
            from orchestration.analytics import assets as A

            env = build_wholesaler_world(args.keep or Path(tmp_dir), args.advisors, args.seed)
            con = duckdb.connect(env["CJO_DUCKDB_PATH"])
            effects = A.run_wholesalers(con).effects
            raw, label = Path(env["CJO_RAW_DIR"]), f"{args.advisors}_seed{args.seed}"
        panel = con.execute(f"select * from {PANEL}").df()
        truth = pd.read_csv(raw / "_ground_truth" / "wholesaler_skill.csv").set_index("wholesaler_id")
        result = wholesaler_recovery(panel, effects.set_index("wholesaler_id")["effect"], truth)
        con.close()
    result["seconds"] = round(time.perf_counter() - started, 1)
    print(result)
    write_results(f"wholesaler_recovery_{label}", {"source": label, **result})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
