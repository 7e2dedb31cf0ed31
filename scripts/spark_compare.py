"""Compare every mart of the DuckDB fixture build with the Spark build of the same landed data, row for row.

Usage: .venv/bin/python scripts/spark_compare.py DUCKDB_FILE SPARK_EXPORT_DIR [--json OUT]

Each table of the compared schemas (marts, activation) in the DuckDB file must exist in the export
(scripts/spark_export.py) with the same columns. Each column is first made comparable across the two
engines' types (integers as BIGINT, timestamps as UTC TIMESTAMP, floating and decimal values as DOUBLE,
everything else as text); then the rows are compared as multisets by the project's one comparison rule,
orchestration/table_diff.py (floats within a relative 1e-9: the engines add in different orders).
Columns that record WHEN a build ran (RUN_TIME_COLUMNS) are left out: the two builds ran at different
moments. Exit code 1 when a table is missing or differs.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import duckdb

from orchestration import table_diff

SCHEMAS = ("marts", "activation")
# Stamped with dbt's run_started_at (a stay opens "this run"), so they differ between any two builds.
RUN_TIME_COLUMNS = {"fct_audience_membership": ("membership_id", "entered_at", "exited_at")}
FLOATS = ("DOUBLE", "FLOAT", "REAL")
INTEGERS = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
            "UBIGINT")


def normalized(column: str, duck_type: str) -> str:
    """The SQL that makes one column comparable across the two engines' Parquet/DuckDB types."""
    c = f'"{column}"'
    if duck_type in FLOATS or duck_type.startswith("DECIMAL"):
        return f"cast({c} as double) as {c}"  # compared within table_diff's tolerance
    if duck_type in INTEGERS:
        return f"cast({c} as bigint) as {c}"
    if duck_type.startswith("TIMESTAMP"):
        return f"cast({c} as timestamp) as {c}"
    if duck_type == "DATE":
        return f"cast({c} as date) as {c}"
    if duck_type == "BOOLEAN":
        return f"cast({c} as boolean) as {c}"
    return f"cast({c} as varchar) as {c}"


def compare_table(con: duckdb.DuckDBPyConnection, schema: str, table: str, export: Path) -> dict:
    folder = export / schema / table
    if not list(folder.glob("*.parquet")):
        return {"status": "missing on spark"}
    skip = RUN_TIME_COLUMNS.get(table, ())
    duck_cols = con.execute("select column_name, data_type from information_schema.columns where "
                            "table_catalog = 'duck' and table_schema = ? and table_name = ? order by ordinal_position",
                            [schema, table]).fetchall()
    spark_rel = f"read_parquet('{folder}/*.parquet')"
    spark_cols = {r[0].lower() for r in con.execute(f"describe select * from {spark_rel}").fetchall()}
    missing = [c for c, _ in duck_cols if c.lower() not in spark_cols]
    extra = sorted(spark_cols - {c.lower() for c, _ in duck_cols})
    if missing or extra:
        return {"status": "columns differ", "missing_on_spark": missing, "extra_on_spark": extra}
    select = ", ".join(normalized(c, t) for c, t in duck_cols if c not in skip)
    d = table_diff.diff(con, f'(select {select} from duck."{schema}"."{table}")', f"(select {select} from {spark_rel})")
    out = {"status": "equal" if d.equal else "rows differ", "rows": d.rows_a, "only_duckdb": d.only_a,
           "only_spark": d.only_b}
    if skip:
        out["columns_left_out"] = list(skip)
    return out


def compare(duck_file: Path, export: Path) -> dict[str, dict]:
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    con.execute(f"attach '{duck_file}' as duck (read_only)")
    tables = con.execute("select table_schema, table_name from information_schema.tables where table_catalog = "
                         "'duck' and table_type = 'BASE TABLE' order by 1, 2").fetchall()
    return {f"{s}.{t}": compare_table(con, s, t, export) for s, t in tables if s in SCHEMAS}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("duckdb_file", type=Path)
    ap.add_argument("export_dir", type=Path)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    result = compare(args.duckdb_file, args.export_dir)
    for name, r in result.items():
        print(f"{r['status']:>16}  {name}  " + ", ".join(f"{k}={v}" for k, v in r.items() if k != "status"))
    bad = [n for n, r in result.items() if r["status"] != "equal"]
    print(f"{len(result) - len(bad)} of {len(result)} marts equal on DuckDB and Spark" +
          (f"; differ: {', '.join(bad)}" if bad else ""))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 1 if bad or not result else 0


if __name__ == "__main__":
    raise SystemExit(main())
