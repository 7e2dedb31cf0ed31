"""Erasure in the live warehouse: every table of every schema, found by value, not by a list of models.

A row is the person's when one of its text cells (text, JSON, lists and structs, as text) equals one of
their values (an email, an E.164 phone, an advisor id, a cookie id, a customer id, an ad hash) or
mentions one as a whole token inside text (a payload, a rejected raw line, a check's example:
``files.text_tokens``). Such
rows are deleted, in staging/intermediate/marts/activation/ml/ops and history alike (the membership
history, the next-best-action history), except:

- ``KEPT_UNTIL_REMOVED``: the sync state of a destination that still holds the person. The sync engine
  needs the key to delete them there (its privacy removal, the next time the sync runs) and drops the
  row once the destination acknowledged. ``pending_removals`` counts them for ``cjo status``.
- ``PSEUDONYMIZED``: the sync audit log keeps its rows (what was sent, rejected and deleted, per run)
  but every cell naming the person becomes ``erased:<salted hash>``, now and in every later run (a
  delete sent after the erasure is logged with the key, and pseudonymized by the next erasure pass).
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from orchestration.privacy.files import EDGE, mentioning_rows_sql, values_relation
from orchestration.privacy.ledger import SALTED_HASH_SQL

KEPT_UNTIL_REMOVED = {("ops", "sync_state"), ("ops", "sync_inflight")}
PSEUDONYMIZED = {("ops", "sync_row_results"), ("ops", "sync_rejected_rows"), ("ops", "sync_planned_diffs"),
                 ("ops", "sync_runs")}
ERASED_PREFIX = "erased:"
_NOT_TEXT = ("BOOLEAN", "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
             "UINTEGER", "UBIGINT", "FLOAT", "DOUBLE", "DATE", "TIME", "TIMESTAMP", "INTERVAL", "BLOB",
             "DECIMAL", "UUID", "BIT")


def _qi(ident: str) -> str:
    return '"' + ident.replace('"', '""') + '"'


def text_columns(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], list[str]]:
    """{(schema, table): text-like columns} of every base table of the live database."""
    rows = con.execute(
        "select c.table_schema, c.table_name, c.column_name, c.data_type from information_schema.columns c "
        "join information_schema.tables t using (table_catalog, table_schema, table_name) "
        "where t.table_type = 'BASE TABLE' and c.table_catalog = current_database() "
        "order by 1, 2, c.ordinal_position").fetchall()
    out: dict[tuple[str, str], list[str]] = {}
    for schema, table, column, dtype in rows:
        cols = out.setdefault((schema, table), [])
        if not dtype.upper().startswith(_NOT_TEXT):
            cols.append(column)
    return out


def _cell(column: str) -> str:
    return f"lower(trim(cast({_qi(column)} as varchar)))"


def _matches(name: str, column: str, has_tokens: bool, with_ledger: bool) -> str:
    c = _cell(column)
    parts = [f"{c} in (select v from _erase_values)"]
    if has_tokens:
        parts.append(f"rowid in ({mentioning_rows_sql(name, 'rowid', c)})")
    if with_ledger:
        parts.append(f"({c} not like '{ERASED_PREFIX}%' and "
                     f"{SALTED_HASH_SQL.format(expr=_qi(column))} in (select identifier_hash from _erasure_ledger))")
    return "coalesce(" + " or ".join(parts) + ", false)"


def scrub(con: duckdb.DuckDBPyConnection, values: set[str], tokens: frozenset[str], salt: str,
          ledger_table: pa.Table) -> tuple[dict[str, int], int]:
    """Delete the forgotten people's rows everywhere (pseudonymize them in the sync audit log).
    Returns ({schema.table: rows deleted}, audit cells pseudonymized)."""
    con.register("_erase_values", values_relation(values))
    con.register("_erase_tokens", values_relation(tokens))
    con.register("_erasure_ledger", ledger_table)
    deleted: dict[str, int] = {}
    pseudonymized = 0
    params = {"edge": EDGE} if tokens else {}
    try:
        for (schema, table), cols in text_columns(con).items():
            if (schema, table) in KEPT_UNTIL_REMOVED or not cols:
                continue
            name = f"{_qi(schema)}.{_qi(table)}"
            if (schema, table) in PSEUDONYMIZED:
                pseudonymized += _pseudonymize(con, name, cols, params, salt)
                continue
            if not values:
                continue
            where = " or ".join(_matches(name, c, bool(tokens), False) for c in cols)
            n = con.execute(f"delete from {name} where {where}", params).fetchall()[0][0]
            if n:
                deleted[f"{schema}.{table}"] = n
    finally:
        for view in ("_erase_values", "_erase_tokens", "_erasure_ledger"):
            con.unregister(view)
    return deleted, pseudonymized


def _pseudonymize(con: duckdb.DuckDBPyConnection, name: str, cols: list[str], params: dict, salt: str) -> int:
    total = 0
    for c in cols:
        total += con.execute(
            f"update {name} set {_qi(c)} = '{ERASED_PREFIX}' || {SALTED_HASH_SQL.format(expr=_qi(c))} "
            f"where {_matches(name, c, 'edge' in params, True)}", params | {"salt": salt}).fetchall()[0][0]
    return total


def remaining(con: duckdb.DuckDBPyConnection, values: set[str]) -> dict[str, int]:
    """Rows still holding one of the values as a whole cell, per table (the kept sync state excepted):
    the erasure's own check, after the scrub."""
    if not values:
        return {}
    con.register("_erase_values", values_relation(values))
    out = {}
    try:
        for (schema, table), cols in text_columns(con).items():
            if (schema, table) in KEPT_UNTIL_REMOVED or not cols:
                continue
            where = " or ".join(f"{_cell(c)} in (select v from _erase_values)" for c in cols)
            n = con.execute(f"select count(*) from {_qi(schema)}.{_qi(table)} where {where}").fetchall()[0][0]
            if n:
                out[f"{schema}.{table}"] = n
    finally:
        con.unregister("_erase_values")
    return out


def pending_removals(con: duckdb.DuckDBPyConnection, salt: str, ledger_table: pa.Table) -> int:
    """Sync state rows of forgotten people: destinations that still hold them until the next sync run."""
    have = {t for t in text_columns(con)}
    if ("ops", "sync_state") not in have or not len(ledger_table):
        return 0
    con.register("_erasure_ledger", ledger_table)
    try:
        return con.execute(
            f"select count(*) from ops.sync_state where {SALTED_HASH_SQL.format(expr='customer_id')} in "
            f"(select identifier_hash from _erasure_ledger where kind = 'customer')", {"salt": salt}).fetchall()[0][0]
    finally:
        con.unregister("_erasure_ledger")
