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
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from orchestration import settings
from orchestration.formatting import (
    COUNT,
    FLAG,
    ID,
    SCORE,
    SECONDS,
    SHARE,
    TIME,
    Col,
    Format,
    FormatOption,
    Section,
    emit,
    human,
    note,
)

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

JOBS = ("full_pipeline", "incremental", "activate")
# Records the options of the last `cjo generate` in the raw folder (for --if-changed). Landing ignores it.
GENERATE_STAMP = ".cjo_generate.json"
LOCK_PID = re.compile(r"PID (\d+)")


def _export_dbt_environment() -> None:
    """dbt's profile and sources read their settings from the environment: give them the values of the
    settings object (which may come from the .env file) before this process starts dbt or Dagster."""
    os.environ.update(settings.dbt_environment())


def _mount_activation() -> None:
    """`cjo audiences ...` and `cjo sync ...`, when the activation area is installed."""
    try:
        from orchestration.activation import cli as activation_cli
    except ImportError as exc:  # the area is optional for the core CLI
        if settings.get().debug:
            err.print(f"[dim]activation commands unavailable: {exc}[/dim]")
        return
    for name in ("audiences", "sync"):
        sub = getattr(activation_cli, f"{name}_app", None)
        if sub is not None:
            app.add_typer(sub, name=name)
    app.command("why")(activation_cli.why)


# ------------------------------------------------------------------ generate / land / contract


@app.command()
def generate(
    advisors: Annotated[int, typer.Option(help="Number of people to simulate.")] = 20000,
    days: Annotated[int, typer.Option(help="Days simulated.")] = 365,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same files).")] = 7,
    out: Annotated[Path | None, typer.Option(help="Raw folder (default: CJO_RAW_DIR or data/raw).")] = None,
    if_changed: Annotated[bool, typer.Option(
        "--if-changed", help="Skip when the folder already holds data generated with these options.")] = False,
    respond_to: Annotated[Path | None, typer.Option(
        "--respond-to", help="Published folder (e.g. warehouse/published): instead of a new world, write the "
        "next delivery of application events answering the journeys' sends recorded there.")] = None,
) -> None:
    """Generate realistic, dirty demo raw data (wraps `python -m cjo_data.generate`).

    Example: cjo generate --advisors 1500 --days 120 --seed 7 --if-changed
    After a run, the world's answer to the journeys' sends: cjo generate --respond-to warehouse/published
    """
    import json

    target = out or settings.raw_dir()
    if respond_to is not None:
        cmd = [sys.executable, "-m", "cjo_data.generate", "--respond-to", str(respond_to), "--seed", str(seed),
               "--out", str(target)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            err.print(proc.stderr[-4000:], soft_wrap=True)  # unwrapped: the file named stays copyable
            raise typer.Exit(proc.returncode)
        console.print(proc.stdout.rstrip())
        return
    stamp = target / GENERATE_STAMP
    params = {"advisors": advisors, "days": days, "seed": seed}
    if if_changed and stamp.exists() and json.loads(stamp.read_text()) == params:
        console.print(f"raw data in {target} already generated with {params}: skipped (--if-changed)")
        return
    cmd = [sys.executable, "-m", "cjo_data.generate", "--advisors", str(advisors), "--days", str(days),
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
    by_table: dict[str, list] = {}
    for f in report.landed:
        by_table.setdefault(f.table, []).append(f)
    emit(Section("landing", [Col("table", ID), Col("files landed", COUNT), Col("rows", COUNT),
                             Col("rejected lines", COUNT)],
                 [(name, len(files), sum(f.rows for f in files), sum(f.rejected_lines for f in files))
                  for name, files in sorted(by_table.items())]))
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


def _resolve_selection(graph, job_def, select: list[str] | None, publish: bool):
    import dagster as dg

    from orchestration.jobs import ERASURE_KEY, PUBLISHED_KEY

    job_keys = set(job_def.asset_layer.selected_asset_keys)
    if not select:
        return None, len(job_keys)
    keys: set = set()
    for s in select:
        try:
            keys |= set(dg.AssetSelection.from_string(s).resolve(graph))
        except Exception as exc:
            raise typer.BadParameter(f"invalid selection {s!r}: {exc}") from None
    keys &= job_keys
    if publish:  # readers never see a forgotten person: the erasure pass comes before every publish
        keys |= {ERASURE_KEY, PUBLISHED_KEY}
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
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="The journey clock (ISO date or timestamp, UTC): 'now' for every model, feature, "
        "score and stage rule, to back-test on history. Default: the as_of setting, else the newest "
        "event.")] = None,
) -> None:
    """Materialize the pipeline in this process through Dagster; the run is a run of the `cjo` code
    location, listed in the UI with the runs launched there (run history, Jobs page, timeline).

    Uses the DAGSTER_HOME instance (default .dagster_home/), so its one-writer pool also applies to
    runs started from the UI. Exit code 1 if a step or a blocking check fails.

    Example: cjo run --select 'group:marts' --job full_pipeline
    """
    if job not in JOBS:
        raise typer.BadParameter(f"--job must be one of {', '.join(JOBS)}")
    from orchestration import runner
    from orchestration.resources import ensure_dagster_home

    if as_of is not None:
        # The run executes in this process and every step reads the settings object: the environment
        # is how the clock reaches dbt's vars and the ML assets alike.
        try:
            settings.get(as_of=as_of)
        except ValueError as exc:
            raise typer.BadParameter(f"--as-of {as_of!r} is not a date or timestamp: {exc}") from None
        os.environ[settings.env_name("as_of")] = as_of
    _export_dbt_environment()
    home = ensure_dagster_home()
    with console.status("loading the Dagster definitions (dbt manifest, areas) ..."):
        import dagster as dg

        repo = runner.project_repository().get_definition()
        instance = dg.DagsterInstance.get()
        keys, total = _resolve_selection(repo.asset_graph, repo.get_job(job), select, publish)
        # The progress bar shows progress; the console logger only prints warnings and errors
        # (CJO_LOG_LEVEL=DEBUG for every event). The full event log is in the run history either way.
        run_config = {"loggers": {"console": {"config": {"log_level": settings.get().log_level}}}}
        recon_job, dagster_run = runner.create_run(
            instance, job, run_id=str(uuid.uuid4()), asset_selection=keys, run_config=run_config,
            tags={"cjo/trigger": "cli"})
    started = time.perf_counter()
    result = _execute_with_progress(instance, recon_job, dagster_run, total)
    verdict = _print_run_summary(instance, result, time.perf_counter() - started, home)
    if verdict != RunVerdict.SUCCESS and verdict != RunVerdict.WARNINGS:
        raise typer.Exit(1)


