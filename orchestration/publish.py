"""Published copies of the warehouse for readers (marketer CLI, reports, notebooks).

DuckDB has one writer and an open read-only connection blocks it, so nobody but the pipeline opens the
live file. After each successful run the ``published_warehouse`` asset publishes the TABLES of the
reader schemas, copying only the tables whose content changed (a fingerprint per table, one scan):

- ``<publish_dir>/versions/<schema>/<table>/<fingerprint>.parquet``: an immutable file per version of a
  table, written only when the table changed; versions used by neither the current nor the previous
  publication are removed, and the previous publication's too once anyone has been forgotten (its files
  may hold their data: docs/privacy.md);
- ``<publish_dir>/cjo.duckdb``: a small DuckDB file of views over those versions, built under a
  temporary name, then ``os.replace``d over the old one (atomic on POSIX: a reader sees the old or the
  new set of tables, never a mix; a reader that has the old file open keeps reading the old versions);
- ``<publish_dir>/parquet/<schema>/<table>.parquet``: the current version of each table (a hard link,
  swapped in with a rename);
- ``<publish_dir>/_published.json``: when, from where, the row count and fingerprint of every table, and
  which tables changed.

``reader_connection()`` is how readers open the published copy (read-only).
"""


import hashlib
import json
import os
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration import settings
from orchestration.warehouse_lock import apply_limits

# Schemas readers may see. Staging and intermediate stay private to the pipeline.
PUBLISHED_SCHEMAS = ("marts", "activation", "ml", "ops")
PUBLISHED_DB = "cjo.duckdb"
MANIFEST = "_published.json"
# Immutable Parquet per table version (named by content fingerprint); the published DuckDB file holds views.
VERSIONS = "versions"


class NothingPublishedError(FileNotFoundError):
    """No published copy exists yet (the pipeline has not finished a run)."""


def _q(ident: str) -> str:
    return '"' + ident.replace('"', '""') + '"'


def _lit(value: str | Path) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def list_tables(con: duckdb.DuckDBPyConnection, catalog: str, schemas=PUBLISHED_SCHEMAS) -> list[tuple[str, str]]:
    """(schema, table) of the base tables (not views) of `schemas` in `catalog`, sorted."""
    marks = ", ".join(_lit(s) for s in schemas)
    rows = con.execute(
        f"select table_schema, table_name from information_schema.tables where table_catalog = {_lit(catalog)} "
        f"and table_type = 'BASE TABLE' and table_schema in ({marks}) order by 1, 2").fetchall()
    return [(s, t) for s, t in rows]


def publish(live_path: Path, publish_dir: Path) -> dict:
    """Copy the reader schemas' tables from the live file into the published copies. Returns the
    manifest written to `_published.json` (tables with row counts, timings). Reading the live file
    blocks a writer, so it is done under the warehouse writer lock."""
    from orchestration.warehouse_lock import writer_lock

    with writer_lock(Path(live_path)):
        return _publish(Path(live_path), Path(publish_dir))


def fingerprint(con: duckdb.DuckDBPyConnection, relation: str) -> tuple[str, int]:
    """(content fingerprint, row count) of a table. The fingerprint does not depend on row order: columns
    and types, row count and the sum of the rows' hashes. One scan, far cheaper than copying the table."""
    cols = con.execute(f"select column_name, column_type from (describe {relation})").fetchall()
    rows, total = con.execute(f"select count(*), coalesce(sum(hash(t)::hugeint), 0) from {relation} as t").fetchone()
    return hashlib.sha256(repr((cols, rows, str(total))).encode()).hexdigest()[:16], rows


def _publish(live_path: Path, publish_dir: Path) -> dict:
    if not live_path.exists():
        raise FileNotFoundError(f"live warehouse {live_path} does not exist: run the pipeline first")
    started = time.perf_counter()
    publish_dir.mkdir(parents=True, exist_ok=True)
    previous = read_manifest(publish_dir) or {}
    before = previous.get("fingerprints", {})
    tmp_db = publish_dir / f".{PUBLISHED_DB}.tmp-{os.getpid()}"
    tmp_db.unlink(missing_ok=True)
    tables: dict[str, int] = {}
    prints: dict[str, str] = {}
    changed: list[str] = []
    con = duckdb.connect(str(tmp_db))
    try:
        con.execute("set TimeZone='UTC'")
        apply_limits(con)
        # READ_ONLY: publishing must never take the write lock from the pipeline's point of view.
        con.execute(f"attach {_lit(live_path)} as live (read_only)")
        for schema, table in list_tables(con, "live"):
            name, live_rel = f"{schema}.{table}", f"live.{_q(schema)}.{_q(table)}"
            prints[name], tables[name] = fingerprint(con, live_rel)
            version = _version_path(publish_dir, schema, table, prints[name])
            if prints[name] != before.get(name) or not version.exists():
                _write_version(con, live_rel, version, publish_dir / "parquet" / schema / f"{table}.parquet")
                changed.append(name)
            con.execute(f"create schema if not exists {_q(schema)}")
            con.execute(f"create view {_q(schema)}.{_q(table)} as select * from read_parquet({_lit(version)})")
        con.execute("detach live")
    except BaseException:
        con.close()
        tmp_db.unlink(missing_ok=True)
        raise
    con.close()
    os.replace(tmp_db, publish_dir / PUBLISHED_DB)
    manifest = {
        "published_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "live_path": str(live_path),
        "database": str(publish_dir / PUBLISHED_DB),
        "tables": tables,
        "fingerprints": prints,
        "changed": changed,
        "seconds": round(time.perf_counter() - started, 3),
    }
    tmp_manifest = publish_dir / f".{MANIFEST}.tmp-{os.getpid()}"
    tmp_manifest.write_text(json.dumps(manifest, indent=2) + "\n")
    os.replace(tmp_manifest, publish_dir / MANIFEST)
    # A reader that opened the previous copy keeps working, unless someone has been forgotten: then no
    # earlier version is kept (an older version may hold their data, or their sync state before the
    # destination confirmed the removal).
    _prune(publish_dir, keep=[prints] if _anyone_forgotten() else [prints, before])
    return manifest


