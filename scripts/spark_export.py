"""Export every table of the given Spark databases to Parquet (run with .venv-spark's python, from the
project folder, after scripts/spark_check.sh built them): <out>/<database>/<table>/part-*.parquet.

Usage: .venv-spark/bin/python scripts/spark_export.py OUT_DIR DATABASE [DATABASE ...]
"""

from __future__ import annotations

import sys

from pyspark.sql import SparkSession


def main(out: str, databases: list[str]) -> int:
    # The same local session and Derby metastore that dbt-spark's `session` method used; UTC as in DuckDB.
    spark = (SparkSession.builder.enableHiveSupport().config("spark.sql.session.timeZone", "UTC")
             .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS").getOrCreate())
    n = 0
    for db in databases:
        for t in spark.catalog.listTables(db):
            spark.table(f"{db}.{t.name}").write.mode("overwrite").parquet(f"{out}/{db}/{t.name}")
            n += 1
    print(f"exported {n} tables of {', '.join(databases)} to {out}")
    spark.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1], sys.argv[2:]))
