"""GX suite for ml.fct_propensity_scores (written by the ML assets; read by next-best action).

Guards, per model: no score is null, and every score is a probability in [0, 1] (min and max per
model are computed in SQL, so the check costs one scan however large the table). The table may be
empty: with less history than a model's horizon no model can be trained yet, next-best action then
uses the catalog's base response rates, and the missing model is reported by the
``propensity_auc_above_floor`` check instead of blocking every audience here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from expectations._config import Thresholds

if TYPE_CHECKING:  # pragma: no cover
    import duckdb
    import pandas as pd
    from great_expectations import ExpectationSuite


@dataclass(frozen=True)
class PropensityScoresSuite:
    name: str = "ml_fct_propensity_scores"
    schema: str = "ml"
    table: str = "fct_propensity_scores"

    def frame(self, con: duckdb.DuckDBPyConnection, th: Thresholds | None = None) -> pd.DataFrame:
        return con.sql(
            f"select model, count(*) as row_count, count(*) - count(score) as null_scores, "
            f"min(score)::double as min_score, max(score)::double as max_score "
            f"from {self.schema}.{self.table} group by model order by model").df()

    def suite(self, th: Thresholds, frame_columns: Sequence[str] = ()) -> ExpectationSuite:
        import great_expectations as gx
        import great_expectations.expectations as gxe

        return gx.ExpectationSuite(name=self.name, expectations=[
            gxe.ExpectColumnValuesToBeBetween(column="min_score", min_value=0, max_value=1),
            gxe.ExpectColumnValuesToBeBetween(column="max_score", min_value=0, max_value=1),
            gxe.ExpectColumnValuesToBeBetween(column="null_scores", min_value=0, max_value=0),
        ])


SUITE = PropensityScoresSuite()