def _execute_with_progress(instance, recon_job, dagster_run, total: int):
    """Execute the run in a thread of this process while a progress bar follows its event log."""
    import dagster as dg

    from orchestration import runner

    outcome: dict = {}

    def target() -> None:
        try:
            outcome["result"] = runner.execute(instance, recon_job, dagster_run)
        except BaseException as exc:  # reported below, after the progress bar
            outcome["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    run_id, job = dagster_run.run_id, dagster_run.job_name
    announced = None
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                  TextColumn("{task.completed}/{task.total} assets"), TimeElapsedColumn(),
                  console=console) as progress:
        task = progress.add_task(f"{job} ({run_id[:8]})", total=total)
        while thread.is_alive():
            thread.join(0.5)
            mats, current = 0, ""
            for r in instance.all_logs(run_id):
                ev = r.dagster_event
                if ev is None:
                    continue
                if ev.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION:
                    mats += 1
                elif ev.event_type == dg.DagsterEventType.STEP_START:
                    current = ev.step_key
            waiting = _waiting_message(instance, run_id)
            if waiting and waiting != announced:
                console.print(f"[yellow]{waiting}[/yellow]")
                announced = waiting
            progress.update(task, completed=min(mats, total),
                            description=f"{job}: {waiting or current or 'starting'}")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


def _waiting_message(instance, run_id: str) -> str | None:
    """What this run waits for: the writer pool's slot (held by another run's step), else None. A wait
    on the OS writer lock itself is logged by warehouse_lock (a warning, so it shows here too)."""
    from orchestration.run_status import waiting_for, writer_queue

    return waiting_for(writer_queue(instance), run_id)


