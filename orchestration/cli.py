"""`cjo`: the command line for everyone who does not open the Dagster UI.

Commands: generate, land, run, status, doctor, contract render, dev, plus `audiences` and `sync`
(from orchestration.activation.cli). Dagster and dbt are imported inside the commands, so `cjo --help`
stays fast. Every command's help ends with an example (tests/test_cli.py checks that).
"""

from __future__ import annotations

import importlib.metadata as md
import os
import re
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from orchestration import settings

console = Console()
err = Console(stderr=True)

app = typer.Typer(
    help="Customer journey orchestration: demo data, landing, the Dagster pipeline, status and checks.\n\n"
    "Example: cjo generate && cjo run && cjo status",
    no_args_is_help=True,
    rich_markup_mode="rich",
)
contract_app = typer.Typer(help="The raw data contract.\n\nExample: cjo contract render",
                           no_args_is_help=True)
app.add_typer(contract_app, name="contract")

JOBS = ("full_pipeline", "incremental")
# Records the options of the last `cjo generate` in the raw folder (for --if-changed). Landing ignores it.
GENERATE_STAMP = ".cjo_generate.json"
LOCK_PID = re.compile(r"PID (\d+)")


def _mount_activation() -> None:
    """`cjo audiences ...` and `cjo sync ...`, when the activation area is installed."""
    try:
        from orchestration.activation import cli as activation_cli
    except ImportError as exc:  # the area is optional for the core CLI
        err.print(f"[dim]activation commands unavailable: {exc}[/dim]") if os.environ.get("CJO_DEBUG") else None
        return
    for name in ("audiences", "sync"):
        sub = getattr(activation_cli, f"{name}_app", None)
        if sub is not None:
            app.add_typer(sub, name=name)


# ------------------------------------------------------------------ generate / land / contract


@app.command()
def generate(
    advisors: Annotated[int, typer.Option(help="Number of people to simulate.")] = 20000,
    days: Annotated[int, typer.Option(help="Days simulated.")] = 365,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same files).")] = 7,
    out: Annotated[Path | None, typer.Option(help="Raw folder (default: CJO_RAW_DIR or data/raw).")] = None,
    if_changed: Annotated[bool, typer.Option(
        "--if-changed", help="Skip when the folder already holds data generated with these options.")] = False,
) -> None:
    """Generate realistic, dirty demo raw data (wraps `python -m orchestration.generate`).

    Example: cjo generate --advisors 1500 --days 120 --seed 7 --if-changed
    """
    import json

    target = out or settings.raw_dir()
    stamp = target / GENERATE_STAMP
    params = {"advisors": advisors, "days": days, "seed": seed}
    if if_changed and stamp.exists() and json.loads(stamp.read_text()) == params:
        console.print(f"raw data in {target} already generated with {params}: skipped (--if-changed)")
        return
    cmd = [sys.executable, "-m", "orchestration.generate", "--advisors", str(advisors), "--days", str(days),
           "--seed", str(seed), "--out", str(target)]
    with console.status(f"generating {advisors} advisors x {days} days into {target} ..."):
        proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        err.print(proc.stdout[-2000:] + proc.stderr[-4000:])
        raise typer.Exit(proc.returncode)
    stamp.write_text(json.dumps(params) + "\n")
    console.print(f"[green]raw data written to {target}[/green]")


@app.command()
def land(
    raw_dir: Annotated[Path | None, typer.Option(help="Raw folder (default: CJO_RAW_DIR).")] = None,
    landing_dir: Annotated[Path | None, typer.Option(help="Landing folder (default: CJO_LANDING_DIR).")] = None,
) -> None:
    """Land new raw files as lineage-stamped Parquet (no Dagster; `cjo run` lands too).

    Example: cjo land --raw-dir data/raw
    """
    from orchestration import landing

    raw, dest = raw_dir or settings.raw_dir(), landing_dir or settings.landing_dir()
    with console.status(f"landing {raw} -> {dest} ..."):
        report = landing.land(raw, dest)
    table = Table("table", "files landed", "rows", "rejected lines", title="landing")
    by_table: dict[str, list] = {}
    for f in report.landed:
        by_table.setdefault(f.table, []).append(f)
    for name, files in sorted(by_table.items()):
        table.add_row(name, str(len(files)), str(sum(f.rows for f in files)),
                      str(sum(f.rejected_lines for f in files)))
    console.print(table)
    for w in report.warnings:
        console.print(f"[yellow]warning:[/yellow] {w}")
    console.print(report.summary())
    if report.quarantined:  # the other files landed; exit 3 = finished with warnings
        raise typer.Exit(3)


