"""The experiment readout from sliced parts (orchestration/dashboard/experiments.py), expected vs actual:
the interval against statsmodels (rates) and against the textbook Welch formula on raw values (money),
and the property that makes slicing sound: any split of the units into slices, summed back, gives the
readout of the whole. The readout over every slice of the built fixture equals agg_experiment_results in
tests/dashboard/test_dashboard_queries.py."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import confint_proportions_2indep

from orchestration.dashboard.experiments import COLUMNS, lift_interval, readout

Z = 1.959963984540054  # the normal quantile statsmodels uses for alpha = 0.05


def test_a_rate_lift_has_the_wald_interval_of_two_proportions():
    out = lift_interval(200, 46, 46, 180, 27, 27, True, Z)
    low, high = confint_proportions_2indep(46, 200, 27, 180, method="wald", compare="diff", alpha=0.05)
    assert out.lift == pytest.approx(46 / 200 - 27 / 180)
    assert (out.ci_low, out.ci_high) == (pytest.approx(low), pytest.approx(high))


def test_a_money_lift_has_welchs_interval_from_sums_alone():
    rng = np.random.default_rng(3)
    treated, control = rng.gamma(2.0, 50.0, 40), rng.gamma(2.0, 40.0, 55)
    out = lift_interval(len(treated), treated.sum(), (treated**2).sum(), len(control), control.sum(),
                        (control**2).sum(), False, 1.96)
    se = np.sqrt(treated.var(ddof=1) / len(treated) + control.var(ddof=1) / len(control))
    assert out.lift == pytest.approx(treated.mean() - control.mean())
    assert out.standard_error == pytest.approx(se)
    assert out.ci_high - out.ci_low == pytest.approx(2 * 1.96 * se)


def test_an_empty_or_single_arm_gives_no_number():
    assert np.isnan(lift_interval(0, 0, 0, 10, 3, 3, True, 1.96).lift)
    assert np.isnan(lift_interval(1, 50.0, 2500.0, 10, 300.0, 9000.0, False, 1.96).standard_error)


def _units(draw_arms: list[tuple[str, list[float]]], metric: str) -> pd.DataFrame:
    rows = []
    for arm, values in draw_arms:
        rows += [{"arm": arm, "value": v} for v in values]
    frame = pd.DataFrame(rows)
    return frame.assign(experiment_type="campaign", experiment_name="c1", channel="email", metric=metric,
                        window_start_at=pd.Timestamp("2026-01-01"), window_end_at=pd.Timestamp("2026-02-01"),
                        z_value=1.96)


def _parts(units: pd.DataFrame, slice_of: list[int]) -> pd.DataFrame:
    units = units.assign(persona=[f"p{s}" for s in slice_of], squares=units["value"] ** 2)
    keys = ["experiment_type", "experiment_name", "channel", "arm", "metric", "persona"]
    return (units.groupby(keys)
            .agg(n=("value", "size"), value_sum=("value", "sum"), value_sum_squares=("squares", "sum"),
                 window_start_at=("window_start_at", "min"), window_end_at=("window_end_at", "max"),
                 z_value=("z_value", "first"))
            .reset_index())


arm_values = {
    "purchase_rate": st.lists(st.sampled_from([0.0, 1.0]), min_size=2, max_size=40),
    "revenue_per_customer": st.lists(st.floats(0, 5000, allow_nan=False).map(lambda v: round(v, 2)), min_size=2,
                                     max_size=40),
}


@settings(max_examples=60, deadline=None)
@given(data=st.data(), metric=st.sampled_from(sorted(arm_values)), slices=st.integers(1, 4))
def test_any_split_into_slices_adds_back_up_to_the_whole(data, metric, slices):
    arms = [(arm, data.draw(arm_values[metric], label=arm)) for arm in ("control", "a", "b")]
    units = _units(arms, metric)
    slice_of = data.draw(st.lists(st.integers(0, slices - 1), min_size=len(units), max_size=len(units)))
    whole = readout(_parts(units, [0] * len(units)))
    split = readout(_parts(units, slice_of))
    assert list(split.columns) == COLUMNS and len(whole) == 2 and len(split) == 2
    pd.testing.assert_frame_equal(split, whole, check_exact=False, rtol=1e-9, atol=1e-9)
    # and it is the lift of the raw values: means, not averaged slice rates
    by_arm = units.groupby("arm")["value"].mean()
    assert split.set_index("arm")["lift"].to_dict() == pytest.approx(
        {arm: by_arm[arm] - by_arm["control"] for arm in ("a", "b")})
    assert (split["arms_compared"] == 2).all()


def test_a_journeys_pooled_arm_is_not_counted_as_another_arm():
    units = _units([("control", [0, 1, 0, 0]), ("nudge", [1, 1]), ("all", [1, 1, 1, 0]),
                    ("reminder", [1, 0])], "goal_rate").assign(experiment_type="journey_holdout", channel="choice")
    out = readout(_parts(units, [0] * len(units))).set_index("arm")
    assert out["lift"].to_dict() == pytest.approx({"all": 0.5, "nudge": 0.75, "reminder": 0.25})
    assert set(out["arms_compared"]) == {2}


def test_an_arm_without_its_control_in_the_slices_has_no_row():
    units = _units([("control", [0.0, 1.0]), ("a", [1.0, 1.0])], "purchase_rate")
    parts = _parts(units, [0, 0, 1, 1])
    assert readout(parts[parts["persona"] == "p1"]).empty
    assert readout(parts.iloc[0:0]).columns.tolist() == COLUMNS
