"""CLV: the published CDNOW parameters, a hold-out validation by decile on CDNOW (data we did not make),
and the properties of the predictions. lifetimes ships the CDNOW data (Fader, Hardie and Lee 2005)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from orchestration.analytics import clv

# Fader, Hardie and Lee (2005), "Counting your customers the easy way", BG/NBD on the CDNOW sample
# (2,357 customers, 39 weeks): r, alpha (weeks), a, b.
PUBLISHED_BG_NBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}


@pytest.fixture(scope="module")
def cdnow_summary() -> pd.DataFrame:
    from lifetimes.datasets import load_cdnow_summary

    return load_cdnow_summary(index_col=[0])


@pytest.fixture(scope="module")
def cdnow_calibration_holdout() -> pd.DataFrame:
    """The full CDNOW transaction log (23,570 customers, 1997-01 to 1998-06), summarised by lifetimes
    into 39 weeks of calibration and 39 of hold-out, counted per day like the warehouse summary."""
    import lifetimes
    from lifetimes.utils import calibration_and_holdout_data

    path = Path(lifetimes.__file__).parent / "datasets" / "CDNOW_master.txt"
    tx = pd.read_csv(path, sep=r"\s+", skiprows=1, header=None, names=["id", "date", "cds", "amount"],
                     dtype={"id": str, "date": str})
    tx["date"] = pd.to_datetime(tx["date"], format="%Y%m%d")
    data = calibration_and_holdout_data(tx, "id", "date", calibration_period_end="1997-09-30",
                                        observation_period_end="1998-06-30", freq="D",
                                        monetary_value_col="amount")
    return data.assign(amount_holdout=data["frequency_holdout"] * data["monetary_value_holdout"])


def test_bg_nbd_reproduces_the_published_cdnow_parameters(cdnow_summary):
    params = clv.fit_purchases(cdnow_summary).params_
    for name, published in PUBLISHED_BG_NBD.items():
        assert round(float(params[name]), 2) == round(published, 2), (name, float(params[name]))


def test_holdout_prediction_on_cdnow_matches_by_decile(cdnow_calibration_holdout):
    validation = clv.validate(cdnow_calibration_holdout)
    deciles = validation.deciles
    assert list(deciles["decile"]) == list(range(1, 11))
    assert deciles["customers"].sum() == len(cdnow_calibration_holdout)
    # measured: 16,874 predicted vs 19,684 actual repeat purchase days (0.86); decile means correlate 0.99
    assert 0.75 < validation.metrics["total_purchases_ratio"] < 1.15
    assert validation.metrics["decile_correlation"] > 0.95
    # the model ranks: the top decile buys far more than the bottom one, as predicted
    assert deciles["actual_purchases"].iloc[-1] > 5 * deciles["actual_purchases"].iloc[0]
    gg = validation.parameters["gamma_gamma"]  # published on the sample: p 6.25, q 3.74, v 15.44
    assert gg["p"] == pytest.approx(6.25, rel=0.1) and gg["q"] == pytest.approx(3.74, rel=0.1)


def _synthetic_summary(n: int = 400, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = rng.uniform(100, 365, n)
    freq = rng.poisson(t / 60)
    recency = np.where(freq > 0, t * rng.uniform(0.3, 1.0, n), 0.0)
    spend = np.where(freq > 0, rng.gamma(4.0, 25_000, n), 0.0)
    return pd.DataFrame({"frequency": freq, "recency": recency, "T": t, "monetary_value": spend},
                        index=[f"c{i}" for i in range(n)])


def test_predictions_are_consistent():
    summary = _synthetic_summary()
    model = clv.fit(summary)
    short = clv.predict(model, summary, horizon=90, discount_rate=0.0)
    long = clv.predict(model, summary, horizon=365, discount_rate=0.0)
    discounted = clv.predict(model, summary, horizon=365, discount_rate=0.02)
    assert (long["expected_purchases"] >= short["expected_purchases"] - 1e-9).all()
    assert (discounted["predicted_clv"] <= long["predicted_clv"] + 1e-6).all()
    assert ((long["probability_alive"] >= 0) & (long["probability_alive"] <= 1)).all()
    # undiscounted CLV = expected purchases x expected spend
    expected = long["expected_purchases"] * long["expected_average_amount"]
    assert np.allclose(long["predicted_clv"], expected, rtol=1e-9)
    # these purchases have no dropout in them: plain ML diverges and a retry penalty is used and reported
    assert model.parameters()["bg_nbd"]["penalizer"] in (0.0, *clv.RETRY_PENALIZERS)


def test_too_few_buyers_is_a_clear_refusal():
    with pytest.raises(clv.NotEnoughData, match="customers"):
        clv.fit(_synthetic_summary(n=20))


def test_spend_falls_back_to_observed_means_when_gamma_gamma_fails():
    summary = _synthetic_summary()
    summary["monetary_value"] = np.where(summary["frequency"] > 0, 1000.0, 0.0)  # no spread: no Gamma-Gamma fit
    model = clv.fit(summary)
    assert model.ggf is None and "gamma-gamma" in (model.spend_fallback or "")
    amounts = clv.expected_average_amount(model, summary["frequency"], summary["monetary_value"])
    assert np.allclose(amounts, 1000.0)


def test_decile_table_ranks_by_prediction():
    predicted = np.arange(20, dtype=float)
    table = clv.decile_table(predicted, predicted * 2, predicted, predicted)
    assert list(table["customers"]) == [2] * 10
    assert table["predicted_purchases"].is_monotonic_increasing
    assert np.allclose(table["actual_purchases"], 2 * table["predicted_purchases"])


def test_an_overflowing_expectation_gets_the_population_one_weighted_by_alive():
    """lifetimes returns NaN for some one-time buyers; the CLV and its hold-out validation both use the
    same fallback (clv.expected_purchases), so neither writes a null prediction."""
    import numpy as np

    from orchestration.analytics.clv import expected_purchases

    class Fitted:
        def conditional_expected_number_of_purchases_up_to_time(self, duration, f, r, t):
            return np.array([1.5, np.nan, 0.2])

        def conditional_probability_alive(self, f, r, t):
            return np.array([0.9, 0.5, 0.1])

        def expected_number_of_purchases_up_to_time(self, duration):
            return 2.0

    got = expected_purchases(Fitted(), 30.0, None, None, None)
    assert got.tolist() == [1.5, 1.0, 0.2]
    given = expected_purchases(Fitted(), 30.0, None, None, None, alive=np.array([1, 0.25, 1]))
    assert given.tolist() == [1.5, 0.5, 0.2]
