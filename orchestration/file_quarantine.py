"""Files that cannot be landed: what is wrong with them, and putting them aside without losing a byte.

A raw file that cannot be read, or that breaks the contract as a whole (zero bytes, wrong format,
corrupt or truncated compression, not UTF-8, a required column missing), is never half-landed and never
stops the other files of its delivery:

- ``check_readable`` names the problem (a code and a sentence with the line or byte where it applies)
  before DuckDB is asked to read the file, so the reason is ours, not a parser's stack trace;
- ``move_aside`` moves it to ``<raw>/_quarantine/<same relative path>`` (kept as delivered; a name that
  is taken gets the content hash as a prefix). If the raw folder is read-only, the file stays where it
  is and the registry remembers its content hash, so the next run does not report it again;
- ``record`` writes one registry row per file to ``<landing>/_quarantined_files/<id>.parquet``; dbt reads
  them as source ``landing.quarantined_files`` into ``marts.fct_quarantined_files``.

Fix the file and deliver it again (any name): the corrected content lands like any new delivery.
"""

from __future__ import annotations

import codecs
import gzip
import hashlib
import shutil
import zlib
from dataclasses import dataclass
from pathlib import Path

import duckdb

QUARANTINE_DIR = "_quarantine"  # under the raw folder
REGISTRY = "_quarantined_files"  # under the landing folder
SCHEMA_FILE = "_schema.parquet"
CODES = ("empty_file", "wrong_format", "corrupt_file", "truncated_file", "wrong_encoding",
         "missing_required_columns", "unreadable")
_CHUNK = 1 << 20


class FileRejected(Exception):
    """The file as a whole cannot be landed. ``rows``: its data lines, when they could be counted."""

    def __init__(self, code: str, reason: str, rows: int | None = None):
        assert code in CODES, code
        super().__init__(reason)
        self.code, self.reason, self.rows = code, reason, rows


@dataclass(frozen=True)
class QuarantinedFile:
    source_table: str
    source_file: str  # where it was delivered, relative to the raw folder
    kept_at: str  # where it is now, relative to the raw folder
    delivery_id: str
    reason_code: str
    reason: str
    file_bytes: int
    rows: int | None  # data lines, when the file could be read as text
    detected_at: str  # UTC, as the landing batch's landed_at

    @property
    def quarantine_id(self) -> str:
        return hashlib.sha256(f"{self.source_file}\0{self.delivery_id}".encode()).hexdigest()[:20]


