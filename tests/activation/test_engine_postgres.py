"""Engine + PostgreSQL destination against a real server: diff, mirror, dry-run, breaker, privacy."""

from __future__ import annotations

import psycopg
import pytest
from activation_support import allowed, query, spec_dict, write_warehouse

from orchestration.activation.engine import CircuitBreakerOpen, run_sync
from orchestration.activation.spec import parse_spec

pytestmark = pytest.mark.postgres


def pg_spec(mode="mirror", **extra):
    return parse_spec(
        spec_dict(
            "pg_sync", {"type": "postgres", "dsn_env": "CJO_TEST_PG_DSN", "table": "crm.audience"}, mode=mode, **extra
        )
    )


def pg_rows(dsn):
    with psycopg.connect(dsn) as con:
        return con.execute("select customer_id, email, score from crm.audience order by 1").fetchall()


def test_first_run_sends_everyone_allowed_then_unchanged_sends_zero(warehouse, pg_dsn):
    db, persons = warehouse
    persons[3].consent_email = False
    persons[4].consent_email = None  # unknown consent is not consent
    persons[5].deletion_requested = True
    persons[6].forgotten = True
    write_warehouse(db, persons)
    spec = pg_spec()
    res = run_sync(spec, db_path=db)
    want = allowed(persons)
    assert res.status == "success"
    assert res.acked == len(want) == 56
    got = pg_rows(pg_dsn)
    assert [r[0] for r in got] == sorted(want)
    assert {r[1] for r in got} == {want[k].email for k in want}
    again = run_sync(spec, db_path=db)
    assert again.sent == 0 and again.acked == 0
    runs = query(db, "select status, sent from ops.sync_runs order by started_at")
    assert runs == [("success", 56), ("success", 0)]


def test_changes_and_mirror_removals_are_applied(warehouse, pg_dsn):
    db, persons = warehouse
    spec = pg_spec()
    run_sync(spec, db_path=db)
    persons[0].score = 99
    persons[1].in_audience = False
    write_warehouse(db, persons)
    res = run_sync(spec, db_path=db)
    assert (res.added, res.changed, res.removed) == (0, 1, 1)
    assert res.sent == 2
    got = dict((r[0], r[2]) for r in pg_rows(pg_dsn))
    assert got[persons[0].customer_id] == "99"
    assert persons[1].customer_id not in got
    assert len(got) == 59


def test_upsert_mode_keeps_leavers_but_removes_withdrawn_consent(warehouse, pg_dsn):
    db, persons = warehouse
    spec = pg_spec(mode="upsert")
    run_sync(spec, db_path=db)
    persons[1].in_audience = False  # left: upsert keeps it
    persons[2].consent_email = False  # withdrew: removed whatever the mode
    persons[2].in_audience = False  # (even when the audience SQL already dropped them)
    persons[7].deletion_requested = True  # forgotten: removed
    write_warehouse(db, persons)
    res = run_sync(spec, db_path=db)
    assert res.privacy_removed == 2
    keys = {r[0] for r in pg_rows(pg_dsn)}
    assert persons[1].customer_id in keys
    assert persons[2].customer_id not in keys and persons[7].customer_id not in keys


def test_dry_run_stores_plan_and_sends_nothing(warehouse, pg_dsn):
    db, _ = warehouse
    spec = pg_spec()
    res = run_sync(spec, db_path=db, dry_run=True)
    assert res.status == "dry_run" and res.sent == 0 and res.added == 60
    assert query(db, "select count(*), min(op) from ops.sync_planned_diffs") == [(60, "add")]
    assert query(db, "select count(*) from ops.sync_state") == [(0,)]
    assert query(db, "select dry_run from ops.sync_runs") == [(True,)]
    with psycopg.connect(pg_dsn) as con:
        assert con.execute("select to_regclass('crm.audience')").fetchone()[0] is None


def test_circuit_breaker_refuses_large_mirror_removal_unless_forced(warehouse, pg_dsn):
    db, persons = warehouse
    spec = pg_spec()
    run_sync(spec, db_path=db)
    for p in persons[:15]:  # 25% > 20%
        p.in_audience = False
    persons[20].consent_email = False  # a privacy removal still goes, breaker or not
    write_warehouse(db, persons)
    with pytest.raises(CircuitBreakerOpen, match="would remove 15 of 60"):
        run_sync(spec, db_path=db)
    keys = {r[0] for r in pg_rows(pg_dsn)}
    assert len(keys) == 59 and persons[20].customer_id not in keys
    assert query(db, "select status from ops.sync_runs order by started_at desc limit 1") == [("refused",)]
    res = run_sync(spec, db_path=db, force=True)
    assert res.removed == 15
    assert len(pg_rows(pg_dsn)) == 44
    # A higher threshold lets the same change through without force.
    assert pg_spec(mirror_delete_threshold=0.5).mirror_delete_threshold == 0.5


def test_duplicate_keys_in_audience_are_rejected_and_kept(warehouse, pg_dsn):
    db, _persons = warehouse
    import duckdb

    con = duckdb.connect(str(db))
    con.execute("insert into activation.aud_test select * from activation.aud_test where customer_id = 'c00009'")
    con.close()
    res = run_sync(pg_spec(), db_path=db)
    assert res.rejected == 1 and res.status == "partial"
    assert "c00009" not in {r[0] for r in pg_rows(pg_dsn)}
    assert query(db, "select primary_key, reason like 'duplicate primary key%' from ops.sync_rejected_rows") == [
        ("c00009", True)
    ]


def test_missing_privacy_table_is_an_explicit_error(warehouse, pg_dsn):
    import duckdb

    from orchestration.activation.privacy import PrivacyCheckError

    db, _ = warehouse
    con = duckdb.connect(str(db))
    con.execute("drop table intermediate.int_identity_graph")
    con.close()
    with pytest.raises(PrivacyCheckError, match=r"intermediate\.int_identity_graph is missing"):
        run_sync(pg_spec(), db_path=db)
    assert query(db, "select status, error like '%PrivacyCheckError%' from ops.sync_runs") == [("failed", True)]
