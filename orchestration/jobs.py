"""Jobs: the full pipeline and the incremental one (new raw files only).

Both run every step in one process (``in_process_executor`` on the Definitions): parallel steps under
the multiprocess executor collided on DuckDB's single-writer lock (stack-notes), and one process avoids
paying Dagster's per-step process start-up.
"""

from __future__ import annotations

import dagster as dg

from orchestration.dbt_assets import cjo_dbt_assets
from orchestration.publish import PUBLISHED_KEY_PATH
from orchestration.raw_assets import raw_landing

PUBLISHED_KEY = dg.AssetKey(list(PUBLISHED_KEY_PATH))

# Reverse-ETL syncs send data to outside systems with their own credentials; each has its own job and
# schedule (orchestration/activation/defs.py), so the full pipeline builds audiences but sends nothing.
SYNC_SELECTION = dg.AssetSelection.from_string('key:"activation/sync_*"')

# Everything else: landing, every dbt model and test, ML, quality, audiences, publishing.
FULL_SELECTION = dg.AssetSelection.all() - SYNC_SELECTION

# New raw data only: landing, the dbt models downstream of it (incremental models read only the new
# deliveries plus the late-arrival lookback), then publishing. The ML retraining and the syncs stay on
# the daily full run. The sensor narrows this further to the tables that received files.
INCREMENTAL_SELECTION = dg.AssetSelection.assets(raw_landing).downstream() & (
    dg.AssetSelection.assets(raw_landing)
    | dg.AssetSelection.assets(cjo_dbt_assets)
    | dg.AssetSelection.assets(PUBLISHED_KEY)
)

full_pipeline = dg.define_asset_job(
    "full_pipeline", selection=FULL_SELECTION,
    description="Land new raw files, dbt build (models + tests as checks), ML, quality, audiences, publish "
    "(syncs run in their own jobs).",
)

incremental = dg.define_asset_job(
    "incremental", selection=INCREMENTAL_SELECTION,
    description="Land new raw files and rebuild only what is downstream of them in dbt, then publish.",
)

JOBS = (full_pipeline, incremental)
