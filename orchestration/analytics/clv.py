"""Customer lifetime value: BG/NBD purchases x Gamma-Gamma spend, fitted by maximum likelihood with
``lifetimes`` (Fader, Hardie and Lee 2005; Fader and Hardie 2013), validated on a calibration / hold-out
split by decile.

Inputs follow the lifetimes convention (one transaction per purchase day):
``frequency`` repeat purchase days, ``recency`` time from the first to the last purchase, ``T`` time from
the first purchase to the end of the period, ``monetary_value`` mean amount of the repeat purchases.
The warehouse builds them in SQL (int_customer_purchases_summarized, in days); ``from_warehouse`` renames
its columns. Everything here is a pure function of data frames.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

SUMMARY_COLUMNS = ("frequency", "recency", "T", "monetary_value")
CALIBRATION_COLUMNS = ("frequency_cal", "recency_cal", "T_cal", "monetary_value_cal", "frequency_holdout",
                       "amount_holdout", "duration_holdout")
# int_customer_purchases_summarized -> the lifetimes names used here.
WAREHOUSE_RENAMES = {
    "recency_days": "recency", "tenure_days": "T", "recency_days_cal": "recency_cal", "tenure_days_cal": "T_cal",
    "holdout_purchases": "frequency_holdout", "holdout_amount": "amount_holdout", "holdout_days": "duration_holdout",
}
# Fewer customers than this (or fewer repeat buyers than MIN_REPEAT_BUYERS) and the fit is not trusted:
# the BG/NBD dropout parameters need repeat purchases to be identified.
MIN_CUSTOMERS = 50
MIN_REPEAT_BUYERS = 10
# Penalties tried in turn when the BG/NBD likelihood does not converge. A larger penalty shrinks the
# parameters towards 1 (biased, but finite); the one used is reported with the fit.
RETRY_PENALIZERS = (0.001, 0.01, 0.1)


class NotEnoughData(ValueError):
    """Too few customers or repeat buyers to fit the models."""


@dataclass
class ClvFit:
    bgf: Any  # lifetimes.BetaGeoFitter
    ggf: Any | None  # lifetimes.GammaGammaFitter; None when it did not converge (see spend_fallback)
    amount_scale: float  # amounts are divided by this before the Gamma-Gamma fit (numerical range)
    customers: int
    repeat_buyers: int
    frequency_monetary_corr: float  # Gamma-Gamma assumes spend independent of frequency: reported, ~0 is good
    mean_repeat_amount: float  # the fallback spend when the Gamma-Gamma fit fails
    spend_fallback: str | None = None  # why the observed mean spend is used instead of Gamma-Gamma

    def parameters(self) -> dict[str, dict[str, float]]:
        out = {"bg_nbd": {k: float(v) for k, v in self.bgf.params_.items()}}
        out["bg_nbd"]["penalizer"] = float(self.bgf.penalizer_coef)
        if self.ggf is not None:
            gg = {k: float(v) for k, v in self.ggf.params_.items()}
            gg["v"] *= self.amount_scale  # v is the Gamma scale of spend: back to currency units
            out["gamma_gamma"] = gg
        return out


@dataclass
class Validation:
    deciles: pd.DataFrame
    metrics: dict[str, float] = field(default_factory=dict)
    parameters: dict[str, dict[str, float]] = field(default_factory=dict)


def from_warehouse(frame: pd.DataFrame) -> pd.DataFrame:
    """int_customer_purchases_summarized -> the column names used here."""
    return frame.rename(columns=WAREHOUSE_RENAMES)


def fit_purchases(summary: pd.DataFrame, penalizer: float = 0.0) -> Any:
    """The BG/NBD purchase model (lifetimes.BetaGeoFitter) fitted on frequency, recency and T.

    When plain maximum likelihood does not converge (a short history with little dropout evidence sends
    a and b to infinity), it is retried with the larger penalties of RETRY_PENALIZERS; the penalty used
    is on the fitter (``penalizer_coef``)."""
    from lifetimes import BetaGeoFitter
    from lifetimes.utils import ConvergenceError

    data = summary.loc[:, ["frequency", "recency", "T"]].astype(float)
    last: Exception | None = None
    for coef in [penalizer, *(p for p in RETRY_PENALIZERS if p > penalizer)]:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # log(0) probes during the optimisation
                return BetaGeoFitter(penalizer_coef=coef).fit(data["frequency"], data["recency"], data["T"])
        except ConvergenceError as exc:
            last = exc
    raise NotEnoughData(f"BG/NBD did not converge even with penalizer {RETRY_PENALIZERS[-1]}: {last}")


def fit(summary: pd.DataFrame, penalizer: float = 0.0) -> ClvFit:
    """Fit BG/NBD on (frequency, recency, T) and Gamma-Gamma on the repeat buyers' spend."""
    from lifetimes import GammaGammaFitter
    from lifetimes.utils import ConvergenceError

    data = summary.loc[:, list(SUMMARY_COLUMNS)].astype(float)
    repeat = data[(data["frequency"] > 0) & (data["monetary_value"] > 0)]
    if len(data) < MIN_CUSTOMERS or len(repeat) < MIN_REPEAT_BUYERS:
        raise NotEnoughData(f"{len(data)} customers and {len(repeat)} repeat buyers; the fit needs at least "
                            f"{MIN_CUSTOMERS} and {MIN_REPEAT_BUYERS}")
    bgf = fit_purchases(data, penalizer)
    scale = float(repeat["monetary_value"].median()) or 1.0
    ggf, fallback = None, None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            ggf = GammaGammaFitter(penalizer_coef=penalizer).fit(repeat["frequency"], repeat["monetary_value"] / scale)
    except ConvergenceError as exc:  # e.g. every repeat buyer spends the same
        fallback = f"gamma-gamma did not converge ({str(exc).strip().splitlines()[0]}); observed mean spend used"
    corr = float(np.corrcoef(repeat["frequency"], repeat["monetary_value"])[0, 1]) if len(repeat) > 2 else float("nan")
    return ClvFit(bgf=bgf, ggf=ggf, amount_scale=scale, customers=len(data), repeat_buyers=len(repeat),
                  frequency_monetary_corr=corr, mean_repeat_amount=float(repeat["monetary_value"].mean()),
                  spend_fallback=fallback)


