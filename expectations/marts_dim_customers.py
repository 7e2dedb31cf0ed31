"""GX suite for marts.dim_customers (the customer-360 that every audience and sync reads).

Guards: one row per customer, no null customer id, consent flags never null (a null consent would be
read as "unknown" by one consumer and "allowed" by another), and the table is not empty.
The consent columns are found by name (every column containing ``consent``), so a new channel is
guarded without a code change; finding none fails the suite rather than passing vacuously.
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


@dataclass(frozen=True)
class DimCustomersSuite:
    name: str = "marts_dim_customers"
    schema: str = "marts"
    table: str = "dim_customers"
    model: str = "dim_customers"

    def consent_columns(self, con: duckdb.DuckDBPyConnection) -> list[str]:
        return [c for c in columns_of(con, self.schema, self.table) if "consent" in c.lower()]

    def frame(self, con: duckdb.DuckDBPyConnection, th: Thresholds | None = None) -> pd.DataFrame:
        consent = self.consent_columns(con)
        nulls = "".join(f", count(*) - count({ident(c)}) as null__{c}" for c in consent)
        return con.sql(
            f"select count(*) as row_count, count(*) - count(distinct customer_id) as duplicate_customer_ids, "
            f"count(*) - count(customer_id) as null_customer_ids, {len(consent)} as consent_columns_found"
            f"{nulls} from {self.schema}.{self.table}").df()

    def suite(self, th: Thresholds, frame_columns: Sequence[str] = ()) -> ExpectationSuite:
        import great_expectations as gx
        import great_expectations.expectations as gxe

        exps = [
            gxe.ExpectColumnMinToBeBetween(column="row_count", min_value=1),
            gxe.ExpectColumnMaxToBeBetween(column="duplicate_customer_ids", max_value=0,
                                           meta={"what": "one row per customer"}),
            gxe.ExpectColumnMaxToBeBetween(column="null_customer_ids", max_value=0),
            gxe.ExpectColumnMinToBeBetween(column="consent_columns_found", min_value=1),
        ]
        exps += [gxe.ExpectColumnMaxToBeBetween(column=c, max_value=0, meta={"what": "consent never null"})
                 for c in frame_columns if c.startswith("null__")]
        return gx.ExpectationSuite(name=self.name, expectations=exps)


SUITE = DimCustomersSuite()
