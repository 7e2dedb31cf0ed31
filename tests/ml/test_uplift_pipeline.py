"""The uplift hand-off on the fixture (the shared `built_warehouse`): the uplift runner reads the campaign
members from fct_campaign_member_outcomes and writes ml.fct_uplift_scores and ml.uplift_runs; dbt reads the
scores back, and with var nba_ranking = 'uplift' the ledger scores each mapped action uplift x value -
cost (the Python -> dbt seam). The fixture's hold-out is small (tens of control rows), so its Qini
figures are not judged here: tests/ml/test_uplift.py does that on a planted population, and
docs/decisioning.md reports the demo-scale measurement."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration.ml import assets as A

ROOT = Path(__file__).resolve().parents[2]
DBT = Path(sys.executable).parent / "dbt"


@pytest.fixture(scope="module")
def uplift_warehouse(built_warehouse, tmp_path_factory):
    root = tmp_path_factory.mktemp("uplift")
    db = root / "cjo.duckdb"
    shutil.copyfile(built_warehouse.duckdb_path, db)
    with duckdb.connect(str(db)) as con:
        report = A.run_uplift(con, root / "state", A.UpliftConfig())
    return db, report


def _dbt_eligibility(db: Path, target: Path, ranking: str) -> None:
    env = {**os.environ, "CJO_DUCKDB_PATH": str(db), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    proc = subprocess.run(
        [str(DBT), "run", "--quiet", "--select", "stg_ml__uplift_scores fct_action_eligibility",
         "--target-path", str(target), "--vars", f"{{nba_ranking: {ranking}}}"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]


def test_runner_writes_scores_and_the_run_log(uplift_warehouse):
    db, report = uplift_warehouse
    assert "skipped" not in report, report
    m = report["metrics"]
    assert m["split"] == "campaign_time_and_customer" and m["n_test"] > 0 and m["n_control"] > 0
    with duckdb.connect(str(db), read_only=True) as con:
        channels = {r[0] for r in con.execute("select distinct campaign_channel from ml.fct_uplift_scores").fetchall()}
        customers = con.execute("select count(distinct customer_id) from ml.fct_uplift_scores").fetchall()[0][0]
        run = con.execute("select qini, propensity_qini, random_qini, n_test from ml.uplift_runs").fetchall()
        trained_on = {r[0] for r in con.execute(
            "select distinct channel from marts.fct_campaign_member_outcomes where is_window_closed").fetchall()}
    assert channels and channels <= trained_on
    assert customers > 0.5 * report["scored_rows"] / len(channels)
    assert len(run) == 1 and run[0][3] == m["n_test"]


def test_nba_ranks_by_uplift_times_value_when_asked(uplift_warehouse, tmp_path):
    db, _ = uplift_warehouse
    _dbt_eligibility(db, tmp_path / "target", "uplift")
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("""
            select e.ranking_basis, e.score, e.uplift_score, e.response_value, e.action_cost, e.p_response,
                   u.uplift, a.uplift_campaign_channel
            from marts.fct_action_eligibility e
            join seeds.actions a using (action)
            left join ml.fct_uplift_scores u
                on u.customer_id = e.customer_id and u.campaign_channel = a.uplift_campaign_channel
            where e.journey is null""").df()
    uplift_rows = rows[rows["ranking_basis"] == "uplift"]
    assert len(uplift_rows) > 0
    # every scored mapped action is ranked by its uplift, read from the table Python wrote
    assert (uplift_rows["uplift_score"] - uplift_rows["uplift"]).abs().max() < 1e-9
    expected = uplift_rows["uplift"] * uplift_rows["response_value"] - uplift_rows["action_cost"]
    assert (uplift_rows["score"] - expected).abs().max() < 1e-6
    # actions without an uplift model, or customers without a score, keep the propensity score
    rest = rows[rows["ranking_basis"] == "propensity"]
    assert (rest["uplift_campaign_channel"].isna() | rest["uplift"].isna()).all()
    assert (rest["score"] - (rest["p_response"] * rest["response_value"] - rest["action_cost"])).abs().max() < 1e-6


def test_nba_default_ranking_is_unchanged(built_warehouse):
    """The fixture is built with the default var: every row is ranked by propensity, as before."""
    with duckdb.connect(str(built_warehouse.duckdb_path), read_only=True) as con:
        bases, decided = ({r[0] for r in con.execute(f"select distinct ranking_basis from marts.{t}").fetchall()}
                          for t in ("fct_action_eligibility", "fct_next_best_actions"))
    assert bases == {"propensity"} and decided <= {"propensity"}
