"""Publishing: reader copies of the marts/activation/ml/ops tables, swapped atomically."""

from __future__ import annotations

import duckdb
import pytest

from orchestration.publish import NothingPublishedError, publish, read_manifest, reader_connection


def _live(path, rows: int) -> None:
    with duckdb.connect(str(path)) as con:
        for schema in ("staging", "marts", "ml"):
            con.execute(f"create schema if not exists {schema}")
        con.execute(f"create or replace table marts.dim_x as select range as id from range({rows})")
        con.execute("create or replace table ml.scores as select 1 as id, 0.5 as score")
        con.execute("create or replace table staging.private as select 1 as id")
        con.execute("create or replace view marts.v_x as select * from marts.dim_x")


def test_nothing_published_yet_is_a_clear_error(tmp_path):
    with pytest.raises(NothingPublishedError, match="nothing published yet"):
        reader_connection(tmp_path / "published")


def test_publish_copies_reader_schemas_tables_only(tmp_path):
    live, out = tmp_path / "live.duckdb", tmp_path / "published"
    _live(live, 3)
    manifest = publish(live, out)
    assert manifest["tables"] == {"marts.dim_x": 3, "ml.scores": 1}
    assert read_manifest(out)["tables"] == manifest["tables"]
    con = reader_connection(out)
    try:
        assert con.execute("select count(*) from marts.dim_x").fetchone()[0] == 3
        names = {r[0] for r in con.execute("select table_schema from information_schema.tables").fetchall()}
        assert "staging" not in names
        with pytest.raises(duckdb.Error):  # read-only
            con.execute("create table marts.y as select 1")
    finally:
        con.close()
    with duckdb.connect() as con:
        pq = str(out / "parquet/marts/dim_x.parquet")
        n = con.execute("select count(*) from read_parquet(?)", [pq]).fetchone()[0]
    assert n == 3
    assert not list(out.glob(".*tmp*")) and not list(out.rglob(".*.tmp-*"))
    # Publishing never holds the live file: a writer can open it right after.
    duckdb.connect(str(live)).close()


def test_republish_swaps_while_a_reader_holds_the_old_copy(tmp_path):
    live, out = tmp_path / "live.duckdb", tmp_path / "published"
    _live(live, 3)
    publish(live, out)
    old_reader = reader_connection(out)
    try:
        _live(live, 7)
        with duckdb.connect(str(live)) as con:
            con.execute("drop table ml.scores")
        publish(live, out)  # does not fail although a reader has the published file open
        assert old_reader.execute("select count(*) from marts.dim_x").fetchone()[0] == 3
    finally:
        old_reader.close()
    con = reader_connection(out)
    try:
        assert con.execute("select count(*) from marts.dim_x").fetchone()[0] == 7
    finally:
        con.close()
    assert not (out / "parquet/ml/scores.parquet").exists()  # a dropped table's Parquet is removed


def test_republish_copies_only_changed_tables(tmp_path):
    live, out = tmp_path / "live.duckdb", tmp_path / "published"
    _live(live, 3)
    assert sorted(publish(live, out)["changed"]) == ["marts.dim_x", "ml.scores"]
    scores = (out / "parquet/ml/scores.parquet").stat()
    assert publish(live, out)["changed"] == []  # nothing new: nothing written
    with duckdb.connect(str(live)) as con:  # same rows in another order: the same content
        con.execute("create or replace table marts.dim_x as select * from range(3) order by range desc")
        con.execute("alter table marts.dim_x rename column range to id")
    assert publish(live, out)["changed"] == []
    _live(live, 5)
    manifest = publish(live, out)
    assert manifest["changed"] == ["marts.dim_x"] and manifest["tables"]["marts.dim_x"] == 5
    assert (out / "parquet/ml/scores.parquet").stat().st_mtime_ns == scores.st_mtime_ns
    con = reader_connection(out)
    try:
        assert con.execute("select sum(id) from marts.dim_x").fetchone()[0] == 10
    finally:
        con.close()
    # two versions of dim_x are kept at most (this publication's and the previous one's)
    assert len(list((out / "versions/marts/dim_x").glob("*.parquet"))) == 2


def test_a_forgotten_person_leaves_no_earlier_version_behind(tmp_path, monkeypatch):
    """Publishing keeps the previous version of a table for readers that still have it open, but not
    once anyone has been forgotten: an older version may still hold their data (or their sync state from
    before the destination confirmed the removal)."""
    from datetime import UTC, datetime

    from orchestration.privacy import ledger

    live, out, state = tmp_path / "live.duckdb", tmp_path / "published", tmp_path / "state"
    monkeypatch.setenv("CJO_STATE_DIR", str(state))
    _live(live, 3)
    publish(live, out)
    _live(live, 4)
    publish(live, out)
    assert len(list((out / "versions/marts/dim_x").glob("*.parquet"))) == 2  # nobody forgotten: both kept
    ledger.append(state, ledger.new_rows(ledger.salt(state), [("email:jo@x.com", "node", "R1")],
                                         datetime.now(UTC)))
    _live(live, 2)  # the live table without the person
    publish(live, out)
    (only,) = (out / "versions/marts/dim_x").glob("*.parquet")
    assert duckdb.sql(f"select count(*) from read_parquet('{only}')").fetchall() == [(2,)]
    _live(live, 6)
    publish(live, out)
    assert len(list((out / "versions/marts/dim_x").glob("*.parquet"))) == 1
