"""GX suite for fct_next_best_actions (the decisions activation sends).

``score`` there is an expected value (probability x value - cost), not a probability, so [0, 1] does not
apply to it; it must not be null. Columns that ARE probabilities (any column whose name contains
``probab``, ``propensity`` or ``p_response``) must lie in [0, 1]. Arbitration allows at most one action per customer per
day: the count of (customer, day) pairs with more than one action must be 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from expectations._config import Thresholds
from expectations._marts import columns_of, ident

if TYPE_CHECKING:  # pragma: no cover
    import duckdb
    import pandas as pd
    from great_expectations import ExpectationSuite

PROBABILITY_MARKERS = ("probab", "propensity", "p_response")


@dataclass(frozen=True)
class NextBestActionsSuite:
    name: str = "marts_fct_next_best_actions"
    schema: str = "marts"
    table: str = "fct_next_best_actions"
    model: str = "fct_next_best_actions"

    def probability_columns(self, con: duckdb.DuckDBPyConnection) -> list[str]:
        return [c for c in columns_of(con, self.schema, self.table)
                if any(m in c.lower() for m in PROBABILITY_MARKERS)]

    def frame(self, con: duckdb.DuckDBPyConnection, th: Thresholds | None = None) -> pd.DataFrame:
        probs = "".join(
            f", min({ident(c)})::double as min__{c}, max({ident(c)})::double as max__{c}"
            for c in self.probability_columns(con))
        rel = f"{self.schema}.{self.table}"
        return con.sql(
            f"select count(*) as row_count, count(*) - count(score) as null_scores, "
            f"(select count(*) from (select customer_id, cast(decided_at as date) as d from {rel} "
            f"group by 1, 2 having count(*) > 1)) as customers_with_several_actions_a_day{probs} "
            f"from {rel}").df()

    def suite(self, th: Thresholds, frame_columns: Sequence[str] = ()) -> ExpectationSuite:
        import great_expectations as gx
        import great_expectations.expectations as gxe

        exps = [
            gxe.ExpectColumnMaxToBeBetween(column="null_scores", max_value=0),
            gxe.ExpectColumnMaxToBeBetween(column="customers_with_several_actions_a_day", max_value=0,
                                           meta={"what": "at most one action per customer per day"}),
        ]
        exps += [gxe.ExpectColumnValuesToBeBetween(column=c, min_value=0, max_value=1,
                                                   meta={"what": "probability in [0, 1]"})
                 for c in frame_columns if c.startswith(("min__", "max__"))]
        return gx.ExpectationSuite(name=self.name, expectations=exps)


SUITE = NextBestActionsSuite()
