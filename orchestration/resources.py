"""Resources: the one place where the pipeline reads its environment (lazily, never at import).

- ``WarehouseResource``: the live DuckDB file (CJO_DUCKDB_PATH) and the folders around it. Connections are
  opened per use and closed at once: DuckDB allows ONE writing process, and even an open read-only
  connection makes the next write fail with "Could not set lock on file".
- ``dbt_resource()``: dagster-dbt's ``DbtCliResource`` (as ``CjoDbtCliResource``, orchestration/dbt_assets.py:
  without the `dbt --version` process and the unused in-process adapter) pointed at this repo, with the dbt
  executable taken from the running interpreter's folder (so it works when the venv is not activated).

``DUCKDB_WRITER_POOL`` (defined in orchestration/warehouse_lock.py, beside the lock under it) is the
Dagster concurrency pool of every asset that opens the live warehouse (dbt, landing's bookkeeping, ML,
quality results, syncs, publishing). instance/dagster.yaml limits it to 1, so two runs launched at once
queue on it instead of colliding on the file lock (docs/operations.md).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from orchestration import settings
from orchestration.warehouse_lock import DUCKDB_WRITER_POOL  # noqa: F401 (the pool name, re-exported)

# The instance settings copied into DAGSTER_HOME. Not in the project root: Dagster warns about a
# dagster.yaml in the working directory that is not the one of DAGSTER_HOME.
INSTANCE_YAML = settings.PROJECT_ROOT / "instance" / "dagster.yaml"
# Changing this name without changing instance/dagster.yaml lifts the one-writer limit (runs would then fail with
# "Could not set lock on file" when they overlap).


class WarehouseResource(dg.ConfigurableResource):
    """Paths of the live warehouse and its folders. Empty fields mean "from the environment"."""

    duckdb_path_override: str = ""

    def duckdb_path(self) -> Path:
        return Path(self.duckdb_path_override) if self.duckdb_path_override else settings.duckdb_path()

    def raw_dir(self) -> Path:
        return settings.raw_dir()

    def landing_dir(self) -> Path:
        return settings.landing_dir()

    def publish_dir(self) -> Path:
        return settings.publish_dir()

    def state_dir(self) -> Path:
        return settings.state_dir()

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A short-lived connection to the live file; only call it from an asset in DUCKDB_WRITER_POOL."""
        from orchestration.warehouse_lock import connect_live

        with connect_live(self.duckdb_path(), read_only=read_only) as con:
            yield con


def dbt_resource():
    """The dbt CLI resource (built lazily: importing dagster_dbt is not free)."""
    from orchestration.dbt_assets import CjoDbtCliResource, dbt_executable, dbt_project

    # dagster-dbt runs dbt with DBT_SEND_ANONYMOUS_USAGE_STATS=false (the machine may be offline).
    project = dbt_project()
    return CjoDbtCliResource(
        project_dir=project,
        profiles_dir=str(project.profiles_dir),
        dbt_executable=dbt_executable(),
    )


def resources() -> dict[str, object]:
    return {"dbt": dbt_resource(), "warehouse": WarehouseResource()}


def dagster_home() -> Path:
    """DAGSTER_HOME (setting ``dagster_home``), defaulting to the git-ignored .dagster_home/ in the repo."""
    return settings.get().dagster_home


def ensure_dagster_home() -> Path:
    """Create DAGSTER_HOME with the project's instance/dagster.yaml (one-writer pool and run queue) and
    export it. The repo's file is the source of truth; it is copied when missing or different."""
    home = dagster_home().resolve()
    home.mkdir(parents=True, exist_ok=True)
    src = INSTANCE_YAML
    dst = home / "dagster.yaml"
    if src.exists() and (not dst.exists() or dst.read_text() != src.read_text()):
        dst.write_text(src.read_text())
    os.environ["DAGSTER_HOME"] = str(home)
    return home
