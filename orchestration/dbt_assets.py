"""dbt models as Dagster assets (dagster-dbt), dbt tests as asset checks.

- ``dbt_project``: the repo's dbt project (project and profiles in the repo root).
- ``cjo_dbt_assets``: every model and seed from ``target/manifest.json``; groups come from the model's
  top folder (staging, intermediate, marts, activation) through one small translator override.
  dbt tests (generic, singular, relationships) become asset checks: ``enable_asset_checks`` is the
  default in dagster-dbt 0.29 and is set explicitly so an upgrade cannot silently drop them.
- Sources keep dagster-dbt's default key ``[source, table]``. For the raw contract sources that is the
  key of the matching output of the ``raw_landing`` multi-asset (orchestration/raw_assets.py), and for
  the ``ml``/``ops`` sources the key of the Python asset that writes that table, so lineage lines up
  without hand-typed keys.

The manifest: under ``dagster dev`` (or ``dg``) it is re-parsed when a dbt file is newer than it
(stack-notes: an unconditional ``dbt parse`` in every step subprocess cost 100 s per run). Outside dev
``make`` and the pytest session fixture run ``dbt parse``; if it is still missing (fresh clone), it is
parsed once here, with a warning, instead of failing the import.
"""


import logging
import os
from collections.abc import Mapping
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

from orchestration import settings
from orchestration.resources import DUCKDB_WRITER_POOL, dbt_executable
from orchestration.settings import PROJECT_ROOT
from orchestration.warehouse_lock import writer_lock

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
# dbt phones home on every invocation unless told otherwise; the machine may be offline.
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")


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


class CjoPreparer(DagsterDbtProjectPreparer):
    """Parse only when needed, with the venv's dbt (the default preparer calls `dbt` from PATH)."""

    def prepare_if_dev(self, project: DbtProject) -> None:
        if manifest_is_stale(Path(project.project_dir), project.manifest_path):
            if not self.using_dagster_dev():
                log.warning("dbt manifest missing or stale at %s: running `dbt parse` now (run `make "
                            "parse` before importing orchestration to avoid this)", project.manifest_path)
            self.prepare(project)

    def _prepare_manifest(self, project: DbtProject) -> None:
        DbtCliResource(project_dir=project, dbt_executable=dbt_executable()).cli(
            ["parse", "--quiet"], target_path=project.target_path).wait()


dbt_project = DbtProject(project_dir=PROJECT_ROOT, profiles_dir=PROJECT_ROOT)
# dagster-dbt's DbtProject.prepare_if_dev() with our preparer (DbtProject takes no custom preparer):
# parses only when the manifest is missing or stale, in dev and outside it.
CjoPreparer().prepare_if_dev(dbt_project)


def prune_invocation_targets(target_root: Path, keep: int = KEEP_INVOCATION_TARGETS,
                             protect: Path | None = None) -> list[Path]:
    """Remove all but the `keep` newest dagster-dbt invocation folders of this project's dbt assets
    (named after the ``cjo_dbt_assets`` op); `protect` (the current invocation) is never removed.
    Returns what was removed. Everything else in target/ (the manifest, dbt's own folders) stays."""
    import shutil

    if not target_root.is_dir():
        return []
    folders = [p for p in target_root.iterdir() if p.is_dir() and p.name.startswith("cjo_dbt_assets")]
    folders.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    removed = []
    for folder in folders[keep:]:
        if protect is not None and folder.resolve() == protect.resolve():
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


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


translator = CjoTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=translator,
    pool=DUCKDB_WRITER_POOL,
)
def cjo_dbt_assets(context: AssetExecutionContext, dbt: DbtCliResource):
    """`dbt build` of the selected models, seeds and tests, streaming each result as it happens.

    No row-count/column-metadata fetching: that opens DuckDB from this process while dbt holds the
    write lock."""
    # When Dagster splits the dbt assets into several steps (marts that read ML tables), dbt's default
    # "eager" indirect selection runs a relationships test as soon as ONE of its parents is selected,
    # i.e. before the other parent exists in a fresh warehouse. "cautious" never ran a test whose
    # parents sit in different steps (a mart in one, the seed it references in another): six
    # relationships tests silently never ran. "buildable" runs a test when each parent is selected or
    # is an ancestor of the selection, i.e. already built by an earlier step. dagster-dbt still
    # overrides it ("empty") for check-only subsets.
    os.environ.setdefault("DBT_INDIRECT_SELECTION", "buildable")
    # DuckDB creates the file but not its folder; on a fresh clone the seed-only step can be the first
    # thing to touch the warehouse.
    settings.duckdb_path().parent.mkdir(parents=True, exist_ok=True)
    # dbt's DuckDB connection lives in the dbt subprocess: hold the writer lock for it until dbt exits.
    with writer_lock(settings.duckdb_path(), echo=context.log.info):
        invocation = dbt.cli(["build"], context=context, raise_on_error=False)
        yield from invocation.stream()
        # Still under the lock: no other dbt step of this project runs now, so no pruned folder is in use.
        prune_invocation_targets(Path(invocation.target_path).parent, protect=Path(invocation.target_path))
    # dbt's own execution time (after its start-up), logged for the per-asset overhead measurement
    # (orchestration/runstats.py reads this line back from the run's logs).
    try:
        elapsed = invocation.get_artifact("run_results.json").get("elapsed_time")
        context.log.info(f"{DBT_ELAPSED_PREFIX}{float(elapsed):.3f}")
    except Exception as exc:  # no run_results (dbt crashed early): nothing to measure
        context.log.debug(f"no dbt timing: {exc}")
    if not invocation.is_successful():
        raise invocation.get_error() or RuntimeError("dbt build failed")
