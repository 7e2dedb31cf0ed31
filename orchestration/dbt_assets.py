"""dbt models as Dagster assets (dagster-dbt), dbt tests as asset checks.

- ``dbt_project()``: the repo's dbt project (project and profiles in the repo root).
- ``cjo_dbt_assets``: every model and seed from ``target/manifest.json``; groups come from the model's
  top folder (staging, intermediate, marts, activation) through one small translator override.
  dbt tests (generic, singular, relationships) become asset checks: ``enable_asset_checks`` is the
  default in dagster-dbt 0.29 and is set explicitly so an upgrade cannot silently drop them.
- ``dbt_build_args()``: the dbt command line of each dbt step, a pure function (unit-tested).
- Sources keep dagster-dbt's default key ``[source, table]``. For the raw contract sources that is the
  key of the matching output of the ``raw_landing`` multi-asset (orchestration/raw_assets.py), and for
  the ``ml``/``ops`` sources the key of the Python asset that writes that table, so lineage lines up
  without hand-typed keys.

Nothing happens at import. ``cjo_dbt_assets`` is built on first use (when the code location's
definitions are loaded), after ``ensure_manifest()``: `dbt parse` runs only when the manifest is missing
or older than a dbt file (stack-notes: an unconditional ``dbt parse`` in every step subprocess cost 100 s
per run). ``make manifest``, the ``cjo`` commands and the pytest session fixture call it before loading;
under ``dg dev`` a reload of the code location re-checks it, so an edited model shows up.
"""

# No `from __future__ import annotations`: Dagster reads the context annotation of the asset function.
import json
import logging
import os
import shutil
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from functools import cache, cached_property
from importlib import metadata
from pathlib import Path
from typing import Any

import dagster as dg
from dagster import AssetExecutionContext
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)
from dagster_dbt.dbt_project import DagsterDbtProjectPreparer
from packaging import version

from orchestration import settings
from orchestration.raw_assets import landed_in_this_run
from orchestration.warehouse_lock import DUCKDB_WRITER_POOL, writer_lock

log = logging.getLogger(__name__)

# Groups named after the top model folder; any other folder keeps dagster-dbt's default group.
MODEL_GROUPS = ("staging", "intermediate", "marts", "activation")
# What makes the manifest stale: a newer file of one of these kinds under these paths.
_DBT_INPUTS = ("models", "macros", "seeds", "tests/dbt", "snapshots", "analyses")
_DBT_SUFFIXES = (".sql", ".yml", ".yaml", ".csv", ".md")

DBT_ELAPSED_PREFIX = "dbt elapsed_time="
# dagster-dbt gives every invocation its own folder under target/ (`<op name>-<run id>-<uuid>`: compiled
# SQL, run_results.json, logs). They are kept for debugging a run, but only the newest few: a full
# pipeline makes 3-4 of them and they used to pile up (204 MB after a day of test runs).
KEEP_INVOCATION_TARGETS = 12
# A folder with a file written this recently may belong to a dbt step still running in another process
# (dbt writes its log there as it goes): never pruned. An hour is longer than any step of the demo.
ACTIVE_INVOCATION_SECONDS = 3600
# The op (and invocation folder prefix, and run step key) of the dbt assets.
OP_NAME = "cjo_dbt_assets"
# When Dagster splits the dbt assets into several steps (marts that read ML tables), dbt's default
# "eager" indirect selection runs a relationships test as soon as ONE of its parents is selected, i.e.
# before the other parent exists in a fresh warehouse. "cautious" never ran a test whose parents sit in
# different steps (a mart in one, the seed it references in another): six relationships tests silently
# never ran. "buildable" runs a test when each parent is selected or is an ancestor of the selection,
# i.e. already built by an earlier step.
INDIRECT_SELECTION = "buildable"


