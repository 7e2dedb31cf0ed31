"""Hold-out ROC AUC on data we did not make, and on the demo: the table in docs/model-evaluation.md.

- ``--warehouse PATH [--name NAME]``: the latest ml.model_runs row of each model in a warehouse built by
  the pipeline (examples/byod/run.sh telco, make demo, ...): holdout vs baseline vs recency only.
- ``--shoppers [CSV]``: UCI Online Shoppers at the session level. The dataset has no visitor id and one
  session per row, and a purchase happens inside its session, so no snapshot before the session can see
  it coming: the pipeline's snapshot labels do not apply (docs/model-evaluation.md). Here each session is
  a row (its own "customer"), split by time (the last two months of the year held out) AND by session
  (a hashed 30% share), with the same evaluation module, model and baselines as the pipeline. Features
  are what the session shows before checkout (page counts and durations, bounce/exit rates, page
  value, month, visitor type, weekend, special day, traffic type, browser, region, OS).

Writes benchmarks/results/model_auc.json (one entry per data set).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import duckdb
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from orchestration.ml import evaluation as ev  # noqa: E402
from orchestration.ml import propensity as prop  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "model_auc.json"
SHOPPERS = ROOT.parent / "shared" / "data" / "online_shoppers_intention" / "online_shoppers_intention.csv"
MONTHS = {m: i for i, m in enumerate(["Jan", "Feb", "Mar", "Apr", "May", "June", "Jul", "Aug", "Sep", "Oct",
                                      "Nov", "Dec"], start=1)}
SHOPPER_NUMERIC = ["Administrative", "Administrative_Duration", "Informational", "Informational_Duration",
                   "ProductRelated", "ProductRelated_Duration", "BounceRates", "ExitRates", "PageValues",
                   "SpecialDay"]
SHOPPER_CATEGORICAL = ["VisitorType", "Weekend", "TrafficType", "Browser", "Region", "OperatingSystems"]


def from_warehouse(path: Path) -> list[dict]:
    with duckdb.connect(str(path), read_only=True) as con:
        frame = con.execute("""
            select model, holdout_roc_auc, baseline_roc_auc, recency_only_roc_auc, hgb_roc_auc, pr_auc, brier,
                   n_train, n_test, positive_rate, champion, max_single_feature, max_single_feature_auc,
                   single_feature_warning
            from ml.model_runs
            qualify row_number() over (partition by model order by run_at desc) = 1
            order by model""").df()
    return json.loads(frame.to_json(orient="records"))


def shoppers(path: Path) -> list[dict]:
    raw = pd.read_csv(path)
    data = raw[SHOPPER_NUMERIC].astype("float64").copy()
    # the "recency" of a session: its exit rate is the nearest one-feature activity proxy (there is no
    # history); days_since_last_activity is the pipeline's name for the one-feature baseline
    data[ev.RECENCY_FEATURE] = raw["ExitRates"].astype("float64")
    for col in SHOPPER_CATEGORICAL:
        data[col] = raw[col].astype(str)
    data["label"] = raw["Revenue"].astype(str).str.upper().eq("TRUE").astype(int)
    data["customer_id"] = [f"session-{i}" for i in range(len(raw))]
    data["as_of"] = pd.to_datetime([f"2025-{MONTHS[m]:02d}-01" for m in raw["Month"]])
    train, test = ev.time_customer_split(data, horizon_days=0, test_snapshots=2, test_share=0.3)
    numeric, categorical = [*SHOPPER_NUMERIC, ev.RECENCY_FEATURE], SHOPPER_CATEGORICAL
    champion, _ = prop.choose_champion(train, numeric, categorical, horizon_days=0)
    y = test["label"].to_numpy()
    scores = {kind: prop._fit_predict(kind, numeric, categorical, train, test, 0)[1] for kind in ("hgb", "logistic")}
    recency = prop._fit_predict("logistic", [ev.RECENCY_FEATURE], [], train, test, 0)[1]
    single = ev.single_feature_aucs(train, test, numeric, categorical)
    best = max(single, key=single.get)
    champ = ev.evaluate(y, scores[champion])
    return [{"model": "conversion (session purchase)", "holdout_roc_auc": champ["roc_auc"],
             "baseline_roc_auc": ev.roc_auc(y, scores["logistic"]), "recency_only_roc_auc": ev.roc_auc(y, recency),
             "hgb_roc_auc": ev.roc_auc(y, scores["hgb"]), "pr_auc": champ["pr_auc"], "brier": champ["brier"],
             "n_train": len(train), "n_test": len(test), "positive_rate": float(y.mean()), "champion": champion,
             "max_single_feature": best, "max_single_feature_auc": single[best],
             "single_feature_warning": ev.leak_warning(single)}]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--warehouse", type=Path, help="a warehouse with ml.model_runs")
    p.add_argument("--name", help="the data set's name in the results file")
    p.add_argument("--shoppers", type=Path, nargs="?", const=SHOPPERS, help="UCI Online Shoppers CSV")
    args = p.parse_args(argv)
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    if args.warehouse:
        results[args.name or args.warehouse.parent.name] = from_warehouse(args.warehouse)
    if args.shoppers:
        results["shoppers (session level)"] = shoppers(args.shoppers)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2, default=float) + "\n")
    for name, rows in results.items():
        for r in rows:
            print(f"{name:<28} {r['model']:<30} holdout {r['holdout_roc_auc']:.3f}  baseline "
                  f"{r['baseline_roc_auc']:.3f}  recency {r['recency_only_roc_auc']:.3f}  "
                  f"n_train {r['n_train']} n_test {r['n_test']}  top single {r['max_single_feature']} "
                  f"{r['max_single_feature_auc']:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
