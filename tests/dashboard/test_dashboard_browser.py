"""In a real browser: `cjo dashboard` on loopback over the fixture's published copy, driven by Playwright
through Debian's headless Chromium (scripts/ensure_chromium.sh installs it when missing).

Every page: its charts render, the browser logs no error. A filter changes the numbers. A click on a
chart's group opens "who are they" and exports the eligible ones as CSV. The report opens offline and
renders every chart. Screenshots: tests/output/screenshots/ (look at them).
"""

from __future__ import annotations

import csv
import os
import sys
from pathlib import Path

import pytest
from browser_support import CHROMIUM_ARGS, OUTPUT, _free_port, ensure_chromium, running_server

from orchestration.dashboard.views import PAGES

SHOTS = OUTPUT / "screenshots"
# The first request loads Dash, Plotly and the published copy; a loaded CI machine needs the margin.
START_TIMEOUT_S = 240
RENDER_TIMEOUT_MS = 90_000

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def chromium() -> str:
    return ensure_chromium()


@pytest.fixture(scope="module")
def dashboard(built_warehouse, tmp_path_factory):
    root = tmp_path_factory.mktemp("dashboard")
    port = _free_port()
    env = {**os.environ, "CJO_PUBLISH_DIR": str(built_warehouse.publish_dir)}
    cmd = [str(Path(sys.executable).parent / "cjo"), "dashboard", "--port", str(port)]
    with running_server(cmd, env, root / "dashboard.log", f"http://127.0.0.1:{port}/", START_TIMEOUT_S):
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def browser(chromium):
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def _page(browser):
    page = browser.new_page(viewport={"width": 1400, "height": 900}, accept_downloads=True)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    return page, errors


def _open(page, url: str, settle: bool = True) -> None:
    """Open a page and wait until every chart drew; `settle` waits for Plotly's transitions too (wanted
    before a screenshot only: the charts' data, which the tests compare, is set before they draw)."""
    page.goto(url, timeout=RENDER_TIMEOUT_MS)
    page.locator("#suggestion").wait_for(timeout=RENDER_TIMEOUT_MS)
    charts = page.locator(".card.chart")
    n = charts.count()
    assert n >= 1, f"{url}: no chart"
    for i in range(n):  # every chart drew its SVG (a Sankey or heat map included)
        charts.nth(i).locator(".js-plotly-plot .main-svg").first.wait_for(timeout=RENDER_TIMEOUT_MS)
    if settle:
        page.wait_for_timeout(500)  # let Plotly finish its transitions before a screenshot


def _kpis(page) -> str:
    return page.locator("#kpis").inner_text()


def test_every_page_renders_its_charts_without_console_errors(browser, dashboard):
    page, errors = _page(browser)
    for key, title, _ in PAGES:
        _open(page, f"{dashboard}/{key}")
        assert page.locator("h2").first.inner_text() == title
        assert len(page.locator("#suggestion").inner_text()) > 40
        page.screenshot(path=str(SHOTS / f"{key}.png"), full_page=True)
    assert not errors, "\n".join(errors)


def test_a_filter_changes_the_numbers(browser, dashboard):
    page, errors = _page(browser)
    _open(page, f"{dashboard}/overview")
    before = _kpis(page)
    page.locator("#f-persona").click()
    page.get_by_role("option", name="newcomer").click()
    page.keyboard.press("Escape")
    page.wait_for_function(
        "b => document.querySelector('#kpis') && document.querySelector('#kpis').innerText !== b",
        arg=before,
        timeout=RENDER_TIMEOUT_MS,
    )
    page.locator(".card.chart .main-svg").first.wait_for(timeout=RENDER_TIMEOUT_MS)
    page.wait_for_timeout(500)
    after = _kpis(page)
    assert after != before
    page.screenshot(path=str(SHOTS / "overview_filtered_newcomer.png"), full_page=True)
    # The filter stays when moving to another page.
    page.get_by_role("link", name="Funnel and drop-off").click()
    page.wait_for_url("**/funnel")
    page.locator("h2", has_text="Funnel").wait_for(timeout=RENDER_TIMEOUT_MS)
    assert "newcomer" in page.locator(".filters").inner_text()
    assert not errors, "\n".join(errors)


