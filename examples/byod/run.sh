#!/usr/bin/env bash
# Worked bring-your-own-data example, end to end, in a scratch folder (never the demo warehouse):
#   examples/byod/run.sh telco|shoppers [WORKDIR] [-- extra mapper options, e.g. --limit 500 or --src FILE]
# Maps the public dataset onto the raw contract, then runs the whole pipeline (`cjo run`: landing, dbt,
# ML models included, quality, publishing) with every path, the Dagster instance and the model files
# inside WORKDIR. Prints the customers staged, what was quarantined and ml.model_runs (the holdout ROC
# AUC beside the logistic baseline and recency alone). See docs/bring-your-own-data.md.
set -euo pipefail

dataset=${1:?usage: examples/byod/run.sh telco|shoppers [WORKDIR] [-- mapper options]}
shift
workdir=${TMPDIR:-/tmp}/cjo-byod-$dataset
if [[ $# -gt 0 && $1 != -- ]]; then workdir=$1; shift; fi
if [[ ${1:-} == -- ]]; then shift; fi

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bin=$repo/.venv/bin
mkdir -p "$workdir"
workdir=$(cd "$workdir" && pwd)
export CJO_RAW_DIR=$workdir/raw CJO_LANDING_DIR=$workdir/landing CJO_DUCKDB_PATH=$workdir/cjo.duckdb
export CJO_PUBLISH_DIR=$workdir/published CJO_STATE_DIR=$workdir/state CJO_EXPORT_DIR=$workdir/exports
export DAGSTER_HOME=$workdir/dagster_home DBT_SEND_ANONYMOUS_USAGE_STATS=false
# The source's customer ids are authoritative: identity never merges two of them (Telco's synthetic
# phones collide; 7,043 customers in must be 7,043 out).
export CJO_CRM_IDS_AUTHORITATIVE=true
case $dataset in
  # A subscription business has no prospects: churn is the model it expects.
  telco) export CJO_PROPENSITY_MODELS='["churn"]' ;;
  # Anonymous sessions: a visitor who buys identifies at checkout; conversion is the model.
  shoppers) export CJO_PROPENSITY_MODELS='["conversion"]' ;;
  *) echo "unknown dataset: $dataset (telco or shoppers)" >&2; exit 2 ;;
esac
cd "$repo"

echo "== map $dataset -> $CJO_RAW_DIR"
"$bin/python" -m cjo_data.byod "$dataset" --out "$CJO_RAW_DIR" "$@"
echo "== cjo run (full pipeline) -> $CJO_DUCKDB_PATH"
status=0
"$bin/cjo" run --job full_pipeline || status=$?
echo "== result"
"$bin/python" - <<'PY'
import os

import duckdb

with duckdb.connect(os.environ["CJO_DUCKDB_PATH"], read_only=True) as con:
    for name in ("staging.stg_crm__advisors", "staging.stg_crm__customer_attributes", "staging.stg_crm__sales",
                 "staging.stg_marketing__web_events", "marts.dim_customers"):
        print(f"{name:<40} {con.execute(f'select count(*) from {name}').fetchall()[0][0]:>9} rows")
    rows = con.execute("select source_table, reason_code, count(*) from marts.fct_quarantined_rows "
                       "group by all order by all").fetchall()
    print("quarantined:", rows or "none")
    try:
        runs = con.execute("select * from ml.model_runs order by run_at desc, model").df()
        # a model that was skipped (e.g. abandonment without applications) has no single-feature scan
        wanted = ["model", "holdout_roc_auc", "baseline_roc_auc", "recency_only_roc_auc", "pr_auc", "brier",
                  "n_train", "n_test", "single_feature_warning"]
        print(runs[[c for c in wanted if c in runs.columns]].to_string(index=False))
    except duckdb.Error as exc:
        print("no ml.model_runs:", exc)
PY
exit $status
