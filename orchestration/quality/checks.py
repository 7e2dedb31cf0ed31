"""Dagster asset checks that run the GX suites. Thin: the work is in raw.py / marts.py / runner.py.

Every check here is BLOCKING with ERROR severity: raw checks stop dbt (and so everything after it), and
checks on the tables activation reads stop the activation quality gate (and so every sync).
"""


from collections.abc import Callable, Sequence
from typing import Any

import dagster as dg
from pydantic import Field

from expectations._config import Thresholds
from orchestration.contract import TABLES, Table
from orchestration.quality.runner import SuiteResult
from orchestration.raw_assets import run_started_at

RAW_CHECK_PREFIX = "gx_"


def _writer_pool() -> str:
    """The Dagster pool of everything that opens the live warehouse (checks append to
    ops.quality_results)."""
    from orchestration.warehouse_lock import DUCKDB_WRITER_POOL

    return DUCKDB_WRITER_POOL


_DEFAULTS = Thresholds()


class QualityConfig(dg.ConfigurableResource):
    """Thresholds of the quality suites; defaults and what each protects: expectations/_config.py."""

    max_quarantine_rate: float = Field(
        default=_DEFAULTS.max_quarantine_rate,
        description="Share of a delivery's rows staging may quarantine before it blocks.")
    min_quarantine_rows: int = Field(
        default=_DEFAULTS.min_quarantine_rows,
        description="... and a delivery blocks only when at least this many rows are bad (small files).")
    max_duplicate_key_rate: float = Field(
        default=_DEFAULTS.max_duplicate_key_rate,
        description="Share of rows whose record key repeats within one delivery.")
    min_duplicate_key_rows: int = Field(
        default=_DEFAULTS.min_duplicate_key_rows,
        description="... and the key check fails only when at least this many rows repeat a key.")
    warn_duplicates_removed_rate: float = Field(
        default=_DEFAULTS.warn_duplicates_removed_rate,
        description="Share of a raw table's landed rows removed as duplicates (re-sent in a later delivery) "
                    "above which the run warns with the count.")
    max_rows_per_batch: int = Field(
        default=_DEFAULTS.max_rows_per_batch,
        description="Larger deliveries are validated on a key-hash sample of this size.")
    audience_min_ratio: float = Field(
        default=_DEFAULTS.audience_min_ratio,
        description="Smallest allowed audience size relative to the last passing run.")
    audience_max_ratio: float = Field(
        default=_DEFAULTS.audience_max_ratio,
        description="Largest allowed audience size relative to the last passing run.")

    def thresholds(self) -> Thresholds:
        return Thresholds(**self.model_dump())


def result_metadata(results: Sequence[SuiteResult]) -> dict[str, Any]:
    failures = [f"{r.batch or r.asset}: {o.expectation}({o.column_name or ''}) observed {o.observed_value}"
                for r in results for o in r.failures]
    return {
        "batches": len(results),
        "rows_validated": sum(r.rows for r in results),
        "expectations": sum(len(r.outcomes) for r in results),
        "failed_expectations": len(failures),
        "failures": dg.MetadataValue.md("\n".join(f"- {f}" for f in failures) or "none"),
    }


def _record(run_id: str, results: list[SuiteResult]) -> None:
    from orchestration import settings
    from orchestration.quality.marts import record

    if results:
        record(settings.duckdb_path(), run_id, results)