class RunVerdict(StrEnum):
    SUCCESS = "SUCCESS"
    WARNINGS = "SUCCESS WITH WARNINGS"
    FAILURE = "FAILURE"


_VERDICT_STYLE = {RunVerdict.SUCCESS: "green", RunVerdict.WARNINGS: "yellow", RunVerdict.FAILURE: "red"}


def run_verdict(steps_succeeded: bool, failed_check_severities: list[str]) -> RunVerdict:
    """What a run amounts to. A failed step, or a failed ERROR-severity check (a model below its AUC
    floor, a raw delivery that breaks its contract), is a FAILURE even though Dagster marks the run
    itself successful (a non-blocking check does not stop it); failed WARN checks alone are warnings."""
    if not steps_succeeded or any(s == "ERROR" for s in failed_check_severities):
        return RunVerdict.FAILURE
    return RunVerdict.WARNINGS if failed_check_severities else RunVerdict.SUCCESS


def _print_run_summary(instance, result, seconds: float, home: Path) -> RunVerdict:
    import dagster as dg

    mats = result.get_asset_materialization_events()
    checks = [e.event_specific_data for e in result.all_events
              if e.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION]
    failed = [c for c in checks if not c.passed]
    verdict = run_verdict(result.success, [c.severity.value for c in failed])
    status = f"[{_VERDICT_STYLE[verdict]}]{verdict.value}[/{_VERDICT_STYLE[verdict]}]"
    from orchestration.run_status import seconds_of

    seconds = seconds_of(instance, result.run_id) or seconds  # the run record's duration, as status shows it
    console.print(f"run {result.run_id} {status} in {seconds:,.1f}s: {human(len(mats), COUNT)} assets "
                  f"materialized, {human(len(checks), COUNT)} checks ({human(len(failed), COUNT)} failed). "
                  f"History: DAGSTER_HOME={home}")
    if failed:  # the whole reason: it names the file and what to fix
        emit(Section("failed checks", [Col("asset", ID), Col("check", ID), Col("severity"), Col("reason")],
                     [(c.asset_key.to_user_string(), c.check_name, c.severity.value, c.description or "")
                      for c in failed]))
    from orchestration.runstats import run_stats

    stats = run_stats(instance, result.run_id)
    console.print(f"time: {stats.wall_seconds:.1f}s run = dbt work {stats.dbt_work_seconds:.1f}s "
                  f"+ Python steps {stats.python_step_seconds:.1f}s + overhead {stats.overhead_seconds:.1f}s "
                  f"({stats.overhead_per_asset_seconds:.3f}s per materialized asset, dbt start-up included)")
    for e in result.all_events:
        if e.is_step_failure:
            console.print(f"[red]step {e.step_key} failed:[/red] {e.event_specific_data.error.message.strip()}")
    return verdict


# ------------------------------------------------------------------ status


@app.command()
def status(
    runs: Annotated[int, typer.Option(help="How many recent runs to list.")] = 5,
    fmt: FormatOption = Format.table,
) -> None:
    """What happened: the last runs and why each failed or warned (failed steps and checks, from the run
    history of the live Dagster instance), what waits for the writer, quarantined files (landing
    registry); then row counts, quality, syncs, erasures, journeys and quarantined rows from the published copy.

    Never opens the live warehouse, so it is safe while the pipeline runs.

    Example: cjo status --runs 10 --format json
    """
    emit([*_status_runs(runs, fmt), *_status_landing(fmt), *_status_tables(fmt)], fmt)


