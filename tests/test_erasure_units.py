"""Erasure building blocks on small fixtures: the ledger, the forgotten rule, matching inside text,
raw and export rewrites, the table scan. The end-to-end search is tests/test_erasure.py."""

from __future__ import annotations

import csv
import gzip
import json
from datetime import datetime

import duckdb
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestration.privacy import files, ledger, tables
from orchestration.privacy.forgotten import forgotten_set


def test_salted_hash_python_and_sql_agree(tmp_path):
    salt = ledger.salt(tmp_path)
    assert ledger.salt(tmp_path) == salt and len(salt) == 64  # made once, then read
    with duckdb.connect() as con:
        (h,) = con.execute(f"select {ledger.SALTED_HASH_SQL.format(expr='$v')}", {"salt": salt, "v": " Jo@X.com "}
                           ).fetchone()
    assert h == ledger.salted_hash(salt, "jo@x.com") != ledger.salted_hash("other", "jo@x.com")


def test_ledger_appends_each_hash_once(tmp_path):
    now = datetime(2026, 12, 1)
    rows = ledger.new_rows("s", [("email:jo@x.com", "node", None), ("DR-1", "request", "DR-1")], now)
    assert ledger.append(tmp_path, rows) == 2
    assert ledger.append(tmp_path, rows) == 0
    assert ledger.read(tmp_path).num_rows == 2


def _graph(con, rows):
    con.execute("create schema intermediate")
    con.execute("create schema staging")
    con.register("_g", pa.Table.from_pylist(rows))
    con.execute("create table intermediate.int_identity_graph as select * from _g")
    con.execute("create table staging.stg_privacy__deletion_requests (request_id varchar, advisor_id varchar, "
                "email varchar)")


def _node(node_id, anchor, cid, forgotten=False, shared=False):
    t, v = node_id.split(":", 1)
    return {"node_id": node_id, "node_type": t, "node_value": v, "customer_id": cid, "anchor_node_id": anchor,
            "is_forgotten": forgotten, "is_shared_identifier": shared}


def test_forgotten_rule_reads_requests_and_the_ledger(tmp_path):
    """A component is forgotten through a request (is_forgotten) or through any node's salted hash in
    the ledger (named again after an erasure); its shared identifiers are left alone."""
    with duckdb.connect() as con:
        _graph(con, [
            _node("advisor:A1", "advisor:A1", "c1", forgotten=True), _node("email:a@x.com", "advisor:A1", "c1", True),
            _node("email:info@firm.com", "advisor:A1", "c1", True, shared=True),
            _node("advisor:B2", "advisor:B2", "c2"), _node("anon:cookie-b", "advisor:B2", "c2"),
            _node("advisor:C3", "advisor:C3", "c3"),
        ])
        assert {n for n, _, _ in forgotten_set(con, tmp_path).nodes} == {"advisor:A1", "email:a@x.com"}
        ledger.append(tmp_path, ledger.new_rows(ledger.salt(tmp_path), [("anon:cookie-b", "node", None)],
                                                datetime(2026, 12, 1)))
        fs = forgotten_set(con, tmp_path)
    assert {n for n, _, _ in fs.nodes} == {"advisor:A1", "email:a@x.com", "advisor:B2", "anon:cookie-b"}
    assert fs.customer_ids == {"c1", "c2"}
    assert "c3" not in fs.values() and "info@firm.com" not in fs.values()


@given(st.sampled_from(["jo@x.com", "adv12345", "+15550142288"]),
       st.sampled_from(["", " ", '"', "{", ":", ",", "/"]), st.sampled_from(["", " ", '"', "}", ",", ";"]))
def test_mentions_match_whole_tokens_only(value, left, right):
    tokens = files.text_tokens({value})
    assert files.mentions(f"{left}{value.upper()}{right}", tokens)
    assert not files.mentions(f"a{value}{right}", tokens)  # a longer email / id that merely ends with it
    assert not files.mentions(f"{left}{value}9", tokens)


def test_a_value_with_an_edge_character_is_found_through_its_longest_part():
    tokens = files.text_tokens({"email:jo@x.com"})
    assert tokens == {"jo@x.com"} and files.mentions('{"node": "email:jo@x.com"}', tokens)
    assert not files.mentions("email:ajo@x.com", tokens)


def test_short_values_are_never_looked_for_inside_text():
    assert files.text_tokens({"a1", "anon:a1", "jo@x.com"}) == {"jo@x.com"}
    assert not files.mentions("id a1 here", files.text_tokens({"a1"}))


_TEXT = st.lists(st.sampled_from(["jo@x.com", "ajo@x.com", "adv12345", " ", ",", ":", '"', "{", "x", "9", "\t",
                                  "JO@X.COM", "adv1234"]), max_size=8).map("".join)


@settings(deadline=None, max_examples=60)  # a DuckDB connection per example: slow on a busy machine
@given(st.lists(_TEXT, min_size=1, max_size=6))
def test_sql_and_python_agree_on_what_mentions_a_person(texts):
    """The table scan (SQL) and the file scrub (Python) must find the same rows: one rule, two forms."""
    tokens = files.text_tokens({"jo@x.com", "adv12345"})
    with duckdb.connect() as con:
        con.register("_erase_tokens", pa.table({"v": sorted(tokens)}))
        con.register("t", pa.table({"k": list(range(len(texts))), "s": texts}))
        found = {k for (k,) in con.execute(
            "select k from t where lower(s) in (select v from _erase_tokens) union "
            + files.mentioning_rows_sql("t", "k", "lower(s)"), {"edge": files.EDGE}).fetchall()}
    assert found == {k for k, s in enumerate(texts) if files.mentions(s, tokens)}


