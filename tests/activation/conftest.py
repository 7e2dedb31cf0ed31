"""Fixtures for the activation tests: a real PostgreSQL server, a real HTTP server, a small warehouse."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import psycopg
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from activation_support import WebhookServer, people, write_warehouse

ROOT = Path(__file__).resolve().parents[2]


def _pg_module():
    spec = importlib.util.spec_from_file_location("pg_test_server", ROOT / "scripts" / "pg_test_server.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["pg_test_server"] = mod  # dataclasses look their module up while the class is built
    assert spec.loader is not None
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="session")
def pg_server():
    """A throwaway PostgreSQL on 127.0.0.1 (installed with apt-get if missing). Never skipped."""
    srv = _pg_module().start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def pg_dsn(pg_server, monkeypatch):
    """A fresh database per test; its DSN is also in env var CJO_TEST_PG_DSN (specs name the var)."""
    import uuid

    db = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server.dsn, autocommit=True) as con:
        con.execute(f"create database {db}")
    dsn = pg_server.dsn.rsplit("/", 1)[0] + f"/{db}"
    monkeypatch.setenv("CJO_TEST_PG_DSN", dsn)
    yield dsn
    with psycopg.connect(pg_server.dsn, autocommit=True) as con:
        con.execute(f"drop database if exists {db} with (force)")


@pytest.fixture
def webhook(monkeypatch):
    monkeypatch.setenv("CJO_TEST_HOOK_SECRET", "s3cret")
    with WebhookServer("s3cret") as srv:
        monkeypatch.setenv("CJO_TEST_HOOK_URL", srv.url)
        yield srv


@pytest.fixture
def warehouse(tmp_path):
    """A small DuckDB warehouse with 60 people, all consented and in the audience."""
    db = tmp_path / "wh.duckdb"
    persons = people(60)
    write_warehouse(db, persons)
    return db, persons