@contract_app.command("render")
def contract_render() -> None:
    """Render what derives from the raw contract (the sources YAML): base models, docs, key tests.

    Example: cjo contract render
    """
    from orchestration.contract_render import write_all

    written = write_all(settings.PROJECT_ROOT)
    for p in written:
        console.print(f"wrote {p}")
    if not written:
        console.print("up to date")


# ------------------------------------------------------------------ run


def _resolve_selection(defs, job_def, select: list[str] | None, publish: bool):
    import dagster as dg

    from orchestration.jobs import PUBLISHED_KEY

    job_keys = set(job_def.asset_layer.selected_asset_keys)
    if not select:
        return None, len(job_keys)
    graph = defs.resolve_asset_graph()
    keys: set = set()
    for s in select:
        try:
            keys |= set(dg.AssetSelection.from_string(s).resolve(graph))
        except Exception as exc:
            raise typer.BadParameter(f"invalid selection {s!r}: {exc}") from None
    keys &= job_keys
    if publish:
        keys.add(PUBLISHED_KEY)
    if not keys:
        raise typer.BadParameter(f"selection {select} matches no asset of job {job_def.name}")
    return sorted(keys, key=lambda k: k.to_user_string()), len(keys)


@app.command()
def run(
    select: Annotated[list[str] | None, typer.Option(
        "--select", "-s",
        help="Dagster asset selection (repeatable), e.g. 'group:marts', 'key:marts/dim_customers+', "
        "'+key:marts/dim_customers'. Default: the whole job.")] = None,
    job: Annotated[str, typer.Option(help=f"Job to run: {', '.join(JOBS)}.")] = "full_pipeline",
    publish: Annotated[bool, typer.Option(help="Also refresh the published reader copy.")] = True,
) -> None:
    """Materialize the pipeline in this process through Dagster (the run appears in the UI's history).

    Uses the DAGSTER_HOME instance (default .dagster_home/), so its one-writer pool also applies to
    runs started from the UI. Exit code 1 if a step or a blocking check fails.

    Example: cjo run --select 'group:marts' --job full_pipeline
    """
    if job not in JOBS:
        raise typer.BadParameter(f"--job must be one of {', '.join(JOBS)}")
    from orchestration.resources import ensure_dagster_home

    home = ensure_dagster_home()
    with console.status("loading the Dagster definitions (dbt manifest, areas) ..."):
        import dagster as dg

        from orchestration.definitions import defs

        instance = dg.DagsterInstance.get()
        job_def = defs.resolve_job_def(job)
        keys, total = _resolve_selection(defs, job_def, select, publish)
    run_id = str(uuid.uuid4())  # Dagster run ids are UUID strings
    outcome: dict = {}

    def target() -> None:
        try:
            # The progress bar shows progress; the console logger only prints warnings and errors
            # (CJO_LOG_LEVEL=DEBUG for every event). The full event log is in the run history either way.
            log_level = os.environ.get("CJO_LOG_LEVEL", "WARNING").upper()
            outcome["result"] = job_def.execute_in_process(
                instance=instance, run_id=run_id, asset_selection=keys, raise_on_error=False,
                tags={"cjo/trigger": "cli"},
                run_config={"loggers": {"console": {"config": {"log_level": log_level}}}})
        except BaseException as exc:  # reported below, after the progress bar
            outcome["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    started = time.perf_counter()
    thread.start()
    done_steps: list[str] = []
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                  TextColumn("{task.completed}/{task.total} assets"), TimeElapsedColumn(),
                  console=console) as progress:
        task = progress.add_task(f"{job} ({run_id[:8]})", total=total)
        while thread.is_alive():
            thread.join(0.5)
            mats = 0
            current = ""
            for r in instance.all_logs(run_id):
                ev = r.dagster_event
                if ev is None:
                    continue
                if ev.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION:
                    mats += 1
                elif ev.event_type == dg.DagsterEventType.STEP_START:
                    current = ev.step_key
                elif ev.event_type == dg.DagsterEventType.STEP_SUCCESS and ev.step_key not in done_steps:
                    done_steps.append(ev.step_key)
            progress.update(task, completed=min(mats, total), description=f"{job}: {current or 'starting'}")
    if "error" in outcome:
        raise outcome["error"]
    result = outcome["result"]
    _print_run_summary(instance, result, time.perf_counter() - started, home)
    if not result.success:
        raise typer.Exit(1)


