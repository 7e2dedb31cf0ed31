"""Which deliveries a raw check validates, and validating them. Pure functions: no Dagster here.

A raw check validates the deliveries landed by the CURRENT run (from the landing manifest: status
``landed`` and ``landed_at`` at or after the run started). A delivery is validated once, in the run that
landed it; re-running a blocked run without new files therefore passes (nothing new), which is how an
operator accepts a delivery after looking at it. To reject it instead, remove its landed Parquet file.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from pathlib import Path

from expectations._config import Thresholds
from orchestration.landing import read_manifest
from orchestration.quality.runner import SuiteResult


def new_deliveries(landing_dir: Path, since: datetime | None) -> dict[str, list[dict]]:
    """table fqn -> manifest entries landed at/after ``since`` (naive UTC). ``since=None``: the latest
    landing batch (every file that one ``land()`` call wrote shares its landed_at)."""
    entries = [e for e in read_manifest(landing_dir) if e.get("status") == "landed" and e.get("landed_at")]
    if not entries:
        return {}
    if since is None:
        latest = max(e["landed_at"] for e in entries)
        chosen = [e for e in entries if e["landed_at"] == latest]
    else:
        cutoff = since.replace(tzinfo=None)
        chosen = [e for e in entries if datetime.fromisoformat(e["landed_at"]) >= cutoff]
    out: dict[str, list[dict]] = defaultdict(list)
    for e in chosen:
        out[e["table"]].append(e)
    return dict(out)


def _pct(observed: str) -> str:
    """'3 of 26 unexpected (11.54%): [...]' -> '3 of 26 (11.54%)'."""
    head = observed.split(":")[0]
    return head.replace(" unexpected", "")


def block_reason(result: SuiteResult, codes: dict[str, int], th: Thresholds) -> str:
    """Why a delivery is blocked, in one line a person can act on: how many rows break the contract and
    how (quarantine codes with counts), then every failed expectation with what it observed."""
    parts = []
    bad = sum(codes.values())
    if bad:
        by_code = ", ".join(f"{code} {n:,}" for code, n in sorted(codes.items(), key=lambda kv: -kv[1]))
        parts.append(f"{bad:,} of {result.rows:,} rows ({bad / max(result.rows, 1):.1%}) break the contract "
                     f"({by_code}; allowed: {th.max_quarantine_rate:.0%}, or fewer than {th.min_quarantine_rows} rows)")
    for o in result.failures:
        if o.column_name == "_quarantine_code":
            continue
        what = o.description or f"{o.column_name or 'table'}: {o.expectation.removeprefix('expect_')}"
        parts.append(f"{what} failed, {_pct(o.observed_value)}")
    return f"{result.batch} blocked: " + "; ".join(parts)


def validate_deliveries(landing_dir: Path, deliveries: dict[str, list[dict]], th: Thresholds
                        ) -> dict[str, list[SuiteResult]]:
    """Run each table's raw suite on each of its new deliveries (one GX batch per delivery)."""
    import duckdb

    from expectations import raw_suites
    from orchestration.contract import plausibility, tables
    from orchestration.quality.runner import validate

    suites = raw_suites(tables(), plausibility())
    out: dict[str, list[SuiteResult]] = {}
    with duckdb.connect() as con:
        for fqn, entries in deliveries.items():
            suite = suites[fqn]
            t = suite.table
            for e in entries:
                path = landing_dir / t.source / t.name / f"{e['delivery_id']}.parquet"
                if not path.exists():  # removed by an operator (rejected); nothing to validate
                    continue
                frame = suite.frame(con, [path], max_rows=th.max_rows_per_batch)
                gx_suite = suite.suite(th, list(frame.columns), rows=len(frame),
                                       nonnull={k: int(v) for k, v in frame.notna().sum().items()})
                batch = e["source_file"]
                if frame.attrs.get("sample_fraction"):
                    batch += f" (key-hash sample, {len(frame)} of {e.get('rows', '?')} rows)"
                result = validate(frame, gx_suite, asset=fqn, batch=batch)
                if not result.success:
                    codes = frame["_quarantine_code"].dropna().value_counts().to_dict()
                    result.reason = block_reason(result, {str(k): int(v) for k, v in codes.items()}, th)
                out.setdefault(fqn, []).append(result)
    return out
