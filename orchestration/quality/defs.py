"""Dagster definitions for the quality area: GX suites as blocking asset checks, and the activation gate.

- ``gx_raw_deliveries``: one check per raw contract table on the landing asset(s) (blocking: a failed
  check stops dbt, and so everything after it).
- ``gx_marts_dim_customers``, ``gx_marts_fct_next_best_actions``, ``gx_ml_fct_propensity_scores``,
  ``gx_activation_aud_*``: on the tables activation reads (blocking).
- ``activation_quality_gate``: depends on those tables; sync assets depend on it (see gate.py).

Assets owned by other areas are looked up, never typed by hand: dbt keys through
``get_asset_key_for_model``; the landing and ML assets by importing their modules. A piece that is not
there yet (another area still in progress) is left out rather than breaking the code location.
"""

from __future__ import annotations

import logging

import dagster as dg

from orchestration.contract import Table
from orchestration.quality.checks import QualityConfig, build_duplicates_check, build_mart_check, build_raw_check
from orchestration.quality.gate import build_gate

log = logging.getLogger(__name__)

PROPENSITY_TABLE = ("ml", "fct_propensity_scores")


def _raw_key_for():
    """Table -> the landing asset key that holds it (per-table keys if the landing asset has them)."""
    try:
        from orchestration.raw_assets import raw_landing
    except ImportError:
        log.warning("orchestration.raw_assets not available: raw quality checks left out")
        return None
    keys = list(raw_landing.keys)
    by_path = {tuple(k.path[-2:]): k for k in keys}

    def key_for(t: Table) -> dg.AssetKey:
        return by_path.get((t.source, t.name), raw_landing.key if len(keys) == 1 else keys[0])

    return key_for


def _dbt_models() -> tuple[object | None, set[str]]:
    try:
        from dagster_dbt.asset_utils import get_manifest_and_translator_from_dbt_assets

        from orchestration.dbt_assets import cjo_dbt_assets
    except ImportError:
        log.warning("orchestration.dbt_assets not available: marts quality checks left out")
        return None, set()
    manifest, _, _ = get_manifest_and_translator_from_dbt_assets([cjo_dbt_assets])
    names = {n["name"] for n in manifest.get("nodes", {}).values() if n.get("resource_type") == "model"}
    return cjo_dbt_assets, names


def _propensity_key() -> dg.AssetKey | None:
    """The ML area's asset that writes ml.fct_propensity_scores, if it exists."""
    try:
        from orchestration.ml.defs import defs as ml_defs

        keys = ml_defs().resolve_all_asset_keys()
    except Exception:  # the ML area is optional for quality
        return None
    for k in keys:
        if tuple(k.path[-2:]) == PROPENSITY_TABLE or k.path[-1] in ("fct_propensity_scores", "propensity_scores"):
            return k
    return None


def _message_queues() -> set[str]:
    """Audiences synced in insert mode (the journey messages): each row goes out once and nothing is ever
    removed from the destination, so their size swings by design (none due, then a burst) and the size
    check, which guards mirror and upsert syncs against a broken upstream, does not apply."""
    from orchestration.activation.spec import load_specs

    try:
        specs = load_specs()
    except Exception:  # a broken declaration is reported by the activation area, not here
        return set()
    return {s.audience for s in specs.values() if s.mode == "insert"}


def defs() -> dg.Definitions:
    from dagster_dbt import get_asset_key_for_model

    from expectations import mart_suites
    from expectations.activation_audiences import AudienceSizeSuite

    checks: list = []
    gate_upstream: list[dg.AssetKey] = []
    key_for = _raw_key_for()
    if key_for is not None:
        checks.append(build_raw_check(key_for))

    dbt_assets, models = _dbt_models()
    suites = mart_suites()
    if dbt_assets is not None:
        for model, suite_name in (("dim_customers", "marts_dim_customers"),
                                  ("fct_next_best_actions", "marts_fct_next_best_actions")):
            if model in models:
                key = get_asset_key_for_model([dbt_assets], model)
                checks.append(build_mart_check(key, suites[suite_name]))
                gate_upstream.append(key)
        if "agg_ingestion_balance" in models:
            checks.append(build_duplicates_check(get_asset_key_for_model([dbt_assets], "agg_ingestion_balance")))
        for model in sorted(m for m in models if m.startswith("aud_") and m not in _message_queues()):
            key = get_asset_key_for_model([dbt_assets], model)
            checks.append(build_mart_check(
                key, AudienceSizeSuite(model),
                description=f"{model}: size within bounds relative to the last passing run."))
            gate_upstream.append(key)
    prop = _propensity_key()
    if prop is not None:
        checks.append(build_mart_check(prop, suites["ml_fct_propensity_scores"],
                                       description="Propensity scores: present, not null, in [0, 1]."))
        gate_upstream.append(prop)

    guarded = set(gate_upstream)
    gate_checks = [k for c in checks for k in c.check_keys if k.asset_key in guarded]
    assets = [build_gate(gate_upstream, gate_checks)] if gate_upstream else []
    return dg.Definitions(assets=assets, asset_checks=checks,
                          resources={"quality_config": QualityConfig()})
