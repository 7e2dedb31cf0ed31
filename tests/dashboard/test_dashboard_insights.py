"""Each page's suggestion is computed from its data: small hand-made frames, expected sentences. A change
in the data must change the suggestion (the same frame with one number moved names another group)."""

from __future__ import annotations

from datetime import date

import pandas as pd

from orchestration.dashboard import insights
from orchestration.dashboard.numbers import count, money, pct


def test_numbers_for_people():
    assert count(1234567) == "1,234,567"
    assert pct(0.1234) == "12.3%"
    assert pct(0.012, points=True) == "+1.2 pts"
    assert money(1234.4) == "$1,234"
    assert money(2_345_678) == "$2.35M"
    assert money(-3_100_000_000) == "-$3.10B"
    assert count(None) == pct(float("nan")) == money(None) == "n/a"


def _personas(at_risk_a: int, at_risk_b: int) -> pd.DataFrame:
    return pd.DataFrame({"value": ["newcomer", "seasoned"], "customers": [100, 300], "at_risk": [at_risk_a, at_risk_b],
                         "eligible": [40, 90]})


def test_overview_names_the_persona_with_most_at_risk():
    assert insights.overview(_personas(30, 10)) == (
        "Reach the 30 at-risk newcomer customers first: they are 75.0% of everyone at risk in these filters, "
        "and 40 newcomer customers are eligible for an action now.")
    assert "10 at-risk seasoned" not in insights.overview(_personas(30, 10))
    assert insights.overview(_personas(5, 20)).startswith("Reach the 20 at-risk seasoned")
    assert insights.overview(_personas(0, 0)).startswith("No customer is at risk")


def test_funnel_names_the_weakest_step_and_the_stage_to_act_on():
    stages = pd.DataFrame({"stage_order": [1, 2, 3], "stage": ["awareness", "consideration", "purchase"],
                           "reached": [1000, 800, 200]})
    stages["step_rate"] = stages["reached"] / stages["reached"].shift(1)
    stalls = pd.DataFrame({"stage": ["awareness", "consideration"], "stalled": [50, 120],
                           "stalled_eligible": [10, 70], "stall_threshold_days": [30.0, 45.0]})
    assert insights.funnel(stages, stalls) == (
        "The weakest step is consideration → purchase (25.0% move on). 120 customers are stalled in consideration "
        "(longer than 45 days), 70 of them eligible now: start with them.")


def test_journeys_points_at_the_stage_lapses_come_from():
    moves = pd.DataFrame({"from_stage": ["retention", "onboarding", "awareness"],
                          "to_stage": ["lapsed", "lapsed", "consideration"], "moves": [30, 10, 500]})
    assert insights.journeys(moves).startswith("75.0% of lapses (30) come straight from retention")


def test_cohorts_flags_the_weakest_cohort_only_when_it_stands_out():
    cells = pd.DataFrame({
        "cohort_month": [date(2026, 1, 1)] * 3 + [date(2026, 2, 1)] * 3 + [date(2026, 3, 1)] * 2,
        "months_since": [0, 1, 2, 0, 1, 2, 0, 1],
        "cohort_customers": [100, 100, 100, 50, 50, 50, 80, 80],
        "live_customers": [100, 90, 80, 50, 30, 20, 80, 70]})
    cells["retention_rate"] = cells["live_customers"] / cells["cohort_customers"]
    text = insights.cohorts(cells)
    assert text.startswith("The Feb 2026 cohort keeps 40.0% of its customers at month 2, against 80.0%")
    even = cells.assign(live_customers=cells["cohort_customers"], retention_rate=1.0)
    assert insights.cohorts(even).startswith("No cohort stands out")


def test_money_flows_picks_the_most_valuable_step():
    steps = pd.DataFrame({"from_stage": ["awareness", "consideration"], "to_stage": ["consideration", "purchase"],
                          "conversion_rate": [0.8, 0.4], "extra_conversions_per_point": [15, 12],
                          "value_of_one_point": [3_000_000, 5_000_000]})
    assert insights.money_flows(steps).startswith("Work on consideration → purchase: one more point of conversion "
                                                  "there (from 40.0%) is about 12 conversions worth $5.00M")


