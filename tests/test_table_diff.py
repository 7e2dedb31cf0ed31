"""orchestration/table_diff.py: row-for-row comparison with floats compared within a tolerance."""

from __future__ import annotations

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestration.table_diff import REL_TOL, diff


@pytest.fixture
def con():
    with duckdb.connect() as c:
        yield c


def _tables(con, a_rows, b_rows, ddl="k varchar, n bigint, x double"):
    con.execute(f"create or replace table a ({ddl}); create or replace table b ({ddl})")
    cols = ddl.count(",") + 1
    marks = ", ".join("?" * cols)
    if a_rows:
        con.executemany(f"insert into a values ({marks})", a_rows)
    if b_rows:
        con.executemany(f"insert into b values ({marks})", b_rows)
    return diff(con, "a", "b")


def test_equal_rows_and_duplicates_count(con):
    assert _tables(con, [("p", 1, 1.5), ("p", 1, 1.5)], [("p", 1, 1.5), ("p", 1, 1.5)]).equal
    d = _tables(con, [("p", 1, 1.5), ("p", 1, 1.5)], [("p", 1, 1.5)])
    assert (d.only_a, d.only_b, d.rows_a, d.rows_b) == (1, 0, 2, 1)


def test_parallel_sum_noise_is_equal_but_rounding_to_six_places_was_not(con):
    """The 100k benchmark's case: an attributed revenue of 2.5e9 off by 5.8e-5 between two runs of the
    same SQL. The old rule (round(x, 6)) called that a difference."""
    a, b = 2_530_000_000.1234567, 2_530_000_000.1234567 + 5.8e-5
    assert round(a, 6) != round(b, 6)
    assert _tables(con, [("ch", 1, a)], [("ch", 1, b)]).equal


def test_real_differences_are_found(con):
    d = _tables(con, [("ch", 1, 1e6), ("ch", 2, 1.0)], [("ch", 1, 1e6 * (1 + 10 * REL_TOL)), ("ch", 3, 1.0)])
    assert (d.only_a, d.only_b) == (2, 2)
    assert not _tables(con, [("x", None, 1.0)], [("x", 0, 1.0)]).equal  # NULL is not 0
    assert _tables(con, [("x", None, None)], [("x", None, None)]).equal  # NULLs are equal


def test_rows_pair_within_their_non_float_columns(con):
    """Two rows with the same keys: each pairs with its close partner, whatever the storage order."""
    a = [("k", 1, 10.0), ("k", 1, 20.0), ("j", 1, 5.0)]
    b = [("j", 1, 5.0), ("k", 1, 20.0 + 1e-12), ("k", 1, 10.0 - 1e-12)]
    assert _tables(con, a, b).equal
    assert not _tables(con, a, [("j", 1, 5.0), ("k", 1, 20.0), ("k", 1, 11.0)]).equal


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abc"), st.floats(-1e10, 1e10, allow_nan=False)), min_size=1,
                max_size=60), st.randoms(use_true_random=False))
def test_a_sum_in_any_order_is_equal(values, rnd):
    """Summing the same doubles per group in two different orders never counts as a difference."""
    shuffled = list(values)
    rnd.shuffle(shuffled)

    def sums(rows):
        out: dict[str, float] = {}
        for k, v in rows:
            out[k] = out.get(k, 0.0) + v
        return [(k, 1, s) for k, s in sorted(out.items())]

    with duckdb.connect() as con:
        assert _tables(con, sums(values), sums(shuffled)).equal