def test_a_click_on_a_group_shows_who_they_are_and_exports_them(browser, dashboard):
    page, errors = _page(browser)
    _open(page, f"{dashboard}/funnel")
    stalls = page.locator(".card.chart").nth(1)
    stalls.locator("g.point path").first.click(force=True)
    panel = page.locator(".panel")
    panel.wait_for(timeout=RENDER_TIMEOUT_MS)
    assert "Who are they: current stage = " in panel.inner_text()
    numbers = page.locator("#group-kpis b").all_inner_texts()
    assert len(numbers) == 3 and int(numbers[0].replace(",", "")) > 0
    size, eligible = int(numbers[0].replace(",", "")), int(numbers[2].replace(",", ""))
    assert eligible <= size
    assert page.locator("#group-covered").inner_text()
    page.screenshot(path=str(SHOTS / "funnel_who_are_they.png"), full_page=True)
    with page.expect_download(timeout=RENDER_TIMEOUT_MS) as dl:
        page.locator("#group-export").click()
    target = SHOTS / "group_export.csv"
    dl.value.save_as(str(target))
    with target.open() as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == eligible
    assert rows and {"customer_id", "eligible_actions", "email"} <= set(rows[0])
    assert not errors, "\n".join(errors)


def test_audiences_page_previews_and_exports(browser, dashboard, built_warehouse):
    page, errors = _page(browser)
    _open(page, f"{dashboard}/audiences")
    with page.expect_download(timeout=RENDER_TIMEOUT_MS) as dl:
        page.locator("#aud-export").click()
    target = SHOTS / "audience_export.csv"
    dl.value.save_as(str(target))
    name = dl.value.suggested_filename.removesuffix(".csv")
    import duckdb

    con = duckdb.connect(str(built_warehouse.publish_dir / "cjo.duckdb"), read_only=True)
    try:
        expected = con.execute(f'select count(*) from activation."{name}"').fetchone()[0]
    finally:
        con.close()
    with target.open() as fh:
        assert sum(1 for _ in fh) - 1 == expected
    assert not errors, "\n".join(errors)


def test_the_report_opens_offline_with_every_chart(browser, built_warehouse):
    from orchestration.dashboard.report import write_report

    out = OUTPUT / "report.html"
    info = write_report(out, built_warehouse.publish_dir)
    from plotly.offline import get_plotlyjs

    text = out.read_text()
    assert get_plotlyjs() in text  # plotly.js inlined once; nothing else is loaded from anywhere
    ours = text.replace(get_plotlyjs(), "")
    assert info["pages"] == len(PAGES) and "<script src=" not in ours and "<link" not in ours
    page, errors = _page(browser)
    page.route("http*://**/*", lambda route: route.abort())  # no network: everything must be inlined
    page.goto(out.resolve().as_uri(), timeout=RENDER_TIMEOUT_MS)
    charts = page.locator(".card.chart")
    for i in range(charts.count()):
        charts.nth(i).locator(".main-svg").first.wait_for(timeout=RENDER_TIMEOUT_MS)
    assert charts.count() >= len(PAGES)
    assert [s.get_attribute("id") for s in page.locator("section").all()] == [k for k, _, _ in PAGES]
    page.screenshot(path=str(SHOTS / "report.png"), full_page=False)
    assert not errors, "\n".join(errors)


# What the page shows, as one string: the headline numbers, the "not applied" notice and every chart's data.
FINGERPRINT_JS = """() => {
  const kpis = document.querySelector('#kpis') ? document.querySelector('#kpis').innerText : '';
  const note = document.querySelector('#not-applied') ? document.querySelector('#not-applied').innerText : '';
  const data = [...document.querySelectorAll('.js-plotly-plot')].map(g => JSON.stringify((g.data || []).map(
    t => [t.x, t.y, t.z, t.value, t.link ? t.link.value : null])));
  return kpis + '|' + note + '|' + data.join('|');
}"""


