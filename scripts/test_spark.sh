#!/usr/bin/env bash
# `make test-spark`: build the fixture's landed data on DuckDB (dbt build into its own file) and on Spark
# (scripts/spark_check.sh), export
# Spark's marts to Parquet, and compare every mart row for row (scripts/spark_compare.py). Prints each
# engine's build time; writes tests/output/spark/compare.json. Not part of `make test` (PySpark ~400 MB,
# several minutes); see docs/scaling.md.
set -uo pipefail
cd "$(dirname "$0")/.."
fixture=${1:-tests/output/fixture}
out=tests/output/spark; mkdir -p "$out"
duck="$out/duckdb.duckdb"; rm -f "$duck"
start=$(date +%s)
CJO_LANDING_DIR=$(realpath "$fixture/landing") CJO_DUCKDB_PATH="$duck" DBT_SEND_ANONYMOUS_USAGE_STATS=false \
  .venv/bin/dbt build --quiet --target-path target-duck-compare > "$out/duckdb_build.log" 2>&1 \
  || { echo "dbt build on DuckDB failed (see $out/duckdb_build.log)" >&2; exit 1; }
duck_seconds=$(( $(date +%s) - start ))
start=$(date +%s)
bash scripts/spark_check.sh "$fixture/landing"; spark_status=$?
spark_seconds=$(( $(date +%s) - start ))
rm -rf "$out/export"
.venv-spark/bin/python scripts/spark_export.py "$out/export" marts activation > "$out/export.log" 2>&1 \
  || { echo "export from Spark failed (see $out/export.log)" >&2; exit 1; }
.venv/bin/python scripts/spark_compare.py "$duck" "$out/export" --json "$out/compare.json"
compare_status=$?
echo "build time: DuckDB ${duck_seconds} s (dbt build), Spark ${spark_seconds} s (dbt seed, register, run, test)" \
  | tee "$out/times.txt"
[ $spark_status -eq 0 ] && [ $compare_status -eq 0 ]
