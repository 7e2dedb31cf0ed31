"""Shared pytest fixtures.

- ``dbt_manifest``: makes sure ``target/manifest.json`` exists and is current before a test imports the
  Dagster code location (``orchestration.dbt_assets`` reads it at import).
- ``built_warehouse`` (session): a small demo dataset generated, landed, built with ``dbt build`` and
  published into a temporary folder, with every CJO_* variable and DAGSTER_HOME pointing there for the
  whole session. Yields ``BuiltWarehouse`` (.root .raw_dir .landing_dir .duckdb_path .publish_dir
  .state_dir .dagster_home). Tests must treat it as read-only (build their own copy to write).
- ``own_dbt_target`` (session, autouse): dagster-dbt's invocation folders go under a target folder of
  this pytest process (DBT_TARGET_PATH), not the project's target/ shared with other processes.
- ``default_signal_dispositions`` (autouse): each test starts with SIGINT, SIGTERM, SIGHUP and SIGQUIT
  at their defaults, so the processes it starts can be interrupted and terminated.

`make pytest` runs the tests in two pytest-xdist workers, one test file per worker at a time
(``--dist loadfile``: a module-scoped fixture runs once), longest files first (LONGEST_FIRST).
Everything a worker writes is its own: tmp_path (per worker), ports from the OS, DBT_TARGET_PATH.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
from pathlib import Path

import pytest
from pipeline_support import (
    FIXTURE_ARGS,
    ROOT,
    VENV_BIN,
    BuiltWarehouse,
    _run,
    ensure_manifest,
    prepare_dagster_home,
    warehouse_env,
)

# The test files that take minutes (setup + calls, measured: `make pytest` prints the slowest), longest
# first. Collected first, so the two xdist workers start on them and the many short files fill in the
# rest; collected last (by name), one of them could start when the other worker has nothing left.
LONGEST_FIRST = (
    "tests/test_erasure.py",
    "tests/test_pipeline_inprocess.py",
    "tests/test_incremental.py",
    "tests/dashboard/test_dashboard_browser.py",
    "tests/test_dev.py",
    "tests/test_gate_property.py",
    "tests/test_browser.py",
    "tests/quality/test_faults.py",
    "tests/test_expected_fixture.py",
    "tests/journeys/test_journey_crash.py",
    "tests/test_byod.py",
    "tests/activation/test_crash.py",
    "tests/test_one_writer.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    rank = {path: i for i, path in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(rank)))  # stable: rest in order


@pytest.fixture(scope="session", autouse=True)
def own_dbt_target(tmp_path_factory: pytest.TempPathFactory):
    """dagster-dbt puts each dbt step's folder under DBT_TARGET_PATH (default: the project's target/) and
    the dbt assets prune old ones there; a folder of this process's own keeps parallel workers (and a
    developer's `cjo run`) apart. Explicit --target-path arguments and the project's manifest are
    unaffected."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DBT_TARGET_PATH", str(tmp_path_factory.mktemp("dbt_target")))
        yield


