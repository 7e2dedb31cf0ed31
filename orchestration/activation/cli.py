"""Marketer / operator CLI: ``cjo audiences ...`` and ``cjo sync ...``.

The Dagster helper's ``cjo`` mounts :data:`audiences_app` and :data:`sync_app`; :data:`app` holds both
for ``python -m orchestration.activation``. Reading commands use the PUBLISHED copy of the warehouse
(never the live file: even a reader blocks DuckDB's single writer). ``sync run`` is a pipeline step:
it is the writer for its duration.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from orchestration.activation import audiences as aud
from orchestration.activation.manifest import ManifestMissingError
from orchestration.activation.spec import SpecError, load_specs
from orchestration.formatting import COUNT, FLAG, ID, SECONDS, TIME, Col, Format, FormatOption, Section, cols_for, emit
from orchestration.formatting import note as _note

err = Console(stderr=True)


class _LazyConsole:
    """A Console built per print, so the terminal width (COLUMNS) is read when a command runs."""

    def print(self, *args: object, **kwargs: object) -> None:
        Console().print(*args, **kwargs)


console = _LazyConsole()

app = typer.Typer(help="Audiences and reverse-ETL syncs.\n\nExample: cjo audiences list", no_args_is_help=True)


def _lookup_errors(fn):
    """Turn an unknown audience / missing published copy into a one-line error, exit code 2."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except aud.AudienceLookupError as exc:
            err.print(f"[red]{exc}[/red]")
            raise typer.Exit(2) from None

    return wrapper


audiences_app = typer.Typer(
    help="Marketer audiences (reads the published warehouse copy).\n\nExample: cjo audiences list", no_args_is_help=True
)
sync_app = typer.Typer(
    help="Reverse-ETL syncs, declared with their audience in models/activation/_activation__models.yml."
    "\n\nExample: cjo sync run --all --dry-run",
    no_args_is_help=True,
)
app.add_typer(audiences_app, name="audiences")
app.add_typer(sync_app, name="sync")

def _specs():
    try:
        return load_specs()
    except (SpecError, ManifestMissingError) as exc:
        err.print(f"[red]cannot read the sync declarations[/red]: {exc}")
        raise typer.Exit(2) from None


# ------------------------------------------------------------------------------------------ sync


@sync_app.command("list")
def sync_list(fmt: FormatOption = Format.table) -> None:
    """List the declared syncs.

    Example: cjo sync list --format json"""
    specs = _specs()
    emit(Section(
        "syncs",
        [Col("name", ID), Col("audience", ID), Col("destination"), Col("mode"), Col("key", ID), Col("schedule"),
         Col("blocking", FLAG)],
        [(s.name, s.audience, s.destination.type, s.mode, s.primary_key, s.schedule, s.blocking)
         for s in specs.values()],
    ), fmt)


def _run(names: list[str], all_: bool, dry_run: bool, force: bool, db: Path | None) -> None:
    from orchestration.activation.engine import run_sync
    from orchestration.settings import duckdb_path

    specs = _specs()
    chosen = list(specs) if all_ else names
    if not chosen:
        err.print("name a sync, or pass --all")
        raise typer.Exit(2)
    failed = False
    for name in chosen:
        if name not in specs:
            err.print(f"[red]unknown sync {name!r}[/red]; known: {', '.join(specs) or '(none)'}")
            raise typer.Exit(2)
        try:
            res = run_sync(specs[name], db_path=db or duckdb_path(), dry_run=dry_run, force=force, echo=console.print)
        except Exception as exc:
            err.print(f"[red]{name} failed[/red]: {type(exc).__name__}: {exc}")
            failed = True
            continue
        console.print(
            f"{name}: {res.status} sent={res.sent} acked={res.acked} rejected={res.rejected} "
            f"batches={res.batches} in {res.duration_s}s (run {res.run_id})"
        )
    if failed:
        raise typer.Exit(1)


@sync_app.command("run")
def sync_run(
    names: Annotated[list[str] | None, typer.Argument(help="Sync names.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Run every declared sync.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Plan and store the diff; send nothing.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Override the mirror circuit breaker.")] = False,
    db: Annotated[Path | None, typer.Option("--db", help="Live warehouse (default CJO_DUCKDB_PATH).")] = None,
) -> None:
    """Run syncs against the live warehouse (a pipeline step: the single writer while it runs).

    Example: cjo sync run newcomer_onboarding_nurture --dry-run"""
    _run(names or [], all_, dry_run, force, db)


@sync_app.command("plan")
def sync_plan(
    names: Annotated[list[str] | None, typer.Argument(help="Sync names.")] = None,
    all_: Annotated[bool, typer.Option("--all")] = False,
    db: Annotated[Path | None, typer.Option("--db")] = None,
) -> None:
    """Same as ``run --dry-run``: print and store the planned diff (ops.sync_planned_diffs).

    Example: cjo sync plan newcomer_onboarding_nurture"""
    _run(names or [], all_, True, False, db)