def manifest_is_stale(project_dir: Path, manifest_path: Path) -> bool:
    """True when the manifest is missing or older than any dbt input file."""
    if not manifest_path.exists():
        return True
    built = manifest_path.stat().st_mtime
    files = [project_dir / "dbt_project.yml", project_dir / "profiles.yml"]
    for folder in _DBT_INPUTS:
        root = project_dir / folder
        if root.is_dir():
            files.extend(p for p in root.rglob("*") if p.suffix in _DBT_SUFFIXES)
    return any(p.exists() and p.stat().st_mtime > built for p in files)


class CjoDbtCliResource(DbtCliResource):
    """dagster-dbt's dbt CLI resource without two start-up costs it pays around every dbt process, which
    this project gets nothing from (measured on the fixture, load average ~6 on 2 cores; docs/journeys.md):

    - ``_cli_version``: dagster-dbt runs ``dbt --version`` once per resource instance, i.e. once per
      run: a whole dbt start-up plus a PyPI request for the latest version, 8 s. When the executable is
      this interpreter's venv's dbt, its version is the installed dbt-core's, read from the package
      metadata (any other executable, e.g. dbt Fusion on PATH, keeps dagster-dbt's check).
    - ``_initialize_dbt_core_adapter``: before every dbt step dagster-dbt loads the profile, the project
      and dbt's macros in the Dagster process (1.5 s; 5 s for the first step of a process, with dbt's
      imports). That adapter only serves ``fetch_row_counts``/``fetch_column_metadata``, which open
      DuckDB from this process while dbt holds the write lock, so the project never calls them.

    Both are private methods of dagster-dbt 0.29; tests/test_dbt_args.py fails if an upgrade renames
    them (the override would then silently stop saving anything)."""

    @cached_property
    def _cli_version(self) -> version.Version:
        if Path(self.dbt_executable) == Path(sys.executable).parent / "dbt":
            return version.parse(metadata.version("dbt-core"))
        return super()._cli_version

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:  # type: ignore[override]
        return None


class CjoPreparer(DagsterDbtProjectPreparer):
    """dagster-dbt's preparer (a guard against two processes parsing at once), with the venv's dbt:
    the default calls `dbt` from PATH."""

    def _prepare_manifest(self, project: DbtProject) -> None:
        CjoDbtCliResource(project_dir=project, dbt_executable=dbt_executable()).cli(
            ["parse", "--quiet"], target_path=project.target_path).wait()


def dbt_executable() -> str:
    """The dbt next to the running interpreter (the venv's), falling back to PATH."""
    candidate = Path(sys.executable).parent / "dbt"
    return str(candidate) if candidate.exists() else "dbt"


@cache
def dbt_project() -> DbtProject:
    return DbtProject(project_dir=settings.PROJECT_ROOT, profiles_dir=settings.PROJECT_ROOT,
                      target=settings.get().dbt_target)


def ensure_manifest(project: DbtProject | None = None) -> Path:
    """`dbt parse` when the manifest is missing or older than a dbt file; returns the manifest path."""
    project = project or dbt_project()
    if manifest_is_stale(Path(project.project_dir), project.manifest_path):
        log.info("dbt manifest missing or stale at %s: running `dbt parse`", project.manifest_path)
        CjoPreparer().prepare(project)
    return project.manifest_path


def checks_left_out(selected_assets: Iterable[dg.AssetKey], selected_checks: Iterable[dg.AssetCheckKey],
                    all_checks: Iterable[dg.AssetCheckKey]) -> bool:
    """True when a step leaves out some check of an asset it builds (a check-only or hand-picked subset)."""
    assets, chosen = set(selected_assets), set(selected_checks)
    return any(c.asset_key in assets and c not in chosen for c in all_checks)