def expected_average_amount(model: ClvFit, frequency: pd.Series, monetary_value: pd.Series) -> np.ndarray:
    """Gamma-Gamma expected amount of a purchase day (the population mean for a one-time buyer). Without
    a Gamma-Gamma fit: the customer's observed mean, else the repeat buyers' mean."""
    f = frequency.astype(float).to_numpy()
    m = monetary_value.astype(float).to_numpy()
    if model.ggf is None:
        return np.where((f > 0) & (m > 0), m, model.mean_repeat_amount)
    return np.asarray(model.ggf.conditional_expected_average_profit(f, m / model.amount_scale), float) \
        * model.amount_scale


def predict(model: ClvFit, summary: pd.DataFrame, horizon: float, discount_rate: float,
            period_length: float = 30.0) -> pd.DataFrame:
    """Per customer: probability alive, expected purchases within ``horizon`` (time units of T) and the
    CLV: expected purchases per period of ``period_length`` x expected amount, discounted by
    ``discount_rate`` per period (lifetimes' customer_lifetime_value, written out so that any time unit
    works)."""
    f, r, t = (summary[c].astype(float) for c in ("frequency", "recency", "T"))
    bgf = model.bgf
    amount = expected_average_amount(model, summary["frequency"], summary["monetary_value"])
    clv = np.zeros(len(summary))
    alive = np.asarray(bgf.conditional_probability_alive(f, r, t), float)
    periods = int(np.ceil(horizon / period_length))
    previous = np.zeros(len(summary))
    for i in range(1, periods + 1):
        end = min(i * period_length, horizon)
        cumulative = expected_purchases(bgf, end, f, r, t, alive)
        clv += (cumulative - previous) * amount / (1 + discount_rate) ** i
        previous = cumulative
    return pd.DataFrame({
        "probability_alive": alive,
        "expected_purchases": previous,
        "expected_average_amount": amount,
        "predicted_clv": clv,
    }, index=summary.index)