@sync_app.command("status")
@_lookup_errors
def sync_status(
    name: Annotated[str | None, typer.Argument(help="Only this sync.")] = None,
    limit: Annotated[int, typer.Option(help="Runs to show.")] = 20,
    fmt: FormatOption = Format.table,
) -> None:
    """Recent runs and open rejected rows, from the published copy.

    Example: cjo sync status --format csv"""
    with aud.reader() as con:
        if not aud.has_table(con, "ops", "sync_runs"):
            _note("no sync has run yet (ops.sync_runs is not in the published copy)", fmt)
            return
        where, params = ("where sync_name = ?", [name]) if name else ("", [])
        rows = con.execute(
            f"select sync_name, started_at, status, dry_run, planned_added, planned_changed, planned_removed, "
            f"planned_privacy_removed, sent, acked, rejected, round(duration_s, 2), error from ops.sync_runs "
            f"{where} order by started_at desc limit ?",
            [*params, limit],
        ).fetchall()
        counts = [Col(c, COUNT) for c in ("+", "~", "-", "privacy-", "sent", "acked", "rejected")]
        sections = [Section("sync runs", [Col("sync", ID), Col("started", TIME), Col("status"), Col("dry", FLAG),
                                          *counts, Col("s", SECONDS), Col("error")], rows, key="runs")]
        if aud.has_table(con, "ops", "sync_rejected_rows"):
            open_rej = con.execute(
                f"select sync_name, count(*) from ops.sync_rejected_rows where resolved_at is null "
                f"{'and sync_name = ?' if name else ''} group by 1 order by 1",
                params,
            ).fetchall()
            sections.append(Section("open rejected rows", [Col("sync", ID), Col("rows", COUNT)], open_rej,
                                    key="open_rejected_rows"))
        emit(sections, fmt)


# ------------------------------------------------------------------------------------- audiences


@audiences_app.command("list")
@_lookup_errors
def audiences_list(fmt: FormatOption = Format.table) -> None:
    """Audiences with their size and the change since the last run.

    Example: cjo audiences list --format csv"""
    emit(Section("audiences", [Col("audience", ID), Col("size", COUNT), Col("entered", COUNT),
                               Col("exited", COUNT), Col("as of", TIME)], aud.list_audiences()), fmt)


@audiences_app.command("show")
@_lookup_errors
def audiences_show(name: str) -> None:
    """Definition, owner and destinations of one audience.

    Example: cjo audiences show aud_webinar_invite_consideration"""
    info = aud.show(name, _specs())
    for k, v in info.items():
        console.print(f"[bold]{k}[/bold]: {v}")


@audiences_app.command("preview")
@_lookup_errors
def audiences_preview(name: str, limit: Annotated[int, typer.Option(help="Rows.")] = 20,
                      fmt: FormatOption = Format.table) -> None:
    """First rows of an audience.

    Example: cjo audiences preview aud_webinar_invite_consideration --limit 5"""
    cols, rows = aud.preview(name, limit)
    emit(Section(name, cols_for(cols, rows), rows), fmt)


@audiences_app.command("export")
@_lookup_errors
def audiences_export(
    name: str,
    out: Annotated[Path, typer.Option("--out", help="File to write.")],
    fmt: Annotated[str, typer.Option("--format", help="csv or parquet.")] = "csv",
) -> None:
    """Export an audience to CSV or Parquet (written atomically).

    Example: cjo audiences export aud_webinar_invite_consideration --format csv --out invite.csv"""
    if fmt not in ("csv", "parquet"):
        err.print("--format must be csv or parquet")
        raise typer.Exit(2)
    n = aud.export(name, out, fmt)
    console.print(f"wrote {n} rows to {out}")


@_lookup_errors
def why(
    customer_id: Annotated[str, typer.Argument(help="The customer (dim_customers.customer_id).")],
    audience: Annotated[str | None, typer.Option("--audience", help="Only this audience (aud_*).")] = None,
    action: Annotated[str | None, typer.Option("--action", help="Only this action (seed actions).")] = None,
) -> None:
    """Why a customer is or is not in each audience: EVERY ledger rule and audience filter that keeps
    them out (from the published copy; it agrees with membership by construction).

    Example: cjo why cus_0123abcd --audience aud_webinar_invite_consideration"""
    for line in aud.why(customer_id, audience, action):
        console.print(line, highlight=False, markup=False, soft_wrap=True)


@audiences_app.command("why")
@_lookup_errors
def audiences_why(name: str, customer_id: str) -> None:
    """Why a customer is (or is not) in one audience (same as `cjo why CUSTOMER --audience NAME`).

    Example: cjo audiences why aud_webinar_invite_consideration cus_0123abcd"""
    for line in aud.why(customer_id, audience=name):
        console.print(line, highlight=False, markup=False, soft_wrap=True)


def main() -> None:  # pragma: no cover - console entry
    app()