def dbt_build_args(*, checks_left_out: bool, dbt_vars: Mapping[str, Any] | None = None) -> list[str]:
    """The dbt command line of one dbt step (dagster-dbt appends the step's ``--select``).

    ``--indirect-selection buildable`` (see INDIRECT_SELECTION) unless the step leaves out checks of its
    assets: then dagster-dbt selects each test by name and sets DBT_INDIRECT_SELECTION=empty for the dbt
    process, which a command-line flag would override (and run the left-out tests). ``dbt_vars``: the
    vars the settings set (settings.dbt_vars: the journey clock, authoritative CRM ids), as ``--vars``.

    No speed flags, measured (issue 15, fixture, load average 4.6-6.8 on 2 cores, 4 runs each; docs/journeys.md):
    of a ~17 s `dbt build` of one model, imports take 7-8 s, adapter set-up 1.3 s, the partial parse and
    manifest 4 s, the relation cache 0.6 s. ``--no-populate-cache``, ``--cache-selected-only`` and
    ``--log-level-file none`` changed the median total by less than the run-to-run noise (single runs 15-21 s).
    ``--no-write-json`` would drop run_results.json, which _log_dbt_elapsed and runstats read;
    ``--no-introspect`` only breaks compile-time queries; usage stats are already off (dagster-dbt's env)
    and there is no ``require-dbt-version`` for ``--no-version-check`` to skip."""
    args = ["build"] if checks_left_out else ["build", "--indirect-selection", INDIRECT_SELECTION]
    if dbt_vars:
        args += ["--vars", json.dumps(dict(dbt_vars), sort_keys=True)]
    return args


def prune_invocation_targets(target_root: Path, keep: int = KEEP_INVOCATION_TARGETS,
                             protect: Path | None = None, now: float | None = None) -> list[Path]:
    """Remove all but the `keep` newest dagster-dbt invocation folders of this project's dbt assets
    (named after the ``OP_NAME`` op); `protect` (the current invocation) is never removed, and neither is
    a folder that may still be in use: one with a file written in the last ``ACTIVE_INVOCATION_SECONDS``.
    The writer lock only serializes the dbt steps of one warehouse: a second process building another
    warehouse from the same project (a second `cjo run` with another CJO_DUCKDB_PATH, parallel tests) has
    its live invocation folder under the same target/, and removing it fails that dbt step.
    Returns what was removed. Everything else in target/ (the manifest, dbt's own folders) stays."""
    if not target_root.is_dir():
        return []
    folders = [p for p in target_root.iterdir() if p.is_dir() and p.name.startswith(OP_NAME)]
    folders.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    cutoff = (time.time() if now is None else now) - ACTIVE_INVOCATION_SECONDS
    removed = []
    for folder in folders[keep:]:
        if protect is not None and folder.resolve() == protect.resolve():
            continue
        if _last_write(folder) > cutoff:
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


def _last_write(folder: Path) -> float:
    """The newest modification time of `folder` and of anything in it (0 when it vanished meanwhile)."""
    newest = 0.0
    for p in (folder, *folder.rglob("*")):
        try:
            newest = max(newest, p.stat().st_mtime)
        except FileNotFoundError:
            continue
    return newest


def keep_partial_parse(invocation_target: Path, project_target: Path) -> bool:
    """Copy an invocation's ``partial_parse.msgpack`` back to the project's target folder, atomically.

    dagster-dbt gives every invocation a target folder of its own and seeds it with the project's
    ``target/partial_parse.msgpack``; the one there was written by ``dbt parse`` (ensure_manifest) without
    the settings' ``--vars``, so dbt threw it away and parsed the whole project again in every step (about
    a minute on a busy 2-core machine). Keeping the newest one makes the next step's parse partial. dbt
    still checks the vars, profile and file hashes itself and parses afresh when anything changed."""
    src = invocation_target / "partial_parse.msgpack"
    if not src.is_file():
        return False
    project_target.mkdir(parents=True, exist_ok=True)
    tmp = project_target / f".partial_parse.msgpack.tmp-{os.getpid()}"
    shutil.copyfile(src, tmp)
    os.replace(tmp, project_target / "partial_parse.msgpack")
    return True


