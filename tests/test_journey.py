"""Journey stages against the demo generator's ground truth, plus consistency of the journey marts.

The generator (cjo_data/generate/stages.py) derives each person's true stage at the end of the window
from the true event stream with the rules documented there; models/marts/journey/_journey__models.yml
implements the same rules from what the raw data shows. The one systematic gap: a person's anonymous
web visits before they ever log in or submit a form cannot be tied to them, so some people the truth
calls aware (or considering) have no (or an earlier) stage in the warehouse. Measured current-stage
accuracy: 0.999 on the shared fixture (1,500 advisors x 120 days, seed 7; 0.94 with the generator of
an hour earlier), 0.965 on 3,000 x 365 days (seed 11), 0.991 on the demo scale (20,000 x 365 days,
seed 42); buyer stages 0.98-1.0.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

# The floor leaves margin under the measured accuracy (see the module docstring) for other seeds and
# scales; the issue asks for at least 0.8.
CURRENT_STAGE_ACCURACY_FLOOR = 0.88
# After a first purchase, anonymous browsing no longer matters: the rules should agree almost always.
BUYER_STAGE_ACCURACY_FLOOR = 0.93
BUYER_STAGES = ("purchase", "onboarding", "retention", "advocacy", "lapsed")


def _connect(path: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(path), read_only=True)


def stage_comparison(con: duckdb.DuckDBPyConnection, ground_truth: Path) -> list[tuple[str, str, str]]:
    """(person_id, true stage, warehouse stage) per person not forgotten; 'none' when there is no stage.
    People are mapped to customers through their primary CRM record and the identity graph."""
    return con.execute(f"""
        with people as (
            select person_id, coalesce(true_stage_at_end, 'none') as true_stage
            from read_csv('{ground_truth / "people.csv"}', all_varchar = true)
            where is_forgotten <> 'true'
        ),
        records as (
            select advisor_id, person_id
            from read_csv('{ground_truth / "advisor_records.csv"}', all_varchar = true)
            where record_kind = 'primary'
        ),
        graph as (
            select node_value as advisor_id, customer_id
            from intermediate.int_identity_graph
            where node_type = 'advisor'
        )
        select people.person_id, people.true_stage, coalesce(customers.current_stage, 'none') as stage
        from people
        left join records on people.person_id = records.person_id
        left join graph on records.advisor_id = graph.advisor_id
        left join marts.dim_customers as customers on graph.customer_id = customers.customer_id
        order by people.person_id
    """).fetchall()


def accuracy(rows: list[tuple[str, str, str]]) -> float:
    return sum(truth == got for _, truth, got in rows) / len(rows)


@pytest.fixture(scope="module")
def comparison(built_warehouse) -> list[tuple[str, str, str]]:
    con = _connect(built_warehouse.duckdb_path)
    try:
        return stage_comparison(con, built_warehouse.raw_dir / "_ground_truth")
    finally:
        con.close()


def test_accuracy_helper_can_fail() -> None:
    rows = [("p1", "awareness", "awareness"), ("p2", "lapsed", "retention")]
    assert accuracy(rows) == 0.5


def test_current_stage_accuracy_against_ground_truth(comparison) -> None:
    measured = accuracy(comparison)
    print(f"current-stage accuracy: {measured:.4f} over {len(comparison)} people")
    assert len(comparison) > 100
    assert measured >= CURRENT_STAGE_ACCURACY_FLOOR, f"current-stage accuracy {measured:.4f}"


def test_buyer_stage_accuracy_against_ground_truth(comparison) -> None:
    buyers = [r for r in comparison if r[1] in BUYER_STAGES]
    measured = accuracy(buyers)
    print(f"buyer-stage accuracy: {measured:.4f} over {len(buyers)} buyers")
    assert len(buyers) > 20
    assert measured >= BUYER_STAGE_ACCURACY_FLOOR, f"buyer-stage accuracy {measured:.4f}"


def test_every_stage_of_the_seed_is_reachable_in_truth_and_warehouse(comparison) -> None:
    # The fixture exercises most of the funnel on both sides (lapses and advocacy need a longer window).
    for side in (1, 2):
        seen = {r[side] for r in comparison}
        assert {"awareness", "consideration", "purchase", "onboarding"} <= seen


def test_funnel_counts_are_consistent_with_stages(built_warehouse) -> None:
    con = _connect(built_warehouse.duckdb_path)
    try:
        journey_customers, funnel_customers = con.execute("""
            select (select count(distinct customer_id) from marts.fct_journey_stages),
                   (select sum(customers) from marts.agg_journey_funnel)
        """).fetchone()
        non_monotone = con.execute("""
            select count(*) from marts.agg_journey_funnel
            where not (customers = reached_awareness
                and reached_awareness >= reached_consideration
                and reached_consideration >= reached_purchase
                and reached_purchase >= reached_onboarding
                and reached_onboarding >= reached_retention
                and reached_retention >= reached_advocacy)
        """).fetchone()[0]
        stages, transitions, firsts = con.execute("""
            select (select count(*) from marts.fct_journey_stages),
                   (select count(*) from marts.fct_journey_transitions),
                   (select count(*) from marts.fct_journey_transitions where from_stage is null)
        """).fetchone()
    finally:
        con.close()
    assert journey_customers > 0
    assert funnel_customers == journey_customers
    assert non_monotone == 0
    assert transitions == stages
    assert firsts == journey_customers
