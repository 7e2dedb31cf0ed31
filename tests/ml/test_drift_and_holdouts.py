"""PSI and the hash-based holdout rule (and its agreement with the SQL in the decisioning marts)."""

from __future__ import annotations

import duckdb
import numpy as np
import pytest

from orchestration.ml import drift, holdouts


def test_psi_is_zero_for_the_same_distribution_and_large_for_a_shift():
    rng = np.random.default_rng(0)
    ref = rng.normal(0, 1, 20_000)
    assert drift.psi(ref, rng.normal(0, 1, 20_000)) < 0.01
    assert drift.psi(ref, rng.normal(1.0, 1, 20_000)) > 0.25
    small_shift = drift.psi(ref, rng.normal(0.2, 1, 20_000))
    assert 0.01 < small_shift < 0.1


def test_psi_report_flags_only_drifted_series():
    rng = np.random.default_rng(1)
    ref = {"score": rng.uniform(size=5000), "x": rng.poisson(3, 5000).astype(float)}
    cur = {"score": rng.uniform(size=5000), "x": rng.poisson(8, 5000).astype(float)}
    report = drift.psi_report(ref, cur, threshold=0.25)
    assert report["score"]["drifted"] is False
    assert report["x"]["drifted"] is True


def test_threshold_hex_orders_like_numbers():
    assert holdouts.threshold_hex(0.0) == "0000"
    assert holdouts.threshold_hex(0.5) == "8000"
    assert holdouts.threshold_hex(1.0) > "ffff"
    with pytest.raises(ValueError):
        holdouts.threshold_hex(1.5)


def test_global_holdout_is_deterministic_and_near_its_share():
    ids = [f"cust-{i}" for i in range(40_000)]
    a = holdouts.global_assignments(ids, share=0.05)
    b = holdouts.global_assignments(ids, share=0.05)
    assert a.equals(b)
    share = a["is_global_holdout"].mean()
    assert abs(share - 0.05) < 4 * np.sqrt(0.05 * 0.95 / len(ids))
    # another salt draws another group of the same size
    c = holdouts.global_assignments(ids, share=0.05, salt="other")
    overlap = (a["is_global_holdout"] & c["is_global_holdout"]).sum()
    assert overlap < 0.2 * a["is_global_holdout"].sum()
    # per-action split is independent of the global group
    action = [holdouts.is_action_control(i, "nurture_email", 0.5) for i in ids[:4000]]
    assert 0.45 < np.mean(action) < 0.55


def test_python_rule_matches_the_sql_rule():
    """The marts compute substr(md5(salt || ':' || customer_id), 1, 4) < threshold (dbt.hash = md5)."""
    ids = [f"c{i:05d}" for i in range(3000)]
    con = duckdb.connect()
    con.execute("create table c as select unnest($ids) as customer_id", {"ids": ids})
    threshold = holdouts.threshold_hex(0.05)
    sql = con.execute(
        "select customer_id, substr(md5('cjo-holdout-v1:' || customer_id), 1, 4) < $t from c order by 1",
        {"t": threshold},
    ).fetchall()
    py = holdouts.global_assignments(ids, 0.05).sort_values("customer_id")
    assert [r[1] for r in sql] == py["is_global_holdout"].tolist()
    action_sql = con.execute(
        "select substr(md5('cjo-holdout-v1:' || 'winback_email' || ':' || customer_id), 1, 4) < $t "
        "from c order by customer_id", {"t": holdouts.threshold_hex(0.10)}).fetchall()
    assert [r[0] for r in action_sql] == [holdouts.is_action_control(i, "winback_email", 0.10) for i in sorted(ids)]
