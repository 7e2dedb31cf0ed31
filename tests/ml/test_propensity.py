"""Propensity: labels, time split, models vs baseline, metrics, versioned files, retrain policy."""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb
import numpy as np
import pandas as pd
import pytest

from orchestration.ml import evaluation as E
from orchestration.ml import features as F
from orchestration.ml import labels as L
from orchestration.ml import propensity as P
from orchestration.ml import synthetic


@pytest.fixture(scope="module")
def training():
    con = duckdb.connect()
    # every future lapser already fades within the churn horizon: a signal that is not a data gap
    wh = synthetic.build(con, n_customers=1500, days=500, seed=11, fade_days=90, fade=0.15)
    dates = P.snapshot_dates(wh.start, wh.end, 30, 90)
    sets = P.build_training_sets(con, dates, wh.end, wh.tables)
    yield con, wh, sets
    con.close()


def test_labels_follow_the_definitions(training):
    con, wh, _ = training
    t = wh.start + pd.Timedelta(days=200)
    feats = F.compute_features(con, t, wh.tables)
    pops = L.population_and_labels(con, feats, t, wh.tables.sales, L.TASKS)
    people = wh.people.set_index("customer_id")
    conv = pops["conversion"].set_index("customer_id")
    # conversion population: nobody with a purchase before T, everybody touched in the active window
    assert (conv["lifetime_purchases"] == 0).all()
    assert (conv["days_since_last_activity"] <= L.TASKS["conversion"].active_days).all()
    # a prospect whose planted first purchase is within [T, T+30) is a positive, else a negative
    planted = people.loc[conv.index, "converts_on"]
    expected = ((planted >= t.normalize()) & (planted < t + pd.Timedelta(days=30))).astype(int)
    assert (conv["label"] == expected).mean() > 0.97
    churn = pops["churn"]
    assert (churn["lifetime_purchases"] > 0).all() and 0 < churn["label"].mean() < 1


def test_populations_leave_out_customers_who_already_went_quiet():
    """A buyer who used to buy every 10 days and has been silent for 60 is overdue: not in the churn
    population (their label would be read off the silence); one who bought 5 days ago is in. A prospect
    silent for 120 days is not a conversion negative; one touched 10 days ago is in."""
    con = duckdb.connect()
    rows = [("late", d) for d in (0, 10, 20, 30)] + [("live", d) for d in (0, 10, 20, 30, 85)]
    con.execute("create table s as select * from (values " + ", ".join(
        f"('{c}', 'purchase', timestamp '2025-01-01' + interval {d} day)" for c, d in rows)
        + ") t(customer_id, transaction_type, traded_at)")
    t = pd.Timestamp("2025-03-31")
    feats = pd.DataFrame({"customer_id": ["late", "live", "quiet", "warm"],
                          "days_since_last_purchase": [59.0, 4.0, 9999.0, 9999.0],
                          "days_since_last_activity": [59.0, 4.0, 120.0, 10.0]})
    pops = L.population_and_labels(con, feats, t, "s", L.make_tasks(churn_overdue_factor=1.5))
    assert list(pops["churn"]["customer_id"]) == ["live"]
    assert list(pops["churn"]["label"]) == [1]  # no purchase after T
    assert list(pops["conversion"]["customer_id"]) == ["warm"]
    assert list(pops["conversion"]["label"]) == [0]


def test_split_holds_out_customers_and_time(training):
    _, _, sets = training
    for task, data in sets.items():
        horizon = L.TASKS[task].horizon_days
        train, test = E.time_customer_split(data, horizon, test_snapshots=2, test_share=0.3)
        assert len(train) and len(test)
        # no held-out customer is ever in training, and no training label window reaches the test period
        assert not set(train["customer_id"]) & set(test["customer_id"])
        assert (train["as_of"] + pd.Timedelta(days=horizon)).max() <= test["as_of"].min()
        assert test["as_of"].nunique() <= 2
        # the same customers are held out in every run, whatever else is in the data
        again = E.customer_in_test(test["customer_id"].drop_duplicates(), 0.3)
        assert again.all()
        share = E.customer_in_test(data["customer_id"].drop_duplicates(), 0.3).mean()
        assert 0.25 < share < 0.35