def _status_runs(limit: int, fmt: Format) -> list[Section]:
    """From the run history of the live instance: the last runs (one duration each), why each failed or
    warned (failed steps and checks), and the writer queue. Never the published copy, which still shows
    the last run that got as far as publishing."""
    from orchestration.resources import dagster_home
    from orchestration.run_status import failure_reasons, run_seconds, writer_queue

    home = dagster_home()
    if not (home / "dagster.yaml").exists() and not (home / "storage").exists():
        note(f"[yellow]no Dagster instance at {home} yet: `cjo run` creates it[/yellow]", fmt)
        return []
    import dagster as dg

    instance = dg.DagsterInstance.from_config(str(home.resolve()))
    try:
        records = instance.get_run_records(limit=limit)
        runs = [(rec.dagster_run.run_id, rec.dagster_run.job_name, rec.dagster_run.status.value,
                 datetime.fromtimestamp(rec.start_time, UTC).replace(tzinfo=None) if rec.start_time else None,
                 run_seconds(rec), rec.dagster_run.tags.get("cjo/trigger")) for rec in records]
        problems = [(rec.dagster_run.run_id, r.kind, r.name, r.severity, r.message)
                    for rec in records for r in failure_reasons(instance, rec.dagster_run.run_id)]
        queue = writer_queue(instance)
    finally:
        instance.dispose()
    # A run whose steps all succeeded but whose ERROR-severity check failed is a failure (as cjo run says).
    runs = [(r[0], r[1], _run_status(r[2], [p[3] for p in problems if p[0] == r[0] and p[1] == "check"]), *r[3:])
            for r in runs]
    sections = [Section("last runs (run history)", [Col("run", ID), Col("job"), Col("status"),
                        Col("started (UTC)", TIME), Col("seconds", SECONDS), Col("trigger")], runs, key="runs")]
    if records:
        last = records[0].dagster_run
        mine = [p for p in problems if p[0] == last.run_id]
        verdict = _run_status(last.status.value, [p[3] for p in mine if p[1] == "check"])
        style = {"SUCCESS": "green", "SUCCESS WITH WARNINGS": "yellow"}.get(verdict, "red")
        note(f"last run {last.run_id} ({last.job_name}) [{style}]{verdict}[/{style}]"
             + (f": {len(mine)} reason(s) below" if mine else ""), fmt)
    if problems:
        cols = [Col("run", ID), Col("what"), Col("step or check", ID), Col("severity"), Col("reason")]
        sections.append(Section("failed steps and checks (last runs)", cols, problems, key="failures"))
    elif records:
        note("[green]no failed step or check in the last runs[/green]", fmt)
    if queue:
        sections.append(Section("writer queue (pool duckdb_writer)", [Col("state"), Col("run", ID),
                                Col("step", ID), Col("waiting since (UTC)", TIME)],
                                [(e.state, e.run_id, e.step_key, e.since) for e in queue], key="writer_queue"))
    return sections


def _status_landing(fmt: Format) -> list[Section]:
    """Quarantined files, straight from the landing registry (current even when the run failed before
    dbt and publishing)."""
    from orchestration import file_quarantine as fq

    rows = fq.recorded(settings.landing_dir())
    if not rows:
        return []
    return [Section("quarantined files (landing registry)", [Col("file", ID), Col("reason", ID),
                    Col("rows", COUNT), Col("detected (UTC)", TIME), Col("detail")], rows, key="quarantined_files")]


def _status_erasure(con, fmt: Format) -> list[Section]:
    """The erasure ledger (requests fulfilled, last erasure) and the destinations that still hold a
    forgotten person until their next sync (published ops.sync_state)."""
    from orchestration.privacy import ledger, tables

    state_dir = settings.get().state_dir
    known = ledger.read(state_dir)
    if not known.num_rows:
        return []
    kinds = known.column("kind").to_pylist()
    pending = tables.pending_removals(con, ledger.salt(state_dir), known)
    last = max(known.column("erased_at").to_pylist())
    return [Section("right to be forgotten (erasure ledger, docs/privacy.md)",
                    [Col("requests fulfilled", COUNT), Col("identifiers erased", COUNT),
                     Col("last erasure (UTC)", TIME), Col("destinations still to remove them", COUNT)],
                    [(kinds.count("request"), kinds.count("node"), last, pending)], key="erasure")]


def _run_status(dagster_status: str, failed_check_severities: list[str]) -> str:
    """The status column of `cjo status`: Dagster's, unless an ERROR check failed in a finished run."""
    if dagster_status != "SUCCESS":
        return dagster_status
    verdict = run_verdict(True, failed_check_severities)
    return "FAILURE (failed ERROR check)" if verdict == RunVerdict.FAILURE else verdict.value


