"""Identity resolution measured against the demo generator's ground truth.

Uses the shared `built_warehouse` (a small generated dataset, landed and built with `dbt build`).
Pairwise same-person decisions over CRM advisor records, and over advisor records plus the cookies that
identified at least once, are compared with the true person of each record: precision
>= 0.99 and recall >= 0.95. Also: no touchpoint of a person the ground truth says was forgotten.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

PRECISION_MIN = 0.99
RECALL_MIN = 0.95


@dataclass
class Built:
    duckdb_path: Path
    truth: Path


@pytest.fixture(scope="module")
def built(built_warehouse) -> Built:
    """The shared session warehouse (generated, landed, `dbt build`), read only; its raw folder holds the
    generator's ground truth."""
    truth = built_warehouse.raw_dir / "_ground_truth"
    assert (truth / "advisor_records.csv").exists(), "the generator should write its ground truth"
    return Built(built_warehouse.duckdb_path, truth)


def pairwise(con: duckdb.DuckDBPyConnection, items_sql: str) -> tuple[float, float, int]:
    """Precision and recall of "same person" over all pairs of items. items_sql yields (item, truth, pred);
    a null truth or pred makes the item a singleton on that side. Returns (precision, recall, true pairs)."""
    pairs = "sum(n * (n - 1) / 2)"
    row = con.execute(f"""
        with items as (
            select item, coalesce(truth, 'single:' || item) as truth, coalesce(pred, 'single:' || item) as pred
            from ({items_sql})
        ),
        both_ as (select {pairs} as v from (select count(*) as n from items group by truth, pred)),
        pred_ as (select {pairs} as v from (select count(*) as n from items group by pred)),
        truth_ as (select {pairs} as v from (select count(*) as n from items group by truth))
        select both_.v, pred_.v, truth_.v from both_, pred_, truth_
    """).fetchone()
    tp, predicted, actual = (float(v or 0) for v in row)
    precision = tp / predicted if predicted else 1.0
    recall = tp / actual if actual else 1.0
    return precision, recall, int(actual)


def _connect(b: Built) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(b.duckdb_path), read_only=True)
    for name in ("advisor_records", "anonymous_ids", "people", "email_addresses"):
        con.execute(f"create temp view gt_{name} as select * from read_csv('{b.truth / name}.csv', "
                    f"header=true, all_varchar=true)")
    return con


ADVISOR_ITEMS = """
    select 'advisor:' || r.advisor_id as item, r.person_id as truth, g.customer_id as pred
    from gt_advisor_records as r
    inner join intermediate.int_identity_graph as g on g.node_id = 'advisor:' || r.advisor_id
"""

# Cookies that logged in or submitted a form with an email at least once: those are resolvable.
IDENTIFIED_COOKIE_ITEMS = """
    select 'anon:' || a.anonymous_id as item, a.person_id as truth, g.customer_id as pred
    from gt_anonymous_ids as a
    inner join intermediate.int_identity_graph as g on g.node_id = 'anon:' || a.anonymous_id
    where a.anonymous_id in (
        select anonymous_id from staging.stg_marketing__web_events
        where event_type in ('login', 'form_submit') and email is not null
    )
"""


def test_advisor_records_precision_and_recall(built: Built) -> None:
    with _connect(built) as con:
        precision, recall, true_pairs = pairwise(con, ADVISOR_ITEMS)
        n_dupes = con.execute("select count(*) from gt_advisor_records where record_kind <> 'primary'").fetchone()[0]
    print(f"advisor records: precision={precision:.4f} recall={recall:.4f} true pairs={true_pairs}")
    assert n_dupes > 0 and true_pairs > 0, "the fixture must contain duplicate CRM records to measure anything"
    assert precision >= PRECISION_MIN, f"advisor-record precision {precision:.4f} < {PRECISION_MIN}"
    assert recall >= RECALL_MIN, f"advisor-record recall {recall:.4f} < {RECALL_MIN}"


def test_advisor_records_and_identified_cookies_precision_and_recall(built: Built) -> None:
    with _connect(built) as con:
        precision, recall, true_pairs = pairwise(
            con, f"{ADVISOR_ITEMS} union all {IDENTIFIED_COOKIE_ITEMS}")
        cookies = con.execute(f"select count(*) from ({IDENTIFIED_COOKIE_ITEMS})").fetchone()[0]
    print(f"records + identified cookies: precision={precision:.4f} recall={recall:.4f} "
          f"true pairs={true_pairs} cookies={cookies}")
    assert cookies > 0
    assert precision >= PRECISION_MIN, f"precision {precision:.4f} < {PRECISION_MIN}"
    assert recall >= RECALL_MIN, f"recall {recall:.4f} < {RECALL_MIN}"


def test_unidentified_cookies_have_no_customer(built: Built) -> None:
    with _connect(built) as con:
        leaked = con.execute("""
            select count(*) from intermediate.int_identity_graph as g
            where g.node_type = 'anon' and g.customer_id is not null
              and g.node_value not in (
                  select anonymous_id from staging.stg_marketing__web_events
                  where event_type in ('login', 'form_submit') and email is not null)
        """).fetchone()[0]
        anonymous = con.execute(
            "select count(*) from intermediate.int_identity_graph where node_type = 'anon' and customer_id is null"
        ).fetchone()[0]
    assert anonymous > 0, "the fixture should contain cookies that never identify"
    assert leaked == 0, f"{leaked} cookies got a customer without ever logging in or submitting a form"


def test_no_forgotten_person_in_touchpoints(built: Built) -> None:
    """Judged by the ground truth, not by the model's own flag: every identifier of a person the generator
    forgot (all their CRM records, emails and cookies) must be absent from fct_touchpoints."""
    with _connect(built) as con:
        forgotten_people = con.execute(
            "select count(*) from gt_people where is_forgotten = 'true'").fetchone()[0]
        leaked = con.execute("""
            with forgotten as (select person_id from gt_people where is_forgotten = 'true'),
            nodes as (
                select 'advisor:' || advisor_id as node_id from gt_advisor_records
                where person_id in (select person_id from forgotten)
                union all
                select 'email:' || lower(trim(email)) from gt_email_addresses
                where person_id in (select person_id from forgotten)
                union all
                select 'anon:' || anonymous_id from gt_anonymous_ids
                where person_id in (select person_id from forgotten)
            )
            select count(*) from marts.fct_touchpoints
            where identity_node_id in (select node_id from nodes)
               or customer_id in (select g.customer_id from intermediate.int_identity_graph as g
                                  inner join nodes as n on g.node_id = n.node_id)
        """).fetchone()[0]
        touched = con.execute("select count(*) from marts.fct_touchpoints").fetchone()[0]
    assert forgotten_people > 0, "the fixture should contain forgotten people"
    assert touched > 0
    assert leaked == 0, f"{leaked} touchpoints of forgotten people"
