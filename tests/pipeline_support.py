"""Helpers shared by tests/conftest.py and test modules (import from here, not from conftest:
tests/activation has a conftest.py of its own, so `from conftest import ...` is ambiguous)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
# Small on purpose: the whole `make test` must stay well under 15 minutes on 2 cores.
FIXTURE_ARGS = ("--advisors", "1500", "--days", "120", "--seed", "7")


@dataclass(frozen=True)
class BuiltWarehouse:
    root: Path
    raw_dir: Path
    landing_dir: Path
    duckdb_path: Path
    publish_dir: Path
    state_dir: Path
    dagster_home: Path

    def env(self) -> dict[str, str]:
        return warehouse_env(self.root)


def warehouse_env(root: Path) -> dict[str, str]:
    """The CJO_* variables (and DAGSTER_HOME) for a warehouse laid out under `root`."""
    return {
        "CJO_RAW_DIR": str(root / "raw"),
        "CJO_LANDING_DIR": str(root / "landing"),
        "CJO_DUCKDB_PATH": str(root / "cjo.duckdb"),
        "CJO_PUBLISH_DIR": str(root / "published"),
        "CJO_STATE_DIR": str(root / "state"),
        "DAGSTER_HOME": str(root / "dagster_home"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


def prepare_dagster_home(home: Path) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ROOT / "instance" / "dagster.yaml", home / "dagster.yaml")
    return home


def _run(cmd: list[str], env: dict[str, str], what: str) -> None:
    proc = subprocess.run(cmd, cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-60:])
        raise RuntimeError(f"{what} failed (exit {proc.returncode}): {' '.join(cmd)}\n{tail}")


def ensure_manifest() -> Path:
    """`dbt parse` when target/manifest.json is missing or older than a dbt file (the project's rule)."""
    from orchestration.dbt_assets import ensure_manifest as ensure

    return ensure()


def true_personas(con, raw_dir: Path):
    """customer_id -> the generator's true persona (from raw_dir/_ground_truth), one row per customer."""
    import pandas as pd

    records = pd.read_csv(raw_dir / "_ground_truth" / "advisor_records.csv")
    people = pd.read_csv(raw_dir / "_ground_truth" / "people.csv")[["person_id", "persona"]]
    customers = con.execute("select customer_id, advisor_id from marts.dim_customers").df()
    both = customers.merge(records, on="advisor_id").merge(people, on="person_id")
    return both.drop_duplicates("customer_id")[["customer_id", "persona"]]
