"""In a real browser: `dagster dev` on loopback, the asset graph in headless Chromium.

Chromium comes from Debian (scripts/ensure_chromium.sh installs it when missing); Playwright drives
it through `executable_path`, so no browser download is needed. The server runs in its own process
group and the whole group is killed afterwards (a SIGTERM to the parent alone left children running),
then the port is checked to be free. Screenshots go to tests/output/.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from browser_support import (
    CHROMIUM_ARGS,
    LOAD_TIMEOUT_S,
    OUTPUT,
    _free_port,
    ensure_chromium,
    running_server,
)
from pipeline_support import ensure_manifest, prepare_dagster_home


@pytest.fixture(scope="module")
def chromium() -> str:
    return ensure_chromium()


@pytest.fixture(scope="module")
def dagster_dev(tmp_path_factory):
    ensure_manifest()
    root = tmp_path_factory.mktemp("dagster_dev")
    home = prepare_dagster_home(root / "dagster_home")
    port = _free_port()
    env = {**os.environ, "DAGSTER_HOME": str(home), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
           "CJO_DUCKDB_PATH": str(root / "cjo.duckdb"), "CJO_PUBLISH_DIR": str(root / "published")}
    cmd = [str(Path(sys.executable).parent / "dagster"), "dev", "-h", "127.0.0.1", "-p", str(port)]
    with running_server(cmd, env, root / "dagster_dev.log", f"http://127.0.0.1:{port}/server_info", LOAD_TIMEOUT_S):
        yield f"http://127.0.0.1:{port}", root


def _dismiss_welcome(page) -> None:
    """A fresh instance greets with a "Join the Dagster community" dialog once; skip it. The UI remembers
    the choice in the browser's storage, so the pages opened after this one do not show it again (each
    of them still clicks it away if it did: _skip_if_shown)."""
    skip = page.get_by_role("button", name="Skip")
    try:
        skip.first.wait_for(timeout=8000)
        skip.first.click()
    except Exception:  # no dialog (already dismissed in this browser session)
        pass


def _skip_if_shown(page) -> None:
    skip = page.get_by_role("button", name="Skip")
    if skip.count():
        skip.first.click()


def _group_lists(page, base: str, group: str, names: list[str], screenshot: Path | None = None) -> None:
    """Open the asset group's page and wait for each asset name in its List tab (the lineage view
    truncates long names). The welcome dialog is dismissed on the first page (_dismiss_welcome)."""
    page.goto(f"{base}/locations/cjo/asset-groups/{group}", timeout=120_000)
    page.get_by_text("Lineage").first.wait_for(timeout=LOAD_TIMEOUT_S * 1000)
    _skip_if_shown(page)
    if screenshot is not None:
        page.wait_for_timeout(2000)  # let the lineage graph lay itself out before the screenshot
        _skip_if_shown(page)
        page.screenshot(path=str(screenshot), full_page=True)
    page.goto(f"{base}/locations/cjo/asset-groups/{group}/list", timeout=120_000)
    for name in names:
        page.get_by_text(name).first.wait_for(timeout=120_000)
    _skip_if_shown(page)


@pytest.mark.browser
@pytest.mark.slow
def test_asset_graph_lists_dbt_and_python_assets(chromium, dagster_dev):
    from playwright.sync_api import sync_playwright

    base, _ = dagster_dev
    OUTPUT.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.goto(f"{base}/locations/cjo/asset-groups/marts", timeout=120_000)
            page.get_by_text("Lineage").first.wait_for(timeout=LOAD_TIMEOUT_S * 1000)
            _dismiss_welcome(page)
            # dbt assets (groups from the model folders) and Python assets (landing, publishing).
            # The list is virtualized and sorted: names far down (dim_customers, after the twenty agg_
            # marts; fct_journey_stages) are not rendered until scrolled to, so the check uses two near the top.
            _group_lists(page, base, "marts", ["agg_experiment_results", "agg_journey_funnel"],
                         OUTPUT / "asset_graph_marts.png")
            _group_lists(page, base, "staging", ["stg_advisor__interactions"])
            _group_lists(page, base, "raw", ["parse_rejects", "advisors"], OUTPUT / "asset_graph_raw.png")
            _group_lists(page, base, "publish", ["published_warehouse"])
            page.screenshot(path=str(OUTPUT / "asset_list_publish.png"), full_page=True)
        finally:
            browser.close()
    assert (OUTPUT / "asset_graph_marts.png").stat().st_size > 10_000