def _print_run_summary(instance, result, seconds: float, home: Path) -> None:
    import dagster as dg

    mats = result.get_asset_materialization_events()
    checks = [e.event_specific_data for e in result.all_events
              if e.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION]
    failed = [c for c in checks if not c.passed]
    status = "[green]SUCCESS[/green]" if result.success else "[red]FAILURE[/red]"
    if result.success and failed:  # only WARN checks failed (a raw file moved aside, a stale feed, ...)
        status = "[yellow]SUCCESS WITH WARNINGS[/yellow]"
    console.print(f"run {result.run_id} {status} in {seconds:.1f}s: {len(mats)} assets materialized, "
                  f"{len(checks)} checks ({len(failed)} failed). History: DAGSTER_HOME={home}")
    if failed:
        t = Table("asset", "check", "severity", title="failed checks")
        t.add_column("reason", overflow="fold")  # the whole reason: it names the file and what to fix
        for c in failed:
            t.add_row(c.asset_key.to_user_string(), c.check_name, str(c.severity.value), c.description or "")
        console.print(t)
    from orchestration.runstats import run_stats

    stats = run_stats(instance, result.run_id)
    console.print(f"time: {stats.wall_seconds:.1f}s run = dbt work {stats.dbt_work_seconds:.1f}s "
                  f"+ Python steps {stats.python_step_seconds:.1f}s + overhead {stats.overhead_seconds:.1f}s "
                  f"({stats.overhead_per_asset_seconds:.3f}s per materialized asset, dbt start-up included)")
    for e in result.all_events:
        if e.is_step_failure:
            console.print(f"[red]step {e.step_key} failed:[/red] {e.event_specific_data.error.message.strip()}")


# ------------------------------------------------------------------ status


@app.command()
def status(
    runs: Annotated[int, typer.Option(help="How many recent runs to list.")] = 5,
) -> None:
    """Recent runs, row counts per mart (published copy), failed checks and quarantined rows by reason.

    Reads the published copy, never the live warehouse, so it is safe while the pipeline runs.

    Example: cjo status --runs 10
    """
    _status_runs(runs)
    _status_tables()


def _status_runs(limit: int) -> None:
    from orchestration.resources import dagster_home

    home = dagster_home()
    if not (home / "dagster.yaml").exists() and not (home / "storage").exists():
        console.print(f"[yellow]no Dagster instance at {home} yet: `cjo run` creates it[/yellow]")
        return
    os.environ["DAGSTER_HOME"] = str(home.resolve())
    import dagster as dg

    instance = dg.DagsterInstance.get()
    records = instance.get_run_records(limit=limit)
    t = Table("run", "job", "status", "started (UTC)", "seconds", "trigger", title="last runs")
    for rec in records:
        r = rec.dagster_run
        start, end = rec.start_time, rec.end_time
        t.add_row(r.run_id[:8], r.job_name, r.status.value,
                  time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(start)) if start else "-",
                  f"{end - start:.1f}" if start and end else "-", r.tags.get("cjo/trigger", "-"))
    console.print(t)
    if not records:
        return
    failed = []
    for rec in records:
        for r in instance.all_logs(rec.dagster_run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION):
            ev = r.dagster_event.event_specific_data
            if not ev.passed:
                failed.append((rec.dagster_run.run_id[:8], ev.asset_key.to_user_string(), ev.check_name,
                               ev.severity.value, ev.description or ""))
    if failed:
        t = Table("run", "asset", "check", "severity", title="failed checks (last runs)")
        t.add_column("reason", overflow="fold")
        for row in failed:
            t.add_row(*row)
        console.print(t)
    else:
        console.print("[green]no failed checks in the last runs[/green]")


