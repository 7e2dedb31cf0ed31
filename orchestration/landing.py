"""Landing: turn raw deliveries into lineage-stamped Parquet that dbt's sources read.

Why a landing step instead of pointing dbt straight at the raw CSVs:
- a file that cannot be landed (zero bytes, wrong format, corrupt or truncated, not UTF-8, a required
  column missing) is moved aside with a reason (orchestration/file_quarantine.py) and recorded for
  ``fct_quarantined_files``, while every other file of the delivery lands: one bad file never stops a run;
- every row carries the file and record number it came from, and lines the CSV parser cannot read are
  kept (with their line number) so they reach `fct_quarantined_rows` instead of vanishing;
- CSV, gzipped CSV and Parquet deliveries all become one shape, every contract column as text, so a
  bad value quarantines one row in staging rather than failing a whole load;
- each delivery is landed once (its content hash is its id), atomically (temporary file, then rename),
  so a crash mid-landing is finished by the next run and re-delivered files are not double counted.

Every raw file gets exactly one outcome: landed (rows + unparseable lines = its records), skipped_empty
(a header and no rows), quarantined (kept under ``<raw>/_quarantine/``), already_landed,
duplicate_delivery or already_quarantined. ``land`` never raises for a bad file.

Landed layout: ``<landing>/<source>/<table>/<delivery_id>.parquet`` plus a zero-row ``_schema.parquet``
per table (so the glob dbt reads always matches), ``<landing>/_rejects/<source>/<table>/...`` and
``<landing>/_quarantined_files/<id>.parquet``.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import logging
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration import file_quarantine as fq
from orchestration.contract import Table, tables

log = logging.getLogger(__name__)

RAW_SUFFIXES = (".csv", ".csv.gz", ".parquet")
MANIFEST = "_manifest.jsonl"
# Raw files rewritten by an erasure (orchestration/privacy/files.py): their new content hash -> the
# delivery they were landed as, so the rewritten file is not landed again as a new delivery.
REWRITTEN = "_rewritten_deliveries.jsonl"
REJECTS = "_rejects"
SCHEMA_FILE = "_schema.parquet"


@dataclass
class LandedFile:
    source_file: str
    table: str
    delivery_id: str
    status: str  # landed | skipped_empty | quarantined | already_landed | duplicate_delivery | already_quarantined
    rows: int = 0  # rows landed; for a quarantined file, its data lines when they could be counted
    rejected_lines: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    landed_at: str = ""
    message: str = ""
    reason_code: str = ""  # why a file was quarantined (file_quarantine.CODES)
    kept_at: str = ""  # where a quarantined file is now, relative to the raw folder


@dataclass
class LandingReport:
    files: list[LandedFile] = field(default_factory=list)

    @property
    def landed(self) -> list[LandedFile]:
        return [f for f in self.files if f.status == "landed"]

    @property
    def quarantined(self) -> list[LandedFile]:
        return [f for f in self.files if f.status == "quarantined"]

    @property
    def warnings(self) -> list[str]:
        return [f.message for f in self.files if f.message]

    def summary(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for f in self.files:
            out[f.status] = out.get(f.status, 0) + 1
        out["rows_landed"] = sum(f.rows for f in self.landed)
        out["lines_rejected"] = sum(f.rejected_lines for f in self.landed)
        if self.quarantined:
            out["rows_in_quarantined_files"] = sum(f.rows for f in self.quarantined)
        return out


def _sql_str(value: str | Path) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def discover(raw_dir: Path) -> list[tuple[Table, Path]]:
    """All raw files under the contract's folders, in a stable order (oldest name first)."""
    found: list[tuple[Table, Path]] = []
    for t in tables():
        folder = raw_dir / t.source / t.name
        if not folder.is_dir():
            continue
        files = sorted(
            p for p in folder.rglob("*")
            if p.is_file() and p.name.lower().endswith(RAW_SUFFIXES) and not p.name.startswith((".", "_"))
        )
        found.extend((t, p) for p in files)
    return found