def test_models_learn_and_report_every_metric(training, tmp_path):
    _, _, sets = training
    for task in ("conversion", "churn"):
        model = P.train(task, sets[task])
        m = model.metrics
        hgb, base, recency = m["hgb"], m["logistic"], m["recency_only"]
        # floors: the synthetic data plants clear signals (ramp-up before buying, fade before lapsing)
        assert hgb["roc_auc"] > 0.75, (task, hgb["roc_auc"])
        assert hgb["roc_auc"] >= base["roc_auc"] - 0.02, (task, hgb["roc_auc"], base["roc_auc"])
        assert 0.4 < recency["roc_auc"] < hgb["roc_auc"]
        assert 0 < hgb["pr_auc"] <= 1 and 0 <= hgb["brier"] < 0.25
        assert len(hgb["calibration"]) == 10 and len(hgb["lift_by_decile"]) == 10
        assert hgb["lift_by_decile"][0]["lift"] > 1.5  # the top decile is enriched
        assert model.champion in ("hgb", "logistic") and model.auc == m[model.champion]["roc_auc"]
        sel = m["selection_cv_roc_auc"]
        assert sel[model.champion] >= sel[{"hgb": "logistic", "logistic": "hgb"}[model.champion]]
        assert sel["method"].startswith(("time_and_customer_x", "customer_folds_x"))
        assert len(sel["folds"]["hgb"]) == len(sel["folds"]["logistic"]) >= 2
        assert m["n_train"] > m["n_test"] > 0
        assert max(m["single_feature_auc"].values()) < E.LEAK_AUC and m["leak_warning"] is None
        assert set(model.reference) == {"score", *model.top_features}
        assert "censoring" in model.label and "journey clock" in model.label["censoring"]
        path = P.save(tmp_path, model)
        assert path.exists() and path.with_suffix(".json").exists()
        loaded = P.load_latest(tmp_path, task)
        assert loaded.version == model.version and loaded.features == F.feature_columns(sets[task])
        assert loaded.training_window["train_from"] < loaded.training_window["test_from"]


def test_a_feature_that_reads_the_label_is_reported(training):
    _, _, sets = training
    data = sets["conversion"].copy()
    rng = np.random.default_rng(0)
    # a "data gap" column: nearly the label itself
    data["days_since_last_touch"] = np.where(data["label"] == 1, 1.0, 200.0) + rng.normal(0, 5, len(data))
    model = P.train("conversion", data)
    assert model.metrics["single_feature_auc"]["days_since_last_touch"] > 0.95
    assert "days_since_last_touch" in model.leak_warning
    row = P.model_run_row(model, True, "no_model", {}, datetime(2026, 1, 1), pd.Timestamp("2026-01-01"), 0.6)
    assert row["max_single_feature"] == "days_since_last_touch" and "days_since_last_touch" in \
        row["single_feature_warning"]


def test_model_run_row_has_the_headline_columns(training):
    _, _, sets = training
    model = P.train("churn", sets["churn"])
    row = P.model_run_row(model, True, "no_model", {"score": {"psi": 0.01, "drifted": False}},
                          datetime(2026, 1, 1), pd.Timestamp("2026-01-01"), 0.6)
    for col in ("model", "holdout_roc_auc", "baseline_roc_auc", "recency_only_roc_auc", "pr_auc", "brier",
                "n_train", "n_test", "single_feature_warning", "as_of"):
        assert col in row, col
    assert row["holdout_roc_auc"] == model.auc and row["single_feature_warning"] is None
    assert row["n_train"] == model.metrics["n_train"]


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
    lift = E.lift_by_decile(y, p)
    assert lift[0]["positive_rate"] == 1.0 and lift[0]["lift"] == pytest.approx(10.0)
    assert lift[-1]["positive_rate"] == 0.0
    cal = E.calibration_table(y, p)
    assert cal[-1]["observed_rate"] == 1.0 and cal[0]["observed_rate"] == 0.0


class _Stub:
    def __init__(self, age_days: int, as_of: str = "", features: list[str] | None = None):
        self.created_at = (datetime(2026, 6, 1) - timedelta(days=age_days)).isoformat()
        self.as_of = as_of
        self.features = features or ["a"]


@pytest.mark.parametrize(("model", "drift", "expected"), [
    (None, {}, (True, "no_model")),
    (_Stub(45), {}, (True, "age_45d_over_30d")),
    (_Stub(10), {"score": {"psi": 0.4, "drifted": True}}, (True, "drift:score")),
    (_Stub(3), {"score": {"psi": 0.4, "drifted": True}}, (False, "drift_but_retrained_recently:score")),
    (_Stub(10), {"score": {"psi": 0.01, "drifted": False}}, (False, "fresh")),
    # a back-test at an earlier clock never uses a model that saw later data
    (_Stub(1, as_of="2026-05-01"), {}, (True, "clock_moved:trained_at_later_clock")),
    (_Stub(1, as_of="2026-03-01"), {}, (True, "clock_moved:trained_at_earlier_clock")),
    (_Stub(1, as_of="2026-04-01"), {}, (False, "fresh")),
    (_Stub(1, as_of="2026-04-01", features=["a", "attr_plan"]), {}, (True, "features_changed")),
])
def test_retrain_policy(model, drift, expected):
    assert P.retrain_decision(model, datetime(2026, 6, 1), drift, max_age_days=30, min_days_between_retrains=7,
                              clock=pd.Timestamp("2026-04-01"), features=["a"]) == expected


