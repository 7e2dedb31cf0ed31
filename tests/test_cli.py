"""The `cjo` CLI: every command documented with an example; doctor names the lock holder."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
import typer
from typer.testing import CliRunner

from orchestration import cli
from orchestration.cli import app, lock_holders, pid_from_lock_error

runner = CliRunner()


def _walk(cmd, path: tuple[str, ...] = ()):
    yield path, cmd
    # typer >= 0.20 vendors click: duck-type groups rather than isinstance(click.Group).
    for name, sub in sorted((getattr(cmd, "commands", None) or {}).items()):
        yield from _walk(sub, (*path, name))


def all_commands():
    return list(_walk(typer.main.get_command(app)))


def test_the_expected_commands_exist():
    paths = {" ".join(p) for p, _ in all_commands()}
    for expected in ("generate", "land", "run", "status", "doctor", "contract render", "dev"):
        assert expected in paths


@pytest.mark.parametrize("path", [p for p, _ in all_commands()], ids=lambda p: " ".join(p) or "cjo")
def test_every_command_has_help_with_an_example(path):
    cmd = dict(all_commands())[path]
    assert (cmd.help or "").strip(), f"`cjo {' '.join(path)}` has no help text"
    assert "Example" in cmd.help, f"`cjo {' '.join(path)}` has no example in its help"
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example" in result.output


def test_pid_from_lock_error():
    msg = ('IO Error: Could not set lock on file "/w/cjo.duckdb": Conflicting lock is held in '
           '/usr/bin/python3.11 (PID 4242) by user root. See also https://duckdb.org/docs/...')
    assert pid_from_lock_error(msg) == 4242
    assert pid_from_lock_error("some other error") is None


def test_doctor_names_the_process_holding_the_warehouse(tmp_path, monkeypatch):
    db = tmp_path / "cjo.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         f"import duckdb, sys, time; c = duckdb.connect({str(db)!r}); c.execute('create table t(x int)'); "
         "print('ready', flush=True); time.sleep(120)"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        assert holder.pid in [pid for pid, _ in lock_holders(db)]
        monkeypatch.setenv("CJO_DUCKDB_PATH", str(db))
        monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
        result = runner.invoke(app, ["doctor"], env={"COLUMNS": "250"})
        assert result.exit_code == 1
        assert f"PID {holder.pid}" in result.output
    finally:
        holder.kill()
        holder.wait()
    time.sleep(0.2)
    result = runner.invoke(app, ["doctor"], env={"COLUMNS": "250"})
    assert "writable, not locked" in result.output


def test_status_without_anything_published(tmp_path, monkeypatch):
    monkeypatch.setenv("CJO_PUBLISH_DIR", str(tmp_path / "published"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    result = runner.invoke(app, ["status"], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "nothing published yet" in result.output
    assert "no Dagster instance" in result.output


def test_status_reads_the_published_copy(built_warehouse):
    result = runner.invoke(app, ["status"], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "marts.dim_customers" in result.output


@pytest.mark.parametrize(("steps_ok", "failed", "expected"), [
    (True, [], "SUCCESS"),
    (True, ["WARN"], "SUCCESS WITH WARNINGS"),
    (True, ["WARN", "ERROR"], "FAILURE"),
    (True, ["ERROR"], "FAILURE"),
    (False, [], "FAILURE"),
])
def test_a_failed_error_check_is_a_failed_run(steps_ok, failed, expected):
    assert cli.run_verdict(steps_ok, failed).value == expected


def test_status_column_names_a_failed_error_check():
    assert cli._run_status("SUCCESS", ["ERROR"]) == "FAILURE (failed ERROR check)"
    assert cli._run_status("SUCCESS", ["WARN"]) == "SUCCESS WITH WARNINGS"
    assert cli._run_status("SUCCESS", []) == "SUCCESS"
    assert cli._run_status("FAILURE", []) == "FAILURE"


def test_status_shows_each_models_latest_holdout_auc():
    import duckdb

    con = duckdb.connect()
    con.execute("create schema ml")
    con.execute("""create table ml.model_runs as select * from (values
        (timestamp '2026-01-01', 'churn', 'churn-v1', 0.70::double, 0.69::double, 0.55::double, 0.4::double,
         0.2::double, 100, 40, null::varchar),
        (timestamp '2026-02-01', 'churn', 'churn-v2', 0.81, 0.80, 0.60, 0.5, 0.1, 120, 50, null),
        (timestamp '2026-02-01', 'conversion', 'conv-v1', 0.75, 0.74, 0.97, 0.3, 0.1, 90, 30, 'leak'))
        t(run_at, model, model_version, holdout_roc_auc, baseline_roc_auc, recency_only_roc_auc, pr_auc,
          brier, n_train, n_test, single_feature_warning)""")
    [section] = cli._status_models(con)
    assert [r[:3] for r in section.rows] == [("churn", "churn-v2", 0.81), ("conversion", "conv-v1", 0.75)]
    assert section.rows[1][-1] == "leak" and section.cols[2].name == "holdout ROC AUC"
    assert cli._status_models(duckdb.connect()) == []
