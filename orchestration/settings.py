"""Where things live. Every path comes from one environment variable with a default, read lazily.

Nothing here is read at import time: call the functions when you need a value, so that tests and
`dagster dev` can set the environment first.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _path(var: str, default: str) -> Path:
    value = os.environ.get(var) or default
    path = Path(value)
    return path if path.is_absolute() else PROJECT_ROOT / path


def duckdb_path() -> Path:
    """The live warehouse file. Only the pipeline writes it (one writer at a time)."""
    return _path("CJO_DUCKDB_PATH", "warehouse/cjo.duckdb")


def raw_dir() -> Path:
    """Where raw deliveries land: <raw>/<source>/<table>/<file>.csv|.csv.gz|.parquet."""
    return _path("CJO_RAW_DIR", "data/raw")


def landing_dir() -> Path:
    """Typed-as-text Parquet copies of each accepted delivery, with lineage columns (read by dbt)."""
    return _path("CJO_LANDING_DIR", "warehouse/landing")


def publish_dir() -> Path:
    """Published copies for readers (marketers, reports): swapped in atomically after each run."""
    return _path("CJO_PUBLISH_DIR", "warehouse/published")


def state_dir() -> Path:
    """Model files, sync state files and other run artefacts that are not tables."""
    return _path("CJO_STATE_DIR", "warehouse/state")


def dbt_target() -> str:
    return os.environ.get("CJO_DBT_TARGET", "dev")
