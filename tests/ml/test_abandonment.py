"""The application abandonment model's evaluation (orchestration/ml/abandonment.py): the split holds out
by time AND customer, and the models are compared on the same split, on planted data, on the demo
generator's ground truth, and on data we did not make (UCI Online Shoppers: a session that does not end
in a purchase is an abandoned one)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestration.ml import abandonment as ab

SHOPPERS = Path(__file__).resolve().parents[3] / "shared" / "data" / "online_shoppers_intention" / \
    "online_shoppers_intention.csv"
T0 = datetime(2026, 1, 1)


def _planted(n: int, seed: int = 0) -> pd.DataFrame:
    """Applications whose abandonment depends on device, evening and an earlier abandonment."""
    rng = np.random.default_rng(seed)
    started = [T0 + timedelta(hours=float(h)) for h in np.sort(rng.uniform(0, 24 * 200, n))]
    frame = pd.DataFrame({"application_id": [f"a{i}" for i in range(n)],
                          "customer_id": [f"c{c}" for c in rng.integers(0, n // 2, n)],
                          "started_at": pd.to_datetime(started)})
    for f in ab.FEATURES:
        frame[f] = rng.integers(0, 2, n) if f.startswith("is_") else rng.poisson(1.0, n)
    z = -0.5 + 1.5 * frame["is_mobile"] + 1.0 * frame["is_evening"] + 0.8 * (frame["abandoned_before"] > 0)
    frame["is_abandoned"] = rng.random(n) < 1 / (1 + np.exp(-z))
    frame["label_known_at"] = frame["started_at"] + pd.Timedelta(hours=48)
    return frame


@settings(max_examples=30, deadline=None)
@given(n=st.integers(10, 400), seed=st.integers(0, 10_000), share=st.floats(0.2, 0.9))
def test_split_holds_out_by_time_and_customer(n, seed, share):
    data = _planted(n, seed)
    as_of = data["started_at"].max().to_pydatetime()
    train, test, cutoff = ab.split_by_time_and_customer(data, as_of, share)
    assert not set(train["customer_id"]) & set(test["customer_id"])
    assert (train["label_known_at"] <= cutoff).all() and (test["started_at"] >= cutoff).all()
    assert (pd.concat([train, test])["label_known_at"] <= as_of).all()  # only matured labels


def test_planted_abandonment_is_found_and_both_aucs_reported():
    data = _planted(4000)
    train, test, _ = ab.split_by_time_and_customer(data, data["started_at"].max().to_pydatetime())
    ev = ab.evaluate(train, test)
    assert ev.skipped is None and set(ev.metrics) == {"hgb", "logistic", "recency"}
    # the planted signal is additive: both models find it, recency (pure noise here) does not
    assert ev.auc("hgb") > 0.7 and ev.auc("logistic") > 0.7
    assert abs(ev.auc("recency") - 0.5) < 0.08
    row = ab.model_run_row(ev, T0, 48.0)
    assert row["model"] == "abandonment" and row["baseline_roc_auc"] == ev.auc("logistic")
    assert row["hgb_roc_auc"] == ev.auc("hgb")
    # the headline columns every model's row has: a skipped model's row too (examples/byod/run.sh reads them)
    assert row["holdout_roc_auc"] == max(ev.auc("hgb"), ev.auc("logistic"))
    assert row["recency_only_roc_auc"] == ev.auc("recency")
    assert (row["n_train"], row["n_test"]) == (ev.n_train, ev.n_test) and row["n_test"] > 0
    skipped = ab.model_run_row(ab.Evaluation(skipped="no applications"), T0, 48.0)
    assert {"holdout_roc_auc", "baseline_roc_auc", "recency_only_roc_auc", "pr_auc", "brier", "n_train",
            "n_test"} <= set(skipped) and skipped["holdout_roc_auc"] is None


def test_too_little_data_is_reported_not_scored():
    data = _planted(20)
    train, test, _ = ab.split_by_time_and_customer(data, data["started_at"].max().to_pydatetime())
    ev = ab.evaluate(train, test)
    assert ev.skipped and not ev.metrics
    assert ab.model_run_row(ev, T0, 48.0)["roc_auc"] is None


@pytest.mark.skipif(not SHOPPERS.exists(), reason="shared data not present")
def test_on_data_we_did_not_make_uci_online_shoppers():
    raw = pd.read_csv(SHOPPERS)
    months = ["Feb", "Mar", "May", "June", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    raw = raw[raw["Month"].isin(months)].reset_index(drop=True)
    frame = pd.DataFrame({"application_id": raw.index.astype(str), "customer_id": raw.index.astype(str)})
    frame["started_at"] = pd.to_datetime([datetime(2024, 2 + months.index(m), 1) for m in raw["Month"]])
    frame["label_known_at"] = frame["started_at"]
    frame["is_abandoned"] = ~raw["Revenue"].astype(bool)
    features = ("Administrative", "Informational", "ProductRelated", "ProductRelated_Duration", "BounceRates",
                "ExitRates", "PageValues", "SpecialDay", "Weekend")
    for f in features:
        frame[f] = raw[f].astype(float)
    frame["days_since_last_touch"] = raw["ProductRelated_Duration"].astype(float)  # a one-feature baseline
    train, test, _ = ab.split_by_time_and_customer(frame, frame["started_at"].max().to_pydatetime(), 0.6)
    ev = ab.evaluate(train, test, features=features)
    assert ev.skipped is None
    # Sessions with a page value convert: both models rank abandonment well above chance on later months.
    assert ev.auc("hgb") > 0.8 and ev.auc("logistic") > 0.75
