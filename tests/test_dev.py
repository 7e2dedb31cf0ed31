"""`cjo dev` (what `make dev` runs): the current Dagster dev server, quiet about deprecations, and Ctrl-C
stops every process it started. `cjo run` records its runs where the UI lists the code location's runs."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import dagster as dg
import psutil
import pytest
from pipeline_support import ROOT, VENV_BIN, prepare_dagster_home, warehouse_env

# Warnings a newcomer saw from `make dev` before: the superseded `dagster dev`, a dagster.yaml in the
# working directory that is not DAGSTER_HOME's, and dg's venv mismatch.
NOT_WANTED = ("deprecat", "superseded", "Found a dagster instance configuration value", "does not match the virtual")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_ui(port: int, proc: subprocess.Popen, seconds: float = 240) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        assert proc.poll() is None, "cjo dev exited early"
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=2)
            return
        except OSError:
            time.sleep(1)
    raise AssertionError("the Dagster UI did not come up")


def _in_session(sid: int) -> list[psutil.Process]:
    out = []
    for p in psutil.process_iter():
        try:
            if os.getsid(p.pid) == sid:
                out.append(p)
        except (ProcessLookupError, PermissionError, psutil.Error):
            continue
    return out


@pytest.mark.slow
def test_ctrl_c_stops_every_process_and_no_misleading_warning(tmp_path, dbt_manifest):
    env = {**os.environ, **warehouse_env(tmp_path)}
    env.pop("VIRTUAL_ENV", None)
    port = _free_port()
    log = tmp_path / "dev.log"
    # Its own session and process group, like a terminal's foreground job.
    proc = subprocess.Popen([str(VENV_BIN / "cjo"), "dev", "--port", str(port)], cwd=tmp_path, env=env,
                            stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_for_ui(port, proc)
        time.sleep(3)  # the daemon and the code server are up too
        started = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
        assert len(started) >= 4, [p.cmdline() for p in started]  # dg, webserver, daemon, code server
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C does: SIGINT to the foreground process group
        _, alive = psutil.wait_procs(started, timeout=90)
        survivors = {p.pid for p in alive} | {p.pid for p in _in_session(proc.pid)}
        assert not survivors, f"{len(survivors)} process(es) survived Ctrl-C"
    finally:
        for p in _in_session(proc.pid):
            p.kill()
    text = log.read_text()
    assert "Serving dagster-webserver" in text
    found = [w for w in NOT_WANTED if w.lower() in text.lower()]
    assert not found, f"dev server printed {found}:\n{text[-3000:]}"


def test_the_code_location_is_the_one_dg_serves():
    from dagster_dg_core.context import DgContext

    from orchestration import runner

    ctx = DgContext.for_project_environment(ROOT, {})
    assert ctx.code_location_name == runner.code_location_name() == "cjo"
    assert ctx.code_location_target_module_name == runner.DEFINITIONS_MODULE


@pytest.mark.slow
def test_a_cli_run_is_listed_with_the_code_locations_runs(tmp_path, dbt_manifest):
    """The Jobs page lists a job's runs with RunsFilter(job_name, .dagster/repository=<repo>@<location>)
    (dagster_graphql GraphenePipeline.resolve_runs); the overview timeline groups runs by that origin.
    A run of `cjo run` must match it, in the same DAGSTER_HOME the UI uses."""
    from dagster._core.storage.tags import REPOSITORY_LABEL_TAG

    from orchestration import runner

    env = {**os.environ, **warehouse_env(tmp_path)}
    Path(env["CJO_RAW_DIR"]).mkdir(parents=True)
    home = prepare_dagster_home(Path(env["DAGSTER_HOME"]))
    out = subprocess.run([str(VENV_BIN / "cjo"), "run", "--job", "incremental", "--select", "group:raw",
                          "--no-publish"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    instance = dg.DagsterInstance.from_config(str(home))
    try:
        label = f"__repository__@{runner.code_location_name()}"
        runs = instance.get_runs(dg.RunsFilter(job_name="incremental", tags={REPOSITORY_LABEL_TAG: label}))
        assert len(runs) == 1
        run = runs[0]
        assert run.tags["cjo/trigger"] == "cli" and run.status == dg.DagsterRunStatus.SUCCESS
        assert run.remote_job_origin.location_name == "cjo"
        assert run.job_code_origin is not None  # the UI can re-execute it
    finally:
        instance.dispose()
