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

- ``fcntl.flock`` on ``<warehouse>.writer.lock``: released by the OS when the process dies, so a
  crashed run never leaves a stale lock.
- Re-entrant within a process (nested ``writer_lock`` calls share one lock), so helpers may call each
  other without deadlocking.
- ``CJO_WRITER_FILE_LOCK=0`` turns it off. Only the control case of the one-writer test does that, to
  show the collision the lock prevents.
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

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: the pool alone queues the writers
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

# How often a waiting process says what it is waiting for.
WAIT_LOG_SECONDS = 30.0
_POLL_SECONDS = 0.1

_guard = threading.RLock()
_held: dict[str, tuple[int, int]] = {}  # lock path -> (fd, depth)


def lock_path(db_path: Path) -> Path:
    return Path(f"{db_path}.writer.lock")


def enabled() -> bool:
    return fcntl is not None and os.environ.get("CJO_WRITER_FILE_LOCK", "1") != "0"


@contextmanager
def writer_lock(db_path: Path, echo: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the live warehouse's writer lock for the block (waits for the current holder)."""
    if not enabled():
        yield
        return
    key = str(lock_path(Path(db_path)).resolve())
    with _guard:
        if key in _held:  # nested in this process: already ours
            fd, depth = _held[key]
            _held[key] = (fd, depth + 1)
            try:
                yield
            finally:
                fd, depth = _held[key]
                _held[key] = (fd, depth - 1)
            return
        Path(key).parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(key, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            _acquire(fd, key, echo or log.info)
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            _held[key] = (fd, 1)
            try:
                yield
            finally:
                del _held[key]
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


def _acquire(fd: int, key: str, echo: Callable[[str], None]) -> None:
    started = last_said = time.monotonic()
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            now = time.monotonic()
            if now - last_said >= WAIT_LOG_SECONDS:
                holder = Path(key).read_text().strip() or "?"
                echo(f"waiting {now - started:.0f}s for the warehouse writer lock {key} (held by pid {holder})")
                last_said = now
            time.sleep(_POLL_SECONDS)


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
            yield con
        finally:
            con.close()
