"""One writer at a time on the live DuckDB file, across processes: an OS file lock next to it.

DuckDB allows one read-write process per file, and an open read-only connection blocks a writer too.
The Dagster pool ``duckdb_writer`` (limit 1, dagster.yaml) is the queue: it is what the UI shows and
what makes runs wait their turn. This lock is the guarantee under it. With the default SQLite instance
storage, two steps that claim the pool's one slot at the same instant can both get it (the slot
claim is a select-then-update, and SQLite has no row locks), and then the second DuckDB connection
failed with "Could not set lock on file" (seen once in about six runs of tests/test_one_writer.py on a
loaded 2-core machine). Everything in this project that opens the live file goes through
``connect_live`` (or holds ``writer_lock`` around a dbt subprocess), so the loser of that race, or a
`cjo sync` started by hand next to a run, waits here instead of failing.

- ``filelock.FileLock`` on ``<warehouse>.writer.lock`` (``flock`` on POSIX): released by the OS when the
  process dies, so a crashed run never leaves a stale lock.
- Re-entrant within a thread (nested ``writer_lock`` calls share one hold), so helpers may call each
  other without deadlocking; another thread of the same process waits like another process.
- The holder writes its pid to ``<warehouse>.writer.holder`` so a waiting process can say whom it waits
  for (a separate file: waiting processes open the lock file too).
- ``CJO_WRITER_FILE_LOCK=0`` (setting ``writer_file_lock``) turns it off. Only the control case of the
  one-writer test does that, to show the collision the lock prevents.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
from filelock import FileLock, Timeout

# The Dagster concurrency pool of every asset that opens the live warehouse (dbt, landing's bookkeeping,
# ML, quality results, syncs, publishing); instance/dagster.yaml limits it to 1.
DUCKDB_WRITER_POOL = "duckdb_writer"

log = logging.getLogger(__name__)

# A waiting process says what it waits for after FIRST_WAIT_LOG_SECONDS (a second `cjo run` next to a
# running one says so at once instead of sitting silent), then every WAIT_LOG_SECONDS.
FIRST_WAIT_LOG_SECONDS = 2.0
WAIT_LOG_SECONDS = 30.0
_POLL_SECONDS = 0.1

_registry_guard = threading.Lock()
_locks: dict[str, FileLock] = {}  # lock path -> its one FileLock in this process


def lock_path(db_path: Path) -> Path:
    return Path(f"{db_path}.writer.lock")


def holder_path(db_path: Path) -> Path:
    return Path(f"{db_path}.writer.holder")


def enabled() -> bool:
    from orchestration import settings

    return settings.get().writer_file_lock


def _lock_for(path: Path) -> FileLock:
    key = str(path.resolve())
    with _registry_guard:
        if key not in _locks:
            path.parent.mkdir(parents=True, exist_ok=True)
            # thread_local (the default): a hold belongs to one thread and nests in it.
            _locks[key] = FileLock(key)
        return _locks[key]


@contextmanager
def writer_lock(db_path: Path, echo: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the live warehouse's writer lock for the block (waits for the current holder)."""
    if not enabled():
        yield
        return
    db_path = Path(db_path)
    lock = _lock_for(lock_path(db_path))
    _acquire(lock, holder_path(db_path), echo or log.warning)
    try:
        if lock.lock_counter == 1:  # the outermost hold in this thread
            holder_path(db_path).write_text(f"{os.getpid()}\n")
        yield
    finally:
        lock.release()


def _acquire(lock: FileLock, holder: Path, echo: Callable[[str], None]) -> None:
    started = time.monotonic()
    timeout = FIRST_WAIT_LOG_SECONDS
    while True:
        try:
            lock.acquire(timeout=timeout, poll_interval=_POLL_SECONDS)
            return
        except Timeout:
            pid = holder.read_text().strip() if holder.exists() else "?"
            echo(f"waiting {time.monotonic() - started:.0f}s for the warehouse writer lock {lock.lock_file} "
                 f"(held by pid {pid or '?'}: another run or sync is writing; this one continues when it ends)")
            timeout = WAIT_LOG_SECONDS


def apply_limits(con: duckdb.DuckDBPyConnection) -> None:
    """DuckDB's memory limit and threads from the settings (the same values dbt's profile uses)."""
    from orchestration import settings

    s = settings.get()
    con.execute(f"set memory_limit = '{s.duckdb_memory_limit}'; set threads = {int(s.duckdb_threads)}")


@contextmanager
def connect_live(db_path: Path, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short-lived connection to the live warehouse file, under the writer lock (read-only too:
    a reader blocks the writer just the same). Times are UTC."""
    path = Path(db_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with writer_lock(path):
        con = duckdb.connect(str(path), read_only=read_only)
        try:
            con.execute("set TimeZone='UTC'")
            apply_limits(con)
            yield con
        finally:
            con.close()
