"""Dagster definitions for the analytics area (merged by orchestration/definitions.py).

The KPI, path, money-flow and attribution marts are dbt SQL under models/marts/analytics, so they appear
here only through the dbt assets; the three model fits are Python assets.
"""

from __future__ import annotations

import dagster as dg


def defs() -> dg.Definitions:
    from orchestration.analytics.assets import build_assets

    assets, checks = build_assets()
    return dg.Definitions(assets=assets, asset_checks=checks)