def _has_column(con, schema: str, table: str, column: str) -> bool:
    return bool(con.execute(
        "select 1 from information_schema.columns where table_schema = ? and table_name = ? and column_name = ?",
        [schema, table, column]).fetchall())


def _status_tables(fmt: Format) -> list[Section]:
    from orchestration.publish import NothingPublishedError, read_manifest, reader_connection
    from orchestration.quality.results import latest_summary, quarantine_counts

    try:
        con = reader_connection()
    except NothingPublishedError as exc:
        note(f"[yellow]{exc}[/yellow]", fmt)
        return []
    try:
        manifest = read_manifest() or {}
        counts = sorted((n, rows) for n, rows in (manifest.get("tables") or {}).items() if n.startswith("marts."))
        out = [Section(f"published tables ({manifest.get('published_at', '?')})",
                       [Col("table", ID), Col("rows", COUNT)], counts, key="tables")]
        if _has_column(con, "marts", "dim_customers", "current_stage"):
            # null is documented: a known contact with no touch and no sale yet has no stage.
            stages = con.execute("select coalesce(current_stage, '(none: no touch yet)'), count(*) "
                                 "from marts.dim_customers group by 1 order by 2 desc").fetchall()
            out.append(Section("customers per current stage (dim_customers)",
                               [Col("current stage"), Col("customers", COUNT)], stages, key="stages"))
        summary = latest_summary(con)
        if len(summary):
            failing = int((~summary["passed"].astype(bool)).sum())
            out.append(Section(
                f"latest quality results (ops.quality_results): {failing} suite(s) failing",
                [Col("asset", ID), Col("suite", ID), Col("passed", FLAG), Col("expectations", COUNT),
                 Col("failed", COUNT), Col("checked (UTC)", TIME)],
                [(r.asset, r.suite, bool(r.passed), r.expectations, r.failed, r.checked_at)
                 for r in summary.itertuples(index=False)], key="quality"))
        else:
            note("[dim]no quality results published yet[/dim]", fmt)
        out.extend(_status_models(con))
        out.extend(_status_syncs(con, fmt))
        out.extend(_status_journeys(con))
        out.extend(_status_erasure(con, fmt))
        quarantined = quarantine_counts(con)
        if len(quarantined):
            out.append(Section("quarantined rows by reason",
                               [Col("source table", ID), Col("reason", ID), Col("rows", COUNT), Col("example")],
                               [(r.source_table, r.reason_code, r.rows, r.example_reason)
                                for r in quarantined.itertuples(index=False)], key="quarantine"))
        else:
            note("[green]no quarantined rows[/green]", fmt)
        return out
    finally:
        con.close()


def _status_models(con) -> list[Section]:
    """The latest run of each propensity model. The headline is holdout_roc_auc (later snapshots of
    customers held out from training), beside the logistic baseline and recency alone on the same split."""
    if not _has_column(con, "ml", "model_runs", "holdout_roc_auc"):
        return []
    rows = con.execute("""
        select model, model_version, holdout_roc_auc, baseline_roc_auc, recency_only_roc_auc, pr_auc, brier,
               n_train, n_test, coalesce(single_feature_warning, '')
        from ml.model_runs
        where holdout_roc_auc is not null
        qualify row_number() over (partition by model order by run_at desc) = 1
        order by model""").fetchall()
    cols = [Col("model", ID), Col("version", ID), Col("holdout ROC AUC", SCORE), Col("baseline", SCORE),
            Col("recency only", SCORE), Col("PR AUC", SCORE), Col("Brier", SCORE), Col("train rows", COUNT),
            Col("test rows", COUNT), Col("single-feature warning")]
    return [Section("propensity models (ml.model_runs, latest run each)", cols, rows, key="models")]