def _filter_values(built_warehouse) -> dict[str, list[str]]:
    import duckdb

    con = duckdb.connect(str(built_warehouse.publish_dir / "cjo.duckdb"), read_only=True)
    try:
        cols = {"persona": "persona", "segment": "segment_name", "tier": "value_tier", "channel": "acquisition_channel"}
        # the rarest value of each filter: the one most likely to change every number
        return {
            dim: [
                r[0]
                for r in con.execute(
                    f"select {col} from marts.dim_customer_slices group by 1 order by count(*), 1"
                ).fetchall()
            ]
            for dim, col in cols.items()
        }
    finally:
        con.close()


def _apply(page, dim: str, value: str, start: str) -> None:
    if dim == "date":
        field = page.locator("input#f-date")  # Dash 4: the range's start input carries the component's id
        field.click()
        field.fill(start)
        field.press("Enter")
        page.keyboard.press("Escape")
        return
    page.locator(f"#f-{dim}").click()
    page.get_by_role("option", name=value, exact=True).click()
    page.keyboard.press("Escape")


def test_every_filter_changes_every_page_or_the_page_says_it_does_not_apply(browser, dashboard, built_warehouse):
    """For each page and each filter: choosing it changes the numbers (headline numbers or chart data), or
    the page shows, beside the filters, that it does not apply that filter."""
    import duckdb

    values = _filter_values(built_warehouse)
    con = duckdb.connect(str(built_warehouse.publish_dir / "cjo.duckdb"), read_only=True)
    last = con.execute("select max(month_start) from marts.fct_customer_monthly").fetchone()[0]
    con.close()
    start = last.isoformat()  # the last month only
    page, errors = _page(browser)
    outcome: dict[tuple[str, str], str] = {}
    for key, _, _ in PAGES:
        for dim in ("date", "persona", "segment", "tier", "channel"):
            if dim != "date" and len(values[dim]) < 2:
                outcome[(key, dim)] = "one value in the data: nothing to filter"
                continue
            _open(page, f"{dashboard}/{key}", settle=False)  # no screenshot here: no need to wait
            before = page.evaluate(FINGERPRINT_JS)
            _apply(page, dim, values.get(dim, [""])[0], start)
            try:
                page.wait_for_function(
                    f"([b, dim]) => {{ const f = ({FINGERPRINT_JS})(); "
                    "const note = document.querySelector('#not-applied'); "
                    "return f !== b || (note && !note.hidden && note.innerText.includes(dim)); }",
                    arg=[before, dim],
                    timeout=RENDER_TIMEOUT_MS,
                )
            except Exception as exc:  # name the page and the filter that neither changed nor said so
                page.screenshot(path=str(SHOTS / f"filter_failed_{key}_{dim}.png"), full_page=True)
                raise AssertionError(f"{key}: the {dim} filter changed nothing and no notice says so") from exc
            note = page.locator("#not-applied")
            shown = note.is_visible() and dim in note.inner_text()
            outcome[(key, dim)] = "not applied (notice shown)" if shown else "numbers changed"
            if (key, dim) in {("funnel", "tier"), ("money", "date"), ("money", "segment"), ("overview", "date")}:
                page.wait_for_timeout(500)
                page.screenshot(path=str(SHOTS / f"filter_{key}_{dim}.png"), full_page=True)
            if shown and dim not in ("date",):
                page.screenshot(path=str(SHOTS / f"notice_{key}_{dim}.png"), full_page=False)
    (SHOTS / "filters_by_page.txt").write_text(
        "\n".join(f"{k:12} {d:8} {v}" for (k, d), v in sorted(outcome.items())) + "\n"
    )
    assert not errors, "\n".join(errors)
    # every page applies the customer filters (the experiments page too: agg_experiment_slices)
    for key, _, _ in PAGES:
        for dim in ("persona", "tier", "channel"):
            assert outcome[(key, dim)] == "numbers changed", (key, dim, outcome[(key, dim)])