def group_for(dbt_resource_props: Mapping[str, Any]) -> str | None:
    """The model's top folder under models/ when it is one of MODEL_GROUPS, else None (default)."""
    if dbt_resource_props.get("resource_type") != "model":
        return None
    fqn = dbt_resource_props.get("fqn") or []
    folder = fqn[1] if len(fqn) > 2 else None
    return folder if folder in MODEL_GROUPS else None


class CjoTranslator(DagsterDbtTranslator):
    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
                       ) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        group = group_for(self.get_resource_props(manifest, unique_id))
        return spec.replace_attributes(group_name=group) if group else spec


# enable_duplicate_source_asset_keys: several sources written by one Python asset (the journey state tables,
# all written by journeys/state in one transaction) name that asset's key; without it dagster-dbt refuses
# the definitions as duplicate keys.
translator = CjoTranslator(settings=DagsterDbtTranslatorSettings(
    enable_asset_checks=True, enable_duplicate_source_asset_keys=True))


def build_dbt_assets(project: DbtProject) -> dg.AssetsDefinition:
    """The dbt assets of `project` (its manifest must exist), in the writer pool."""

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        dagster_dbt_translator=translator,
        pool=DUCKDB_WRITER_POOL,
        name=OP_NAME,
    )
    def _dbt_build(context: AssetExecutionContext, dbt: DbtCliResource):
        """`dbt build` of the selected models, seeds and tests, streaming each result as it happens.

        No row-count/column-metadata fetching: that opens DuckDB from this process while dbt holds the
        write lock."""
        from orchestration.jobs import INCREMENTAL

        if context.job_name == INCREMENTAL and not landed_in_this_run(context):
            # Every model is a function of the landed data (and the ML tables, which this job does not
            # touch): with nothing new the warehouse would be rebuilt identical. dbt assets are skippable,
            # so the steps downstream (publishing) are skipped too.
            context.log.info("no new delivery landed in this run: nothing for dbt to rebuild")
            return
        all_checks = [spec.key for spec in context.assets_def.node_check_specs_by_output_name.values()]
        args = dbt_build_args(checks_left_out=checks_left_out(
            context.selected_asset_keys, context.selected_asset_check_keys, all_checks),
            dbt_vars=settings.dbt_vars())
        # DuckDB creates the file but not its folder; on a fresh clone the seed-only step can be the
        # first thing to touch the warehouse.
        settings.duckdb_path().parent.mkdir(parents=True, exist_ok=True)
        # dbt's DuckDB connection lives in the dbt subprocess: hold the writer lock until dbt exits.
        with writer_lock(settings.duckdb_path(), echo=context.log.info):
            invocation = dbt.cli(args, context=context, raise_on_error=False)
            yield from invocation.stream()
            # Still under the lock: no other dbt step runs now, so no pruned folder is in use.
            prune_invocation_targets(Path(invocation.target_path).parent, protect=Path(invocation.target_path))
            keep_partial_parse(Path(invocation.target_path), Path(invocation.target_path).parent)
        _log_dbt_elapsed(context, invocation)
        if not invocation.is_successful():
            raise invocation.get_error() or RuntimeError("dbt build failed")

    return _dbt_build


def _log_dbt_elapsed(context: AssetExecutionContext, invocation) -> None:
    """dbt's own execution time (after its start-up), for the per-asset overhead measurement
    (orchestration/runstats.py reads this line back from the run's logs)."""
    try:
        elapsed = invocation.get_artifact("run_results.json").get("elapsed_time")
        context.log.info(f"{DBT_ELAPSED_PREFIX}{float(elapsed):.3f}")
    except Exception as exc:  # no run_results (dbt crashed early): nothing to measure
        context.log.debug(f"no dbt timing: {exc}")


@cache
def _project_dbt_assets() -> dg.AssetsDefinition:
    project = dbt_project()
    ensure_manifest(project)
    return build_dbt_assets(project)


def __getattr__(name: str) -> Any:
    """``cjo_dbt_assets``: this project's dbt assets, built on first use (never at import)."""
    if name == "cjo_dbt_assets":
        return _project_dbt_assets()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
