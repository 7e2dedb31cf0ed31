#!/usr/bin/env bash
# Worked bring-your-own-data example, end to end, in a scratch folder (never the demo warehouse):
#   examples/byod/run.sh telco|shoppers|both [WORKDIR] [-- extra mapper options, e.g. --limit 500]
# Maps the public dataset(s) onto the raw contract, lands the files and builds the dbt project into
# WORKDIR/cjo.duckdb, then prints what was staged and what was quarantined. See docs/bring-your-own-data.md.
set -euo pipefail

dataset=${1:?usage: examples/byod/run.sh telco|shoppers|both [WORKDIR] [-- mapper options]}
shift
workdir=${TMPDIR:-/tmp}/cjo-byod-$dataset
if [[ $# -gt 0 && $1 != -- ]]; then workdir=$1; shift; fi
if [[ ${1:-} == -- ]]; then shift; fi

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bin=$repo/.venv/bin
export CJO_RAW_DIR=$workdir/raw CJO_LANDING_DIR=$workdir/landing CJO_DUCKDB_PATH=$workdir/cjo.duckdb
export DBT_SEND_ANONYMOUS_USAGE_STATS=false
mkdir -p "$workdir"
cd "$repo"

case $dataset in
  telco|shoppers) datasets=("$dataset") ;;
  both) datasets=(telco shoppers) ;;
  *) echo "unknown dataset: $dataset (telco, shoppers or both)" >&2; exit 2 ;;
esac

for d in "${datasets[@]}"; do
  echo "== map $d -> $CJO_RAW_DIR"
  "$bin/python" -m cjo_data.byod "$d" --out "$CJO_RAW_DIR" "$@"
done
echo "== land -> $CJO_LANDING_DIR"
"$bin/python" -m orchestration.landing --raw "$CJO_RAW_DIR" --landing "$CJO_LANDING_DIR"
echo "== dbt build -> $CJO_DUCKDB_PATH"
# A private target path: other dbt commands in the repo keep their own parse state.
"$bin/dbt" build --quiet --target-path "$workdir/target" --log-path "$workdir/logs"
echo "== result"
"$bin/python" - <<'PY'
import os

import duckdb

with duckdb.connect(os.environ["CJO_DUCKDB_PATH"], read_only=True) as con:
    for name in ("stg_crm__advisors", "stg_crm__sales", "stg_privacy__consent_events", "stg_marketing__web_events"):
        print(f"{name:<32} {con.execute(f'select count(*) from staging.{name}').fetchall()[0][0]:>9} rows")
    rows = con.execute("select source_table, reason_code, count(*) from marts.fct_quarantined_rows "
                       "group by all order by all").fetchall()
    print("quarantined:", rows or "none")
PY
