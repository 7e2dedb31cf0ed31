"""Expected vs actual on a small hand-checked fixture.

`tests/fixtures/hand/raw/` holds a handful of raw deliveries that follow the contract; the CSVs in
`tests/fixtures/hand/expected/` are the rows worked out by hand (see the README there) that
`dim_customers` (selected columns) and `fct_journey_stages` must contain after landing and building.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration.landing import land

REPO = Path(__file__).resolve().parents[1]
HAND = REPO / "tests" / "fixtures" / "hand"
DBT = str(Path(sys.executable).with_name("dbt"))


def _build(raw: Path, work: Path) -> Path:
    """Land `raw` and dbt-build the journey and customer marts (with their tests) into `work`."""
    landing, db = work / "landing", work / "cjo.duckdb"
    land(raw, landing)
    env = {**os.environ, "CJO_LANDING_DIR": str(landing), "CJO_DUCKDB_PATH": str(db),
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    cmd = [DBT, "build", "--select", "+dim_customers", "+fct_journey_stages", "+fct_journey_transitions",
           # cautious: skip other areas' tests that merely point at these marts (their models are not built)
           "--indirect-selection", "cautious",
           "--exclude-resource-type", "unit_test", "--target-path", str(work / "target"),
           "--log-path", str(work / "logs"), "--project-dir", str(REPO), "--profiles-dir", str(REPO)]
    done = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-4000:]
    return db


@pytest.fixture(scope="module")
def hand_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build(HAND / "raw", tmp_path_factory.mktemp("hand"))


def _expected(name: str) -> list[dict[str, str]]:
    with (HAND / "expected" / f"{name}.csv").open(newline="") as f:
        return list(csv.DictReader(f))


def _text(value: object) -> str:
    """Render a warehouse value the way the expected CSVs spell it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))
    return str(value)


def _norm(value: str) -> str:
    """Normalize an expected cell: numbers like 0.0 / 75000 compare as text the way _text renders them."""
    try:
        number = float(value)
    except ValueError:
        return value
    if value.strip().startswith("+"):  # a phone number, not a number
        return value
    return _text(number) if "." in value else value


def _query(db: Path, sql: str) -> list[dict[str, str]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        cur = con.execute(sql)
        cols = [d[0] for d in cur.description]
        return [{c: _text(v) for c, v in zip(cols, row, strict=True)} for row in cur.fetchall()]
    finally:
        con.close()


def test_dim_customers_matches_hand_checked_rows(hand_warehouse: Path) -> None:
    expected = _expected("dim_customers")
    cols = list(expected[0])
    actual = _query(hand_warehouse, f"select {', '.join(cols)} from marts.dim_customers order by advisor_id")
    assert [r["advisor_id"] for r in actual] == [r["advisor_id"] for r in expected]
    for exp, act in zip(expected, actual, strict=True):
        for col in cols:
            assert act[col] == _norm(exp[col]), f"{exp['advisor_id']}.{col}: {act[col]!r} != {exp[col]!r}"


def test_forgotten_person_is_absent(hand_warehouse: Path) -> None:
    # ADV5 asked to be forgotten (privacy.deletion_requests): no customer row, no journey.
    rows = _query(hand_warehouse, "select count(*) as n from marts.dim_customers "
                                  "where advisor_id = 'ADV5' or email = 'dan.gone@beta.com'")
    assert rows == [{"n": "0"}]
    assert _query(hand_warehouse, "select count(*) as n from marts.fct_journey_stages")[0]["n"] == str(
        len(_expected("fct_journey_stages")))


def test_fct_journey_stages_matches_hand_checked_rows(hand_warehouse: Path) -> None:
    expected = _expected("fct_journey_stages")
    # entry_touchpoint_id is a hash for touchpoints: show the raw record id behind it instead.
    actual = _query(hand_warehouse, """
        select d.advisor_id, s.stage, s.stage_order, s.entered_at, s.exited_at, s.is_current,
               s.days_in_stage, s.entry_trigger, coalesce(t.record_id, s.entry_touchpoint_id) as entry_event
        from marts.fct_journey_stages as s
        inner join marts.dim_customers as d on s.customer_id = d.customer_id
        left join intermediate.int_touchpoints_unioned as t on s.entry_touchpoint_id = t.touchpoint_id
        order by d.advisor_id, s.entered_at""")
    assert actual == [{k: _norm(v) for k, v in row.items()} for row in expected]


def test_transitions_mark_backward_moves(hand_warehouse: Path) -> None:
    rows = _query(hand_warehouse, """
        select d.advisor_id, t.from_stage, t.to_stage, t.is_backward
        from marts.fct_journey_transitions as t
        inner join marts.dim_customers as d on t.customer_id = d.customer_id
        where t.is_backward order by d.advisor_id, t.transitioned_at""")
    assert [(r["advisor_id"], r["from_stage"], r["to_stage"]) for r in rows] == [
        ("ADV2", "lapsed", "retention"), ("ADV6", "lapsed", "retention")]