def _status_syncs(con, fmt: Format) -> list[Section]:
    """The last run of each sync (sent, acknowledged, rejected, left out by the gate or privacy) and the
    open rejected rows by reason, from the published ops.sync_* tables."""
    if not _has_column(con, "ops", "sync_runs", "sync_name"):
        note("[dim]no sync has run yet: `make demo` ends with one, `cjo run --job activate` runs them[/dim]", fmt)
        return []
    last = con.execute(
        "select sync_name, started_at, status, sent, acked, rejected, planned_privacy_removed, error "
        "from (select *, row_number() over (partition by sync_name order by started_at desc) as n "
        "from ops.sync_runs where not dry_run) where n = 1 order by sync_name").fetchall()
    out = [Section("syncs: last run of each (ops.sync_runs)",
                   [Col("sync", ID), Col("started (UTC)", TIME), Col("status"), Col("sent", COUNT),
                    Col("acknowledged", COUNT), Col("rejected", COUNT), Col("privacy removals", COUNT),
                    Col("error")], last, key="syncs")]
    if _has_column(con, "ops", "sync_rejected_rows", "reason"):
        reasons = con.execute("select sync_name, reason, count(*) from ops.sync_rejected_rows "
                              "where resolved_at is null group by 1, 2 order by 3 desc limit 20").fetchall()
        if reasons:
            out.append(Section("open rejected rows by reason", [Col("sync", ID), Col("reason"), Col("rows", COUNT)],
                               reasons, key="sync_rejections"))
    return out


def _status_journeys(con) -> list[Section]:
    """Each journey (all arms): enrolled, still in, converted, exited, and its lift over its own control
    group (agg_journey_performance, agg_experiment_results), from the published copy."""
    if not _has_column(con, "marts", "agg_journey_performance", "journey"):
        return []
    # the journey's treated arms pooled (arm 'all') against its control, on the journey's goal
    lift = ("left join marts.agg_experiment_results x on x.experiment_type = 'journey_holdout' "
            "and x.experiment_name = p.journey and x.arm = 'all' and x.metric = 'goal_rate'"
            ) if _has_column(con, "marts", "agg_experiment_results", "metric") else ""
    rows = con.execute(
        "select p.journey, p.enrolled, p.active, p.converted, p.exited, p.steps_sent, "
        f"{'x.lift, x.lift_ci_low, x.lift_ci_high' if lift else 'null, null, null'} "
        f"from marts.agg_journey_performance p {lift} where p.arm = 'all' order by p.journey").fetchall()
    return [Section("journeys (agg_journey_performance; lift vs the journey's control, agg_experiment_results)",
                    [Col("journey", ID), Col("enrolled", COUNT), Col("active", COUNT), Col("converted", COUNT),
                     Col("exited", COUNT), Col("steps sent", COUNT), Col("lift", SHARE),
                     Col("lift low", SHARE), Col("lift high", SHARE)], rows, key="journeys")]


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
    from orchestration.dbt_assets import dbt_executable
    from orchestration.resources import dagster_home

    ok = True
    rows: list[tuple[str, str, str]] = []

    def row(name: str, good: bool, detail: str, warn_only: bool = False) -> None:
        nonlocal ok
        ok = ok and (good or warn_only)
        rows.append((name, "ok" if good else ("warn" if warn_only else "FAIL"), detail))

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
        "missing: run `make manifest` (dbt parse)", warn_only=True)
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
    emit(Section("cjo doctor", [Col("check"), Col("status"), Col("detail")], rows))
    if not ok:
        raise typer.Exit(1)


# ------------------------------------------------------------------ settings


@app.command("settings")
def settings_command(
    write_readme: Annotated[bool, typer.Option(
        "--write-readme", help="Rewrite the settings table in README.md from the settings object.")] = False,
    fmt: FormatOption = Format.table,
) -> None:
    """Every setting with its environment variable and current value (environment, then .env, then default).

    Example: cjo settings
    """
    if write_readme:
        readme = settings.PROJECT_ROOT / "README.md"
        readme.write_text(settings.readme_with_settings(readme.read_text()))
        console.print(f"wrote the settings table of {readme}")
        return
    current = settings.get()
    rows = []
    for name, env, default, _ in settings.settings_table():
        value = getattr(current, name)
        rows.append((name, env, value.as_posix() if isinstance(value, Path) else value, default))
    emit(Section(f"settings (file: {settings.ENV_FILE})",
                 [Col("setting", ID), Col("environment variable", ID), Col("value"), Col("default")], rows), fmt)


