"""One writer: two runs launched at the same moment against a real DagsterInstance both succeed.

Each run is a separate process (like `cjo run` next to a run launched from the UI) executing an asset
in the project's writer pool that holds a DuckDB write connection for a few seconds. Three cases, all
launched at once:
- the project's setup (dagster.yaml's pool limit and the warehouse writer lock): both runs succeed;
- the writer lock alone (no pool limit): both succeed too. The lock is the guarantee under the pool:
  with SQLite instance storage two steps claiming the pool's one slot at the same instant can both
  get it (seen once in about six runs of this test), see orchestration/warehouse_lock.py;
- the control, with neither: the runs must collide on "Could not set lock on file", so the test fails
  if the setup stops creating real contention.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HOLD_SECONDS = 4

RUNNER = textwrap.dedent(f'''
    import json, sys, time
    from pathlib import Path

    import dagster as dg
    from orchestration.resources import DUCKDB_WRITER_POOL, WarehouseResource

    me, other = Path(sys.argv[1]), Path(sys.argv[2])

    @dg.asset(pool=DUCKDB_WRITER_POOL)
    def hold_the_write_lock(warehouse: WarehouseResource):
        with warehouse.connect() as con:
            con.execute("create table if not exists t (who varchar, written_at double)")
            con.execute("insert into t values (?, ?)", [me.name, time.time()])
            time.sleep({HOLD_SECONDS})

    job = dg.define_asset_job("writer_job", [hold_the_write_lock], executor_def=dg.in_process_executor)
    defs = dg.Definitions(assets=[hold_the_write_lock], jobs=[job],
                          resources={{"warehouse": WarehouseResource()}})
    instance = dg.DagsterInstance.get()
    job_def = defs.resolve_job_def("writer_job")
    me.write_text("ready")
    deadline = time.time() + 240
    while not other.exists() and time.time() < deadline:  # start both runs together
        time.sleep(0.05)
    result = job_def.execute_in_process(instance=instance, raise_on_error=False)
    errors = [e.event_specific_data.error.to_string() for e in result.all_events if e.is_step_failure]
    print("RESULT " + json.dumps({{"success": result.success, "errors": errors}}))
''')


def _init_instance_storage(home: Path) -> None:
    """Create the instance's SQLite storage once, before the two runners start: two processes that
    open a brand-new instance at the same moment race on its schema ("table runs already exists").
    A long-lived instance (`.dagster_home/`) has its storage long before two runs meet."""
    import dagster as dg

    with dg.DagsterInstance.from_config(str(home)) as instance:
        instance.get_runs(limit=1)
        instance.get_latest_materialization_event(dg.AssetKey("init"))
        instance.all_instigator_state()


def _launch_pair(tmp: Path, dagster_yaml: str, file_lock: bool = True) -> list[subprocess.Popen]:
    tmp.mkdir(parents=True)
    home = tmp / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(dagster_yaml)
    _init_instance_storage(home)
    script = tmp / "runner.py"
    script.write_text(RUNNER)
    env = {**os.environ, "DAGSTER_HOME": str(home), "CJO_DUCKDB_PATH": str(tmp / "w.duckdb"),
           "PYTHONPATH": str(ROOT), "CJO_WRITER_FILE_LOCK": "1" if file_lock else "0"}
    a, b = tmp / "a.ready", tmp / "b.ready"
    return [subprocess.Popen([sys.executable, str(script), str(me), str(other)], env=env, cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for me, other in ((a, b), (b, a))]


def _results(procs: list[subprocess.Popen]) -> list[dict]:
    out = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=600)
        lines = [line for line in stdout.splitlines() if line.startswith("RESULT ")]
        assert lines, f"runner crashed (exit {p.returncode}):\n{stderr[-3000:]}"
        out.append(json.loads(lines[-1][len("RESULT "):]))
    return out


@pytest.mark.slow
def test_two_runs_at_once_queue_on_the_writer_pool(tmp_path):
    import duckdb

    project_yaml = (ROOT / "instance" / "dagster.yaml").read_text()
    no_limit = "telemetry:\n  enabled: false\n"
    # Launch the three cases at once (6 processes) to keep the wall time down; they use separate files.
    pooled = _launch_pair(tmp_path / "pooled", project_yaml)
    lock_only = _launch_pair(tmp_path / "lock_only", no_limit)
    control = _launch_pair(tmp_path / "control", no_limit, file_lock=False)
    results = {"pooled": _results(pooled), "lock_only": _results(lock_only)}
    control_results = _results(control)

    for case, case_results in results.items():
        for r in case_results:
            assert r["success"], (case, r["errors"])
            assert not any("Could not set lock" in e for e in r["errors"]), case
        with duckdb.connect(str(tmp_path / case / "w.duckdb"), read_only=True) as con:
            assert con.execute("select count(*) from t").fetchone()[0] == 2, case  # both runs wrote

    # Control: the same two runs with neither the pool limit nor the lock collide on DuckDB's file lock.
    assert not all(r["success"] for r in control_results)
    assert any("Could not set lock" in e for r in control_results for e in r["errors"])
    shutil.rmtree(tmp_path, ignore_errors=True)
