"""The two propensity labels, their populations and their censoring rules (docs/decisioning.md).

A label must not be readable from a data gap. "No purchase in the next 90 days" is trivially true for a
customer who already stopped buying months ago, and "a first purchase in the next 30 days" is trivially
false for a prospect who went quiet long ago: a model trained on such rows learns "has gone quiet", and
recency alone scores near-perfectly. So each population only holds customers for whom the outcome is
still open at T, judged from the past alone:

- **conversion**: prospects (no purchase before T) with activity (a touch) in the ``active_days`` before
  T. Label 1: a first purchase in [T, T + horizon).
- **churn**: buyers who are not yet overdue at T: days since their last purchase <= ``overdue_factor`` x
  their usual gap between purchases (the median gap between their purchase days before T; the
  population's median when they have bought on one day only). Label 1: no purchase in [T, T + horizon).
  Buyers already overdue have lapsed before T: they are left out, not counted as easy positives.

Censoring, common to both: a snapshot is used for training only when its whole label window lies before
the journey clock (no partial windows); customers under a deletion request are not in the warehouse at
all; events after the clock are never read (the clock is the end of the data).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

# The usual gap between purchases when no customer at T has bought on two different days (days).
DEFAULT_GAP_DAYS = 30.0


@dataclass(frozen=True)
class Task:
    name: str
    horizon_days: int
    description: str
    # conversion: a record in this many days before T; churn: not used
    active_days: int = 0
    # churn: overdue after this many usual gaps; conversion: not used
    overdue_factor: float = 0.0

    @property
    def censoring(self) -> str:
        """The censoring rules of this label, as written in docs/decisioning.md."""
        common = (f"snapshots whose {self.horizon_days}-day label window ends after the journey clock are "
                  "not used for training; forgotten customers are absent")
        if self.name == "conversion":
            return (f"prospects without any touch in the {self.active_days} days before T are left out "
                    f"(not negatives); {common}")
        return (f"buyers overdue at T (days since the last purchase > {self.overdue_factor:g} x their usual "
                f"gap) are left out (not positives); {common}")


def make_tasks(conversion_horizon_days: int = 30, conversion_active_days: int = 90,
               churn_horizon_days: int = 90, churn_overdue_factor: float = 1.5) -> dict[str, Task]:
    if min(conversion_horizon_days, conversion_active_days, churn_horizon_days) < 1 or churn_overdue_factor <= 0:
        raise ValueError("label horizons and windows must be positive")
    return {
        "conversion": Task(
            "conversion", conversion_horizon_days,
            f"an active prospect (no purchase yet, a touch in the last {conversion_active_days} days) makes a "
            f"first purchase within {conversion_horizon_days} days",
            active_days=conversion_active_days),
        "churn": Task(
            "churn", churn_horizon_days,
            f"a buyer who is not overdue (last purchase within {churn_overdue_factor:g} x their usual gap) makes "
            f"no purchase within {churn_horizon_days} days",
            overdue_factor=churn_overdue_factor),
    }


TASKS: dict[str, Task] = make_tasks()


def outcome_sql(sales: str, horizons: tuple[int, ...]) -> str:
    """Per customer at ``$as_of``: purchases before T, the last one, the usual gap, and purchases in each
    label window after T."""
    windows = ",\n    ".join(
        f"count(*) filter (where traded_at >= $as_of and traded_at < $as_of + interval {h} day) "
        f"as purchases_next_{h}d" for h in sorted(set(horizons)))
    return f"""
with purchases as (
    select customer_id, traded_at, cast(traded_at as date) as traded_on
    from {sales}
    where transaction_type = 'purchase'
),
purchase_days as (
    select distinct customer_id, traded_on from purchases where traded_at < $as_of
),
gaps as (
    select customer_id, median(gap) as usual_gap_days
    from (
        select customer_id,
               date_diff('day', lag(traded_on) over (partition by customer_id order by traded_on), traded_on) as gap
        from purchase_days
    )
    where gap is not null
    group by 1
)
select
    p.customer_id,
    count(*) filter (where traded_at < $as_of) as purchases_before,
    max(traded_at) filter (where traded_at < $as_of) as last_purchase_at,
    any_value(g.usual_gap_days) as usual_gap_days,
    {windows}
from purchases p
left join gaps g on g.customer_id = p.customer_id
group by 1
"""


def population_and_labels(
    con: duckdb.DuckDBPyConnection, features: pd.DataFrame, as_of: pd.Timestamp, sales: str,
    tasks: dict[str, Task],
) -> dict[str, pd.DataFrame]:
    """Split a feature frame into each task's population with a ``label`` column (the outcome may be
    unknown when the window is still open: the caller decides whether the snapshot can be used)."""
    outcomes = con.execute(outcome_sql(sales, tuple(t.horizon_days for t in tasks.values())),
                           {"as_of": pd.Timestamp(as_of).to_pydatetime()}).df()
    f = features.merge(outcomes, on="customer_id", how="left")
    f["purchases_before"] = f["purchases_before"].fillna(0)
    out: dict[str, pd.DataFrame] = {}
    keep = [c for c in features.columns]
    for name, task in tasks.items():
        nxt = f[f"purchases_next_{task.horizon_days}d"].fillna(0)
        if name == "conversion":
            mask = (f["purchases_before"] == 0) & (f["days_since_last_activity"] <= task.active_days)
            label = (nxt > 0).astype(int)
        else:
            gap = f["usual_gap_days"].astype("float64")
            fallback = float(np.nanmedian(gap)) if gap.notna().any() else DEFAULT_GAP_DAYS
            allowed = task.overdue_factor * gap.fillna(fallback).clip(lower=1.0)
            mask = (f["purchases_before"] > 0) & (f["days_since_last_purchase"] <= allowed)
            label = (nxt == 0).astype(int)
        pop = f.loc[mask, keep].copy()
        pop["label"] = label[mask].to_numpy()
        out[name] = pop.reset_index(drop=True)
    return out
