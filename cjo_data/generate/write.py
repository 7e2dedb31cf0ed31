"""Writing: clean frames + dirt -> raw files laid out as the contract says, formatted by DuckDB.

Every table is a dict of numpy arrays (codes, epoch seconds, dense ids) plus a few Arrow string
columns taken from lookups. DuckDB turns them into the contract's text columns (ids, enums,
timestamps with mixed offsets, email and phone variants, malformed values) and writes one file per
delivery, ordered by a row number so that the bytes are the same for the same seed.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from cjo_data.generate.dirt import BAD_AMOUNT_NEGATIVE, BAD_AMOUNT_TEXT, BAD_DATE, BAD_ENUM

BAD_DATES = "['2025-13-45', 'yesterday', '31/02/2026', '2026-02-30T25:61:00']"
BAD_AMOUNTS = "['12,5O0', '1.2k', 'n/a', '$4,OOO']"


def connect() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("set enable_progress_bar = false")
    con.execute("set preserve_insertion_order = true")
    return con


def ts_sql(col: str = "ts", fmt: str = "_tsfmt", bad: str | None = "_bad") -> str:
    """An epoch-seconds column as ISO 8601 text: Z, +00:00, -05:00 (local time shifted, so the instant is
    right) or no offset (UTC implied)."""
    t = f"make_timestamp({col}::bigint * 1000000)"
    t5 = f"make_timestamp(({col}::bigint - 18000) * 1000000)"
    expr = (f"case {fmt} when 0 then strftime({t}, '%Y-%m-%dT%H:%M:%SZ') "
            f"when 1 then strftime({t}, '%Y-%m-%dT%H:%M:%S+00:00') "
            f"when 2 then strftime({t5}, '%Y-%m-%dT%H:%M:%S-05:00') "
            f"else strftime({t}, '%Y-%m-%d %H:%M:%S') end")
    if bad:
        expr = f"case when {bad} = {BAD_DATE} then ({BAD_DATES})[1 + (_id % 4)::int] else {expr} end"
    return expr


def email_sql(col: str, var: str = "_emailvar") -> str:
    """Case and whitespace variants of a canonical email (all normalize back with lower(trim()))."""
    return (f"case {var} when 0 then {col} when 1 then upper({col}) "
            f"when 2 then upper({col}[1]) || {col}[2:] when 3 then '  ' || {col} || ' ' "
            f"else split_part({col}, '@', 1) || '@' || upper(split_part({col}, '@', 2)) end")


def phone_sql(col: str, fmt: str) -> str:
    """A 10-digit number in one of five common US formats (all normalize to +1XXXXXXXXXX)."""
    p = col
    return (f"case when {p} is null then null when {fmt} = 0 then '(' || {p}[1:3] || ') ' || {p}[4:6] || '-' "
            f"|| {p}[7:10] when {fmt} = 1 then {p}[1:3] || '.' || {p}[4:6] || '.' || {p}[7:10] "
            f"when {fmt} = 2 then '+1 ' || {p}[1:3] || ' ' || {p}[4:6] || ' ' || {p}[7:10] "
            f"when {fmt} = 3 then {p} else '1-' || {p}[1:3] || '-' || {p}[4:6] || '-' || {p}[7:10] end")


def enum_sql(col: str, values: tuple[str, ...], bad_value: str | None = None) -> str:
    lst = "[" + ", ".join(f"'{v}'" for v in values) + "]"
    expr = f"{lst}[{col}::int + 1]"
    if bad_value:
        expr = f"case when _bad = {BAD_ENUM} then '{bad_value}' else {expr} end"
    return expr


def amount_sql(col: str = "amount") -> str:
    return (f"case when _bad = {BAD_AMOUNT_TEXT} then ({BAD_AMOUNTS})[1 + (_id % 4)::int] "
            f"when _bad = {BAD_AMOUNT_NEGATIVE} then '-' || printf('%.2f', {col}) "
            f"else printf('%.2f', {col}) end")


def nullable(expr: str, flag: str = "_null") -> str:
    return f"case when {flag} then null else {expr} end"


def to_arrow(frame: dict[str, np.ndarray | pa.Array]) -> pa.Table:
    return pa.table({k: (v if isinstance(v, pa.Array | pa.ChunkedArray) else pa.array(v))
                     for k, v in frame.items()})


def copy_to(con: duckdb.DuckDBPyConnection, data: pa.Table, select_sql: str, path: Path, fmt: str) -> int:
    """Write ``select_sql`` (reading the relation ``t``) to ``path`` atomically; returns the row count."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con.register("t", data)
    tmp = path.with_name(f".{path.name}.tmp")
    if fmt == "parquet":
        opts = "(format parquet, compression zstd, row_group_size 500000)"
    elif fmt == "csv.gz":
        opts = "(format csv, header true, delimiter ',', compression gzip)"
    else:
        opts = "(format csv, header true, delimiter ',')"
    con.execute(f"copy ({select_sql}) to '{tmp}' {opts}")
    con.unregister("t")
    os.replace(tmp, path)
    return data.num_rows


def file_name(k: int, label: str, fmt: str) -> str:
    return f"delivery_{k + 1:03d}_{label}.{fmt}"


def write_deliveries(con: duckdb.DuckDBPyConnection, frame: dict, select_sql: str, folder: Path, fmt: str,
                     labels: list[str]) -> list[Path]:
    """One file per delivery (frame['_delivery']), rows in frame order (sorted by delivery)."""
    data = to_arrow(frame)
    deliv = np.asarray(frame["_delivery"])
    bounds = np.searchsorted(deliv, np.arange(len(labels) + 1))
    written: list[Path] = []
    for k in range(len(labels)):
        lo, hi = int(bounds[k]), int(bounds[k + 1])
        if hi <= lo and (k > 0 or len(deliv) > 0):
            continue  # no empty deliveries; a table without any row still gets one (header-only) file
        path = folder / file_name(k, labels[k], fmt)
        copy_to(con, data.slice(lo, hi - lo), select_sql + " order by _rn", path, fmt)
        written.append(path)
    return written
