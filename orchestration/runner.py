"""Runs started by `cjo run`: executed in this process, recorded as runs of the code location.

Why this exists: ``JobDefinition.execute_in_process`` (and ``dagster.execute_job``) create a run with no
remote job origin. The UI lists a job's runs (Jobs page) and places runs on the overview timeline by
the run's origin, stored as the ``.dagster/repository`` tag ``<repository>@<code location>``, so CLI
runs were in the instance but in none of those views. Here the run is created the way a launch from the
UI creates it, with the origin of the ``cjo`` code location (the one `dg dev` serves, named in
pyproject's ``[tool.dg.project]``) and the Python origin of the job, then executed in this process.
"""

from __future__ import annotations

import sys
import tomllib
from collections.abc import Mapping, Sequence
from functools import cache

import dagster as dg

from orchestration import settings

DEFINITIONS_MODULE = "orchestration.definitions"
DEFINITIONS_ATTRIBUTE = "defs"


@cache
def code_location_name() -> str:
    """The code location's name, from pyproject's ``[tool.dg.project]`` (what `dg dev` calls it)."""
    pyproject = tomllib.loads((settings.PROJECT_ROOT / "pyproject.toml").read_text())
    return pyproject["tool"]["dg"]["project"]["code_location_name"]


@cache
def project_repository():
    """The code location as a reconstructable repository (loaded once per process, on first use)."""
    from dagster._core.definitions.reconstruct import ReconstructableRepository

    return ReconstructableRepository.for_module(
        DEFINITIONS_MODULE, DEFINITIONS_ATTRIBUTE, working_directory=str(settings.PROJECT_ROOT))


def remote_job_origin(job_name: str, repository_name: str):
    """The origin a run launched from the UI would carry for this job of the code location."""
    from dagster._core.remote_origin import (
        ManagedGrpcPythonEnvCodeLocationOrigin,
        RemoteJobOrigin,
        RemoteRepositoryOrigin,
    )
    from dagster._core.types.loadable_target_origin import LoadableTargetOrigin

    location = ManagedGrpcPythonEnvCodeLocationOrigin(
        LoadableTargetOrigin(executable_path=sys.executable, module_name=DEFINITIONS_MODULE,
                             attribute=DEFINITIONS_ATTRIBUTE, working_directory=str(settings.PROJECT_ROOT)),
        location_name=code_location_name(),
    )
    return RemoteJobOrigin(RemoteRepositoryOrigin(location, repository_name), job_name)


def create_run(instance: dg.DagsterInstance, job_name: str, *, run_id: str,
               asset_selection: Sequence[dg.AssetKey] | None, run_config: Mapping, tags: Mapping[str, str]):
    """A run of `job_name` (narrowed to `asset_selection`) in the instance, with the code location's
    origin. Returns (reconstructable job, run)."""
    recon_repo = project_repository()
    recon_job = recon_repo.get_reconstructable_job(job_name)
    if asset_selection:
        recon_job = recon_job.get_subset(asset_selection=frozenset(asset_selection))
    run = instance.create_run_for_job(
        job_def=recon_job.get_definition(),
        run_id=run_id,
        run_config=run_config,
        tags=tags,
        asset_selection=frozenset(asset_selection) if asset_selection else None,
        remote_job_origin=remote_job_origin(job_name, recon_repo.get_definition().name),
        job_code_origin=recon_job.get_python_origin(),
    )
    return recon_job, run


def execute(instance: dg.DagsterInstance, recon_job, run) -> dg.JobExecutionResult:
    """Execute the run in this process (the jobs use the in-process executor)."""
    from dagster._core.execution.api import execute_run

    return execute_run(recon_job, run, instance, raise_on_error=False)