def unknown_folders(raw_dir: Path) -> list[Path]:
    """Folders under the raw dir that the contract does not know (a typo in a table name is silent
    otherwise)."""
    known = {(t.source, t.name) for t in tables()}
    out = []
    if not raw_dir.is_dir():
        return out
    for src in sorted(p for p in raw_dir.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))):
        for tbl in sorted(p for p in src.iterdir() if p.is_dir()):
            if (src.name, tbl.name) not in known:
                out.append(tbl)
    return out


def delivery_id(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:20]


def _csv_header(path: Path) -> list[str]:
    """The header record of a CSV delivery, read with Python's csv module so that ragged data rows
    cannot confuse a sniffer."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8-sig", newline="") as fh:
        for record in csv.reader(fh):
            return [c.strip() for c in record]
    return []


def _columns(con: duckdb.DuckDBPyConnection, path: Path) -> list[str]:
    if path.name.lower().endswith(".parquet"):
        rel = con.sql(f"select * from read_parquet({_sql_str(path)}) limit 0")
        return list(rel.columns)
    return _csv_header(path)


def _reader(path: Path, columns: list[str]) -> str:
    p = _sql_str(path)
    if path.name.lower().endswith(".parquet"):
        return f"read_parquet({p}, file_row_number=true)"
    # The contract's dialect: comma, double quotes, a header row, UTF-8. Every column is read as text:
    # typing happens in staging, where a bad value quarantines one row instead of the file.
    # store_rejects keeps lines the parser cannot split, with their line number: nothing is dropped.
    cols = "{" + ", ".join(f"{_sql_str(c)}: 'VARCHAR'" for c in columns) + "}"
    return (f"read_csv({p}, header=true, auto_detect=false, delim=',', quote='\"', escape='\"', "
            f"columns={cols}, store_rejects=true, strict_mode=true)")


def _check_columns(t: Table, path: Path, columns: list[str]) -> list[str]:
    """Reject a file without a required column; return the extra columns that will be ignored."""
    normalized = {c.strip().lower(): c for c in columns}
    missing = [c for c in t.required_columns if c not in normalized]
    if missing:
        found = ", ".join(columns[:20]) + (" ..." if len(columns) > 20 else "")
        raise fq.FileRejected(
            "missing_required_columns",
            f"missing required column{'s' if len(missing) > 1 else ''} {', '.join(repr(m) for m in missing)} "
            f"for raw table {t.fqn} (found columns: {found or 'none'})", rows=fq.count_lines(path))
    known = {c.name for c in t.columns}
    return [c for c in columns if c.strip().lower() not in known]


def _write_atomic(con: duckdb.DuckDBPyConnection, select_sql: str, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    con.execute(f"copy ({select_sql}) to {_sql_str(tmp)} (format parquet, compression zstd)")
    os.replace(tmp, target)


def _lineage_select(t: Table, cols_sql: str, rel_name: str, did: str, landed_at: str) -> str:
    return (
        f"select {cols_sql}, {_sql_str(rel_name)} as _source_file, _rownum::bigint as _source_row, "
        f"{_sql_str(did)} as _delivery_id, {_sql_str(landed_at)}::timestamp as _landed_at"
    )


def ensure_schema_files(landing_dir: Path) -> None:
    """A zero-row Parquet per table (and for rejects) so dbt's globs always match a file."""
    con = duckdb.connect()
    for t in tables():
        target = landing_dir / t.source / t.name / SCHEMA_FILE
        if target.exists():
            continue
        cols = ", ".join(f"null::varchar as {c.name}" for c in t.columns)
        _write_atomic(
            con,
            f"select {cols}, null::varchar as _source_file, null::bigint as _source_row, "
            f"null::varchar as _delivery_id, null::timestamp as _landed_at limit 0",
            target,
        )
    target = landing_dir / REJECTS / SCHEMA_FILE
    if not target.exists():
        _write_atomic(con, _rejects_select_sql(None, "", "", "") + " limit 0", target)
    con.close()
    fq.ensure_registry(landing_dir)


