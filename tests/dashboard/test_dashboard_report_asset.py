"""The report's Dagster asset: built after publishing in every full run, and materialized here on the
fixture's published copy (the session fixture points CJO_PUBLISH_DIR there)."""

from __future__ import annotations

import dagster as dg

from orchestration.dashboard.defs import REPORT_FILE, REPORT_KEY_PATH, build_report_asset
from orchestration.jobs import FULL_PIPELINE
from orchestration.publish import PUBLISHED_KEY_PATH

REPORT = dg.AssetKey(list(REPORT_KEY_PATH))


def test_the_report_follows_publishing_in_the_full_pipeline(cjo_defs):
    graph = cjo_defs.resolve_asset_graph()
    assert dg.AssetKey(list(PUBLISHED_KEY_PATH)) in graph.get(REPORT).parent_keys
    job = cjo_defs.resolve_job_def(FULL_PIPELINE)
    assert REPORT in job.asset_layer.selected_asset_keys


def test_materializing_the_report_writes_it_beside_the_published_copy(built_warehouse):
    from orchestration.resources import WarehouseResource

    result = dg.materialize([build_report_asset()], resources={"warehouse": WarehouseResource()})
    assert result.success
    out = built_warehouse.publish_dir / REPORT_FILE
    meta = result.get_asset_materialization_events()[0].materialization.metadata
    assert out.stat().st_size > 1_000_000 and meta["pages"].value == 11
    assert "Customer journey report" in out.read_text()