def _utf8_problem(stream, gz: bool) -> FileRejected | None:
    """Read the whole stream; the first byte that is not UTF-8, with its line, or a broken gzip."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    line, offset = 1, 0
    try:
        while chunk := stream.read(_CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                start = min(exc.start, len(chunk) - 1)
                at = line + chunk[:start].count(b"\n")
                return FileRejected("wrong_encoding", f"not UTF-8: byte 0x{chunk[start]:02x} on line {at} "
                                    f"(byte {offset + start:,}); the contract's CSV is UTF-8, re-export it so")
            line += chunk.count(b"\n")
            offset += len(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return FileRejected("wrong_encoding", f"not UTF-8: the file ends inside a character (line {line})")
    except EOFError:
        return FileRejected("truncated_file", f"the gzip stream ends early after {offset:,} bytes of text "
                            "(an interrupted upload?); deliver the complete file")
    except (gzip.BadGzipFile, zlib.error, OSError) as exc:
        kind = "gzip" if gz else "file"
        return FileRejected("corrupt_file", f"corrupt {kind} after {offset:,} bytes of text: {exc}")
    return None


def check_readable(path: Path) -> None:
    """Raise FileRejected when the file cannot be read as what its name says (a CSV must be UTF-8)."""
    size = path.stat().st_size
    if size == 0:
        raise FileRejected("empty_file", "0 bytes: nothing to land (for 'no rows today', send just the header)")
    name = path.name.lower()
    with path.open("rb") as fh:
        head = fh.read(4)
    if name.endswith(".parquet"):
        if head != b"PAR1":
            raise FileRejected("wrong_format", f"named .parquet but not a Parquet file (starts with {head!r})")
        return  # DuckDB checks the rest of a Parquet file when it reads the schema
    gz = name.endswith(".gz")
    if gz and head[:2] != b"\x1f\x8b":
        raise FileRejected("wrong_format", "named .csv.gz but not gzip-compressed")
    if not gz and head[:2] == b"\x1f\x8b":
        raise FileRejected("wrong_format", "gzip-compressed but named .csv: name it .csv.gz")
    if head == b"PAR1":
        raise FileRejected("wrong_format", "a Parquet file named .csv: name it .parquet")
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise FileRejected("wrong_encoding", "UTF-16 text; the contract's CSV is UTF-8, re-export it so")
    opener = gzip.open if gz else open
    with opener(path, "rb") as stream:
        problem = _utf8_problem(stream, gz)
    if problem:
        raise problem


def count_lines(path: Path) -> int | None:
    """Non-blank lines after the header of a readable CSV (what DuckDB would parse), else None."""
    if path.name.lower().endswith(".parquet"):
        return None
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8-sig", newline="") as fh:
            n = sum(1 for line in fh if line.strip())
    except (OSError, EOFError, UnicodeDecodeError, zlib.error):
        return None
    return max(n - 1, 0)


def move_aside(path: Path, raw_dir: Path, delivery_id: str) -> tuple[Path, str]:
    """Move the file under <raw>/_quarantine/; returns (where it is now, a note when it could not move)."""
    rel = path.relative_to(raw_dir)
    dest = raw_dir / QUARANTINE_DIR / rel
    if dest.exists():
        dest = dest.with_name(f"{delivery_id[:12]}__{dest.name}")
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        if not dest.exists():
            shutil.move(path, dest)
        return dest, ""
    except OSError as exc:  # a read-only drop folder: keep it where it is, the registry remembers it
        return path, f"; could not move it aside ({exc.strerror or exc}), left in place"


def _sql_str(value: object) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _select(q: QuarantinedFile | None) -> str:
    if q is None:
        return ("select null::varchar as quarantine_id, null::varchar as source_table, null::varchar as "
                "source_file, null::varchar as kept_at, null::varchar as delivery_id, null::varchar as "
                "reason_code, null::varchar as reason, null::bigint as file_bytes, null::bigint as rows, "
                "null::timestamp as detected_at limit 0")
    rows = "null" if q.rows is None else str(int(q.rows))
    return (f"select {_sql_str(q.quarantine_id)} as quarantine_id, {_sql_str(q.source_table)} as source_table, "
            f"{_sql_str(q.source_file)} as source_file, {_sql_str(q.kept_at)} as kept_at, "
            f"{_sql_str(q.delivery_id)} as delivery_id, {_sql_str(q.reason_code)} as reason_code, "
            f"{_sql_str(q.reason)} as reason, {int(q.file_bytes)}::bigint as file_bytes, "
            f"{rows}::bigint as rows, {_sql_str(q.detected_at)}::timestamp as detected_at")


def _write(con: duckdb.DuckDBPyConnection, select_sql: str, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    con.execute(f"copy ({select_sql}) to {_sql_str(tmp)} (format parquet)")
    tmp.replace(target)


def ensure_registry(landing_dir: Path) -> None:
    """A zero-row registry file, so dbt's glob matches before any file was ever quarantined."""
    target = landing_dir / REGISTRY / SCHEMA_FILE
    if not target.exists():
        with duckdb.connect() as con:
            _write(con, _select(None), target)


def record(landing_dir: Path, q: QuarantinedFile) -> None:
    with duckdb.connect() as con:
        _write(con, _select(q), landing_dir / REGISTRY / f"{q.quarantine_id}.parquet")


def left_in_place(landing_dir: Path) -> set[tuple[str, str]]:
    """(source_file, delivery_id) of quarantined files that could not be moved: not reported twice."""
    folder = landing_dir / REGISTRY
    files = [p for p in folder.glob("*.parquet") if p.name != SCHEMA_FILE] if folder.is_dir() else []
    if not files:
        return set()
    with duckdb.connect() as con:
        rows = con.execute(
            f"select source_file, delivery_id from read_parquet([{', '.join(_sql_str(p) for p in files)}]) "
            "where kept_at = source_file").fetchall()
    return {(a, b) for a, b in rows}


def recorded(landing_dir: Path, limit: int = 50) -> list[tuple]:
    """(source_file, reason_code, rows, detected_at, reason) of the quarantined files, newest first."""
    folder = landing_dir / REGISTRY
    files = [p for p in folder.glob("*.parquet") if p.name != SCHEMA_FILE] if folder.is_dir() else []
    if not files:
        return []
    with duckdb.connect() as con:
        return con.execute(
            f"select source_file, reason_code, rows, detected_at, reason from "
            f"read_parquet([{', '.join(_sql_str(p) for p in files)}]) order by detected_at desc limit {int(limit)}"
        ).fetchall()
