"""Dagster definitions for the activation area (filled in below)."""

from __future__ import annotations

import dagster as dg


def defs() -> dg.Definitions:
    return dg.Definitions()
