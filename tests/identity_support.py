"""Helpers for tests/test_identity.py and tests/test_incremental.py: generate a small demo dataset, land
it, and run dbt into a temporary warehouse (never the developer's files, never the shared target/)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
# Only the models these tests are about, and what they are built from.
MODELS = "+fct_touchpoints +fct_sessions"


def generate(out: Path, *, advisors: int, days: int, seed: int) -> Path:
    subprocess.run(
        [sys.executable, "-m", "cjo_data.generate", "--advisors", str(advisors), "--days", str(days),
         "--seed", str(seed), "--out", str(out)],
        cwd=REPO, check=True, capture_output=True, text=True,
    )
    return out


def land(raw_dir: Path, landing_dir: Path, now: datetime | None = None):
    from orchestration.landing import land as _land

    return _land(raw_dir, landing_dir, now=now)


def dbt(args: list[str], *, landing_dir: Path, duckdb_path: Path, work: Path) -> str:
    """Run dbt with its own target and log folders; raise with dbt's output when it fails."""
    env = {
        **os.environ,
        "CJO_LANDING_DIR": str(landing_dir),
        "CJO_DUCKDB_PATH": str(duckdb_path),
        "DBT_TARGET_PATH": str(work / "target"),
        "DBT_LOG_PATH": str(work / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    proc = subprocess.run([str(BIN / "dbt"), *args], cwd=REPO, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise AssertionError(f"dbt {' '.join(args)} failed:\n{proc.stdout[-6000:]}\n{proc.stderr[-2000:]}")
    return proc.stdout


def query(duckdb_path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        return con.execute(sql).fetchall()


def copy_tree(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, dirs_exist_ok=True)
    return dst
