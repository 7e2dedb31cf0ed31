"""Published copies of the warehouse for readers (marketer CLI, reports, notebooks).

DuckDB has one writer and an open read-only connection blocks it, so nobody but the pipeline opens the
live file. After each successful run the ``published_warehouse`` asset copies the TABLES of the reader
schemas into:

- ``<publish_dir>/cjo.duckdb``: a new DuckDB file built under a temporary name, then ``os.replace``d
  over the old one (atomic on POSIX: a reader sees the old or the new copy, never half of one; a reader
  that has the old file open keeps reading it);
- ``<publish_dir>/parquet/<schema>/<table>.parquet``: one file per table, each written to a temporary
  name and renamed;
- ``<publish_dir>/_published.json``: when, from where, and the row count of every table.

``reader_connection()`` is how readers open the published copy (read-only).
"""


import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration import settings

# Schemas readers may see. Staging and intermediate stay private to the pipeline.
PUBLISHED_SCHEMAS = ("marts", "activation", "ml", "ops")
PUBLISHED_DB = "cjo.duckdb"
MANIFEST = "_published.json"


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


def _publish(live_path: Path, publish_dir: Path) -> dict:
    if not live_path.exists():
        raise FileNotFoundError(f"live warehouse {live_path} does not exist: run the pipeline first")
    started = time.perf_counter()
    publish_dir.mkdir(parents=True, exist_ok=True)
    tmp_db = publish_dir / f".{PUBLISHED_DB}.tmp-{os.getpid()}"
    tmp_db.unlink(missing_ok=True)
    parquet_root = publish_dir / "parquet"
    tables: dict[str, int] = {}
    con = duckdb.connect(str(tmp_db))
    try:
        con.execute("set TimeZone='UTC'")
        # READ_ONLY: publishing must never take the write lock from the pipeline's point of view.
        con.execute(f"attach {_lit(live_path)} as live (read_only)")
        found = list_tables(con, "live")
        for schema, table in found:
            con.execute(f"create schema if not exists {_q(schema)}")
            con.execute(f"create table {_q(schema)}.{_q(table)} as select * from live.{_q(schema)}.{_q(table)}")
            tables[f"{schema}.{table}"] = con.execute(
                f"select count(*) from {_q(schema)}.{_q(table)}").fetchone()[0]
            target = parquet_root / schema / f"{table}.parquet"
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp_pq = target.with_name(f".{target.name}.tmp-{os.getpid()}")
            con.execute(f"copy {_q(schema)}.{_q(table)} to {_lit(tmp_pq)} (format parquet, compression zstd)")
            os.replace(tmp_pq, target)
        con.execute("detach live")
    except BaseException:
        con.close()
        tmp_db.unlink(missing_ok=True)
        raise
    con.close()
    os.replace(tmp_db, publish_dir / PUBLISHED_DB)
    # Parquet of tables that no longer exist would mislead readers: remove them.
    for old in parquet_root.glob("*/*.parquet"):
        if f"{old.parent.name}.{old.stem}" not in tables:
            old.unlink()
    manifest = {
        "published_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "live_path": str(live_path),
        "database": str(publish_dir / PUBLISHED_DB),
        "tables": tables,
        "seconds": round(time.perf_counter() - started, 3),
    }
    tmp_manifest = publish_dir / f".{MANIFEST}.tmp-{os.getpid()}"
    tmp_manifest.write_text(json.dumps(manifest, indent=2) + "\n")
    os.replace(tmp_manifest, publish_dir / MANIFEST)
    return manifest


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