def test_attribution_reports_the_biggest_disagreement():
    rows = [("last_touch", "email", 80.0), ("last_touch", "webinar", 20.0),
            ("markov", "email", 50.0), ("markov", "webinar", 50.0)]
    credits = pd.DataFrame(rows, columns=["model", "channel", "revenue"])
    text = insights.attribution(credits)
    assert text.startswith("Last touch overvalues email: it gets 80.0% of revenue under last touch and 50.0%")


def test_experiments_scale_a_win_or_wait_for_data():
    base = {"experiment_name": ["A", "B"], "metric": ["purchase_rate"] * 2, "lift": [0.02, 0.05],
            "lift_ci_low": [0.01, -0.02], "lift_ci_high": [0.03, 0.12], "is_significant": [True, False]}
    assert insights.experiments(pd.DataFrame(base)).startswith("Scale A: purchase_rate +2.0 pts")
    none = pd.DataFrame({**base, "is_significant": [False, False]})
    assert insights.experiments(none).startswith("No significant lift yet; B (purchase_rate) is the least certain")


def test_experiments_scale_a_win_on_the_outcome_the_experiment_was_designed_to_move():
    rows = {"experiment_name": ["A", "B"], "metric": ["click_rate", "purchase_rate"], "lift": [0.07, 0.02],
            "lift_ci_low": [0.06, 0.001], "lift_ci_high": [0.08, 0.039], "is_significant": [True, True]}
    assert insights.experiments(pd.DataFrame(rows)).startswith("Scale A: click_rate")  # no design known
    primary = pd.DataFrame({**rows, "is_primary_outcome": [False, True]})
    assert insights.experiments(primary).startswith("Scale B: purchase_rate +2.0 pts")


def test_experiment_lifts_are_in_their_metrics_unit_and_ranked_without_one():
    """A revenue lift is dollars per customer, never "+5173151.8 pts"; a $500 lift with a wide interval
    does not outrank a clear 2-point lift just because its number is bigger."""
    rows = {"experiment_name": ["A", "C"], "metric": ["purchase_rate", "revenue_per_customer"],
            "lift": [0.02, 500.0], "lift_ci_low": [0.015, 10.0], "lift_ci_high": [0.025, 990.0],
            "is_significant": [True, True]}
    assert insights.experiments(pd.DataFrame(rows)).startswith("Scale A: purchase_rate +2.0 pts")
    only_revenue = pd.DataFrame({k: v[1:] for k, v in rows.items()})
    text = insights.experiments(only_revenue)
    assert text.startswith("Scale C: revenue_per_customer +$500 per customer against its holdout (95% interval +$10")
    assert "pts" not in text


def test_wholesalers_coach_the_biggest_book_below_average():
    eff = pd.DataFrame({"wholesaler_name": ["Ann", "Bob", "Cy"], "effect": [0.2, -0.3, -0.25],
                        "effect_pct": [0.22, -0.26, -0.22], "is_above_average": [True, False, False],
                        "is_below_average": [False, True, True], "book": [100, 40, 90], "book_at_risk": [1, 2, 9]})
    assert insights.wholesalers(eff).startswith("Coach Cy: -22.0%")


def test_audiences_fix_failures_first():
    summary = pd.DataFrame({"audience": ["aud_a"], "members": [10], "reachable": [8]})
    errors = pd.DataFrame({"sync_name": ["s1", "s2"], "kind": ["rejected rows (open)"] * 2,
                           "reason": ["bad email", "x"], "rows": [3, 7]})
    assert insights.audiences(summary, errors, pd.DataFrame({"sync_name": ["s1"]})).startswith(
        "Fix s2 first: rejected rows (open) (7 rows): x")
    empty = pd.DataFrame(columns=["sync_name", "kind", "reason", "rows"])
    assert insights.audiences(summary, empty, pd.DataFrame()).startswith("No sync has run yet: aud_a")
