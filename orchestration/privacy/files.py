"""Erasure in files: landed Parquet, raw deliveries, rejected lines, quarantined files, exports.

Which landed rows belong to a forgotten person is read from the staging base models (one view per raw
table over the landed Parquet, with the contract's normalization: a lower-cased email, an E.164 phone),
so a raw "Jo@X.com " is found by the same rule the identity graph used. Each hit names its delivery and
its record number (``_source_row``), which is how both the landed file and the raw file are rewritten.

Every rewrite is atomic (temporary file, fsync-free rename on one filesystem). A raw file that is
rewritten gets a new content hash; landing is told (``landing.record_rewritten_delivery``) so it is not
landed again as a new delivery.
"""

from __future__ import annotations

import bisect
import csv
import gzip
import hashlib
import io
import json
import logging
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from orchestration import landing
from orchestration.contract import Table, tables
from orchestration.privacy.forgotten import ForgottenSet, identifier_columns

log = logging.getLogger(__name__)

# Characters that end a value inside free text (a JSON payload, a CSV line, a log message). Letters,
# digits, '.', '-', '_', '+' and '@' do not: "jo@x.com" must not match inside "ajo@x.com".
EDGE = r"""[\s"',;:<>()\[\]{}=|/\\]"""
# Values shorter than this are matched only as whole cells, never inside text (an id "A1" is everywhere).
MIN_TEXT_MATCH = 6
_EDGE_RX = re.compile(EDGE)


@dataclass
class FileErasure:
    landed_rows: int = 0
    landed_files: int = 0
    raw_rows: int = 0
    raw_files: int = 0
    raw_files_not_rewritten: list[str] = field(default_factory=list)
    reject_lines: int = 0
    quarantined_files: int = 0
    export_rows: int = 0
    export_files: int = 0


def text_tokens(values: set[str]) -> frozenset[str]:
    """The tokens that mark a mention of a forgotten person inside text: THE rule, in Python
    (``mentions``) and in SQL (``mentioning_rows_sql``).

    Text is cut into tokens at ``EDGE`` characters; a value is mentioned when it is one whole token. A
    value that itself holds an edge character ("email:jo@x.com") is looked for through its longest part
    (every text holding the value holds that part as a token, so nothing is missed). Values and parts
    shorter than MIN_TEXT_MATCH are matched only as whole cells, never inside text.
    A set lookup per token, not one regular expression with an alternative per value: at 100k advisors a
    first erasure pass holds thousands of values, and that expression took over two minutes per column."""
    out = set()
    for v in values:
        parts = [p for p in _EDGE_RX.split(v) if p]
        longest = max(parts, key=len, default="")
        if len(longest) >= MIN_TEXT_MATCH:
            out.add(longest)
    return frozenset(out)


def mentions(text: str, tokens: frozenset[str]) -> bool:
    """Does a text (case-insensitive) hold one of the tokens as a whole token?"""
    return bool(tokens) and not tokens.isdisjoint(_EDGE_RX.split(text.lower()))


def mentioning_rows_sql(relation: str, key: str, expr: str) -> str:
    """SQL: ``key`` of every row of ``relation`` whose text ``expr`` (lower-cased) holds a token of the
    registered relation ``_erase_tokens`` (column v); needs the parameter ``$edge`` (``EDGE``). Cells
    without an edge character are single tokens, found by the callers' whole-cell comparison."""
    return (f"select k from (select {key} as k, unnest(string_split_regex({expr}, $edge)) as tok "
            f"from {relation} where regexp_matches({expr}, $edge)) where tok in (select v from _erase_tokens)")


def _q(value: str | Path) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def base_view(t: Table) -> str:
    return f"staging.base_{t.source}__{t.name}"


