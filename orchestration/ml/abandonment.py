"""Application abandonment propensity: who is likely to leave an account application unsubmitted, ranked
when the application starts, so that nudges go to those likely to abandon.

Evaluated the sceptical way (docs/journeys.md):
- label: not submitted within the application_abandonment journey's window (its ``trigger.within``: one
  rule, read from the journey file), only for applications whose window has closed;
- features known when the application starts (device, hour, persona, purchases, earlier abandoned
  applications whose window had closed, wholesaler and web touches before the start): nothing from after;
- split by time AND customer: train on applications whose label was known before the cut-off, test on
  later applications of customers who are not in training;
- a gradient-boosting model against a logistic regression on the same features and split, and a
  one-feature baseline (recency: days since the last touch). Every AUC is reported and logged to
  ml.model_runs (model = abandonment).
Kept apart from orchestration/ml/propensity.py (conversion and churn) on purpose.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import duckdb
import numpy as np
import pandas as pd

MODEL = "abandonment"
FEATURES = ("is_mobile", "is_tablet", "is_evening", "start_hour", "is_seasoned", "purchases_before",
            "abandoned_before", "applications_before", "wholesaler_touches_14d", "web_touches_30d",
            "days_since_last_touch")
# Fewer test rows (or test rows of one class) than this and an AUC means nothing: no model is reported.
MIN_TEST_ROWS = 30
TRAIN_SHARE = 0.7  # the time cut-off: this share of the matured applications (by start) is before it
NO_TOUCH_DAYS = 999.0  # days since the last touch of someone never touched before the start


def feature_sql(window_hours: float) -> str:
    """One row per application of a known customer, its features as of its start, and its label."""
    w = f"interval {int(window_hours * 3600)} second"
    return f"""
    with apps as (select * from marts.fct_applications),
    purchases as (select customer_id, occurred_at from marts.fct_journey_events where event_name = 'purchase'),
    touches as (select customer_id, channel, occurred_at from marts.fct_touchpoints where customer_id is not null)
    select a.application_id, a.customer_id, a.started_at, a.submitted_at,
           a.submitted_at is null or a.submitted_at > a.started_at + {w} as is_abandoned,
           a.started_at + {w} as label_known_at,
           coalesce(a.started_on_device = 'mobile', false)::int as is_mobile,
           coalesce(a.started_on_device = 'tablet', false)::int as is_tablet,
           (hour(a.started_at) >= 19 or hour(a.started_at) < 7)::int as is_evening,
           hour(a.started_at) as start_hour,
           coalesce(c.persona = 'seasoned', false)::int as is_seasoned,
           (select count(*) from purchases p where p.customer_id = a.customer_id
              and p.occurred_at < a.started_at) as purchases_before,
           (select count(*) from apps b where b.customer_id = a.customer_id and b.started_at + {w} <= a.started_at
              and (b.submitted_at is null or b.submitted_at > b.started_at + {w})) as abandoned_before,
           (select count(*) from apps b where b.customer_id = a.customer_id
              and b.started_at < a.started_at) as applications_before,
           (select count(*) from touches t where t.customer_id = a.customer_id and t.channel = 'wholesaler'
              and t.occurred_at < a.started_at and t.occurred_at >= a.started_at - interval 14 day)
              as wholesaler_touches_14d,
           (select count(*) from touches t where t.customer_id = a.customer_id and t.channel = 'web'
              and t.occurred_at < a.started_at and t.occurred_at >= a.started_at - interval 30 day) as web_touches_30d,
           coalesce(date_diff('second', (select max(t.occurred_at) from touches t where t.customer_id = a.customer_id
              and t.occurred_at < a.started_at - interval 1 minute), a.started_at) / 86400.0, {NO_TOUCH_DAYS})
              as days_since_last_touch
    from apps a
    left join marts.dim_customers c on c.customer_id = a.customer_id
    order by a.started_at, a.application_id
    """


def load_applications(con: duckdb.DuckDBPyConnection, window_hours: float) -> pd.DataFrame:
    return con.execute(feature_sql(window_hours)).df()


def split_by_time_and_customer(data: pd.DataFrame, as_of: datetime, train_share: float = TRAIN_SHARE
                               ) -> tuple[pd.DataFrame, pd.DataFrame, datetime]:
    """Matured applications only. Train: label known before the cut-off. Test: started after it, by
    customers with no application in training."""
    matured = data[data["label_known_at"] <= pd.Timestamp(as_of)].sort_values("started_at")
    if matured.empty:
        return matured, matured, as_of
    cutoff = matured["started_at"].iloc[min(len(matured) - 1, int(len(matured) * train_share))]
    train = matured[matured["label_known_at"] <= cutoff]
    later = matured[matured["started_at"] >= cutoff]
    test = later[~later["customer_id"].isin(set(train["customer_id"]))]
    return train, test, cutoff.to_pydatetime()


def make_models(seed: int = 0) -> dict[str, Any]:
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return {
        "hgb": HistGradientBoostingClassifier(max_depth=3, learning_rate=0.05, max_iter=200,
                                              l2_regularization=1.0, random_state=seed),
        "logistic": make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)),
    }


@dataclass
class Evaluation:
    metrics: dict[str, dict[str, float]] = field(default_factory=dict)
    n_train: int = 0
    n_test: int = 0
    cutoff: str | None = None
    skipped: str | None = None

    def auc(self, name: str) -> float | None:
        return self.metrics.get(name, {}).get("roc_auc")


def _metrics(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

    return {"roc_auc": round(float(roc_auc_score(y, p)), 4), "pr_auc": round(float(average_precision_score(y, p)), 4),
            "brier": round(float(brier_score_loss(y, np.clip(p, 0, 1))), 4), "base_rate": round(float(y.mean()), 4)}


def evaluate(train: pd.DataFrame, test: pd.DataFrame, label: str = "is_abandoned",
             features: tuple[str, ...] = FEATURES, recency: str | None = "days_since_last_touch",
             seed: int = 0) -> Evaluation:
    """Fit each model on ``train``, score ``test``; AUCs of both and of the one-feature recency baseline."""
    out = Evaluation(n_train=len(train), n_test=len(test))
    y_train, y_test = train[label].astype(int).to_numpy(), test[label].astype(int).to_numpy()
    if len(test) < MIN_TEST_ROWS or len(set(y_test)) < 2 or len(set(y_train)) < 2:
        out.skipped = f"not enough data: {len(train)} train / {len(test)} test rows, classes {sorted(set(y_test))}"
        return out
    x_train, x_test = train[list(features)].astype(float), test[list(features)].astype(float)
    for name, model in make_models(seed).items():
        model.fit(x_train, y_train)
        out.metrics[name] = _metrics(y_test, model.predict_proba(x_test)[:, 1])
    if recency:
        # more days since the last touch = more likely to abandon (a lapsed advisor); the AUC of the raw
        # feature, oriented the way it was on training data
        sign = 1.0 if _metrics(y_train, train[recency].to_numpy(float))["roc_auc"] >= 0.5 else -1.0
        out.metrics["recency"] = _metrics(y_test, sign * test[recency].to_numpy(float))
    return out


def model_run_row(ev: Evaluation, run_at: datetime, window_hours: float) -> dict[str, Any]:
    """One row of ml.model_runs, in the columns the conversion and churn runs use: the headline
    holdout_roc_auc (the better model on later applications of customers held out from training),
    baseline_roc_auc, recency_only_roc_auc, pr_auc, brier, n_train and n_test; empty when skipped."""
    champion = max(("hgb", "logistic"), key=lambda m: ev.auc(m) or 0.0) if ev.metrics else None
    return {
        "run_at": pd.Timestamp(run_at), "model": MODEL, "model_version": run_at.strftime("%Y%m%dT%H%M%S"),
        "retrained": ev.skipped is None, "retrain_reason": ev.skipped or "trained_every_run",
        "champion": champion, "roc_auc": ev.auc(champion) if champion else None,
        # the headline columns every model's row has (ml.model_runs, docs/model-evaluation.md)
        "holdout_roc_auc": ev.auc(champion) if champion else None, "recency_only_roc_auc": ev.auc("recency"),
        "n_train": int(ev.n_train), "n_test": int(ev.n_test),
        "pr_auc": ev.metrics.get(champion, {}).get("pr_auc") if champion else None,
        "brier": ev.metrics.get(champion, {}).get("brier") if champion else None,
        "hgb_roc_auc": ev.auc("hgb"), "baseline_roc_auc": ev.auc("logistic"), "max_psi": 0.0,
        "training_window": json.dumps({"cutoff": ev.cutoff, "n_train": ev.n_train, "n_test": ev.n_test,
                                       "label_window_hours": window_hours,
                                       "split": "time cut-off and customers unseen in training"}),
        "metrics_json": json.dumps(ev.metrics), "drift_json": "{}",
    }


def window_hours() -> float:
    """The abandonment window of the application_abandonment journey (its trigger's ``within``)."""
    from orchestration.journeys import run

    specs, _ = run.load()
    spec = specs.get("application_abandonment")
    within = getattr(spec.trigger, "within", None) if spec else None
    return (within or timedelta(hours=48)).total_seconds() / 3600


def run(con: duckdb.DuckDBPyConnection, run_at: datetime, as_of: datetime | None = None) -> tuple[Evaluation, dict]:
    """Evaluate on the warehouse and append the run to ml.model_runs (in the caller's connection)."""
    from orchestration.ml.assets import write_table

    hours = window_hours()
    data = load_applications(con, hours)
    as_of = as_of or (data["started_at"].max().to_pydatetime() if len(data) else run_at)
    train, test, cutoff = split_by_time_and_customer(data, as_of)
    ev = evaluate(train, test)
    ev.cutoff = str(cutoff)
    row = model_run_row(ev, run_at, hours)
    write_table(con, "ml.model_runs", pd.DataFrame([row]), mode="append")
    return ev, row
