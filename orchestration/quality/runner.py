"""Validate a pandas DataFrame against a GX suite in an ephemeral context; return plain results.

GX is imported here lazily (it takes ~5 s) and one ephemeral context is reused per process. Nothing in
the results refers to GX objects, so callers (asset checks, tests, the CLI) stay GX-free.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from great_expectations import ExpectationSuite


@dataclass(frozen=True)
class ExpectationOutcome:
    expectation: str  # e.g. expect_column_values_to_be_in_set
    column_name: str | None
    success: bool
    observed_value: str  # readable: a number, or "3 of 120 unexpected (2.50%): ['x', ...]"
    description: str = ""  # what the expectation guards, in words (its meta "what")


@dataclass
class SuiteResult:
    suite: str
    asset: str  # the guarded table, e.g. crm.sales or marts.dim_customers
    batch: str = ""  # what was validated: a delivery (landed file) or "aggregate"
    rows: int = 0
    outcomes: list[ExpectationOutcome] = field(default_factory=list)
    reason: str = ""  # why a failing batch is blocked, in words (set by the raw check; see quality/raw.py)

    @property
    def success(self) -> bool:
        return all(o.success for o in self.outcomes)

    @property
    def failures(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success]

    def summary(self) -> str:
        if self.success:
            return f"{self.suite} on {self.batch or self.asset}: {len(self.outcomes)} expectations passed"
        fails = "; ".join(
            f"{o.expectation}({o.column_name or ''}) observed {o.observed_value}" for o in self.failures)
        return f"{self.suite} on {self.batch or self.asset}: {len(self.failures)} failed: {fails}"


@lru_cache(maxsize=1)
def _context():
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    ds = ctx.data_sources.add_pandas(name="cjo_quality")
    asset = ds.add_dataframe_asset(name="frame")
    return ctx, asset.add_batch_definition_whole_dataframe("whole_frame")


def _jsonable(v: Any) -> Any:
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return str(v)
    if hasattr(v, "isoformat"):
        return v.isoformat()
    if hasattr(v, "item"):  # numpy scalars
        return v.item()
    return v


def observed(result: dict, exception: dict | None = None, expectation: str = "") -> str:
    """A short readable observed value from a GX result dict."""
    if exception and exception.get("raised_exception"):
        return "error: " + str(exception.get("exception_message"))[:300]
    if "observed_value" in result:
        v = _jsonable(result["observed_value"])
        return v if isinstance(v, str) else json.dumps(v, default=str)
    if "unexpected_count" in result:
        sample = [_jsonable(x) for x in (result.get("partial_unexpected_list") or [])[:5]]
        pct = result.get("unexpected_percent") or 0.0
        # Null checks count every row; the others ignore nulls (GX's unexpected_percent does the same).
        total = result.get("element_count", 0)
        if not expectation.endswith(("_to_be_null", "_to_not_be_null")):
            total -= result.get("missing_count") or 0
        s = f"{result['unexpected_count']} of {total} unexpected ({pct:.2f}%)"
        return s + (f": {json.dumps(sample, default=str)}" if sample else "")
    return json.dumps({k: _jsonable(v) for k, v in result.items()}, default=str)[:500]


def validate(df: pd.DataFrame, suite: ExpectationSuite, *, asset: str, batch: str = "") -> SuiteResult:
    """Run ``suite`` on ``df`` in the ephemeral context. Never raises on failed expectations."""
    ctx, batch_def = _context()
    suite = ctx.suites.add_or_update(suite)
    gx_batch = batch_def.get_batch(batch_parameters={"dataframe": df})
    res = gx_batch.validate(suite, result_format="SUMMARY")
    out = SuiteResult(suite=suite.name, asset=asset, batch=batch, rows=len(df))
    for r in res.results:
        cfg = r.expectation_config
        exc = r.exception_info if isinstance(r.exception_info, dict) else None
        if exc and "raised_exception" not in exc:  # GX nests exception info by metric id
            exc = next((e for e in exc.values() if isinstance(e, dict) and e.get("raised_exception")), None)
        out.outcomes.append(ExpectationOutcome(
            expectation=cfg.type,
            column_name=cfg.kwargs.get("column"),
            success=bool(r.success),
            observed_value=observed(r.result or {}, exc, cfg.type),
            description=(cfg.meta or {}).get("what", ""),
        ))
    # Stable order for readable output (GX groups by domain).
    out.outcomes.sort(key=lambda o: (o.column_name or "", o.expectation))
    return out