# ------------------------------------------------------------------ byod


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def byod(
    ctx: typer.Context,
    dataset: Annotated[str, typer.Argument(help="telco (IBM Telco churn) or shoppers (UCI Online Shoppers).")],
    out: Annotated[Path | None, typer.Option(help="Raw folder to write (default: CJO_RAW_DIR).")] = None,
) -> None:
    """Map a public example dataset onto the raw data contract (bring your own data, worked examples).

    Extra options go to `python -m cjo_data.byod` (see docs/bring-your-own-data.md).

    Example: cjo byod telco --out data/raw && cjo run
    """
    from cjo_data.byod.__main__ import main as byod_main
    from orchestration import settings

    code = byod_main([dataset, "--out", str(out or settings.raw_dir()), *ctx.args])
    if code:
        raise typer.Exit(code)


# ------------------------------------------------------------------ dashboard and report


@app.command()
def dashboard(
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8050,
    host: Annotated[str, typer.Option(help="Interface to bind (loopback by default).")] = "127.0.0.1",
) -> None:
    """Start the actionable dashboard (Dash) on http://HOST:PORT. It reads the published copy only.

    Pages: overview, funnel, journeys, cohorts, CLV, money flows, attribution, segments, experiments,
    wholesalers, audiences; every page filters by date, persona, segment, tier and channel, and a click on
    a group of customers shows who they are (see docs/dashboard.md). Ctrl-C stops it.

    Example: cjo dashboard --port 8050
    """
    from orchestration.dashboard.app import serve
    from orchestration.publish import published_path

    if not published_path().exists():
        err.print(f"nothing published yet at {published_path()}: run the pipeline first (`cjo run`)")
        raise typer.Exit(1)
    console.print(f"dashboard on http://{host}:{port}/ (reading {published_path()}); Ctrl-C stops it")
    serve(host=host, port=port)


@app.command()
def report(
    out: Annotated[Path, typer.Option("--out", help="HTML file to write.")] = Path("report.html"),
) -> None:
    """Write every dashboard page as one self-contained HTML file (plotly.js inlined; opens offline).

    Example: cjo report --out report.html
    """
    from orchestration.dashboard.report import write_report
    from orchestration.publish import NothingPublishedError

    try:
        info = write_report(out)
    except NothingPublishedError as exc:
        err.print(str(exc))
        raise typer.Exit(1) from None
    console.print(f"wrote {info['path']}: {info['pages']} pages, {info['bytes'] / 1e6:,.1f} MB in {info['seconds']} s")


# ------------------------------------------------------------------ dev


@app.command()
def dev(
    port: Annotated[int, typer.Option(help="Port of the Dagster UI.")] = 3000,
    host: Annotated[str, typer.Option(help="Interface to bind (loopback by default).")] = "127.0.0.1",
) -> None:
    """Start `dg dev` (the Dagster UI, daemon and code server) on this project, with DAGSTER_HOME set up.

    Ctrl-C stops all of it. Runs started with `cjo run` use the same instance and show up in the UI.

    Example: cjo dev --port 3000
    """
    from orchestration.dbt_assets import ensure_manifest
    from orchestration.resources import ensure_dagster_home

    ensure_dagster_home()
    _export_dbt_environment()
    ensure_manifest()
    exe = Path(sys.executable).parent / "dg"
    # dg compares the venv it runs in with the project's .venv: they are the same one, say so. It runs
    # from the project root (where pyproject's [tool.dg] is). `exec` leaves no wrapper process behind:
    # dg itself gets Ctrl-C and stops its webserver, daemon and code server.
    os.environ["VIRTUAL_ENV"] = sys.prefix
    os.chdir(settings.PROJECT_ROOT)
    os.execv(str(exe), [str(exe), "dev", "--host", host, "--port", str(port), "--no-check-yaml"])


_mount_activation()

if __name__ == "__main__":
    app()