def test_a_bounded_training_sample_keeps_whole_customers_and_never_touches_the_hold_out(training, monkeypatch):
    _, _, sets = training
    data = sets["churn"]
    train_all, test_all = P.split(L.TASKS["churn"], data, P.SplitSpec())
    cap = len(train_all) // 3
    sample = E.bounded_by_customer(train_all, cap, seed=1)
    assert 0 < len(sample) <= cap
    per_customer = train_all.groupby("customer_id").size()
    kept = sample.groupby("customer_id").size()
    assert (kept == per_customer[kept.index]).all()  # every snapshot of a drawn customer, or none
    assert sample.equals(E.bounded_by_customer(train_all, cap, seed=1))  # deterministic
    assert E.bounded_by_customer(train_all, None).equals(train_all)
    assert E.bounded_by_customer(train_all, len(train_all)).equals(train_all)
    model = P.train("churn", data, spec=P.SplitSpec(max_train_rows=cap), seed=1)
    m = model.metrics
    assert m["n_train"] == len(sample) and m["n_train_available"] == len(train_all)
    assert m["n_test"] == len(test_all)  # the hold-out is the same, unsampled


def test_scoring_in_batches_gives_the_scores_of_one_call(training, monkeypatch):
    con, wh, sets = training
    model = P.train("conversion", sets["conversion"])
    feats = F.compute_features(con, wh.end, wh.tables)
    whole = model.model.predict_proba(feats[model.features])[:, 1]
    monkeypatch.setattr(P, "SCORE_BATCH_ROWS", max(1, len(feats) // 7))
    np.testing.assert_allclose(P.score(model, feats), whole)


def _selection_world(kind: str, dates: int, customers: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Snapshots every 30 days of customers with six features: a label that is linear in them (the
    logistic model's home ground) or an interaction that no linear model can rank."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(customers * dates, 6))
    if kind == "linear":
        logit = x @ np.array([1.2, -1.0, 0.8, 0.6, -0.5, 0.4]) - 1.0
    else:
        logit = 2.5 * np.sign(x[:, 0]) * np.sign(x[:, 1]) - 1.0
    frame = pd.DataFrame(x, columns=[f"f{i}" for i in range(6)])
    frame["label"] = (rng.random(len(frame)) < 1 / (1 + np.exp(-logit))).astype(int)
    frame["customer_id"] = np.repeat([f"c{i}" for i in range(customers)], dates)
    frame["as_of"] = np.tile(pd.date_range("2025-01-01", periods=dates, freq="30D"), customers)
    return frame


@pytest.mark.parametrize(("kind", "expected"), [("linear", "logistic"), ("interaction", "hgb")])
def test_the_champion_is_the_model_that_ranks_later_snapshots_better(kind, expected):
    data = _selection_world(kind, dates=8)
    champion, sel = P.choose_champion(data, [f"f{i}" for i in range(6)], [], horizon_days=30)
    assert champion == expected, sel
    assert sel["method"] == f"time_and_customer_x{P.SELECTION_REPEATS} (last 2 snapshot dates)"
    assert len(sel["folds"][expected]) == P.SELECTION_REPEATS
    assert sel[expected] == pytest.approx(np.mean(sel["folds"][expected]), abs=1e-4)


@pytest.mark.parametrize(("dates", "method"), [
    # validating on the last two dates leaves no complete label to fit on: the last date only
    (4, f"time_and_customer_x{P.SELECTION_REPEATS} (last 1 snapshot dates)"),
    # not even that: folds grouped by customer
    (3, "customer_folds_x3"),
])
def test_a_long_horizon_moves_the_choice_to_a_split_that_leaves_rows_to_fit(dates, method):
    data = _selection_world("interaction", dates=dates)
    champion, sel = P.choose_champion(data, [f"f{i}" for i in range(6)], [], horizon_days=90)
    assert sel["method"] == method
    assert champion == "hgb", sel
