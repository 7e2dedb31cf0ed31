"""Helpers shared by the BYOD mappers: reading a source CSV with clear errors, deterministic hashing,
month arithmetic and writing one contract-shaped CSV per raw table."""

from __future__ import annotations

import calendar
import csv
import hashlib
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from orchestration.contract import table


class SourceFileError(ValueError):
    """The source file is missing, lacks a column, or holds a value the mapper cannot use. The message
    names the file, and the line and field when there is one."""


@dataclass
class MappingResult:
    """What a mapper wrote: one file per raw table (``source.table`` -> path) and its data row count."""

    files: dict[str, Path] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)

    def summary(self) -> dict[str, int]:
        return dict(self.rows)


def stable_int(*parts: object) -> int:
    """A deterministic non-negative integer from the parts (Python's hash() is salted per process)."""
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def stable_token(*parts: object, length: int = 16) -> str:
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:length]


def add_months(dt: datetime, months: int) -> datetime:
    """``dt`` moved by whole calendar months; the day is clamped to the target month's length."""
    y, m = divmod(dt.month - 1 + months, 12)
    year, month = dt.year + y, m + 1
    return dt.replace(year=year, month=month, day=min(dt.day, calendar.monthrange(year, month)[1]))


def iso(dt: datetime) -> str:
    """ISO 8601 in UTC with a Z, the form the contract documents."""
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def resolve_source(path: Path | str | None, default: Path) -> Path:
    """The source file, or a SourceFileError naming the path that was looked for."""
    p = Path(path) if path is not None else default
    if not p.is_file():
        raise SourceFileError(
            f"source file not found: {p} (pass --src PATH; the default is ../shared/data relative to the repo root)")
    return p


def read_rows(path: Path, required: Iterable[str], *, limit: int | None = None) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield ``(line_number, row)`` for each data row of a comma-separated, UTF-8 CSV with a header.
    Header names are stripped. A missing required column raises before any row is yielded."""
    with path.open("r", encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            raise SourceFileError(f"{path}: the file is empty (no header row)") from None
        missing = [c for c in required if c not in header]
        if missing:
            raise SourceFileError(
                f"{path}: missing column{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))} "
                f"(found: {', '.join(header)}). Is it the right file, comma-separated?")
        for n, record in enumerate(reader, start=1):
            if limit is not None and n > limit:
                return
            if not record:
                continue
            if len(record) != len(header):
                raise SourceFileError(
                    f"{path}:{reader.line_num}: expected {len(header)} fields, found {len(record)}")
            yield reader.line_num, dict(zip(header, record, strict=True))


def bad_value(path: Path, line: int, field_name: str, value: str, expected: str) -> SourceFileError:
    return SourceFileError(f"{path}:{line}: field {field_name!r} {expected}, got {value!r}")


def parse_int(path: Path, line: int, row: Mapping[str, str], name: str) -> int:
    raw = row[name].strip()
    try:
        value = int(raw)
    except ValueError:
        raise bad_value(path, line, name, row[name], "is not a whole number") from None
    if value < 0:
        raise bad_value(path, line, name, row[name], "must not be negative")
    return value


def parse_float(path: Path, line: int, row: Mapping[str, str], name: str) -> float:
    raw = row[name].strip()
    try:
        return float(raw)
    except ValueError:
        raise bad_value(path, line, name, row[name], "is not a number") from None


def parse_bool(path: Path, line: int, row: Mapping[str, str], name: str) -> bool:
    raw = row[name].strip().lower()
    if raw in ("true", "yes", "1"):
        return True
    if raw in ("false", "no", "0"):
        return False
    raise bad_value(path, line, name, row[name], "is not TRUE/FALSE or Yes/No")


def write_table(out_dir: Path, fqn: str, file_name: str, rows: Iterable[Mapping[str, object]],
                result: MappingResult) -> Path:
    """Write ``<out>/<source>/<table>/<file_name>`` with exactly the contract's columns, in its order.
    Missing keys are written empty; a key the contract does not know is a bug and raises. The file
    appears atomically (a dot-named temporary file, which landing ignores, then a rename)."""
    t = table(fqn)
    columns = [c.name for c in t.columns]
    known = set(columns)
    target = out_dir / t.source / t.name / file_name
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    count = 0
    try:
        with tmp.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(columns)
            for row in rows:
                unknown = set(row) - known
                if unknown:
                    raise KeyError(f"{fqn}: columns not in the contract: {sorted(unknown)}")
                writer.writerow(["" if row.get(c) is None else row[c] for c in columns])
                count += 1
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    result.files[fqn] = target
    result.rows[fqn] = count
    return target