def landed_hits(con: duckdb.DuckDBPyConnection, fs: ForgottenSet) -> dict[tuple[str, str, str], set[int]]:
    """{(table fqn, delivery id, source file): record numbers} of every landed row naming a forgotten person."""
    con.register("_forgotten_nodes", _nodes_relation(fs))
    hits: dict[tuple[str, str, str], set[int]] = {}
    try:
        for t in tables():
            cols = identifier_columns(t)
            if not cols:
                continue
            where = " or ".join(
                f"lower(trim(cast({c} as varchar))) in (select node_value from _forgotten_nodes "
                f"where node_type = {_q(kind)})" for c, kind in cols.items())
            rows = con.execute(f"select _delivery_id, _source_file, _source_row from {base_view(t)} "
                               f"where {where}").fetchall()
            for did, src, row in rows:
                hits.setdefault((t.fqn, did, src), set()).add(int(row))
    finally:
        con.unregister("_forgotten_nodes")
    return hits


def _nodes_relation(fs: ForgottenSet):
    import pyarrow as pa

    return pa.table({"node_type": [t for _, t, _ in fs.nodes],
                     "node_value": [(v or "").strip().lower() for _, _, v in fs.nodes]})


def _write_parquet_atomic(con: duckdb.DuckDBPyConnection, select_sql: str, target: Path) -> None:
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    con.execute(f"copy ({select_sql}) to {_q(tmp)} (format parquet, compression zstd)")
    os.replace(tmp, target)


def rewrite_landed(landing_dir: Path, t: Table, did: str, rows: set[int]) -> int:
    """Rewrite ``<landing>/<source>/<table>/<did>.parquet`` without the given record numbers."""
    target = landing_dir / t.source / t.name / f"{did}.parquet"
    if not target.exists():
        return 0
    with duckdb.connect() as con:
        con.execute("create temp table _drop as select unnest($r)::bigint as r", {"r": sorted(rows)})
        before = con.execute(f"select count(*) from read_parquet({_q(target)})").fetchall()[0][0]
        _write_parquet_atomic(con, f"select * from read_parquet({_q(target)}) "
                                   f"where _source_row not in (select r from _drop)", target)
        after = con.execute(f"select count(*) from read_parquet({_q(target)})").fetchall()[0][0]
    return before - after


def _looks_like(record_text: str, values: set[str]) -> bool:
    """Does a raw record mention one of the values (case-insensitive; phones compared by digits)?"""
    low = record_text.lower()
    digits = re.sub(r"\D", "", low)
    return any(v in low or (v.startswith("+") and len(v) > 6 and v[1:] in digits) for v in values)


def _rewrite_csv(path: Path, rows: set[int], values: set[str]) -> int | None:
    """Drop data records ``rows`` (1-based, after the header). None when a record to drop does not
    mention the person (the file changed since it was landed): then nothing is written."""
    is_gz = path.name.lower().endswith(".gz")
    opener = gzip.open if is_gz else open
    with opener(path, "rt", encoding="utf-8-sig", newline="") as fh:
        records = list(csv.reader(fh))
    if not records:
        return 0
    header, data = records[0], records[1:]
    dropped = [r for i, r in enumerate(data, start=1) if i in rows]
    if any(not _looks_like(",".join(r), values) for r in dropped):
        return None
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(r for i, r in enumerate(data, start=1) if i not in rows)
    payload = buf.getvalue().encode()
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_bytes(gzip.compress(payload, mtime=0) if is_gz else payload)
    os.replace(tmp, path)
    return len(dropped)


def _rewrite_raw_parquet(path: Path, rows: set[int]) -> int:
    with duckdb.connect() as con:
        con.execute("create temp table _drop as select unnest($r)::bigint as r", {"r": sorted(rows)})
        _write_parquet_atomic(
            con, f"select * exclude (file_row_number) from read_parquet({_q(path)}, file_row_number=true) "
                 f"where file_row_number + 1 not in (select r from _drop)", path)
    return len(rows)


