"""The uplift model (orchestration/ml/uplift.py): the Qini coefficient on a hand-computed example, the
split, and learning a planted heterogeneous effect that a propensity ranking cannot see."""

import numpy as np
import pandas as pd
import pytest

from orchestration.ml import synthetic
from orchestration.ml import uplift as upl

# A worked example (rows already in descending uplift order):
#   y         1   0   1   0   1   0
#   treated   1   1   0   0   1   0
# After k rows: q(k) = treated buyers - control buyers x treated / control (0 while no control row):
#   k=1: 1 - 0 = 1;  k=2: 1;  k=3: 1 - 1 x 2/1 = -1;  k=4: 1 - 1 x 2/2 = 0;  k=5: 2 - 1 x 3/2 = 0.5;
#   k=6: 2 - 1 x 3/3 = 1.
# Area under (0,0),(1,1),(2,1),(3,-1),(4,0),(5,0.5),(6,1) by trapezoids: 0.5+1+0-0.5+0.25+0.75 = 2.
# Random line to (6, 1): area 3. Perfect ranking (uplift y*t - y*(1-t) = 1,0,-1,0,1,0: the two treated
# buyers, then the three non-buyers tied, then the control buyer): (0,0),(2,2),(5,2),(6,1): area 9.5.
# Qini = (2 - 3) / (9.5 - 3) = -1/6.5 (scikit-uplift 0.5.1's qini_auc_score gives -0.153846 too).
Y = np.array([1, 0, 1, 0, 1, 0])
T = np.array([1, 1, 0, 0, 1, 0])
SCORE = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4])


def test_qini_curve_by_hand():
    x, q = upl.qini_curve(Y, SCORE, T)
    assert x.tolist() == [0, 1, 2, 3, 4, 5, 6]
    assert q.tolist() == pytest.approx([0, 1, 1, -1, 0, 0.5, 1])


def test_qini_coefficient_by_hand():
    assert upl.qini_coefficient(Y, SCORE, T) == pytest.approx(-1 / 6.5)


def test_qini_of_the_perfect_ranking_is_one_and_ties_move_together():
    perfect = Y * T - Y * (1 - T)
    assert upl.qini_coefficient(Y, perfect, T) == pytest.approx(1.0)
    # one score for everyone: a single threshold, the curve is the random line
    x, q = upl.qini_curve(Y, np.zeros(6), T)
    assert x.tolist() == [0, 6] and q.tolist() == pytest.approx([0, 1])
    assert upl.qini_coefficient(Y, np.zeros(6), T) == pytest.approx(0.0)


def test_qini_is_nan_without_both_groups():
    assert np.isnan(upl.qini_coefficient(Y, SCORE, np.ones(6)))


def test_uplift_at_top():
    # top half by score: rows 0-2: treated (1, 0) -> 0.5; control (1) -> 1.0
    assert upl.uplift_at_top(Y, SCORE, T, share=0.5) == pytest.approx(-0.5)


def planted_campaigns(n: int = 10000, seed: int = 1) -> pd.DataFrame:
    """Campaign members with a planted heterogeneous effect: email campaigns move digital natives
    (+40 points), wholesaler campaigns move relationship advisors; the others buy without a contact at a
    rate that grows with tenure (a propensity ranking puts these sure things first)."""
    rng = np.random.default_rng(seed + 1000)  # not feature_frame's stream: campaigns independent of personas
    frame = synthetic.feature_frame(n, seed)
    campaigns = pd.DataFrame({"campaign_id": ["K1", "K2", "K3", "K4", "K5"],
                              "campaign_channel": ["email", "wholesaler", "email", "wholesaler", "email"],
                              "as_of": pd.to_datetime(["2026-01-05", "2026-02-01", "2026-03-01", "2026-04-01",
                                                       "2026-05-01"])})
    frame = frame.join(campaigns.iloc[rng.integers(0, len(campaigns), n)].reset_index(drop=True))
    frame["treated"] = (rng.random(n) < 0.7).astype(int)
    moved = np.where(frame["campaign_channel"] == "email", frame["persona"] == "digital_native",
                     frame["persona"] == "relationship")
    # the "sure things": those a campaign does not move buy more anyway (by tenure), so a ranking by the
    # purchase rate favours them
    base = 0.05 + 0.3 * frame["tenure_days"].rank(pct=True).to_numpy() * ~moved
    frame["true_uplift"] = np.where(moved, 0.4, 0.0)
    frame["label"] = (rng.random(n) < base + frame["treated"] * frame["true_uplift"]).astype(int)
    return frame


