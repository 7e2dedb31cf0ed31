"""In a real browser: `dagster dev` on loopback, the asset graph in headless Chromium.

Chromium comes from Debian (scripts/ensure_chromium.sh installs it when missing); Playwright drives
it through `executable_path`, so no browser download is needed. The server runs in its own process
group and the whole group is killed afterwards (a SIGTERM to the parent alone left children running),
then the port is checked to be free. Screenshots go to tests/output/.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from pipeline_support import ROOT, ensure_manifest, prepare_dagster_home

OUTPUT = Path(__file__).parent / "output"
CHROMIUM = os.environ.get("CJO_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# dagster dev loads the code location (dbt manifest, every area) before the UI can show assets;
# stack-notes measured ~32 s on an idle 2-core machine. A loaded CI machine needs more.
LOAD_TIMEOUT_S = 420


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _port_is_free(port: int) -> bool:
    """Nobody listens on the port (SO_REUSEADDR: connections left in TIME_WAIT do not count)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _live_group_members(pgid: int) -> list[str]:
    """Processes of the group that are still alive (zombies, which only wait to be reaped by the
    container's init, do not count)."""
    import psutil

    left = []
    for p in psutil.process_iter(["pid", "status", "cmdline"]):
        try:
            if os.getpgid(p.pid) == pgid and p.info["status"] != psutil.STATUS_ZOMBIE:
                left.append(f"{p.pid}: {' '.join(p.info['cmdline'] or [])[:100]}")
        except (ProcessLookupError, psutil.Error):
            continue
    return left


def _wait_http(url: str, proc: subprocess.Popen, timeout: float) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"dagster dev exited early with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(1)
    raise TimeoutError(f"{url} did not answer within {timeout}s")


@pytest.fixture(scope="module")
def chromium() -> str:
    proc = subprocess.run([str(ROOT / "scripts" / "ensure_chromium.sh")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return CHROMIUM


@pytest.fixture(scope="module")
def dagster_dev(tmp_path_factory):
    ensure_manifest()
    root = tmp_path_factory.mktemp("dagster_dev")
    home = prepare_dagster_home(root / "dagster_home")
    port = _free_port()
    log = (root / "dagster_dev.log").open("w")
    env = {**os.environ, "DAGSTER_HOME": str(home), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
           "CJO_DUCKDB_PATH": str(root / "cjo.duckdb"), "CJO_PUBLISH_DIR": str(root / "published")}
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "dagster"), "dev", "-h", "127.0.0.1", "-p", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        try:
            _wait_http(f"http://127.0.0.1:{port}/server_info", proc, LOAD_TIMEOUT_S)
        except (RuntimeError, TimeoutError) as exc:
            log.flush()
            tail = "\n".join((root / "dagster_dev.log").read_text(errors="replace").splitlines()[-40:])
            raise RuntimeError(f"{exc}\n--- dagster dev log (tail) ---\n{tail}") from None
        yield f"http://127.0.0.1:{port}", root
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # whatever is left of the group
        proc.wait(timeout=30)
        log.close()
        deadline = time.time() + 30
        while not _port_is_free(port) and time.time() < deadline:
            time.sleep(0.5)
        assert _port_is_free(port), f"port {port} still in use after stopping dagster dev"
        deadline = time.time() + 30
        while (left := _live_group_members(proc.pid)) and time.time() < deadline:
            time.sleep(0.5)
        assert not left, f"processes of dagster dev's group still running: {left}"


def _dismiss_welcome(page) -> None:
    """A fresh instance greets with a "Join the Dagster community" dialog; skip it."""
    skip = page.get_by_role("button", name="Skip")
    try:
        skip.first.wait_for(timeout=8000)
        skip.first.click()
    except Exception:  # no dialog (already dismissed in this browser session)
        pass


def _group_lists(page, base: str, group: str, names: list[str], screenshot: Path | None = None) -> None:
    """Open the asset group's page and wait for each asset name in its List tab (the lineage view
    truncates long names)."""
    page.goto(f"{base}/locations/cjo/asset-groups/{group}", timeout=120_000)
    page.get_by_text("Lineage").first.wait_for(timeout=LOAD_TIMEOUT_S * 1000)
    page.wait_for_timeout(1500)
    _dismiss_welcome(page)
    if screenshot is not None:
        page.wait_for_timeout(2000)
        page.screenshot(path=str(screenshot), full_page=True)
    page.goto(f"{base}/locations/cjo/asset-groups/{group}/list", timeout=120_000)
    page.wait_for_timeout(1500)
    _dismiss_welcome(page)
    for name in names:
        page.get_by_text(name).first.wait_for(timeout=120_000)


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
            # dbt assets (groups from the model folders) and Python assets (landing, publishing).
            _group_lists(page, base, "marts", ["dim_customers", "fct_journey_stages"],
                         OUTPUT / "asset_graph_marts.png")
            _group_lists(page, base, "staging", ["stg_crm__advisors"])
            _group_lists(page, base, "raw", ["parse_rejects", "advisors"], OUTPUT / "asset_graph_raw.png")
            _group_lists(page, base, "publish", ["published_warehouse"])
            page.screenshot(path=str(OUTPUT / "asset_list_publish.png"), full_page=True)
        finally:
            browser.close()
    assert (OUTPUT / "asset_graph_marts.png").stat().st_size > 10_000
