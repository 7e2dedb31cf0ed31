"""fct_touchpoints, incremental: two batches built incrementally equal one full refresh, row for row.

Batch 1 is the first half of the generator's deliveries (by delivery date); batch 2 the rest, which
naturally carries late events (old occurred_at, newly landed) and cookies that identify only later, plus:
a byte-identical re-delivery of a batch-1 file (skipped by landing), a re-export that repeats batch-1
event ids (deduplicated in staging), and a deletion request for a person who already has touchpoints.
Batch 2 lands 10 days after batch 1, beyond var late_arrival_lookback_days, so re-resolving batch-1
rows depends on the identity-change logic, not on the lookback.
"""

from __future__ import annotations

import csv
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from identity_support import dbt, generate, land, query

MODELS = "+fct_touchpoints"
# Four dbt runs on a small dataset: about a minute on 2 idle cores.
pytestmark = pytest.mark.slow

# After the generator's last day (2026-10-31): an event more than var raw_future_margin_days after its
# delivery was landed is quarantined as implausible, so landing "in the past" would quarantine every event.
T1 = datetime(2026, 11, 5, 6, 0, 0)
T2 = T1 + timedelta(days=10)


def _split(raw: Path, batch1: Path, batch2: Path) -> None:
    """Deliveries are named delivery_<k>_<date>.<ext>; the first half of the dates go to batch 1."""
    files = [p for p in raw.rglob("delivery_*") if "_ground_truth" not in p.parts]
    labels = sorted({p.name.split("_", 2)[2].split(".")[0] for p in files})
    cut = labels[len(labels) // 2]
    for p in files:
        target = batch1 if p.name.split("_", 2)[2].split(".")[0] < cut else batch2
        dest = target / p.relative_to(raw)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(p, dest)


def _first_csv(folder: Path) -> Path:
    return sorted(p for p in folder.glob("delivery_*.csv"))[0]


class Env:
    """dbt always writes the same file (a changing CJO_DUCKDB_PATH would defeat partial parsing); the
    test copies it aside to compare."""

    def __init__(self, work: Path, landing: Path) -> None:
        self.db = work / "cjo.duckdb"
        self.work = work
        self.kw = {"landing_dir": landing, "duckdb_path": self.db, "work": work}

    def run(self, *extra: str) -> None:
        dbt(["run", "--select", MODELS, *extra], **self.kw)

    def keep(self, name: str) -> Path:
        return Path(shutil.copy2(self.db, self.work / name))


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    work = tmp_path_factory.mktemp("incremental")
    raw = generate(work / "gen", advisors=300, days=60, seed=23)
    b1, b2 = work / "batch1", work / "batch2"
    _split(raw, b1, b2)
    landing = work / "landing"
    env = Env(work, landing)

    # ---- batch 1
    land(b1, landing, now=T1)
    env.run()
    after_1 = query(env.db, "select touchpoint_id, customer_id, identity_node_id from marts.fct_touchpoints")
    # a person with touchpoints, to be forgotten by a deletion request in batch 2
    victim = query(env.db, """
        select g.node_value, t.customer_id from marts.fct_touchpoints as t
        inner join intermediate.int_identity_graph as g on t.identity_node_id = g.node_id
        where g.node_type = 'advisor' order by t.touchpoint_id limit 1""")[0]

    # ---- batch 2: rest of the deliveries + re-delivery + re-export + deletion request
    src = _first_csv(b1 / "marketing" / "web_events")
    (b2 / "marketing" / "web_events").mkdir(parents=True, exist_ok=True)
    shutil.copy2(src, b2 / "marketing" / "web_events" / "zz_redelivered_same_bytes.csv")
    email_src = _first_csv(b1 / "marketing" / "email_events")
    with email_src.open() as fh:
        lines = fh.readlines()[:101]
    (b2 / "marketing" / "email_events").mkdir(parents=True, exist_ok=True)
    (b2 / "marketing" / "email_events" / "zz_reexport.csv").write_text("".join(lines) + "\n")
    dr = b2 / "privacy" / "deletion_requests"
    dr.mkdir(parents=True, exist_ok=True)
    with (dr / "zz_extra_request.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["request_id", "advisor_id", "email", "requested_at"])
        w.writerow(["DR-TEST-1", victim[0], "", "2026-11-10T00:00:00Z"])
    report = land(b2, landing, now=T2)
    statuses = {f.source_file: f.status for f in report.files}
    env.run()
    inc = env.keep("incremental.duckdb")

    # ---- no new files: run again
    env.run()
    rerun = env.keep("rerun.duckdb")

    # ---- the same landed files, one full refresh into a fresh warehouse
    env.db.unlink()
    env.run("--full-refresh")
    full = env.keep("full.duckdb")
    return {"inc": inc, "full": full, "rerun": rerun, "after_1": after_1, "victim_customer": victim[1],
            "statuses": statuses}


def _diff(a: Path, b: Path, table: str = "marts.fct_touchpoints") -> tuple[int, int, int]:
    with duckdb.connect() as con:
        con.execute(f"attach '{a}' as a (read_only)")
        con.execute(f"attach '{b}' as b (read_only)")
        only_a = con.execute(f"select count(*) from (select * from a.{table} except all select * from b.{table})")
        n_only_a = only_a.fetchone()[0]
        n_only_b = con.execute(
            f"select count(*) from (select * from b.{table} except all select * from a.{table})").fetchone()[0]
        n = con.execute(f"select count(*) from a.{table}").fetchone()[0]
    return n_only_a, n_only_b, n


def test_batch_two_carried_the_dirt_it_should(runs) -> None:
    statuses = runs["statuses"]
    assert statuses["marketing/web_events/zz_redelivered_same_bytes.csv"] in {"already_landed", "duplicate_delivery"}
    assert statuses["marketing/email_events/zz_reexport.csv"] == "landed"
    late = query(runs["inc"], f"""
        select count(*) from marts.fct_touchpoints
        where _landed_at = '{T2}' and occurred_at < (
            select max(occurred_at) from marts.fct_touchpoints where _landed_at = '{T1}')""")[0][0]
    assert late > 0, "batch 2 should contain late events"


def test_incremental_equals_full_refresh_row_for_row(runs) -> None:
    only_inc, only_full, n = _diff(runs["inc"], runs["full"])
    assert n > 0
    assert (only_inc, only_full) == (0, 0), f"{only_inc} rows only incremental, {only_full} only full refresh"


def test_late_identity_stitching_reresolved_batch_one_rows(runs) -> None:
    """Rows landed in batch 1 whose cookie identified only in batch 2 are in the table now, and rows
    whose customer changed were updated (the equality test above proves they match a full refresh)."""
    before = {r[0] for r in runs["after_1"]}
    now = query(runs["inc"], f"select touchpoint_id from marts.fct_touchpoints where _landed_at = '{T1}'")
    newly_resolved = {r[0] for r in now} - before
    assert newly_resolved, "some batch-1 web events should resolve only after batch 2's logins"


def test_deletion_request_removes_existing_touchpoints(runs) -> None:
    customer = runs["victim_customer"]
    assert any(r[1] == customer for r in runs["after_1"])
    left = query(runs["inc"], f"select count(*) from marts.fct_touchpoints where customer_id = '{customer}'")
    forgotten = query(runs["inc"], f"""select count(*) from intermediate.int_identity_graph
                                      where customer_id = '{customer}' and not is_forgotten""")
    assert left[0][0] == 0
    assert forgotten[0][0] == 0


def test_rerun_without_new_files_changes_nothing(runs) -> None:
    only_after, only_before, n = _diff(runs["rerun"], runs["inc"])
    assert n > 0
    assert (only_after, only_before) == (0, 0)


def test_customer_ids_are_stable_across_runs(runs) -> None:
    """A touchpoint keeps its batch-1 customer_id after batch 2 unless that id retired (its person merged
    into an older one) or the person was forgotten: new data never renames an existing person."""
    with duckdb.connect() as con:
        con.execute("create table before (touchpoint_id varchar, customer_id varchar, identity_node_id varchar)")
        con.executemany("insert into before values (?, ?, ?)", runs["after_1"])
        con.execute(f"attach '{runs['inc']}' as inc (read_only)")
        kept, renamed = con.execute("""
            select
                count(*) filter (where b.customer_id = t.customer_id),
                count(*) filter (where b.customer_id <> t.customer_id and b.customer_id in (
                    select customer_id from inc.intermediate.int_identity_graph
                    where customer_id is not null and not is_forgotten))
            from before as b
            inner join inc.marts.fct_touchpoints as t on b.touchpoint_id = t.touchpoint_id
        """).fetchone()
    assert kept > 0
    assert renamed == 0, f"{renamed} touchpoints moved away from a customer_id that still exists"


def test_every_table_built_equals_full_refresh(runs) -> None:
    """Not only the incremental model: every table the selection built (the staging tables, the identity
    graph, the touchpoints) holds the same rows after batch 1 + batch 2 + a rerun as after one full
    refresh of the same landed files."""
    tables = [f"{s}.{t}" for s, t in query(runs["full"], """
        select table_schema, table_name from information_schema.tables
        where table_type = 'BASE TABLE' and table_schema in ('staging', 'intermediate', 'marts')""")]
    assert "marts.fct_touchpoints" in tables and len(tables) > 3
    differing = {}
    for table in tables:
        only_rerun, only_full, _ = _diff(runs["rerun"], runs["full"], table)
        if only_rerun or only_full:
            differing[table] = (only_rerun, only_full)
    assert not differing, f"(rows only incremental, rows only full refresh) per table: {differing}"
