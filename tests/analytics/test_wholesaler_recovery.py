"""The wholesaler regression recovers the generator's planted skill on generated data.

A year of 8,000 advisors (seed 11): 20 territories, 5 of them shared with a second wholesaler, 10 whose
incumbents swap mid-year (cjo_data/generate/coverage.py), 25 wholesalers. Only the tables the coverage
panel reads are landed (CRM, interactions, deletions) and only its models are built, then the
wholesaler_effects runner fits and writes its tables. Measured (2026-12-04): Spearman 0.86 between the
estimated effects and the planted skill for this seed; 0.925 on the `make demo` data (20,000 advisors,
seed 42, 62 wholesalers). On amounts the model reaches 0.77 against 0.47 for raw sales per advisor (demo
0.70 vs 0.56); see docs/analytics.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from pipeline_support import ROOT, VENV_BIN, _run, warehouse_env

from orchestration.analytics import assets as A
from orchestration.analytics import wholesalers as W

ADVISORS, DAYS, SEED = 8000, 365, 11
SPEARMAN_FLOOR = 0.8  # the bar; measured 0.86 here, 0.925 at demo scale
# What int_wholesaler_coverage_monthly reads, directly or through the identity graph and the clock.
LANDED = ("crm.advisors", "crm.firms", "crm.wholesalers", "crm.sales", "crm.products", "crm.opportunities",
          "advisor.interactions", "privacy.deletion_requests")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def coverage_warehouse(tmp_path_factory):
    from orchestration import landing

    root = tmp_path_factory.mktemp("wholesaler_world")
    env = warehouse_env(root)
    raw = Path(env["CJO_RAW_DIR"])
    _run([sys.executable, "-m", "cjo_data.generate", "--advisors", str(ADVISORS), "--days", str(DAYS),
          "--seed", str(SEED), "--out", str(raw)], env, "demo data generator")
    landing.land(raw, Path(env["CJO_LANDING_DIR"]), only=LANDED)
    _run([str(VENV_BIN / "dbt"), "build", "--quiet", "--select", "+int_wholesaler_coverage_monthly",
          "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test", "--project-dir", str(ROOT),
          "--profiles-dir", str(ROOT), "--target-path", str(root / "dbt_target")], env, "dbt build")
    con = duckdb.connect(env["CJO_DUCKDB_PATH"])
    yield con, raw
    con.close()


def test_estimated_effects_rank_the_planted_skill(coverage_warehouse):
    con, raw = coverage_warehouse
    fitted = A.run_wholesalers(con)
    truth = pd.read_csv(raw / "_ground_truth" / "wholesaler_skill.csv").set_index("wholesaler_id")
    assert fitted.summary["separable"] and fitted.summary["outcome"] == "purchases"
    # the generator's structure is visible in the panel: movers and shared territories
    assert fitted.summary["wholesalers_in_several_territories"] >= 8
    assert fitted.summary["territories_with_several_wholesalers"] >= 5
    written = con.execute("select * from analytics.wholesaler_effects").df().set_index("wholesaler_id")
    assert set(written.index) == set(truth.index)
    rho = W.rank_correlation(written["effect"], truth["skill"])
    assert rho >= SPEARMAN_FLOOR, (rho, fitted.summary)
    # on amounts, where territory potential (ticket size) dominates, the model ranks skill better than
    # raw sales per covered advisor: it separates the territory from the wholesaler
    panel = con.execute(f"select * from {A.WHOLESALER_INPUT[1]}").df()
    by_ws = panel.groupby("wholesaler_id")
    raw_amount = by_ws["purchase_amount"].sum() / by_ws["advisors"].sum()
    amount_fit = W.fit(panel, outcome="purchase_amount").effects.set_index("wholesaler_id")["effect"]
    assert W.rank_correlation(amount_fit, truth["skill"]) > W.rank_correlation(raw_amount, truth["skill"]) + 0.1
    terms = con.execute("select * from analytics.wholesaler_regression_terms").df()
    assert {"intercept", "mean_years_experience"} <= set(terms["term"])
    assert (terms["ci_lower"] <= terms["coefficient"]).all() and (terms["coefficient"] <= terms["ci_upper"]).all()
