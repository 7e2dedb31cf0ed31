"""The dbt command line of each dbt step: a pure function of what the step selects."""

from __future__ import annotations

import dagster as dg

from orchestration.dbt_assets import INDIRECT_SELECTION, checks_left_out, dbt_build_args

A, B, C = dg.AssetKey(["marts", "a"]), dg.AssetKey(["marts", "b"]), dg.AssetKey(["staging", "c"])
A_UNIQUE, A_NOT_NULL = dg.AssetCheckKey(A, "unique_a_id"), dg.AssetCheckKey(A, "not_null_a_id")
B_REL = dg.AssetCheckKey(B, "relationships_b_a_id")
ALL = [A_UNIQUE, A_NOT_NULL, B_REL]


def test_a_whole_step_builds_with_buildable_indirect_selection():
    assert not checks_left_out([A, B], ALL, ALL)
    assert dbt_build_args(checks_left_out=False) == ["build", "--indirect-selection", "buildable"]
    assert INDIRECT_SELECTION == "buildable"


def test_a_subset_of_assets_with_all_their_checks_still_uses_buildable():
    # Step 1 of a split run builds A with its checks; B (and its test) belong to a later step.
    assert not checks_left_out([A], [A_UNIQUE, A_NOT_NULL], ALL)


def test_a_step_that_leaves_out_a_check_of_its_asset_adds_no_flag():
    # dagster-dbt then selects each test by name with DBT_INDIRECT_SELECTION=empty; a flag would win
    # over that variable and run the left-out test.
    assert checks_left_out([A], [A_UNIQUE], ALL)
    assert dbt_build_args(checks_left_out=True) == ["build"]


def test_checks_only_on_assets_outside_the_step_leave_nothing_out():
    # A check-only step for B (B itself not rebuilt) and unrelated assets.
    assert not checks_left_out([], [B_REL], ALL)
    assert not checks_left_out([C], [], ALL)


def test_the_journey_clock_and_authoritative_ids_reach_dbt_as_vars():
    from orchestration import settings

    s = settings.get(as_of="2025-06-30T10:00:00+02:00", crm_ids_authoritative=True)
    assert settings.dbt_vars(s) == {"as_of_ts": "2025-06-30 08:00:00", "identity_max_advisors_per_identifier": 1}
    assert str(settings.journey_clock(s)) == "2025-06-30 08:00:00"
    assert dbt_build_args(checks_left_out=True, dbt_vars=settings.dbt_vars(s)) == [
        "build", "--vars", '{"as_of_ts": "2025-06-30 08:00:00", "identity_max_advisors_per_identifier": 1}']
    unset = settings.get(as_of=None, crm_ids_authoritative=False)
    assert settings.dbt_vars(unset) == {} and settings.journey_clock(unset) is None
    assert dbt_build_args(checks_left_out=False, dbt_vars={}) == ["build", "--indirect-selection", "buildable"]


def _no_subprocess(*args, **kwargs):
    raise AssertionError(f"dagster-dbt started a process: {args}")


def test_the_dbt_resource_reads_the_venv_dbt_version_without_starting_dbt(monkeypatch):
    """dagster-dbt's own check runs `dbt --version` (a whole dbt start-up and a PyPI request, ~8 s) once
    per resource instance; the venv's dbt is the installed dbt-core, whose version is in its metadata."""
    import sys
    from functools import cached_property
    from importlib import metadata
    from pathlib import Path

    import dagster_dbt.core.resource as dagster_dbt_resource
    from dagster_dbt import DbtCliResource
    from packaging import version

    from orchestration.dbt_assets import CjoDbtCliResource, dbt_executable
    from orchestration.resources import dbt_resource

    # The overrides replace these private dagster-dbt methods: an upgrade that renames them must fail here.
    assert isinstance(DbtCliResource.__dict__["_cli_version"], cached_property)
    assert callable(DbtCliResource.__dict__["_initialize_dbt_core_adapter"])
    monkeypatch.setattr(dagster_dbt_resource, "check_output", _no_subprocess)
    resource = dbt_resource()
    assert isinstance(resource, CjoDbtCliResource)
    assert Path(dbt_executable()) == Path(sys.executable).parent / "dbt"
    assert resource._cli_version == version.parse(metadata.version("dbt-core"))
    assert resource._cli_version.major == 1  # dbt Core: dagster-dbt streams its events as dbt Core's
    # No adapter in the Dagster process: only row-count/column-metadata fetching would use it.
    assert resource._initialize_dbt_core_adapter(["build"]) is None


def test_another_dbt_executable_keeps_dagster_dbts_version_check(monkeypatch, tmp_path):
    """A dbt that is not the venv's (e.g. dbt Fusion on PATH) is asked for its version, as dagster-dbt does."""
    import dagster_dbt.core.resource as dagster_dbt_resource

    from orchestration.dbt_assets import CjoDbtCliResource, dbt_project

    other = tmp_path / "dbt"
    other.write_text("#!/bin/sh\n")
    other.chmod(0o755)
    monkeypatch.setattr(dagster_dbt_resource, "check_output", lambda args: b"dbt-fusion 2.0.0-preview.45")
    resource = CjoDbtCliResource(project_dir=dbt_project(), dbt_executable=str(other))
    assert resource._cli_version.major == 2