def _renumber_after_rejects(con: duckdb.DuckDBPyConnection) -> None:
    """Give the rows that parsed their record number in the file, not their rank among good rows.

    row_number() counts only the rows the parser kept, so every row after a rejected line would point
    one record too early. The j-th rejected record (record number b_j = physical line - 1, the header
    being line 1) has b_j - j good rows before it, so good row i is record i + #{j : b_j - j < i}.
    Assumes one record per line (a quoted field spanning lines shifts the physical line numbers).
    """
    con.execute(
        "create or replace temp table _rejected as select line - 1 - row_number() over (order by line) "
        "as good_before from (select distinct line from reject_errors)")
    con.execute(
        "create or replace temp table _delivery as select d.* exclude (_rownum), d._rownum + "
        "(select count(*) from _rejected r where r.good_before < d._rownum) as _rownum from _delivery d "
        "order by d._rownum")


def _rejects_select_sql(t: Table | None, rel_name: str, did: str, landed_at: str) -> str:
    if t is None:
        return (
            "select null::varchar as source_table, null::varchar as _source_file, null::bigint as line, "
            "null::varchar as error_type, null::varchar as error_message, null::varchar as raw_line, "
            "null::varchar as _delivery_id, null::timestamp as _landed_at"
        )
    return (
        f"select {_sql_str(t.fqn)} as source_table, {_sql_str(rel_name)} as _source_file, "
        f"line::bigint as line, error_type, error_message, raw_line, "
        f"{_sql_str(did)} as _delivery_id, {_sql_str(landed_at)}::timestamp as _landed_at "
        f"from (select line, min(error_type::varchar) as error_type, min(error_message) as error_message, "
        f"min(csv_line) as raw_line from reject_errors group by line)"
    )


def _already_landed(landing_dir: Path) -> dict[str, str]:
    """delivery_id -> table fqn, from the files on disk (the truth) rather than the manifest."""
    out: dict[str, str] = {}
    for t in tables():
        folder = landing_dir / t.source / t.name
        if folder.is_dir():
            for p in folder.glob("*.parquet"):
                if p.name != SCHEMA_FILE:
                    out[p.stem] = t.fqn
    for entry in _rewritten_entries(landing_dir):
        out.setdefault(entry["delivery_id"], entry["table"])
    return out


def _rewritten_entries(landing_dir: Path) -> list[dict]:
    """The erasure's rewrite log (record_rewritten_delivery), oldest first."""
    rewritten = landing_dir / REWRITTEN
    if not rewritten.exists():
        return []
    return [json.loads(line) for line in rewritten.read_text().splitlines() if line.strip()]


def landed_delivery_ids(landing_dir: Path) -> set[str]:
    """The content hashes landed already: as delivered, or as an erasure's rewrite of a delivery."""
    return set(_already_landed(landing_dir))


def record_rewritten_delivery(landing_dir: Path, t: Table, new_id: str, landed_as: str,
                              dropped_rows: list[int]) -> None:
    """A raw file landed as ``landed_as`` was rewritten (erasure) and now hashes to ``new_id``: landing
    treats it as already landed. ``dropped_rows``: every data record (1-based, as landed) no longer in it,
    so a later erasure can find the landed row numbers in the rewritten file."""
    with (landing_dir / REWRITTEN).open("a") as fh:
        fh.write(json.dumps({"delivery_id": new_id, "table": t.fqn, "landed_as": landed_as,
                             "dropped_rows": sorted(dropped_rows)}) + "\n")


def rewrite_of(landing_dir: Path, current_id: str, landed_as: str) -> list[int] | None:
    """The landed rows dropped from a raw file that an erasure rewrote (landed as ``landed_as``, now
    hashing to ``current_id``); None when no erasure wrote that content (someone else changed the file)."""
    for entry in reversed(_rewritten_entries(landing_dir)):
        if entry.get("delivery_id") == current_id and entry.get("landed_as") == landed_as:
            return entry.get("dropped_rows")  # None for entries written before rows were recorded
    return None