def _has_column(con, schema: str, table: str, column: str) -> bool:
    return bool(con.execute(
        "select 1 from information_schema.columns where table_schema = ? and table_name = ? and column_name = ?",
        [schema, table, column]).fetchall())


def _status_tables() -> None:
    from orchestration.publish import NothingPublishedError, read_manifest, reader_connection

    try:
        con = reader_connection()
    except NothingPublishedError as exc:
        console.print(f"[yellow]{exc}[/yellow]")
        return
    try:
        manifest = read_manifest() or {}
        counts = manifest.get("tables") or {}
        t = Table("table", "rows", title=f"published tables ({manifest.get('published_at', '?')})")
        for name, rows in sorted(counts.items()):
            if name.startswith("marts."):
                t.add_row(name, f"{rows:,}")
        console.print(t)
        stages = con.execute(
            "select current_stage, count(*) from marts.dim_customers group by 1 order by 2 desc"
        ).fetchall() if _has_column(con, "marts", "dim_customers", "current_stage") else []
        if stages:
            st = Table("current stage", "customers", title="customers per current stage (dim_customers)")
            for stage, n in stages:
                # null is documented: a known contact with no touch and no sale yet has no stage.
                st.add_row(str(stage) if stage is not None else "(none: no touch yet)", f"{n:,}")
            console.print(st)
        from orchestration.quality.results import latest_summary, quarantine_counts

        summary = latest_summary(con)
        if len(summary):
            failed = int((~summary["passed"].astype(bool)).sum())
            qt = Table("asset", "suite", "passed", "expectations", "failed", "checked (UTC)",
                       title=f"latest quality results (ops.quality_results): {failed} suite(s) failing")
            for r in summary.itertuples(index=False):
                qt.add_row(str(r.asset), str(r.suite), "[green]yes[/green]" if r.passed else "[red]no[/red]",
                           str(r.expectations), str(r.failed), str(r.checked_at)[:19])
            console.print(qt)
        else:
            console.print("[dim]no quality results published yet[/dim]")
        quarantined = quarantine_counts(con)
        q = Table("source table", "reason", "rows", "example", title="quarantined rows by reason")
        for r in quarantined.itertuples(index=False):
            q.add_row(str(r.source_table), str(r.reason_code), f"{r.rows:,}", str(r.example_reason)[:60])
        console.print(q if len(quarantined) else "[green]no quarantined rows[/green]")
    finally:
        con.close()


# ------------------------------------------------------------------ doctor


def lock_holders(path: Path) -> list[tuple[int, str]]:
    """Processes that have `path` open (DuckDB keeps its file open for the whole connection)."""
    import psutil

    target = str(path.resolve())
    holders = []
    for proc in psutil.process_iter(["pid", "cmdline"]):
        if proc.info["pid"] == os.getpid():
            continue
        try:
            if any(f.path == target for f in proc.open_files()):
                holders.append((proc.info["pid"], " ".join(proc.info["cmdline"] or [])[:160]))
        except (psutil.AccessDenied, psutil.NoSuchProcess, psutil.ZombieProcess):
            continue
    return holders


def pid_from_lock_error(message: str) -> int | None:
    """DuckDB's lock error names the holder: '... Conflicting lock is held in /usr/bin/python (PID 123)'."""
    m = LOCK_PID.search(message)
    return int(m.group(1)) if m else None


def _check_warehouse(path: Path) -> tuple[bool, str]:
    import duckdb

    if not path.parent.exists():
        return os.access(path.parent.parent, os.W_OK), f"{path.parent} does not exist yet (created on first run)"
    holders = lock_holders(path) if path.exists() else []
    if holders:
        desc = "; ".join(f"PID {pid}: {cmd}" for pid, cmd in holders)
        return False, f"open by another process (a writer now would fail): {desc}"
    if not path.exists():
        return os.access(path.parent, os.W_OK), "does not exist yet (created on first run)"
    try:
        con = duckdb.connect(str(path))
        con.close()
    except duckdb.IOException as exc:
        pid = pid_from_lock_error(str(exc))
        return False, f"locked by PID {pid}: {exc}" if pid else f"cannot open: {exc}"
    return True, "writable, not locked"


