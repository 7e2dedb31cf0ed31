"""How well the wholesaler regression recovers the generator's planted skill (issue 14: Spearman >= 0.8 on
the demo). An accuracy measurement, not a speed one: it lives here because it needs a whole generated
world, which is too slow for a unit test at demo scale (tests/analytics/test_wholesaler_recovery.py runs
the same check on 8,000 advisors).

Two ways to get the warehouse:
- ``--warehouse PATH --raw DIR``: an existing warehouse (e.g. the `make demo` one, warehouse/cjo.duckdb
  with data/raw) whose analytics assets have run; the effects are read from marts.agg_wholesaler_effects;
- ``--advisors N --seed S``: generate N advisors x 365 days, land only what the coverage panel reads,
  build the panel's models, fit (orchestration.analytics.assets.run_wholesalers).

Besides the model's Spearman correlation with the planted skill, it reports the naive rankings (purchases
and purchase amount per covered advisor-month) and the model on amounts, so the number can be judged.

Usage: python benchmarks/bench_wholesaler_recovery.py [--warehouse warehouse/cjo.duckdb --raw data/raw]
                                                      [--advisors 20000 --seed 42]
       -> benchmarks/results/wholesaler_recovery_<advisors or demo>.json
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
from _measure import write_results

ROOT = Path(__file__).resolve().parent.parent
PANEL = "intermediate.int_wholesaler_coverage_monthly"
# What int_wholesaler_coverage_monthly reads, directly or through the identity graph and the clock.
LANDED = ("crm.advisors", "crm.firms", "crm.wholesalers", "crm.sales", "crm.products", "crm.opportunities",
          "advisor.interactions", "privacy.deletion_requests")


def build_panel_warehouse(root: Path, advisors: int, seed: int, days: int = 365) -> Path:
    """Generate, land the panel's inputs, build the panel and fit; returns the DuckDB file."""
    sys.path.insert(0, str(ROOT / "tests"))
    from pipeline_support import VENV_BIN, _run, warehouse_env

    from orchestration import landing

    env = warehouse_env(root)
    raw = Path(env["CJO_RAW_DIR"])
    _run([sys.executable, "-m", "cjo_data.generate", "--advisors", str(advisors), "--days", str(days),
          "--seed", str(seed), "--out", str(raw)], env, "demo data generator")
    landing.land(raw, Path(env["CJO_LANDING_DIR"]), only=LANDED)
    _run([str(VENV_BIN / "dbt"), "build", "--quiet", "--select", "+int_wholesaler_coverage_monthly",
          "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test", "--project-dir", str(ROOT),
          "--profiles-dir", str(ROOT), "--target-path", str(root / "dbt_target")], env, "dbt build")
    return Path(env["CJO_DUCKDB_PATH"])


def recovery(panel: pd.DataFrame, effects: pd.Series, truth: pd.DataFrame) -> dict:
    """Spearman correlations with the planted skill: the model, the model on amounts, the naive ratios."""
    from orchestration.analytics import wholesalers as W

    skill = truth["skill"]
    by_ws = panel.groupby("wholesaler_id")
    advisor_months = by_ws["advisors"].sum()
    amount_fit = W.fit(panel, outcome="purchase_amount")
    return {
        "wholesalers": int(len(effects)),
        "spearman_model": round(W.rank_correlation(effects, skill), 3),
        "spearman_model_on_amounts": round(W.rank_correlation(
            amount_fit.effects.set_index("wholesaler_id")["effect"], skill), 3),
        "spearman_naive_purchases_per_advisor_month": round(W.rank_correlation(
            by_ws["purchases"].sum() / advisor_months, skill), 3),
        "spearman_naive_amount_per_advisor_month": round(W.rank_correlation(
            by_ws["purchase_amount"].sum() / advisor_months, skill), 3),
        "wholesalers_in_several_territories": int((by_ws["territory_id"].nunique() > 1).sum()),
        "territories_with_several_wholesalers": int(
            (panel.groupby("territory_id")["wholesaler_id"].nunique() > 1).sum()),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, help="an existing warehouse whose analytics assets have run")
    parser.add_argument("--raw", type=Path, default=Path("data/raw"), help="its raw folder (with _ground_truth)")
    parser.add_argument("--advisors", type=int, default=8000)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="cjo_ws_") as tmp:
        if args.warehouse:
            con = duckdb.connect(str(args.warehouse), read_only=True)
            effects = con.execute("select wholesaler_id, effect from marts.agg_wholesaler_effects").df()
            raw, label = args.raw, "demo"
        else:
            from orchestration.analytics import assets as A

            con = duckdb.connect(str(build_panel_warehouse(Path(tmp), args.advisors, args.seed)))
            effects = A.run_wholesalers(con).effects
            raw, label = Path(tmp) / "raw", f"{args.advisors}_seed{args.seed}"
        panel = con.execute(f"select * from {PANEL}").df()
        truth = pd.read_csv(raw / "_ground_truth" / "wholesaler_skill.csv").set_index("wholesaler_id")
        result = recovery(panel, effects.set_index("wholesaler_id")["effect"], truth)
        con.close()
    result["seconds"] = round(time.perf_counter() - started, 1)
    print(result)
    write_results(f"wholesaler_recovery_{label}", {"source": label, **result})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