def test_raw_csv_rewrite_drops_records_and_checks_them(tmp_path):
    path = tmp_path / "d.csv.gz"
    rows = [["id", "email"], ["1", "keep@x.com"], ["2", " JO@X.com"], ["3", "keep2@x.com"]]
    with gzip.open(path, "wt", newline="") as fh:
        csv.writer(fh).writerows(rows)
    assert files._rewrite_csv(path, {1}, {"jo@x.com"}) is None  # record 1 is not theirs: nothing written
    assert files._rewrite_csv(path, {2}, {"jo@x.com"}) == 1
    with gzip.open(path, "rt", newline="") as fh:
        assert list(csv.reader(fh)) == [rows[0], rows[1], rows[3]]


def test_a_raw_file_an_erasure_rewrote_can_be_rewritten_again_for_someone_else(tmp_path):
    """Landed row numbers are the delivered file's: after a first erasure took record 2 out, record 4 is
    the file's third, and a second forgotten person in it is still erased (before: 'changed since it was
    landed', and their record stayed). A file changed by anyone else is still refused."""
    from orchestration import landing
    from orchestration.contract import tables

    t = next(x for x in tables() if x.fqn == "crm.advisors")
    raw, landed = tmp_path / "raw", tmp_path / "landing"
    path = raw / "crm" / "advisors" / "a.csv"
    path.parent.mkdir(parents=True)
    landed.mkdir()
    path.write_text("advisor_id,email\nA1,x@x.com\nA2,jo@x.com\nA3,y@x.com\nA4,al@y.com\nA5,z@x.com\n")
    did = landing.delivery_id(path)
    assert files.rewrite_raw(raw, landed, t, "crm/advisors/a.csv", did, {2}, {"jo@x.com"}) == 1
    assert files.rewrite_raw(raw, landed, t, "crm/advisors/a.csv", did, {4}, {"al@y.com"}) == 1
    assert path.read_text() == "advisor_id,email\nA1,x@x.com\nA3,y@x.com\nA5,z@x.com\n"
    assert landing.delivery_id(path) in landing.landed_delivery_ids(landed)  # not landed again
    with path.open("a") as fh:
        fh.write("A6,new@x.com\n")
    assert files.rewrite_raw(raw, landed, t, "crm/advisors/a.csv", did, {5}, {"z@x.com"}) is None


def test_export_keeps_a_recent_delete_instruction_then_drops_it(tmp_path):
    folder = tmp_path / "exports" / "s"
    folder.mkdir(parents=True)
    data = folder / "s__1.csv"
    data.write_text("_op,_key,email\nupsert,c1,jo@x.com\nupsert,c2,an@x.com\ndelete,c1,jo@x.com\n")
    (folder / "s__1.csv.manifest.json").write_text(json.dumps({"file": data.name, "rows": 3}))
    ledger.append(tmp_path, ledger.new_rows(ledger.salt(tmp_path), [("c1", "customer", None)], datetime(2026, 1, 1)))
    salt = ledger.salt(tmp_path)
    args = (tmp_path / "exports", set(), ledger.SALTED_HASH_SQL, salt)
    assert files.scrub_exports(*args, 7, tmp_path) == (1, 1)  # the upsert, found through the ledger
    # The delete instruction stays, with its key only (its payload blanked).
    assert [(r["_op"], r["email"]) for r in csv.DictReader(data.open())] == [("upsert", "an@x.com"), ("delete", "")]
    manifest = json.loads((folder / "s__1.csv.manifest.json").read_text())
    assert manifest["rows"] == 2 and manifest["erased_rows"] == 1 and manifest["ops"] == {"upsert": 1, "delete": 1}
    assert files.scrub_exports(*args, 0, tmp_path) == (1, 1)  # notice period over
    assert [r["_key"] for r in csv.DictReader(data.open())] == ["c2"]


def test_table_scan_deletes_rows_and_pseudonymizes_the_sync_log():
    with duckdb.connect() as con:
        con.execute("create schema marts")
        con.execute("create schema ops")
        con.execute("create table marts.t (customer_id varchar, note varchar, n int)")
        con.execute("insert into marts.t values ('c1', null, 1), ('c2', 'mail to jo@x.com sent', 2), "
                    "('c3', 'ajo@x.com', 3), ('c4', null, 4)")
        con.execute("create table ops.sync_row_results (primary_key varchar, status varchar)")
        con.execute("insert into ops.sync_row_results values ('c1', 'acked'), ('c4', 'acked')")
        con.execute("create table ops.sync_state (customer_id varchar)")
        con.execute("insert into ops.sync_state values ('c1')")
        values = {"c1", "jo@x.com"}
        deleted, cells = tables.scrub(con, values, files.text_tokens(values), "salt", ledger.SCHEMA.empty_table())
        assert deleted == {"marts.t": 2} and cells == 1
        assert con.execute("select customer_id from marts.t order by 1").fetchall() == [("c3",), ("c4",)]
        kept, pseudonym = sorted(k for (k,) in con.execute("select primary_key from ops.sync_row_results").fetchall())
        assert kept == "c4" and pseudonym == "erased:" + ledger.salted_hash("salt", "c1")
        assert tables.remaining(con, values) == {}  # the kept sync state is not counted ...
        assert con.execute("select count(*) from ops.sync_state").fetchone()[0] == 1  # ... and kept
