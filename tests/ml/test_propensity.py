"""Propensity: labels, time split, models vs baseline, metrics, versioned files, retrain policy."""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb
import numpy as np
import pandas as pd
import pytest

from orchestration.ml import features as F
from orchestration.ml import propensity as P
from orchestration.ml import synthetic


@pytest.fixture(scope="module")
def training():
    con = duckdb.connect()
    wh = synthetic.build(con, n_customers=1500, days=500, seed=11)
    dates = P.snapshot_dates(wh.start, wh.end, 30, 90)
    sets = P.build_training_sets(con, dates, wh.end, wh.tables)
    yield con, wh, sets
    con.close()


def test_labels_follow_the_definitions(training):
    con, wh, _ = training
    t = wh.start + pd.Timedelta(days=200)
    feats = F.compute_features(con, t, wh.tables)
    pops = P.population_and_labels(con, feats, t, wh.tables)
    people = wh.people.set_index("customer_id")
    conv = pops["conversion"].set_index("customer_id")
    # conversion population: nobody with a purchase before T
    assert (conv["lifetime_purchases"] == 0).all()
    # a prospect whose planted first purchase is within [T, T+30) is a positive, else a negative
    planted = people.loc[conv.index, "converts_on"]
    expected = ((planted >= t.normalize()) & (planted < t + pd.Timedelta(days=30))).astype(int)
    assert (conv["label"] == expected).mean() > 0.97
    churn = pops["churn"]
    assert (churn["days_since_last_purchase"] <= P.ACTIVE_WINDOW_DAYS).all()
    assert 0 < churn["label"].mean() < 1


def test_time_split_keeps_test_outcomes_out_of_training(training):
    _, _, sets = training
    for task, data in sets.items():
        train, test = P.time_split(data, task)
        horizon = pd.Timedelta(days=P.TASKS[task].horizon_days)
        assert (train["as_of"] + horizon).max() <= test["as_of"].min()
        assert len(train) and len(test)


def test_models_learn_and_report_every_metric(training, tmp_path):
    _, _, sets = training
    for task in ("conversion", "churn"):
        model = P.train(task, sets[task])
        hgb, base = model.metrics["hgb"], model.metrics["logistic"]
        # floors: the synthetic data plants clear signals (ramp-up before buying, fade before lapsing)
        assert hgb["roc_auc"] > 0.75, (task, hgb["roc_auc"])
        assert hgb["roc_auc"] >= base["roc_auc"] - 0.02, (task, hgb["roc_auc"], base["roc_auc"])
        assert 0 < hgb["pr_auc"] <= 1 and 0 <= hgb["brier"] < 0.25
        assert len(hgb["calibration"]) == 10 and len(hgb["lift_by_decile"]) == 10
        assert hgb["lift_by_decile"][0]["lift"] > 1.5  # the top decile is enriched
        assert model.champion in ("hgb", "logistic") and model.auc == model.metrics[model.champion]["roc_auc"]
        assert set(model.reference) == {"score", *model.top_features}
        path = P.save(tmp_path, model)
        assert path.exists() and path.with_suffix(".json").exists()
        loaded = P.load_latest(tmp_path, task)
        assert loaded.version == model.version and loaded.features == F.feature_columns()
        assert loaded.training_window["train_from"] < loaded.training_window["test_from"]


def test_scoring_writes_the_version_and_rejects_missing_features(training):
    con, wh, sets = training
    model = P.train("conversion", sets["conversion"])
    feats = F.compute_features(con, wh.end, wh.tables)
    rows = P.score_frame(model, feats, datetime(2026, 1, 1))
    assert list(rows.columns) == ["customer_id", "model", "score", "model_version", "scored_at"]
    assert rows["score"].between(0, 1).all() and (rows["model_version"] == model.version).all()
    with pytest.raises(ValueError, match="missing"):
        P.score(model, feats.drop(columns=["web_touches_30d"]))


def test_calibration_and_lift_tables_on_known_values():
    y = np.array([0] * 90 + [1] * 10)
    p = np.linspace(0, 1, 100)
    lift = P.lift_by_decile(y, p)
    assert lift[0]["positive_rate"] == 1.0 and lift[0]["lift"] == pytest.approx(10.0)
    assert lift[-1]["positive_rate"] == 0.0
    cal = P.calibration_table(y, p)
    assert cal[-1]["observed_rate"] == 1.0 and cal[0]["observed_rate"] == 0.0


class _Stub:
    def __init__(self, age_days: int):
        self.created_at = (datetime(2026, 6, 1) - timedelta(days=age_days)).isoformat()


@pytest.mark.parametrize(("model", "drift", "expected"), [
    (None, {}, (True, "no_model")),
    (_Stub(45), {}, (True, "age_45d_over_30d")),
    (_Stub(10), {"score": {"psi": 0.4, "drifted": True}}, (True, "drift:score")),
    (_Stub(3), {"score": {"psi": 0.4, "drifted": True}}, (False, "drift_but_retrained_recently:score")),
    (_Stub(10), {"score": {"psi": 0.01, "drifted": False}}, (False, "fresh")),
])
def test_retrain_policy(model, drift, expected):
    assert P.retrain_decision(model, datetime(2026, 6, 1), drift, max_age_days=30,
                              min_days_between_retrains=7) == expected