def _anyone_forgotten() -> bool:
    """True once the erasure ledger has a row (docs/privacy.md)."""
    from orchestration.privacy import ledger

    return ledger.read(settings.state_dir()).num_rows > 0


def _version_path(publish_dir: Path, schema: str, table: str, print_: str) -> Path:
    return (publish_dir / VERSIONS / schema / table / f"{print_}.parquet").resolve()


def _write_version(con: duckdb.DuckDBPyConnection, relation: str, version: Path, latest: Path) -> None:
    """Write an immutable version file, then point the reader-facing `parquet/<schema>/<table>.parquet`
    at it (a hard link swapped in with os.replace; a copy where links are not allowed)."""
    version.parent.mkdir(parents=True, exist_ok=True)
    tmp = version.with_name(f".{version.name}.tmp-{os.getpid()}")
    con.execute(f"copy (select * from {relation}) to {_lit(tmp)} (format parquet, compression zstd)")
    os.replace(tmp, version)
    latest.parent.mkdir(parents=True, exist_ok=True)
    tmp_latest = latest.with_name(f".{latest.name}.tmp-{os.getpid()}")
    tmp_latest.unlink(missing_ok=True)
    try:
        tmp_latest.hardlink_to(version)
    except OSError:
        shutil.copyfile(version, tmp_latest)
    os.replace(tmp_latest, latest)


def _prune(publish_dir: Path, keep: list[dict[str, str]]) -> None:
    """Remove version files that neither this nor the previous publication uses (a reader that opened the
    previous copy keeps working), and the reader-facing Parquet of tables that no longer exist."""
    wanted = {_version_path(publish_dir, *name.split(".", 1), fp) for prints in keep for name, fp in prints.items()}
    for old in (publish_dir / VERSIONS).glob("*/*/*.parquet"):
        if old.resolve() not in wanted:
            old.unlink()
    current = keep[0]
    for old in (publish_dir / "parquet").glob("*/*.parquet"):
        if f"{old.parent.name}.{old.stem}" not in current:
            old.unlink()


def published_path(publish_dir: Path | None = None) -> Path:
    return Path(publish_dir or settings.publish_dir()) / PUBLISHED_DB


def read_manifest(publish_dir: Path | None = None) -> dict | None:
    path = Path(publish_dir or settings.publish_dir()) / MANIFEST
    return json.loads(path.read_text()) if path.exists() else None


def reader_connection(publish_dir: Path | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published copy (never the live file). Close it when done."""
    path = published_path(publish_dir)
    if not path.exists():
        raise NothingPublishedError(
            f"nothing published yet at {path}: run the pipeline once (`cjo run`), which publishes the "
            f"marts/activation/ml/ops tables after a successful run")
    con = duckdb.connect(str(path), read_only=True)
    con.execute("set TimeZone='UTC'")
    return con


# ------------------------------------------------------------------ Dagster

PUBLISHED_KEY_PATH = ("ops", "published_warehouse")


def build_published_asset(deps):
    """The ``published_warehouse`` asset, downstream of every mart (and of the Python assets that write
    the ml/ops schemas). Built in definitions.py, once every area's assets are known. It reads the live
    file, so it is in the writer pool: a reader would otherwise block the next writer."""
    import dagster as dg

    from orchestration.resources import DUCKDB_WRITER_POOL, WarehouseResource

    @dg.asset(
        key=dg.AssetKey(list(PUBLISHED_KEY_PATH)),
        deps=list(deps),
        group_name="publish",
        kinds={"python", "duckdb", "parquet"},
        pool=DUCKDB_WRITER_POOL,
        description="Reader copies of the marts/activation/ml/ops tables: <publish_dir>/cjo.duckdb "
        "(swapped atomically) and Parquet per table. Readers use orchestration.publish.reader_connection().",
    )
    def published_warehouse(warehouse: WarehouseResource) -> dg.MaterializeResult:
        manifest = publish(warehouse.duckdb_path(), warehouse.publish_dir())
        tables = manifest["tables"]
        return dg.MaterializeResult(metadata={
            "tables": len(tables),
            "rows": sum(tables.values()),
            "seconds": dg.FloatMetadataValue(manifest["seconds"]),
            "database": dg.MetadataValue.path(manifest["database"]),
            "row_counts": dg.MetadataValue.md(
                "| table | rows |\n|---|---|\n" + "\n".join(f"| {k} | {v} |" for k, v in tables.items())),
        })

    return published_warehouse