def _read(con: duckdb.DuckDBPyConnection, t: Table, path: Path) -> tuple[int, int, list[str], str]:
    """Read the delivery into temp table _delivery: (rows, rejected lines, ignored columns, column sql).
    Raises FileRejected when the file as a whole cannot be landed."""
    fq.check_readable(path)
    try:
        columns = _columns(con, path)
    except (duckdb.Error, csv.Error, OSError, EOFError, UnicodeError) as exc:
        raise fq.FileRejected("unreadable", f"cannot be read as {path.suffix}: {exc}") from None
    if not columns:
        raise fq.FileRejected("missing_required_columns", "no header row", rows=0)
    ignored = _check_columns(t, path, columns)
    by_lower = {c.strip().lower(): c for c in columns}
    cols_sql = ", ".join(
        (f'nullif(trim(cast("{by_lower[c.name]}" as varchar)), \'\') as {c.name}' if c.name in by_lower
         else f"null::varchar as {c.name}")
        for c in t.columns
    )
    is_parquet = path.name.lower().endswith(".parquet")
    rownum = "file_row_number + 1" if is_parquet else "row_number() over ()"
    try:
        con.execute(
            f"create or replace temp table _delivery as select *, {rownum} as _rownum from {_reader(path, columns)}")
        rows = con.execute("select count(*) from _delivery").fetchone()[0]
        rejected = 0 if is_parquet else con.execute("select count(distinct line) from reject_errors").fetchone()[0]
        if rejected:
            _renumber_after_rejects(con)
    except duckdb.Error as exc:
        raise fq.FileRejected("unreadable", f"cannot be read: {str(exc).splitlines()[0][:300]}") from None
    return rows, rejected, ignored, cols_sql


def land_file(
    con: duckdb.DuckDBPyConnection, t: Table, path: Path, raw_dir: Path, landing_dir: Path,
    landed_at: str, did: str | None = None,
) -> LandedFile:
    """Land one file. Raises FileRejected (and writes nothing) when it cannot be landed as a whole."""
    rel_name = path.relative_to(raw_dir).as_posix()
    did = did or delivery_id(path)
    rows, rejected, ignored, cols_sql = _read(con, t, path)
    if rows == 0 and rejected == 0:
        return LandedFile(rel_name, t.fqn, did, "skipped_empty", ignored_columns=ignored,
                          message=f"{rel_name}: no data rows (header only), skipped")
    target = landing_dir / t.source / t.name / f"{did}.parquet"
    _write_atomic(con, _lineage_select(t, cols_sql, rel_name, did, landed_at) + " from _delivery", target)
    if rejected:
        try:
            _write_atomic(con, _rejects_select_sql(t, rel_name, did, landed_at),
                          landing_dir / REJECTS / t.source / t.name / f"{did}.parquet")
        except duckdb.Error:
            target.unlink()  # both or neither: the next run lands the delivery again
            raise
    msg = ""
    if ignored:
        msg = f"{rel_name}: columns not in the contract were ignored: {', '.join(ignored)}"
    if rejected:
        msg = (msg + "; " if msg else "") + f"{rel_name}: {rejected} unparseable line(s) quarantined"
    return LandedFile(rel_name, t.fqn, did, "landed", rows=rows, rejected_lines=rejected,
                      ignored_columns=ignored, landed_at=landed_at, message=msg)


