"""One erasure pass: the forgotten set of this run, removed from every file and table, then checked.

Order, and why:
1. the forgotten set (forgotten.py), from the graph dbt just built and the ledger;
2. the ledger first: if anything below fails, the next run still knows who to erase;
3. landed rows -> the landed Parquet and the raw deliveries are rewritten without them; rejected lines
   and quarantined files that mention them are dropped;
4. every live table (tables.py): rows deleted, the sync audit log pseudonymized;
5. exports: their rows removed (a recent delete instruction excepted, see files.scrub_exports);
6. the check: no landed row and no table cell still holds one of their values, or the pass fails.

Steps 4-5 also run when nobody new is forgotten: a delete sent to a destination after the erasure is
logged with the key, and an export's delete instruction outlives its notice period.
Runs inside the writer pool (the erasure asset), after every model of the run (and after its syncs, which
never hold it back), before publish.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration.privacy import files, ledger, tables
from orchestration.privacy.forgotten import forgotten_set


class ErasureIncomplete(RuntimeError):
    """Data of a forgotten person is still there after the erasure pass."""


@dataclass
class ErasureReport:
    people: int = 0
    identifiers: int = 0
    requests: int = 0
    ledger_added: int = 0
    files: files.FileErasure = field(default_factory=files.FileErasure)
    table_rows: dict[str, int] = field(default_factory=dict)
    audit_cells: int = 0
    pending_destination_removals: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Folders:
    raw_dir: Path
    landing_dir: Path
    state_dir: Path
    export_dir: Path


def erase(con: duckdb.DuckDBPyConnection, folders: Folders, notice_days: float,
          now: datetime | None = None) -> ErasureReport:
    """Erase every forgotten person from every file and table. Raises ErasureIncomplete when the check
    after the pass still finds them."""
    started = time.perf_counter()
    now = (now or datetime.now(UTC)).replace(tzinfo=None)
    salt = ledger.salt(folders.state_dir)
    fs = forgotten_set(con, folders.state_dir)
    report = ErasureReport(people=len(fs.customer_ids), identifiers=len(fs.nodes), requests=len(fs.request_ids))
    values = fs.values() if fs else set()
    tokens = files.text_tokens(values)
    if fs:
        remember = [(i, k, None) for i, k in fs.ledger_identifiers()]
        remember += [(r, "request", r) for r in sorted(fs.request_ids)]
        report.ledger_added = ledger.append(folders.state_dir, ledger.new_rows(salt, remember, now))
        _erase_landed(con, fs, folders, values, report.files)
        report.files.reject_lines = files.scrub_rejects(folders.landing_dir, tokens)
        report.files.quarantined_files = files.scrub_quarantined(folders.raw_dir, tokens)
    known = ledger.read(folders.state_dir)
    report.table_rows, report.audit_cells = tables.scrub(con, values, tokens, salt, known)
    report.files.export_rows, report.files.export_files = files.scrub_exports(
        folders.export_dir, values, ledger.SALTED_HASH_SQL, salt, notice_days, folders.state_dir)
    report.pending_destination_removals = tables.pending_removals(con, salt, known)
    _check(con, fs, values, report.files.raw_files_not_rewritten)
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def _erase_landed(con, fs, folders: Folders, values: set[str], out: files.FileErasure) -> None:
    from orchestration.contract import tables as contract_tables

    by_fqn = {t.fqn: t for t in contract_tables()}
    for (fqn, did, source_file), rows in sorted(files.landed_hits(con, fs).items()):
        t = by_fqn[fqn]
        n = files.rewrite_landed(folders.landing_dir, t, did, rows)
        out.landed_rows += n
        out.landed_files += bool(n)
        raw = files.rewrite_raw(folders.raw_dir, folders.landing_dir, t, source_file, did, rows, values)
        if raw is None:
            out.raw_files_not_rewritten.append(source_file)
        else:
            out.raw_rows += raw
            out.raw_files += bool(raw)


def _check(con: duckdb.DuckDBPyConnection, fs, values: set[str], raw_left: list[str]) -> None:
    problems = [f"raw file {f} (changed since it was landed, or unreadable: rewrite or remove it by hand)"
                for f in raw_left]
    if fs and (left := files.landed_hits(con, fs)):
        problems.append(f"{sum(len(r) for r in left.values())} landed row(s) in "
                        f"{', '.join(sorted({k[0] for k in left}))}")
    if left_tables := tables.remaining(con, values):
        problems.append("rows in " + ", ".join(f"{k} ({v})" for k, v in sorted(left_tables.items())))
    if problems:
        raise ErasureIncomplete("erasure incomplete, forgotten people are still in: " + "; ".join(problems))
