"""Dagster definitions for the ML / decisioning area (merged by orchestration/definitions.py).

The NBA itself (eligibility, arbitration, experiment results) is dbt SQL under
models/marts/decisioning/, so it appears here only through the dbt assets.
"""

from __future__ import annotations

import dagster as dg


def defs() -> dg.Definitions:
    from orchestration.ml.assets import build_assets

    assets, checks = build_assets()
    return dg.Definitions(assets=assets, asset_checks=checks)