def expected_purchases(bgf, duration: float, f, r, t, alive: np.ndarray | None = None) -> np.ndarray:
    """Each customer's expected purchases in the next ``duration`` periods. lifetimes' hypergeometric term
    overflows for some customers without a repeat purchase (NaN): they get the population's expectation
    for the same time, weighted by their probability alive."""
    out = np.asarray(bgf.conditional_expected_number_of_purchases_up_to_time(duration, f, r, t), float)
    if np.isfinite(out).all():
        return out
    if alive is None:
        alive = np.asarray(bgf.conditional_probability_alive(f, r, t), float)
    fallback = float(bgf.expected_number_of_purchases_up_to_time(duration)) * alive
    return np.where(np.isfinite(out), out, fallback)


def decile_table(predicted: np.ndarray, actual: np.ndarray, predicted_amount: np.ndarray,
                 actual_amount: np.ndarray) -> pd.DataFrame:
    """Customers ranked by predicted purchases into ten equal groups (1 lowest); means per group."""
    n = len(predicted)
    order = np.argsort(predicted, kind="stable")
    decile = np.empty(n, int)
    decile[order] = np.arange(n) * 10 // max(n, 1) + 1
    frame = pd.DataFrame({"decile": decile, "predicted_purchases": predicted, "actual_purchases": actual,
                          "predicted_amount": predicted_amount, "actual_amount": actual_amount})
    grouped = frame.groupby("decile", sort=True)
    table = grouped.mean()
    table.insert(0, "customers", grouped.size())
    return table.reset_index()


def validate(summary: pd.DataFrame, penalizer: float = 0.0) -> Validation:
    """Fit on the calibration columns, predict the hold-out period and compare by decile."""
    cal = summary.dropna(subset=["frequency_cal", "recency_cal", "T_cal"])
    cal = cal[cal["T_cal"] > 0]
    calibration_names = {"frequency_cal": "frequency", "recency_cal": "recency", "T_cal": "T",
                         "monetary_value_cal": "monetary_value"}
    renamed = cal.loc[:, list(calibration_names)].rename(columns=calibration_names)
    model = fit(renamed, penalizer)
    duration = float(cal["duration_holdout"].iloc[0])
    f, r, t = (renamed[c].astype(float) for c in ("frequency", "recency", "T"))
    predicted = expected_purchases(model.bgf, duration, f, r, t)
    predicted_amount = predicted * expected_average_amount(model, renamed["frequency"], renamed["monetary_value"])
    actual = cal["frequency_holdout"].astype(float).to_numpy()
    actual_amount = cal["amount_holdout"].astype(float).to_numpy()
    deciles = decile_table(predicted, actual, predicted_amount, actual_amount)
    metrics = {
        "customers": float(len(cal)),
        "holdout_days": duration,
        "predicted_total_purchases": float(predicted.sum()),
        "actual_total_purchases": float(actual.sum()),
        "total_purchases_ratio": float(predicted.sum() / actual.sum()) if actual.sum() else float("nan"),
        # mean absolute error of the decile means, relative to the mean actual purchases
        "decile_mae_relative": float(np.mean(np.abs(deciles["predicted_purchases"] - deciles["actual_purchases"]))
                                     / max(actual.mean(), 1e-12)),
        "decile_correlation": float(np.corrcoef(deciles["predicted_purchases"], deciles["actual_purchases"])[0, 1])
        if len(deciles) > 2 else float("nan"),
        "customer_correlation": float(np.corrcoef(predicted, actual)[0, 1]) if len(cal) > 2 else float("nan"),
        "frequency_monetary_corr": model.frequency_monetary_corr,
    }
    return Validation(deciles=deciles, metrics=metrics, parameters=model.parameters())