def rewrite_raw(raw_dir: Path, landing_dir: Path, t: Table, source_file: str, did: str, rows: set[int],
                values: set[str]) -> int | None:
    """Rewrite one raw delivery without the person's records. 0 when the file is gone (retention), None
    when it cannot be rewritten safely (it changed since landing, or cannot be read)."""
    path = raw_dir / source_file
    if not path.exists():
        return 0
    current = landing.delivery_id(path)
    before = [] if current == did else landing.rewrite_of(landing_dir, current, did)
    if before is None:
        return None
    # Landed row numbers are the file's as delivered; an earlier erasure already took `before` out.
    gone = set(before)
    at = {r: r - bisect.bisect_left(before, r) for r in rows if r not in gone}
    try:
        if path.name.lower().endswith(".parquet"):
            dropped = _rewrite_raw_parquet(path, set(at.values()))
        else:
            dropped = _rewrite_csv(path, set(at.values()), values)
    except (OSError, UnicodeError, csv.Error, EOFError, duckdb.Error) as exc:
        log.warning("erasure: raw file %s could not be rewritten: %s", source_file, exc)
        return None
    if dropped is not None:
        landing.record_rewritten_delivery(landing_dir, t, landing.delivery_id(path), did, [*before, *at])
    return dropped


def scrub_rejects(landing_dir: Path, tokens: frozenset[str]) -> int:
    """Drop rejected raw lines (``<landing>/_rejects``) that mention a forgotten person."""
    if not tokens:
        return 0
    total = 0
    with duckdb.connect() as con:
        con.register("_erase_tokens", values_relation(tokens))
        for path in sorted((landing_dir / landing.REJECTS).rglob("*.parquet")):
            if path.name == landing.SCHEMA_FILE:
                continue
            con.execute(f"create or replace temp table _rej as select row_number() over () as _k, * "
                        f"from read_parquet({_q(path)})")
            line = "lower(coalesce(raw_line, ''))"
            hits = (f"select _k from _rej where {line} in (select v from _erase_tokens) union "
                    + mentioning_rows_sql("_rej", "_k", line))
            hit = con.execute(f"delete from _rej where _k in ({hits})", {"edge": EDGE}).fetchall()[0][0]
            if hit:
                _write_parquet_atomic(con, "select * exclude (_k) from _rej order by _k", path)
                total += hit
    return total


def scrub_quarantined(raw_dir: Path, tokens: frozenset[str]) -> int:
    """Quarantined raw files (``<raw>/_quarantine``) were never landed, so only their text can be
    searched: a text file loses the lines that mention the person; a file that cannot be read as text
    but whose bytes mention them is deleted (kept byte for byte is not kept at all here)."""
    folder = raw_dir / "_quarantine"
    if not tokens or not folder.is_dir():
        return 0
    changed = 0
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        try:
            text = (gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data).decode("utf-8")
        except (OSError, EOFError, UnicodeDecodeError, gzip.BadGzipFile):
            if mentions(data.decode("latin-1"), tokens):
                path.unlink()
                changed += 1
            continue
        lines = text.splitlines(keepends=True)
        kept = [ln for ln in lines if not mentions(ln, tokens)]
        if len(kept) != len(lines):
            tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
            tmp.write_bytes("".join(kept).encode())
            os.replace(tmp, path)
            changed += 1
    return changed


def scrub_exports(export_dir: Path, values: set[str], ledger_hash_sql: str, salt: str, notice_days: float,
                  state_dir: Path) -> tuple[int, int]:
    """Rows of forgotten people in every export file (CSV and Parquet under the export folder): a row is
    theirs when a cell equals one of their values or its salted hash is in the ledger. A delete
    instruction (``_op = delete``) younger than ``notice_days`` is kept so the consumer can still remove
    them; after that it goes too. Returns (rows removed, files rewritten)."""
    from orchestration.privacy import ledger

    if not export_dir.is_dir():
        return 0, 0
    rows_removed = files = 0
    cutoff = time.time() - notice_days * 86400
    with duckdb.connect() as con:
        con.register("_values", values_relation(values))
        ledger.register(con, state_dir)
        for path in sorted(p for p in export_dir.rglob("*") if p.is_file() and not p.name.startswith(".")):
            kind = "parquet" if path.suffix == ".parquet" else "csv" if path.suffix == ".csv" else None
            if kind is None:
                continue
            removed = _scrub_export_file(con, path, kind, ledger_hash_sql, salt, path.stat().st_mtime >= cutoff)
            rows_removed += removed
            files += bool(removed)
        con.unregister("_values")
    return rows_removed, files


