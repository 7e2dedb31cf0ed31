"""GX suite for each audience model (``activation.aud_<name>``): its size stays within bounds relative to
the last run in which this check passed. An audience that halves overnight is far more often a broken
join or a failed upstream load than a real change, and a mirror sync would then remove half the
destination; the sync waits until a human has looked (or the bounds are widened in QualityConfig).

The frame is one row: ``size`` (distinct customers, or rows when there is no customer_id column),
``previous_size`` (from ops.quality_results) and ``size_ratio`` (null when there is nothing to compare
or the audience is too small for a ratio to mean anything; nulls pass).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from expectations._config import Thresholds
from expectations._marts import columns_of, relation_exists

if TYPE_CHECKING:  # pragma: no cover
    import duckdb
    import pandas as pd
    from great_expectations import ExpectationSuite

RESULTS_TABLE = "ops.quality_results"


def previous_size(con: duckdb.DuckDBPyConnection, suite: str, asset: str) -> float | None:
    """The size recorded by the latest run in which the ratio expectation passed for this audience."""
    if not relation_exists(con, "ops", "quality_results"):
        return None
    row = con.execute(
        f"""select try_cast(s.observed_value as double)
            from {RESULTS_TABLE} s
            join {RESULTS_TABLE} r on r.run_id = s.run_id and r.suite = s.suite and r.asset = s.asset
            where s.suite = ? and s.asset = ? and s.column_name = 'size'
              and r.column_name = 'size_ratio' and r.success
            order by s.checked_at desc limit 1""", [suite, asset]).fetchall()
    return row[0][0] if row else None


@dataclass(frozen=True)
class AudienceSizeSuite:
    model: str  # e.g. aud_newcomer_onboarding
    schema: str = "activation"

    @property
    def name(self) -> str:
        return f"activation_{self.model}"

    @property
    def asset(self) -> str:
        return f"{self.schema}.{self.model}"

    def frame(self, con: duckdb.DuckDBPyConnection, th: Thresholds | None = None) -> pd.DataFrame:
        import pandas as pd

        th = th or Thresholds()
        cols = columns_of(con, self.schema, self.model)
        measure = "count(distinct customer_id)" if "customer_id" in cols else "count(*)"
        size = con.execute(f"select {measure} from {self.schema}.{self.model}").fetchall()[0][0]
        prev = previous_size(con, self.name, self.asset)
        ratio = None
        if prev is not None and max(prev, size) >= th.audience_min_size_to_compare:
            ratio = (size / prev) if prev else float("inf")
        return pd.DataFrame({"size": [int(size)], "previous_size": [prev],
                             "size_ratio": pd.array([ratio], dtype="Float64")})

    def suite(self, th: Thresholds, frame_columns: Sequence[str] = ()) -> ExpectationSuite:
        import great_expectations as gx
        import great_expectations.expectations as gxe

        return gx.ExpectationSuite(name=self.name, expectations=[
            # Always passes; it records the size so the next run has something to compare with.
            gxe.ExpectColumnMaxToBeBetween(column="size", min_value=0),
            gxe.ExpectColumnValuesToBeBetween(
                column="size_ratio", min_value=th.audience_min_ratio, max_value=th.audience_max_ratio,
                meta={"what": "size relative to the last passing run"}),
        ])
