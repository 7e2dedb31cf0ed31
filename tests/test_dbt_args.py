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
