"""The erasure ledger: who was forgotten, kept only as salted hashes.

After an erasure the person's data, including the deletion request itself, is gone; the ledger is what
still says "this person asked to be forgotten", so that a later delivery naming them again (a CRM
re-export, a new login) is erased as well and they are never contacted again.

- ``<state_dir>/privacy/erasure_ledger.parquet``: one row per identifier of a forgotten person:
  ``identifier_hash`` = SHA-256 of ``<salt>:<identifier>`` (identifier trimmed and lower-cased: an
  identity node id such as ``email:jo@x.com``, or a customer_id), ``kind`` (node | customer),
  ``request_id`` (the request's own id, not personal data), ``erased_at``. Kept without limit.
- ``<state_dir>/privacy/erasure.salt``: 32 random bytes (hex), made on first use, readable by the owner
  only. Without it a hash cannot be recomputed from a guessed email, so the ledger cannot be reversed
  by trying a list of addresses; keep it as secret as the warehouse and back it up with the ledger
  (a lost salt means the ledger no longer recognizes anyone).

The state folder is not a warehouse schema, so rebuilding the live database from the landed files keeps
the ledger. Written only by the erasure asset, inside the writer pool.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

LEDGER_FILE = "erasure_ledger.parquet"
SALT_FILE = "erasure.salt"
SCHEMA = pa.schema([("identifier_hash", pa.string()), ("kind", pa.string()), ("request_id", pa.string()),
                    ("erased_at", pa.timestamp("us"))])
# The SQL twin of salted_hash(), for DuckDB (salt passed as a parameter, never stored in the database).
SALTED_HASH_SQL = "sha256($salt || ':' || lower(trim(cast({expr} as varchar))))"


def folder(state_dir: Path) -> Path:
    return Path(state_dir) / "privacy"


def salt(state_dir: Path) -> str:
    """The installation's secret salt, created (mode 0600) the first time it is needed."""
    path = folder(state_dir) / SALT_FILE
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_hex(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(value + "\n")
    return value


def salted_hash(salt_value: str, identifier: str) -> str:
    """SHA-256 hex of ``<salt>:<identifier trimmed, lower-cased>`` (same as SALTED_HASH_SQL)."""
    return hashlib.sha256(f"{salt_value}:{identifier.strip().lower()}".encode()).hexdigest()


def read(state_dir: Path) -> pa.Table:
    path = folder(state_dir) / LEDGER_FILE
    # ParquetFile, not read_table: read_table imports pyarrow.dataset (seconds, for a small file).
    return pq.ParquetFile(path).read().cast(SCHEMA) if path.exists() else SCHEMA.empty_table()


def append(state_dir: Path, rows: pa.Table) -> int:
    """Add rows (columns of SCHEMA) whose hash is not in the ledger yet; atomic rewrite. Returns how many."""
    current = read(state_dir)
    known = set(current.column("identifier_hash").to_pylist())
    new = [r for r in rows.cast(SCHEMA).to_pylist() if r["identifier_hash"] not in known]
    unique = list({r["identifier_hash"]: r for r in new}.values())
    if not unique:
        return 0
    table = pa.concat_tables([current, pa.Table.from_pylist(unique, SCHEMA)])
    target = folder(state_dir) / LEDGER_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    pq.write_table(table, tmp)
    os.replace(tmp, target)
    return len(unique)


def register(con: duckdb.DuckDBPyConnection, state_dir: Path, name: str = "_erasure_ledger") -> None:
    """Make the ledger queryable as ``name`` (identifier_hash, kind, request_id, erased_at)."""
    con.register(name, read(state_dir))


def new_rows(salt_value: str, identifiers: list[tuple[str, str, str | None]], erased_at: datetime) -> pa.Table:
    """Ledger rows for (identifier, kind, request_id) triples."""
    return pa.Table.from_pylist(
        [{"identifier_hash": salted_hash(salt_value, i), "kind": k, "request_id": r, "erased_at": erased_at}
         for i, k, r in identifiers], SCHEMA)