@pytest.fixture(scope="module")
def trained_on_planted():
    data = planted_campaigns()
    return data, upl.train(data.drop(columns="true_uplift"), seed=0, spec=upl.UpliftSplit(0.4, 0.5))


def test_split_holds_out_later_campaigns_and_other_customers():
    data = planted_campaigns(2000)
    train, test, kind = upl.split(data, upl.UpliftSplit(0.4, 0.3))
    assert kind == "campaign_time_and_customer"
    assert set(test["campaign_id"]) == {"K4", "K5"} and not set(train["campaign_id"]) & {"K4", "K5"}
    assert not set(train["customer_id"]) & set(test["customer_id"])


def test_model_finds_the_planted_effect_and_beats_propensity_and_random(trained_on_planted):
    data, trained = trained_on_planted
    m = trained.metrics
    noise = m["random"]["qini_se"]
    assert m["model"]["qini"] > m["random"]["qini"] + 3 * noise, m
    assert m["model"]["qini"] > m["propensity"]["qini"], m
    # the model's top decile is moved more than the average member and than the propensity top decile
    assert m["model"]["uplift_top_decile"] > m["average_uplift"] + 0.05, m
    assert m["model"]["uplift_top_decile"] > m["propensity"]["uplift_top_decile"], m
    # the level is anchored on the measured average uplift (value x uplift must mean something)
    assert abs(m["mean_predicted_uplift"] - m["average_uplift"]) < 0.05, m
    # the planted responders are ranked above everyone else, for each campaign channel
    predicted = trained.model.predict(data)
    moved = data["true_uplift"].to_numpy() > 0
    assert predicted[moved].mean() > predicted[~moved].mean() + 0.1


def test_scores_every_customer_once_per_channel(trained_on_planted):
    _, trained = trained_on_planted
    population = synthetic.feature_frame(50, seed=9)
    scores = upl.score_frame(trained, population, pd.Timestamp("2026-06-01"))
    assert len(scores) == 50 * 2 and set(scores["campaign_channel"]) == {"email", "wholesaler"}
    assert not scores.duplicated(["customer_id", "campaign_channel"]).any()
    assert scores["uplift"].between(-1, 1).all()
    row = upl.run_row(trained, pd.Timestamp("2026-06-01"), pd.Timestamp("2026-06-01"))
    assert row["qini"] == trained.qini and row["n_test"] == trained.metrics["n_test"]


def test_train_refuses_data_without_a_control_group():
    data = planted_campaigns(1000).drop(columns="true_uplift").assign(treated=1)
    with pytest.raises(ValueError, match="treated and control"):
        upl.train(data)


def test_a_bounded_training_sample_leaves_the_hold_out_whole(trained_on_planted):
    data, full = trained_on_planted
    cap = int(full.metrics["n_train"] * 0.6)
    bounded = upl.train(data.drop(columns="true_uplift"), seed=0, spec=upl.UpliftSplit(0.4, 0.5, cap))
    m = bounded.metrics
    assert m["n_train"] <= cap < m["n_train_available"] == full.metrics["n_train"]
    assert m["n_test"] == full.metrics["n_test"]  # the same hold-out rows, never sampled
    predicted = bounded.model.predict(data)
    moved = data["true_uplift"].to_numpy() > 0
    assert predicted[moved].mean() > predicted[~moved].mean() + 0.1  # still finds the planted responders
