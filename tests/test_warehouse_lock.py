"""The warehouse writer lock: re-entrant in a process, exclusive across processes, gone with its holder."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from orchestration.warehouse_lock import connect_live, holder_path, lock_path, writer_lock

ROOT = Path(__file__).resolve().parent.parent
# Exit 0 when the lock is free for another process, 3 when someone holds it.
PROBE = textwrap.dedent("""
    import fcntl, os, sys
    fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        sys.exit(3)
    sys.exit(0)
""")


def _free_for_others(db: Path) -> bool:
    rc = subprocess.run([sys.executable, "-c", PROBE, str(lock_path(db))], cwd=ROOT).returncode
    assert rc in (0, 3), rc
    return rc == 0


def test_held_while_connected_reentrant_and_released(tmp_path, monkeypatch):
    monkeypatch.setenv("CJO_WRITER_FILE_LOCK", "1")
    db = tmp_path / "w.duckdb"
    with writer_lock(db):
        assert not _free_for_others(db)
        with connect_live(db) as con:  # nested in the same process: no deadlock
            con.execute("create table t as select 1 as x")
            assert not _free_for_others(db)
        assert not _free_for_others(db), "the inner block must not release the outer lock"
        assert holder_path(db).read_text().strip() == str(os.getpid())  # for the wait message
    assert _free_for_others(db)
    with connect_live(db, read_only=True) as con:
        assert con.execute("select x from t").fetchone() == (1,)


def test_switched_off_only_when_asked(tmp_path, monkeypatch):
    db = tmp_path / "w.duckdb"
    monkeypatch.setenv("CJO_WRITER_FILE_LOCK", "0")
    with writer_lock(db):
        assert _free_for_others(db)


def test_another_thread_waits_and_says_for_whom(tmp_path, monkeypatch):
    """A second holder in the same process (another thread) waits like another process would, and the
    wait message names the holder's pid."""
    import threading

    from orchestration import warehouse_lock

    monkeypatch.setenv("CJO_WRITER_FILE_LOCK", "1")
    monkeypatch.setattr(warehouse_lock, "WAIT_LOG_SECONDS", 0.2)
    monkeypatch.setattr(warehouse_lock, "FIRST_WAIT_LOG_SECONDS", 0.2)
    db = tmp_path / "w.duckdb"
    said: list[str] = []
    order: list[str] = []

    def second() -> None:
        with writer_lock(db, echo=said.append):
            order.append("second")

    with writer_lock(db):
        t = threading.Thread(target=second)
        t.start()
        t.join(0.7)
        assert t.is_alive(), "the second holder must wait"
        order.append("first done")
    t.join(5)
    assert order == ["first done", "second"]
    assert said and f"held by pid {os.getpid()}" in said[0]
