"""Dagster definitions for the ML / decisioning area (merged by orchestration/definitions.py)."""

from __future__ import annotations

import dagster as dg


def defs() -> dg.Definitions:
    return dg.Definitions()
