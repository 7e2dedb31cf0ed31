"""Decisioning: point-in-time features, segmentation, propensity models, drift and NBA assets.

The modules hold pure functions (tested without Dagster); `assets.py` wraps them thinly and `defs.py`
exposes the area's `Definitions`.
"""