def values_relation(values: set[str] | frozenset[str]):
    """A one-column table ``v`` (text) of the values, to register in DuckDB: the erasure's value and token
    sets in every query (an empty set is an empty, still typed, column)."""
    import pyarrow as pa

    return pa.table({"v": sorted(values)}, schema=pa.schema([("v", pa.string())]))


def _scrub_export_file(con: duckdb.DuckDBPyConnection, path: Path, kind: str, hash_sql: str, salt: str,
                       recent: bool) -> int:
    reader = (f"read_parquet({_q(path)})" if kind == "parquet"
              else f"read_csv({_q(path)}, header=true, all_varchar=true)")
    cols = [d[0] for d in con.execute(f"select * from {reader} limit 0").description]
    cells = [f'lower(trim(cast("{c}" as varchar)))' for c in cols]
    hashed = hash_sql.replace("$salt", _q(salt))  # COPY takes no parameters; the salt stays in memory
    theirs = " or ".join(
        f"coalesce({c} in (select v from _values) or {hashed.format(expr=c)} in "
        f"(select identifier_hash from _erasure_ledger), false)" for c in cells) or "false"
    keep_notice = "_op" in cols and recent
    notice = "coalesce(\"_op\", '') = 'delete'" if keep_notice else "false"
    cond = f"({theirs}) and not ({notice})"
    # A kept delete instruction keeps only its op and key: every other field (a payload) is blanked.
    blank = [c for c in cols if c not in ("_op", "_key")]
    hit, blanked = con.execute(
        f"select count(*) filter (where {cond}), count(*) filter (where ({theirs}) and ({notice}) and ("
        + (" or ".join(f'"{c}" is not null' for c in blank) or "false") + f")) from {reader}").fetchall()[0]
    if not hit and not blanked:
        return 0
    fmt = "(format parquet, compression zstd)" if kind == "parquet" else "(format csv, header true)"
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    select = ", ".join(f'"{c}"' if c in ("_op", "_key") else
                       f'case when ({theirs}) and ({notice}) then null else "{c}" end as "{c}"' for c in cols)
    con.execute(f"copy (select {select} from {reader} where not ({cond})) to {_q(tmp)} {fmt}")
    os.replace(tmp, path)
    _update_export_manifest(con, path, reader if kind == "parquet" else
                            f"read_csv({_q(path)}, header=true, all_varchar=true)", hit)
    return hit


def _update_export_manifest(con: duckdb.DuckDBPyConnection, path: Path, reader: str, erased: int) -> None:
    """The files destination's manifest beside the file (rows, ops, sha256) describes the rewritten file."""
    manifest_path = path.with_name(path.name + ".manifest.json")
    if not manifest_path.exists():
        return
    manifest = json.loads(manifest_path.read_text())
    has_op = "_op" in [d[0] for d in con.execute(f"select * from {reader} limit 0").description]
    ops = dict(con.execute(f'select "_op", count(*) from {reader} group by 1').fetchall()) if has_op else {}
    manifest.update(rows=con.execute(f"select count(*) from {reader}").fetchall()[0][0], ops=ops,
                    sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
                    erased_rows=manifest.get("erased_rows", 0) + erased)
    tmp = manifest_path.with_name(f".{manifest_path.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(manifest, indent=2))
    os.replace(tmp, manifest_path)
