"""Numbers for people: thousands separators, percentages, currency (USD). Counts and shares reuse the CLI's
rule (orchestration.formatting.human); money is the dashboard's own: compact above a million."""

from __future__ import annotations

import math

from orchestration.formatting import COUNT, SHARE, human


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def count(value) -> str:
    return "n/a" if _missing(value) else human(round(float(value)), COUNT)


def pct(value, points: bool = False) -> str:
    """0.123 -> 12.3%; with points=True a difference of rates: +1.2 pts."""
    if _missing(value):
        return "n/a"
    if points:
        return f"{float(value) * 100:+.1f} pts"
    return human(value, SHARE)


# Experiment metrics measured in money per person (agg_experiment_results); every other metric is a rate.
MONEY_METRICS = frozenset({"revenue_per_customer"})


def lift(value, metric: str) -> str:
    """An experiment's lift in its metric's unit: +$12 per customer for money, +1.2 pts for a rate."""
    if metric not in MONEY_METRICS or _missing(value):
        return pct(value, points=True)
    return ("+" if float(value) >= 0 else "") + money(value) + " per customer"


def money(value) -> str:
    """$1,234 below a million, $1.23M and $1.23B above."""
    if _missing(value):
        return "n/a"
    v = float(value)
    sign = "-" if v < 0 else ""
    v = abs(v)
    if v >= 1e9:
        return f"{sign}${v / 1e9:,.2f}B"
    if v >= 1e6:
        return f"{sign}${v / 1e6:,.2f}M"
    return f"{sign}${v:,.0f}"


def days(value) -> str:
    return "n/a" if _missing(value) else f"{float(value):,.0f} days"
