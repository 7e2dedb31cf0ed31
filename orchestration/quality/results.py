"""``ops.quality_results``: every expectation outcome of every check, kept without limit, so a history
exists beyond the Dagster UI. Also the two readers ``cjo status`` uses: ``latest_results`` and
``quarantine_counts``.

All functions take an open DuckDB connection and never keep it: the caller opens it as late and closes
it as early as it can (one writer; even a reader blocks it).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import duckdb
    import pandas as pd

    from orchestration.quality.runner import SuiteResult

TABLE = "ops.quality_results"
COLUMNS = ("run_id", "suite", "asset", "batch", "expectation", "column_name", "success", "observed_value",
           "description", "checked_at")
_DDL = f"""
create table if not exists {TABLE} (
    run_id varchar not null,        -- Dagster run id (or 'adhoc-...' outside Dagster)
    suite varchar not null,         -- expectation suite name, e.g. raw_crm__sales
    asset varchar not null,         -- guarded table, e.g. crm.sales, marts.dim_customers
    batch varchar,                  -- what was validated: a landed delivery file, or 'aggregate'
    expectation varchar not null,   -- GX expectation type
    column_name varchar,            -- the column it looks at (null for table-level expectations)
    success boolean not null,
    observed_value varchar,         -- readable observed value (number, or 'n of m unexpected: [...]')
    description varchar,            -- what the expectation guards, in words
    checked_at timestamp not null   -- UTC
)
"""


def ensure_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists ops")
    con.execute(_DDL)


def rows_for(run_id: str, results: Iterable[SuiteResult], checked_at: datetime | None = None) -> list[tuple]:
    ts = (checked_at or datetime.now(UTC)).replace(tzinfo=None)
    return [
        (run_id, r.suite, r.asset, r.batch, o.expectation, o.column_name, o.success, o.observed_value,
         o.description, ts)
        for r in results for o in r.outcomes
    ]


def write_results(con: duckdb.DuckDBPyConnection, run_id: str, results: Iterable[SuiteResult],
                  checked_at: datetime | None = None) -> int:
    """Append the outcomes; returns the number of rows written."""
    rows = rows_for(run_id, results, checked_at)
    ensure_table(con)
    if rows:
        con.executemany(f"insert into {TABLE} ({', '.join(COLUMNS)}) values ({', '.join('?' * len(COLUMNS))})",
                        rows)
    return len(rows)


def _exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(con.execute(
        "select 1 from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table]).fetchall())


def latest_results(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The latest check of every (asset, suite): one row per expectation outcome of that check, failures
    first. Empty frame (same columns) when nothing has been checked yet."""
    import pandas as pd

    if not _exists(con, "ops", "quality_results"):
        return pd.DataFrame(columns=list(COLUMNS))
    return con.sql(f"""
        with latest as (
            select asset, suite, max(checked_at) as checked_at from {TABLE} group by asset, suite
        )
        select q.{', q.'.join(COLUMNS)}
        from {TABLE} q join latest l using (asset, suite, checked_at)
        order by q.success, q.asset, q.suite, q.batch, q.column_name nulls first, q.expectation
    """).df()


def latest_summary(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per (asset, suite) of the latest check: passed, expectations, failed, checked_at."""
    import pandas as pd

    cols = ["asset", "suite", "passed", "expectations", "failed", "checked_at", "run_id"]
    if not _exists(con, "ops", "quality_results"):
        return pd.DataFrame(columns=cols)
    return con.sql(f"""
        with latest as (
            select asset, suite, max(checked_at) as checked_at from {TABLE} group by asset, suite
        )
        select q.asset, q.suite, bool_and(q.success) as passed, count(*) as expectations,
               count(*) filter (where not q.success) as failed, q.checked_at, any_value(q.run_id) as run_id
        from {TABLE} q join latest l using (asset, suite, checked_at)
        group by q.asset, q.suite, q.checked_at
        order by passed, q.asset, q.suite
    """).df()


def quarantine_counts(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Quarantined rows by source table and reason code (from marts.fct_quarantined_rows)."""
    import pandas as pd

    cols = ["source_table", "reason_code", "rows", "example_reason"]
    if not _exists(con, "marts", "fct_quarantined_rows"):
        return pd.DataFrame(columns=cols)
    return con.sql("""
        select source_table, reason_code, count(*) as rows, min(reason) as example_reason
        from marts.fct_quarantined_rows
        group by source_table, reason_code
        order by rows desc, source_table, reason_code
    """).df()