@app.command()
def doctor() -> None:
    """Check the setup: versions, paths, dbt manifest, Dagster home, a writable and unlocked warehouse.

    If the warehouse file is locked, says which process (PID and command line) holds it.

    Example: cjo doctor
    """
    from orchestration.resources import dagster_home, dbt_executable

    ok = True
    t = Table("check", "status", "detail", title="cjo doctor")

    def row(name: str, good: bool, detail: str, warn_only: bool = False) -> None:
        nonlocal ok
        ok = ok and (good or warn_only)
        t.add_row(name, "[green]ok[/green]" if good else ("[yellow]warn[/yellow]" if warn_only else "[red]FAIL[/red]"),
                  detail)

    row("python", sys.version_info >= (3, 11), sys.version.split()[0])
    for pkg in ("dbt-core", "dbt-duckdb", "duckdb", "dagster", "dagster-dbt", "great-expectations",
                "scikit-learn"):
        try:
            row(pkg, True, md.version(pkg))
        except md.PackageNotFoundError:
            row(pkg, False, "not installed")
    dbt = dbt_executable()
    row("dbt executable", Path(dbt).exists() or dbt == "dbt", dbt)
    manifest = settings.PROJECT_ROOT / "target" / "manifest.json"
    row("dbt manifest", manifest.exists(), str(manifest) if manifest.exists() else
        f"missing: run `{dbt} parse` (make parse)", warn_only=True)
    for name, fn in (("raw dir", settings.raw_dir), ("landing dir", settings.landing_dir),
                     ("publish dir", settings.publish_dir), ("state dir", settings.state_dir)):
        p = fn()
        row(name, p.exists(), f"{p}" + ("" if p.exists() else " (missing)"), warn_only=True)
    home = dagster_home()
    row("DAGSTER_HOME", (home / "dagster.yaml").exists(),
        f"{home}" + ("" if (home / "dagster.yaml").exists() else " (no dagster.yaml yet: `cjo run` creates it)"),
        warn_only=True)
    good, detail = _check_warehouse(settings.duckdb_path())
    row("warehouse", good, f"{settings.duckdb_path()}: {detail}")
    published = settings.publish_dir() / "cjo.duckdb"
    row("published copy", published.exists(), str(published) if published.exists() else
        "nothing published yet (`cjo run`)", warn_only=True)
    console.print(t)
    if not ok:
        raise typer.Exit(1)


# ------------------------------------------------------------------ byod


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def byod(
    ctx: typer.Context,
    dataset: Annotated[str, typer.Argument(help="telco (IBM Telco churn) or shoppers (UCI Online Shoppers).")],
    out: Annotated[Path | None, typer.Option(help="Raw folder to write (default: CJO_RAW_DIR).")] = None,
) -> None:
    """Map a public example dataset onto the raw data contract (bring your own data, worked examples).

    Extra options go to `python -m orchestration.byod` (see docs/bring-your-own-data.md).

    Example: cjo byod telco --out data/raw && cjo run
    """
    from orchestration import settings
    from orchestration.byod.__main__ import main as byod_main

    code = byod_main([dataset, "--out", str(out or settings.raw_dir()), *ctx.args])
    if code:
        raise typer.Exit(code)


# ------------------------------------------------------------------ dev


@app.command()
def dev(
    port: Annotated[int, typer.Option(help="Port of the Dagster UI.")] = 3000,
    host: Annotated[str, typer.Option(help="Interface to bind (loopback by default).")] = "127.0.0.1",
) -> None:
    """Start `dagster dev` (UI + daemon) on this project, with DAGSTER_HOME=.dagster_home/.

    Example: cjo dev --port 3000
    """
    from orchestration.resources import ensure_dagster_home

    ensure_dagster_home()
    exe = Path(sys.executable).parent / "dagster"
    os.execv(str(exe), [str(exe), "dev", "-h", host, "-p", str(port)])


_mount_activation()

if __name__ == "__main__":
    app()
