"""Shared pieces of the marts suites: they validate AGGREGATES computed in SQL, never whole tables.

A mart can hold millions of rows; pandas and GX see only a one-row (or one-row-per-group) frame of
counts, minima and maxima that DuckDB computes. Invariants GX cannot express on an aggregate stay in
dbt tests.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import duckdb


def columns_of(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[str]:
    rows = con.execute(
        "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
        "order by ordinal_position", [schema, table]).fetchall()
    return [r[0] for r in rows]


def relation_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(columns_of(con, schema, table))


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
