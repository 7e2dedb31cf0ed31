#!/usr/bin/env bash
# Generate a small demo dataset, land it and `dbt build` it into its own DuckDB file.
# Usage: scripts/build_fixture.sh DIR ADVISORS DAYS SEED
set -euo pipefail
dir=${1:-tests/output/fixture}; advisors=${2:-1500}; days=${3:-120}; seed=${4:-7}
bin=.venv/bin
rm -rf "$dir/raw" "$dir/landing" "$dir/warehouse.duckdb" "$dir/published"
mkdir -p "$dir"
export CJO_RAW_DIR="$dir/raw" CJO_LANDING_DIR="$dir/landing" CJO_DUCKDB_PATH="$dir/warehouse.duckdb"
export CJO_PUBLISH_DIR="$dir/published" CJO_STATE_DIR="$dir/state"
export DBT_SEND_ANONYMOUS_USAGE_STATS=false
start=$(date +%s)
$bin/python -m cjo_data.generate --advisors "$advisors" --days "$days" --seed "$seed" --out "$dir/raw"
$bin/python -m orchestration.landing
$bin/dbt build --quiet || { echo "dbt build on the fixture failed" >&2; exit 1; }
echo "fixture built in $(( $(date +%s) - start ))s: $dir"
