"""The experiment readout from sliced parts: lift and its interval from summed sufficient statistics.

``marts.agg_experiment_slices`` holds, per experiment x arm x metric x customer slice, the units ``n``, the
outcome summed (``value_sum``) and the outcome squared, summed (``value_sum_squares``). A filter picks
slices; ``readout`` adds their parts up per arm, pairs every arm with its control and computes the lift
with ``lift_interval``, the one place the dashboard does this maths. Per-slice rates are never averaged:
the means and variances come from the summed parts, so the readout over every slice is
``marts.agg_experiment_results`` itself (tests/dashboard/test_dashboard_queries.py checks it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from orchestration.dashboard.numbers import MONEY_METRICS

ARM_KEYS = ["experiment_type", "experiment_name", "channel", "arm", "metric"]
PAIR_KEYS = ["experiment_type", "experiment_name", "channel", "metric"]
COLUMNS = [
    "experiment_type", "experiment_name", "channel", "arm", "arms_compared", "metric", "window_start_at",
    "window_end_at", "n_treatment", "n_control", "rate_treatment", "rate_control", "lift", "lift_standard_error",
    "lift_ci_low", "lift_ci_high", "relative_lift", "is_significant", "z_value",
]


@dataclass(frozen=True)
class Lift:
    lift: np.ndarray
    standard_error: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray


def _mean_and_variance_of_mean(n, total, squares, is_rate):
    """The arm's mean and the variance of that mean. A rate (0/1 outcome) takes p(1 - p)/n, the Wald
    variance of a proportion; money takes the sample variance (n - 1 in the denominator) / n, as Welch."""
    n = np.asarray(n, dtype=float)
    total = np.asarray(total, dtype=float)
    squares = np.asarray(squares, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(n > 0, total / n, np.nan)
        spread = np.maximum(squares - total * total / n, 0.0)  # sum of squared deviations from the mean
        dof = np.where(is_rate, n, n - 1)
        variance = np.where(dof > 0, spread / dof, np.nan) / n
    return mean, variance


def lift_interval(n_t, sum_t, squares_t, n_c, sum_c, squares_c, is_rate, z: float) -> Lift:
    """Lift = mean(treated) - mean(control), from each arm's n, sum and sum of squares, with its normal
    interval lift +/- z x sqrt(var_t + var_c) (the variances of the two means): for a rate the Wald
    interval of a difference of two proportions, for money Welch's interval of a difference of means.
    Arrays broadcast; an arm with no units (or one unit, for money) gives NaN rather than a number."""
    mean_t, var_t = _mean_and_variance_of_mean(n_t, sum_t, squares_t, is_rate)
    mean_c, var_c = _mean_and_variance_of_mean(n_c, sum_c, squares_c, is_rate)
    lift = mean_t - mean_c
    se = np.sqrt(var_t + var_c)
    return Lift(lift, se, lift - z * se, lift + z * se)


def readout(parts: pd.DataFrame) -> pd.DataFrame:
    """Every arm against its control, per experiment and metric, from the slice rows in `parts` (columns
    of agg_experiment_slices; any subset of slices). Columns as agg_experiment_results (COLUMNS); an arm
    without a control in the chosen slices has no row, as an experiment without a control has none there."""
    if parts.empty:
        return pd.DataFrame(columns=COLUMNS)
    arms = (
        parts.groupby(ARM_KEYS, dropna=False)
        .agg(n=("n", "sum"), value_sum=("value_sum", "sum"), value_sum_squares=("value_sum_squares", "sum"),
             window_start_at=("window_start_at", "min"), window_end_at=("window_end_at", "max"),
             z_value=("z_value", "first"))
        .reset_index()
    )
    control = arms[arms["arm"] == "control"].drop(columns=["arm", "z_value"])
    pairs = arms[arms["arm"] != "control"].merge(control, on=PAIR_KEYS, suffixes=("_t", "_c"))
    pairs = pairs[(pairs["n_t"] > 0) & (pairs["n_c"] > 0)]
    is_rate = ~pairs["metric"].isin(MONEY_METRICS).to_numpy()
    lift = lift_interval(pairs["n_t"], pairs["value_sum_t"], pairs["value_sum_squares_t"], pairs["n_c"],
                         pairs["value_sum_c"], pairs["value_sum_squares_c"], is_rate, pairs["z_value"].to_numpy())
    rate_t = pairs["value_sum_t"] / pairs["n_t"]
    rate_c = pairs["value_sum_c"] / pairs["n_c"]
    # arms_compared: a journey's treated arms, not its pooled 'all' row; every other arm otherwise
    treated = pairs.assign(one=(pairs["arm"] != "all").astype(int))
    out = pairs.assign(
        arms_compared=treated.groupby(["experiment_type", "experiment_name", "metric"])["one"].transform("sum"),
        window_start_at=pairs[["window_start_at_t", "window_start_at_c"]].min(axis=1),
        window_end_at=pairs[["window_end_at_t", "window_end_at_c"]].max(axis=1),
        n_treatment=pairs["n_t"].astype("int64"),
        n_control=pairs["n_c"].astype("int64"),
        rate_treatment=rate_t,
        rate_control=rate_c,
        lift=lift.lift,
        lift_standard_error=lift.standard_error,
        lift_ci_low=lift.ci_low,
        lift_ci_high=lift.ci_high,
        relative_lift=(rate_t - rate_c) / rate_c.where(rate_c != 0),
        is_significant=(lift.ci_low > 0) | (lift.ci_high < 0),
    )
    return out[COLUMNS].sort_values(["experiment_name", "metric", "arm"]).reset_index(drop=True)


def row_labels(res: pd.DataFrame) -> pd.Series:
    """One label per result row: "experiment · metric", with the arm named when the experiment compares
    more than one treated arm with its control (otherwise two rows would share a label)."""
    if res.empty:
        return pd.Series(dtype=str)
    arms = res.groupby(["experiment_name", "metric"])["arm"].transform("nunique")
    plain = res["experiment_name"] + " · " + res["metric"]
    return plain.where(arms <= 1, res["experiment_name"] + " · " + res["arm"] + " · " + res["metric"])

