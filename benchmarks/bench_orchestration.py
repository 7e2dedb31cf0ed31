"""Per-asset overhead of an in-process Dagster run (landing + dbt + publish), on the small fixture.

overhead = run wall time - dbt's own execution time (run_results elapsed_time) - Python step time,
divided by the number of materialized assets (orchestration/runstats.py). The run uses the core assets
only (landing, every dbt model not downstream of a Python ML table, publishing), so that a failing area
check cannot stop it; the area assets add their own Python time, not overhead.

Writes benchmarks/results/orchestration.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "orchestration.json"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--advisors", type=int, default=1500)
    ap.add_argument("--days", type=int, default=120)
    ap.add_argument("--raw", type=Path, default=None, help="reuse an existing raw folder")
    ap.add_argument("--workdir", type=Path, default=ROOT / "benchmarks" / "tmp" / "orchestration")
    args = ap.parse_args()
    work = args.workdir
    shutil.rmtree(work, ignore_errors=True)
    (work / "dagster_home").mkdir(parents=True)
    shutil.copyfile(ROOT / "instance" / "dagster.yaml", work / "dagster_home" / "dagster.yaml")
    raw = work / "raw"
    if args.raw:
        shutil.copytree(args.raw, raw)
    else:
        subprocess.run([sys.executable, "-m", "cjo_data.generate", "--advisors", str(args.advisors),
                        "--days", str(args.days), "--seed", "7", "--out", str(raw)], check=True, cwd=ROOT)
    os.environ.update({
        "CJO_RAW_DIR": str(raw), "CJO_LANDING_DIR": str(work / "landing"),
        "CJO_DUCKDB_PATH": str(work / "cjo.duckdb"), "CJO_PUBLISH_DIR": str(work / "published"),
        "CJO_STATE_DIR": str(work / "state"), "DAGSTER_HOME": str(work / "dagster_home"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"})

    import dagster as dg

    from orchestration.dbt_assets import cjo_dbt_assets
    from orchestration.definitions import published_deps
    from orchestration.publish import build_published_asset
    from orchestration.raw_assets import raw_landing
    from orchestration.resources import resources
    from orchestration.runstats import run_stats

    published = build_published_asset(published_deps(cjo_dbt_assets, []))
    assets = [raw_landing, cjo_dbt_assets, published]
    graph = dg.Definitions(assets=assets, resources=resources()).resolve_asset_graph()
    python_tables = dg.AssetSelection.key_prefixes(["ml"], ["ops"]) - dg.AssetSelection.assets(published)
    selection = (dg.AssetSelection.all() - python_tables.downstream()) | dg.AssetSelection.assets(published)
    keys = selection.resolve(graph)
    instance = dg.DagsterInstance.get()
    result = dg.materialize(assets, selection=sorted(keys, key=lambda k: k.to_user_string()),
                            resources=resources(), instance=instance, raise_on_error=False)
    stats = run_stats(instance, result.run_id).as_dict()
    stats["success"] = result.success
    stats["advisors"], stats["days"] = args.advisors, args.days
    stats["failures"] = [e.message for e in result.all_events if e.is_step_failure]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(stats, indent=2) + "\n")
    print(json.dumps(stats, indent=2))
    return 0 if result.success else 1


if __name__ == "__main__":
    raise SystemExit(main())