def build_raw_check(key_for: Callable[[Table], dg.AssetKey]) -> dg.AssetChecksDefinition:
    """One step validating every new delivery of every raw table (one GX import, one warehouse write)."""
    specs = [
        dg.AssetCheckSpec(
            name=f"{RAW_CHECK_PREFIX}raw_{t.source}__{t.name}", asset=key_for(t), blocking=True,
            description=f"GX raw suite on each new delivery of {t.fqn}: required columns, types that parse, "
                        f"enum values, null rates, unique {t.key} within a delivery, plausible timestamps, "
                        "quarantine rate under the threshold.")
        for t in TABLES
    ]
    by_name = {s.name: t for s, t in zip(specs, TABLES, strict=True)}

    @dg.multi_asset_check(specs=specs, name="gx_raw_deliveries", can_subset=True, pool=_writer_pool())
    def gx_raw_deliveries(context: dg.AssetCheckExecutionContext, quality_config: QualityConfig):
        from orchestration import settings
        from orchestration.quality.raw import new_deliveries, validate_deliveries

        landing = settings.landing_dir()
        deliveries = new_deliveries(landing, run_started_at(context))
        results = validate_deliveries(landing, deliveries, quality_config.thresholds())
        _record(context.run.run_id, [r for rs in results.values() for r in rs])
        blocked = []
        for key in context.selected_asset_check_keys:
            t = by_name[key.name]
            mine = results.get(t.fqn, [])
            reasons = [r.reason for r in mine if not r.success]
            blocked += reasons
            yield dg.AssetCheckResult(
                asset_key=key.asset_key, check_name=key.name, passed=not reasons,
                severity=dg.AssetCheckSeverity.ERROR, description=_describe(mine, reasons),
                metadata=result_metadata(mine))
        if blocked:
            # Raised after every result is recorded: the step's failure message (what `cjo run` prints and
            # the run's failure shows) then names each blocked delivery and why, not just the check name.
            raise dg.Failure(description="Raw deliveries blocked before dbt: " + " | ".join(blocked),
                             metadata={"blocked": dg.MetadataValue.md("\n".join(f"- {b}" for b in blocked))})

    return gx_raw_deliveries


def _describe(results: Sequence[SuiteResult], reasons: Sequence[str]) -> str:
    if reasons:
        return " | ".join(reasons)[:2000]
    return f"{len(results)} new deliveries validated" if results else "no new delivery in this run"


def build_mart_check(asset_key: dg.AssetKey, suite: Any, *, description: str = "") -> dg.AssetChecksDefinition:
    """A blocking check running one marts suite (aggregate frame) on ``asset_key``."""

    @dg.asset_check(asset=asset_key, name=f"gx_{suite.name}", blocking=True, pool=_writer_pool(),
                    description=description or f"GX suite {suite.name} on an aggregate of the table.")
    def _check(context: dg.AssetCheckExecutionContext, quality_config: QualityConfig) -> dg.AssetCheckResult:
        from orchestration import settings
        from orchestration.quality.marts import run_mart_suite

        result = run_mart_suite(settings.duckdb_path(), suite, quality_config.thresholds())
        _record(context.run.run_id, [result])
        return dg.AssetCheckResult(passed=result.success, severity=dg.AssetCheckSeverity.ERROR,
                                   description=result.summary()[:1000], metadata=result_metadata([result]))

    return _check


DUPLICATES_CHECK = "duplicates_removed_within_share"


def duplicate_warnings(rows: Sequence[tuple[str, int, int]], th: Thresholds) -> list[str]:
    """One sentence per raw table whose removed duplicates are over the share: (table, landed, removed)."""
    return [f"{table}: {removed:,} duplicate rows removed ({removed / landed:.1%} of {landed:,} landed; "
            f"warns above {th.warn_duplicates_removed_rate:.1%})"
            for table, landed, removed in rows if landed and th.too_many_duplicates_removed(removed, landed)]


def build_duplicates_check(asset_key: dg.AssetKey) -> dg.AssetChecksDefinition:
    """A WARN check on agg_ingestion_balance: staging removes duplicates silently (first landed wins);
    a bulk of them (a source re-sending everything) is worth a warning with the count."""

    @dg.asset_check(asset=asset_key, name=DUPLICATES_CHECK, blocking=False, pool=_writer_pool(),
                    description="Duplicate rows removed per raw table stay under warn_duplicates_removed_rate "
                                "of its landed rows (WARN with the count).")
    def _check(quality_config: QualityConfig) -> dg.AssetCheckResult:
        from orchestration import settings
        from orchestration.warehouse_lock import connect_live

        with connect_live(settings.duckdb_path(), read_only=True) as con:
            rows = con.execute(f"select source_table, rows_landed, duplicates_removed from "
                               f"{'.'.join(asset_key.path[-2:])} order by 1").fetchall()
        warnings = duplicate_warnings(rows, quality_config.thresholds())
        return dg.AssetCheckResult(
            passed=not warnings, severity=dg.AssetCheckSeverity.WARN,
            description=" | ".join(warnings) if warnings else "duplicates removed under the share in every table",
            metadata={"duplicates_removed": sum(r[2] for r in rows), "tables_over": len(warnings)})

    return _check
