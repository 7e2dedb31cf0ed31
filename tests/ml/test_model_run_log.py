"""ml.model_runs is appended to by several models (write_table, mode append): a run whose first row has
no value in a column (a skipped model) must not stop a later typed row, and a newer column is added."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pandas as pd

from orchestration.ml import abandonment
from orchestration.ml.assets import write_table


def test_a_skipped_models_row_first_does_not_block_the_typed_rows_after_it():
    # The Telco example has no applications: the abandonment model is skipped and its row (no champion,
    # no AUC) is the first of ml.model_runs. The churn row after it failed: "Unimplemented type for cast
    # (VARCHAR -> NULL) ... column champion".
    con = duckdb.connect()
    skipped = abandonment.model_run_row(abandonment.Evaluation(skipped="no applications"), datetime(2026, 1, 1), 48)
    write_table(con, "ml.model_runs", pd.DataFrame([skipped]), mode="append")
    churn = {**skipped, "model": "churn", "champion": "logistic", "roc_auc": 0.74, "pr_auc": 0.6, "brier": 0.2,
             "hgb_roc_auc": 0.73, "baseline_roc_auc": 0.74, "holdout_roc_auc": 0.74}
    write_table(con, "ml.model_runs", pd.DataFrame([churn]), mode="append")
    types = dict(con.execute("select column_name, data_type from information_schema.columns "
                             "where table_name = 'model_runs'").fetchall())
    assert types["champion"] == "VARCHAR" and types["roc_auc"] == "DOUBLE" and types["holdout_roc_auc"] == "DOUBLE"
    rows = con.execute("select model, champion, roc_auc, holdout_roc_auc from ml.model_runs order by model").fetchall()
    assert rows == [("abandonment", None, None, None), ("churn", "logistic", 0.74, 0.74)]
