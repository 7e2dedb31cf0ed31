"""Dashboard page load times at demo scale (target: under 2 s per page), and the report's build time.

Starts `cjo dashboard` on loopback over the published copy (default: the demo's, `make demo` first),
loads every page once to warm the server (imports, the `people` table), then loads each page --runs
times in headless Chromium. A page's load time is from navigation until every chart on it has drawn
its SVG and the suggestion is shown (what a person waits for). Also measured in-process: the time to
build each page's view (queries + figures) without the browser. The machine's load average is
recorded beside the numbers: other builds share this 2-core machine.

Usage: python benchmarks/bench_dashboard.py [--publish-dir DIR] [--runs 5]
Writes benchmarks/results/dashboard.json.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE), str(ROOT / "tests")]

from _measure import write_results  # noqa: E402

TARGET_SECONDS = 2.0


def _load(page, url: str) -> float:
    start = time.perf_counter()
    page.goto(url, timeout=120_000)
    page.locator("#suggestion").wait_for(timeout=120_000)
    charts = page.locator(".card.chart")
    for i in range(charts.count()):
        charts.nth(i).locator(".js-plotly-plot .main-svg").first.wait_for(timeout=120_000)
    return time.perf_counter() - start


def browser_times(base: str, runs: int) -> dict[str, list[float]]:
    from browser_support import CHROMIUM_ARGS, ensure_chromium
    from playwright.sync_api import sync_playwright

    from orchestration.dashboard.views import PAGES

    times: dict[str, list[float]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=ensure_chromium(), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        for key, _, _ in PAGES:  # warm-up
            _load(page, f"{base}/{key}")
        for key, _, _ in PAGES:
            times[key] = [round(_load(page, f"{base}/{key}"), 3) for _ in range(runs)]
            print(f"  {key}: median {statistics.median(times[key]):.2f} s", flush=True)
        browser.close()
    return times


def build_times(publish_dir: Path, runs: int) -> dict[str, float]:
    from orchestration.dashboard import queries as q
    from orchestration.dashboard import views

    reader = q.Reader(publish_dir)
    out = {}
    with reader.connect() as con:
        views.build(con, "overview", q.Filters())  # warm-up
        for key, _, _ in views.PAGES:
            samples = []
            for _ in range(runs):
                start = time.perf_counter()
                views.build(con, key, q.Filters())
                samples.append(time.perf_counter() - start)
            out[key] = round(statistics.median(samples), 3)
    return out


def main() -> int:
    import tempfile

    from browser_support import _free_port, running_server

    from orchestration import settings
    from orchestration.dashboard.report import write_report
    from orchestration.publish import read_manifest

    ap = argparse.ArgumentParser()
    ap.add_argument("--publish-dir", type=Path, default=settings.publish_dir())
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    manifest = read_manifest(args.publish_dir) or {}
    customers = manifest.get("tables", {}).get("marts.dim_customers")
    port = _free_port()
    env = {**os.environ, "CJO_PUBLISH_DIR": str(args.publish_dir)}
    cmd = [str(Path(sys.executable).parent / "cjo"), "dashboard", "--port", str(port)]
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp, running_server(cmd, env, Path(tmp) / "dashboard.log",
                                                               f"http://127.0.0.1:{port}/", 240):
        times = browser_times(f"http://127.0.0.1:{port}", args.runs)
    builds = build_times(args.publish_dir, args.runs)
    report = write_report(Path("/tmp") / f"cjo_bench_report_{os.getpid()}.html", args.publish_dir)
    Path(report["path"]).unlink()
    pages = {k: {"median_s": round(statistics.median(v), 3), "max_s": max(v), "runs": v,
                 "server_build_s": builds[k], "meets_target": statistics.median(v) < TARGET_SECONDS}
             for k, v in times.items()}
    write_results("dashboard", {
        "customers": customers, "published_at": manifest.get("published_at"), "target_seconds": TARGET_SECONDS,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "pages": pages, "all_meet_target": all(p["meets_target"] for p in pages.values()),
        "report": {"seconds": report["seconds"], "megabytes": round(report["bytes"] / 1e6, 2)},
        "note": "page load = navigation until every chart drew and the suggestion shows, warm server, median of "
                "runs; server_build_s = the page's queries and figures in-process",
    })
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
