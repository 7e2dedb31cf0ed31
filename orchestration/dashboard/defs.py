"""Dagster definitions for the dashboard area: the shareable HTML report, rebuilt after each full run.

The report reads only the published copy, so it depends on the ``published_warehouse`` asset alone (not on
any dbt model directly: publishing already waits for every mart) and stays outside the writer pool.
It is written to ``<publish_dir>/report.html`` beside the copy it was made from.
"""

import dagster as dg

REPORT_KEY_PATH = ("reports", "journey_report")
REPORT_FILE = "report.html"


def build_report_asset() -> dg.AssetsDefinition:
    from orchestration.publish import PUBLISHED_KEY_PATH
    from orchestration.resources import WarehouseResource

    @dg.asset(
        key=dg.AssetKey(list(REPORT_KEY_PATH)),
        deps=[dg.AssetKey(list(PUBLISHED_KEY_PATH))],
        group_name="publish",
        kinds={"python", "html", "plotly"},
        description="Every dashboard page as one self-contained HTML file (plotly.js inlined, opens offline), "
        "from the published copy: <publish_dir>/report.html. Same views as `cjo dashboard`; `cjo report` "
        "writes one on demand.",
    )
    def journey_report(warehouse: WarehouseResource) -> dg.MaterializeResult:
        from orchestration.dashboard.report import write_report

        info = write_report(warehouse.publish_dir() / REPORT_FILE, warehouse.publish_dir())
        return dg.MaterializeResult(metadata={
            "path": dg.MetadataValue.path(info["path"]),
            "pages": info["pages"],
            "megabytes": dg.FloatMetadataValue(round(info["bytes"] / 1e6, 2)),
            "seconds": dg.FloatMetadataValue(info["seconds"]),
        })

    return journey_report


def defs() -> dg.Definitions:
    return dg.Definitions(assets=[build_report_asset()])