def quarantine_file(t: Table, path: Path, raw_dir: Path, landing_dir: Path, did: str, exc: fq.FileRejected,
                    landed_at: str) -> LandedFile:
    """Move the file aside and record why (file_quarantine.py): kept, never deleted."""
    rel_name = path.relative_to(raw_dir).as_posix()
    size = path.stat().st_size
    rows = exc.rows if exc.rows is not None else fq.count_lines(path)  # known whenever it is UTF-8 text
    kept, note = fq.move_aside(path, raw_dir, did)
    q = fq.QuarantinedFile(
        source_table=t.fqn, source_file=rel_name, kept_at=kept.relative_to(raw_dir).as_posix(), delivery_id=did,
        reason_code=exc.code, reason=exc.reason, file_bytes=size, rows=rows, detected_at=landed_at)
    fq.record(landing_dir, q)
    return LandedFile(rel_name, t.fqn, did, "quarantined", rows=rows or 0, landed_at=landed_at,
                      reason_code=exc.code, kept_at=q.kept_at,
                      message=f"{rel_name}: file quarantined ({exc.code}): {exc.reason}; kept at {q.kept_at}{note}")


def _seen_before(t: Table, rel_name: str, did: str, done: dict[str, str], kept_in_place: set[tuple[str, str]]
                 ) -> LandedFile | None:
    """The outcome of a file whose content was landed (or quarantined in place) before, else None."""
    if did in done:
        status = "already_landed" if done[did] == t.fqn else "duplicate_delivery"
        return LandedFile(rel_name, t.fqn, did, status)
    if (rel_name, did) in kept_in_place:
        return LandedFile(rel_name, t.fqn, did, "already_quarantined", kept_at=rel_name)
    return None


def land(
    raw_dir: Path, landing_dir: Path, *, only: Iterable[str] | None = None, now: datetime | None = None,
) -> LandingReport:
    """Land every raw file not landed yet. A file that cannot be landed is moved aside with its reason
    (status ``quarantined``); the others land. Never raises for a bad file."""
    landing_dir.mkdir(parents=True, exist_ok=True)
    ensure_schema_files(landing_dir)
    for folder in unknown_folders(raw_dir):
        log.warning("raw folder %s is not in the contract and is ignored", folder)
    landed_at = (now or datetime.now(UTC)).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
    wanted = set(only) if only else None
    done, kept_in_place = _already_landed(landing_dir), fq.left_in_place(landing_dir)
    report = LandingReport()
    for t, path in discover(raw_dir):
        if wanted and t.fqn not in wanted:
            continue
        did, rel_name = delivery_id(path), path.relative_to(raw_dir).as_posix()
        lf = _seen_before(t, rel_name, did, done, kept_in_place)
        if lf is None:
            # A fresh connection per file: DuckDB's reject tables belong to the connection.
            with duckdb.connect() as file_con:
                file_con.execute("set TimeZone='UTC'")
                try:
                    lf = land_file(file_con, t, path, raw_dir, landing_dir, landed_at, did)
                except fq.FileRejected as exc:
                    lf = quarantine_file(t, path, raw_dir, landing_dir, did, exc, landed_at)
            if lf.status == "landed":
                done[did] = t.fqn
            if lf.message:
                log.warning(lf.message)
            _append_manifest(landing_dir, lf)
        report.files.append(lf)
    return report


def _append_manifest(landing_dir: Path, lf: LandedFile) -> None:
    with (landing_dir / MANIFEST).open("a") as fh:
        fh.write(json.dumps(asdict(lf)) + "\n")


def read_manifest(landing_dir: Path) -> list[dict]:
    path = landing_dir / MANIFEST
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def main(argv: list[str] | None = None) -> int:
    """`python -m orchestration.landing [--raw DIR] [--landing DIR]`: land new deliveries. Exit code 0, or
    3 when a file was quarantined (everything else still landed)."""
    import argparse
    import sys

    from orchestration import settings

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--raw", type=Path, default=None, help="raw folder (default: CJO_RAW_DIR)")
    parser.add_argument("--landing", type=Path, default=None, help="landing folder (default: CJO_LANDING_DIR)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    report = land(args.raw or settings.raw_dir(), args.landing or settings.landing_dir())
    for f in report.quarantined:
        print(f"quarantined: {f.message}", file=sys.stderr)
    print(json.dumps(report.summary()))
    return 3 if report.quarantined else 0


if __name__ == "__main__":
    raise SystemExit(main())
