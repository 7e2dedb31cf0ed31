"""Run a marts suite against the warehouse: aggregate in DuckDB, validate the small frame with GX,
append the outcomes to ops.quality_results. No Dagster here; the asset checks are thin wrappers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from expectations._config import Thresholds
from orchestration.quality.runner import ExpectationOutcome, SuiteResult


def _missing(suite: Any, asset: str, exc: Exception) -> SuiteResult:
    return SuiteResult(suite=suite.name, asset=asset, batch="aggregate", outcomes=[ExpectationOutcome(
        expectation="table_is_readable", column_name=None, success=False,
        observed_value=f"error: {exc}"[:500], description="the guarded table exists and can be read")])


def run_mart_suite(db_path: Path, suite: Any, th: Thresholds) -> SuiteResult:
    """``suite`` is one of the marts suite objects in ``expectations`` (frame(con) + suite(th, cols))."""
    import duckdb

    from orchestration.quality.runner import validate
    from orchestration.warehouse_lock import connect_live

    asset = getattr(suite, "asset", None) or f"{suite.schema}.{suite.table}"
    try:
        # Hold the connection only while DuckDB aggregates: one writer, and readers block it.
        with connect_live(db_path) as con:
            frame = suite.frame(con, th)
    except duckdb.Error as exc:
        return _missing(suite, asset, exc)
    return validate(frame, suite.suite(th, list(frame.columns)), asset=asset, batch="aggregate")


def record(db_path: Path, run_id: str, results: list[SuiteResult]) -> int:

    from orchestration.quality.results import write_results
    from orchestration.warehouse_lock import connect_live

    with connect_live(db_path) as con:
        return write_results(con, run_id, results)