@pytest.fixture(autouse=True)
def default_signal_dispositions():
    """Every test starts with the default signal dispositions, which the processes it starts inherit.
    In the final `make test` of session 6, something earlier in a pytest-xdist worker left SIGHUP,
    SIGINT, SIGQUIT and SIGTERM ignored in the worker (SigIgn 0x81005007 in /proc). Every child
    inherited that: Ctrl-C did not stop `cjo dev` (test_dev), and Dagster's `tail -F` log mirrors ignored
    the SIGTERM meant to end them, kept `cjo run`'s output pipe open and hung the test for 600 s."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for sig in (signal.SIGHUP, signal.SIGQUIT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)
    yield


@pytest.fixture(scope="session")
def dbt_manifest() -> Path:
    return ensure_manifest()


def build_warehouse(root: Path, raw_from: Path | None = None) -> BuiltWarehouse:
    """Generate (or copy `raw_from`), land, dbt build and publish under `root`. Used by the session
    fixture and by tests that need a private, writable copy."""
    from orchestration import landing, publish

    env = warehouse_env(root)
    raw = Path(env["CJO_RAW_DIR"])
    if raw_from is not None:
        shutil.copytree(raw_from, raw)
    else:
        try:
            import cjo_data.generate  # noqa: F401
        except ImportError:
            pytest.skip("cjo_data.generate (the demo data generator) is not there yet")
        _run([sys.executable, "-m", "cjo_data.generate", *FIXTURE_ARGS, "--out", str(raw)], env,
             "demo data generator")
    for key in ("CJO_STATE_DIR",):
        Path(env[key]).mkdir(parents=True, exist_ok=True)
    prepare_dagster_home(Path(env["DAGSTER_HOME"]))
    landing.land(raw, Path(env["CJO_LANDING_DIR"]))
    # A private target path: the repo's target/manifest.json (read by Dagster) is left alone.
    _run([str(VENV_BIN / "dbt"), "build", "--quiet", "--project-dir", str(ROOT), "--profiles-dir", str(ROOT),
          "--target-path", str(root / "dbt_target")], env, "dbt build")
    publish.publish(Path(env["CJO_DUCKDB_PATH"]), Path(env["CJO_PUBLISH_DIR"]))
    return BuiltWarehouse(
        root=root, raw_dir=raw, landing_dir=Path(env["CJO_LANDING_DIR"]),
        duckdb_path=Path(env["CJO_DUCKDB_PATH"]), publish_dir=Path(env["CJO_PUBLISH_DIR"]),
        state_dir=Path(env["CJO_STATE_DIR"]), dagster_home=Path(env["DAGSTER_HOME"]),
    )


def copy_prebuilt(fixture_dir: Path, root: Path) -> BuiltWarehouse:
    """Reuse the fixture `make fixture` built (scripts/build_fixture.sh: raw/, landing/,
    warehouse.duckdb) instead of building again: copied, so tests cannot alter it; then published."""
    from orchestration import publish

    env = warehouse_env(root)
    shutil.copytree(fixture_dir / "raw", env["CJO_RAW_DIR"])
    shutil.copytree(fixture_dir / "landing", env["CJO_LANDING_DIR"])
    if (fixture_dir / "state").is_dir():
        shutil.copytree(fixture_dir / "state", env["CJO_STATE_DIR"])
    Path(env["CJO_STATE_DIR"]).mkdir(parents=True, exist_ok=True)
    shutil.copyfile(fixture_dir / "warehouse.duckdb", env["CJO_DUCKDB_PATH"])
    prepare_dagster_home(Path(env["DAGSTER_HOME"]))
    publish.publish(Path(env["CJO_DUCKDB_PATH"]), Path(env["CJO_PUBLISH_DIR"]))
    return BuiltWarehouse(
        root=root, raw_dir=Path(env["CJO_RAW_DIR"]), landing_dir=Path(env["CJO_LANDING_DIR"]),
        duckdb_path=Path(env["CJO_DUCKDB_PATH"]), publish_dir=Path(env["CJO_PUBLISH_DIR"]),
        state_dir=Path(env["CJO_STATE_DIR"]), dagster_home=Path(env["DAGSTER_HOME"]),
    )


@pytest.fixture(scope="session")
def built_warehouse(tmp_path_factory: pytest.TempPathFactory):
    """CJO_FIXTURE_DIR (set by `make pytest`) pointing at a built fixture is reused; otherwise the
    warehouse is generated and built here."""
    root = tmp_path_factory.mktemp("built_warehouse")
    prebuilt = Path(os.environ["CJO_FIXTURE_DIR"]) if os.environ.get("CJO_FIXTURE_DIR") else None
    with pytest.MonkeyPatch.context() as mp:
        for key, value in warehouse_env(root).items():
            mp.setenv(key, value)
        if prebuilt is not None and (prebuilt / "warehouse.duckdb").exists():
            yield copy_prebuilt(prebuilt, root)
        else:
            yield build_warehouse(root)


@pytest.fixture(scope="session")
def cjo_defs(dbt_manifest):
    """The project's Dagster Definitions (loaded once per session, after the manifest exists)."""
    from orchestration.definitions import defs

    return defs()
