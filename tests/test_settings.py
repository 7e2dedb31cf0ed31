"""The one settings object: sources and their order, types, and the README table generated from it."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from orchestration import settings
from orchestration.settings import PROJECT_ROOT, Settings

FIELDS = set(Settings.model_fields)


@pytest.fixture
def clean_env(monkeypatch):
    for name in FIELDS:
        monkeypatch.delenv(settings.env_name(name), raising=False)
    return monkeypatch


def test_defaults_resolve_against_the_project_root(clean_env, tmp_path):
    s = Settings(_env_file=tmp_path / "absent.env")
    assert s.duckdb_path == PROJECT_ROOT / "warehouse" / "cjo.duckdb"
    assert s.raw_dir == PROJECT_ROOT / "data" / "raw"
    assert s.dagster_home == PROJECT_ROOT / ".dagster_home"
    assert (s.writer_file_lock, s.sensor_settle_seconds, s.log_level, s.dbt_target) == (True, 10.0, "WARNING", "dev")


def test_environment_beats_the_file_which_beats_the_default(clean_env, tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("CJO_RAW_DIR=/from/file\nCJO_STATE_DIR=/state/from/file\nCJO_LOG_LEVEL=info\n"
                        "SOMETHING_ELSE=ignored\n")
    clean_env.setenv("CJO_RAW_DIR", "/from/env")
    clean_env.setenv("CJO_LANDING_DIR", "")  # empty means unset
    s = Settings(_env_file=env_file)
    assert s.raw_dir == Path("/from/env")
    assert s.state_dir == Path("/state/from/file")
    assert s.log_level == "INFO"
    assert s.landing_dir == PROJECT_ROOT / "warehouse" / "landing"


def test_types_are_checked_and_the_error_names_the_setting(clean_env, tmp_path):
    clean_env.setenv("CJO_WRITER_FILE_LOCK", "0")
    clean_env.setenv("DAGSTER_HOME", str(tmp_path))
    s = Settings(_env_file=None)
    assert s.writer_file_lock is False and s.dagster_home == tmp_path
    clean_env.setenv("CJO_SENSOR_SETTLE_SECONDS", "soon")
    with pytest.raises(ValidationError, match="sensor_settle_seconds"):
        Settings(_env_file=None)


def test_nothing_is_read_at_import():
    """A bad value breaks get(), not the import of any runtime module."""
    code = ("import orchestration.settings, orchestration.definitions, orchestration.cli\n"
            "from orchestration import settings\n"
            "try:\n    settings.get()\nexcept Exception as e:\n    print('GET FAILED', type(e).__name__)\n")
    env = {"PATH": "/usr/bin:/bin", "CJO_SENSOR_SETTLE_SECONDS": "soon", "HOME": str(Path.home())}
    out = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "GET FAILED ValidationError" in out.stdout


def test_dbt_gets_the_values_it_reads_from_the_environment(clean_env):
    clean_env.setenv("CJO_DBT_TARGET", "spark")
    env = settings.dbt_environment(Settings(_env_file=None))
    assert env["CJO_DBT_TARGET"] == "spark"
    assert env["CJO_DUCKDB_PATH"] == str(PROJECT_ROOT / "warehouse" / "cjo.duckdb")
    # Every variable dbt's profile and sources read is among them.
    dbt_reads = set()
    for f in [PROJECT_ROOT / "profiles.yml", *PROJECT_ROOT.glob("models/**/*.yml")]:
        text = f.read_text()
        dbt_reads |= {part.split("'")[1] for part in text.split("env_var(")[1:]}
    assert {v for v in dbt_reads if v.startswith("CJO_")} <= set(env)


def test_readme_table_is_the_one_generated_from_the_object():
    readme = (PROJECT_ROOT / "README.md").read_text()
    assert settings.readme_with_settings(readme) == readme, (
        "README.md's settings table differs from orchestration.settings.Settings: run `cjo settings --write-readme`")
    for name in FIELDS:
        assert f"`{settings.env_name(name)}`" in readme


def _env_reads(path: Path) -> list[str]:
    """String keys read from os.environ / os.getenv in a module."""
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            f = node.func
            name = ast.unparse(f)
            if name in ("os.environ.get", "os.getenv", "os.environ.setdefault", "environ.get"):
                out.append(str(node.args[0].value))
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load) \
                and ast.unparse(node.value) == "os.environ" and isinstance(node.slice, ast.Constant):
            out.append(str(node.slice.value))
    return out


def test_no_module_reads_a_cjo_variable_itself():
    offenders = {}
    for path in [*PROJECT_ROOT.glob("orchestration/**/*.py"), *PROJECT_ROOT.glob("expectations/*.py")]:
        if path.name == "settings.py":
            continue
        reads = [k for k in _env_reads(path) if k.startswith("CJO_") or k == "DAGSTER_HOME"]
        if reads:
            offenders[str(path.relative_to(PROJECT_ROOT))] = reads
    assert not offenders, f"read these through orchestration.settings instead: {offenders}"
