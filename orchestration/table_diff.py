"""Row-for-row comparison of two relations (multisets: duplicates count), floats compared with a tolerance.

The incremental-equals-full-refresh checks (tests/test_incremental.py, benchmarks/bench_pipeline.py) use
this one rule. Why a tolerance and not "rounded to N places": DuckDB aggregates in parallel, so a
``sum`` of doubles adds its terms in a different order on each run and the last bits differ (measured on
the 100k benchmark warehouse: the same agg_* SQL run twice on the same tables differed by up to 3e-14
relative, e.g. 5.8e-5 on an attributed revenue of 2.5e9). Rounded to 6 decimal places those values were
"different" in hundreds of rows; and rounding to any fixed precision still splits two values that sit
either side of a rounding boundary.

How: rows equal in every column leave first (EXCEPT ALL both ways, exact). The rest are paired on their
non-float columns (NULLs equal), in the order of their float columns within a pair of groups, and a pair
matches when every float column is within ``REL_TOL`` of the larger magnitude (or ``ABS_TOL``, for
values near zero and for differences of large, nearly equal numbers). What stays unpaired differs.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

# Far above the summation-order noise (~1e-14 relative) and far below any real difference (a row or a
# customer more or less moves an aggregate by much more). Looser hides real differences in large sums;
# tighter brings back the parallel-sum noise.
REL_TOL = 1e-9
# For values near zero, and for a difference of two large, nearly equal numbers (value_of_one_point = the
# difference of two mean values x a count), whose rounding error is relative to the operands.
ABS_TOL = 1e-6
FLOAT_TYPES = ("DOUBLE", "FLOAT", "REAL")


@dataclass(frozen=True)
class TableDiff:
    rows_a: int
    rows_b: int
    only_a: int  # rows of a with no equal (or float-close) row in b
    only_b: int

    @property
    def equal(self) -> bool:
        return self.only_a == 0 and self.only_b == 0


def _columns(con: duckdb.DuckDBPyConnection, relation: str) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in con.execute(f"describe select * from {relation}").fetchall()]


def _is_float(data_type: str) -> bool:
    return data_type in FLOAT_TYPES or data_type.startswith("DECIMAL")


def diff(con: duckdb.DuckDBPyConnection, a: str, b: str, skip: tuple[str, ...] = ()) -> TableDiff:
    """Compare relations ``a`` and ``b`` (table names or ``(select ...)``) over the columns of ``a``
    except ``skip``; ``b`` must have those columns."""
    cols = [(c, t) for c, t in _columns(con, a) if c not in skip]
    select = ", ".join(f'"{c}"' for c, _ in cols)
    con.execute(f"create or replace temp table _diff_a as select {select} from {a} except all select {select} from {b}")
    con.execute(f"create or replace temp table _diff_b as select {select} from {b} except all select {select} from {a}")
    rows_a, rows_b = (con.execute(f"select count(*) from {r}").fetchone()[0] for r in (a, b))
    left, right = (con.execute(f"select count(*) from _diff_{s}").fetchone()[0] for s in "ab")
    floats = [c for c, t in cols if _is_float(t)]
    if left and right and floats:
        keys = [c for c, t in cols if not _is_float(t)]
        matched = con.execute(_paired_sql(keys, floats)).fetchone()[0]
        left, right = left - matched, right - matched
    con.execute("drop table if exists _diff_a; drop table if exists _diff_b")
    return TableDiff(rows_a=rows_a, rows_b=rows_b, only_a=left, only_b=right)


def _paired_sql(keys: list[str], floats: list[str]) -> str:
    """How many rows of _diff_a pair with a float-close row of _diff_b (same non-float columns)."""
    partition = f"partition by {', '.join(f'{chr(34)}{k}{chr(34)}' for k in keys)}" if keys else ""
    order = ", ".join(f'"{f}"' for f in floats)
    numbered = f"select *, row_number() over ({partition} order by {order}) as _pair from _diff_{{side}}"
    on = " and ".join([f'a."{k}" is not distinct from b."{k}"' for k in keys] + ["a._pair = b._pair"])
    close = " and ".join(
        f'(a."{f}" is not distinct from b."{f}" or abs(a."{f}" - b."{f}") <= '
        f'greatest({ABS_TOL}, {REL_TOL} * greatest(abs(a."{f}"), abs(b."{f}"))))' for f in floats)
    return (f"select count(*) from ({numbered.format(side='a')}) as a "
            f"inner join ({numbered.format(side='b')}) as b on {on} where {close}")
