"""Jobs: the full pipeline and the incremental one (new raw files only).

Both run every step in one process (``in_process_executor`` on the Definitions): parallel steps under
the multiprocess executor collided on DuckDB's single-writer lock (stack-notes), and one process avoids
paying Dagster's per-step process start-up.
"""

from __future__ import annotations

import dagster as dg

from orchestration.privacy.assets import ERASURE_KEY_PATH
from orchestration.publish import PUBLISHED_KEY_PATH
from orchestration.raw_assets import raw_landing

PUBLISHED_KEY = dg.AssetKey(list(PUBLISHED_KEY_PATH))
ERASURE_KEY = dg.AssetKey(list(ERASURE_KEY_PATH))
FULL_PIPELINE, INCREMENTAL, ACTIVATE = "full_pipeline", "incremental", "activate"

# Reverse-ETL syncs send data to outside systems with their own credentials; each has its own job and
# schedule (orchestration/activation/defs.py), so the full pipeline builds audiences but sends nothing.
SYNC_SELECTION = dg.AssetSelection.from_string('key:"activation/sync_*"')

# Everything else: landing, every dbt model and test, ML, quality, audiences, publishing.
FULL_SELECTION = dg.AssetSelection.all() - SYNC_SELECTION



def journey_selection() -> dg.AssetSelection:
    """The journey evaluation and the syncs of the journey audiences: what turns new events into messages."""
    from orchestration.journeys.audiences import journey_sync_names
    from orchestration.journeys.defs import JOURNEYS_KEY

    syncs = [dg.AssetKey(["activation", f"sync_{name}"]) for name in journey_sync_names()]
    return dg.AssetSelection.assets(JOURNEYS_KEY, *syncs)


def incremental_selection(dbt_assets: dg.AssetsDefinition) -> dg.AssetSelection:
    """New raw data only: landing, the dbt models downstream of it (incremental models read only the new
    deliveries plus the late-arrival lookback), the journey evaluation and the journey syncs (messages go
    out minutes after the event that triggered them), then publishing. The ML retraining and the daily
    audiences' syncs stay on the daily full run and their schedules. The sensor narrows this further to
    what is downstream of the tables that received files."""
    return dg.AssetSelection.assets(raw_landing).downstream() & (
        dg.AssetSelection.assets(raw_landing)
        | dg.AssetSelection.assets(dbt_assets)
        | journey_selection()
        | dg.AssetSelection.assets(ERASURE_KEY, PUBLISHED_KEY)
    )


def build_jobs(dbt_assets: dg.AssetsDefinition) -> list[dg.UnresolvedAssetJobDefinition]:
    return [
        dg.define_asset_job(
            FULL_PIPELINE, selection=FULL_SELECTION,
            description="Land new raw files, dbt build (models + tests as checks), ML, quality, audiences, "
            "publish (syncs run in their own jobs).",
        ),
        dg.define_asset_job(
            INCREMENTAL, selection=incremental_selection(dbt_assets),
            description="Land new raw files, rebuild only what is downstream of them in dbt, evaluate the "
            "journeys on the new events and send the journey messages through the gate, then publish.",
        ),
        dg.define_asset_job(
            ACTIVATE, selection=SYNC_SELECTION | dg.AssetSelection.assets(ERASURE_KEY, PUBLISHED_KEY),
            description="Send every audience to its destination (each sync also has a job and schedule of its "
            "own), then the erasure pass (the sync log of a privacy removal is pseudonymized), then publish, "
            "so readers see the sync log. A failed sync holds back neither.",
        ),
    ]
