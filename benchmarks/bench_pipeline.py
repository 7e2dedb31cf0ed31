"""The scale benchmark (`make bench`, BENCH_SCALE advisors, default 1M): full run, a 1-day incremental
delivery, a run with no new data, the lower bound and a pandas baseline, all in one run.

1. generate BENCH_SCALE advisors x 365 days; split off the last day of the newest delivery of each table;
2. land the history as of 7 days ago (older than var late_arrival_lookback_days, as a daily pipeline
   would have) and validate it with the GX raw suites (what the job's raw check does for deliveries it
   lands itself), then `cjo run --job full_pipeline` (Dagster, every step in one process);
3. the lower bound: one DuckDB pass that sessionizes the landed events and aggregates per person;
4. the 1-day delivery: copy it into the raw folder, `cjo run --job incremental` (lands it, dbt downstream,
   publish); then `cjo run --job incremental` again with nothing new (no change);
5. incremental_equals_full: a copy of the warehouse rebuilt with `dbt run --full-refresh` on the models
   whose content depends on earlier runs (the incremental ones and everything downstream), compared
   row for row with the incrementally built one (orchestration/table_diff.py: floats within a relative
   1e-9, since DuckDB's parallel sums differ in the last bits from run to run). Both sides read the same
   fitted tables (analytics.*, ml.*): the incremental job does not refit, and neither does the copy;
6. pandas: customer-360 + sessionization on 10M landed events, next to DuckDB on the same rows.

Each step's wall time and the peak RSS of its process tree; inside `cjo run`, each Dagster step's time
(from the run history) and peak RSS (the sampled RSS within the step's window: steps run one after the
other in one process, so memory an earlier step kept counts for later ones), and each dbt model's time
(run_results.json). DuckDB's memory_limit and threads come from the settings (CJO_DUCKDB_MEMORY_LIMIT,
CJO_DUCKDB_THREADS) and are recorded. The machine is shared: each step records the load average.
Writes benchmarks/results/pipeline_<advisors>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dataclasses import asdict

from _measure import Measurement, measure, write_results

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PY = str(BIN / "python")
# Tables whose rows record the runs themselves (a stay opened "this run", a decision "today"): a full
# refresh cannot reproduce them, by design. Everything else in these schemas must match.
HISTORY_TABLES = ("fct_audience_membership", "fct_next_best_actions")
COMPARED_SCHEMAS = ("intermediate", "marts", "activation")


def scale_step(name: str, command: str, args: dict, work: Path, env: dict) -> tuple[Measurement, dict]:
    out = work / f"{name}.json"
    out.unlink(missing_ok=True)
    m = measure(name, [PY, str(ROOT / "benchmarks" / "_scale.py"), command, json.dumps(args), str(out)],
                env=env, cwd=ROOT)
    return m, (json.loads(out.read_text()) if out.exists() else {})


def dagster_steps(dagster_home: Path, samples: list[tuple[float, float]]) -> dict[str, dict]:
    """Seconds and peak RSS (within the step's window) of each step of the latest run."""
    import dagster as dg

    with dg.DagsterInstance.from_config(str(dagster_home.resolve())) as instance:
        runs = instance.get_runs(limit=1)
        stats = instance.get_run_step_stats(runs[0].run_id) if runs else []
    out = {}
    for s in stats:
        if not (s.start_time and s.end_time):
            continue
        window = [rss for t, rss in samples if s.start_time <= t <= s.end_time]
        out[s.step_key] = {"seconds": round(s.end_time - s.start_time, 1),
                           "peak_rss_mb": max(window) if window else None}
    return dict(sorted(out.items(), key=lambda kv: -kv[1]["seconds"]))


def dbt_model_seconds(target_root: Path, since: float) -> dict[str, float]:
    """Each dbt model's execution time from the run_results.json of invocations that started after `since`."""
    out: dict[str, float] = {}
    for rr in target_root.glob("*/run_results.json"):
        if rr.stat().st_mtime < since:
            continue
        for r in json.loads(rr.read_text())["results"]:
            if r["unique_id"].startswith("model."):
                out[r["unique_id"].split(".")[-1]] = round(r["execution_time"], 2)
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def run_job(label: str, job: str, work: Path, env: dict) -> tuple[Measurement, dict, dict]:
    since = time.time()
    # With the local destinations up (webhook receiver, PostgreSQL when installed), as `make demo` runs
    # its syncs: without them the journey syncs of the incremental job fail, and Dagster skips the erasure
    # pass and publishing below them (the 100k run of 4 December 2026 measured that by accident).
    cmd = [PY, "-m", "cjo_data.destinations", "--folder", str(work / "destinations"), "--",
           str(BIN / "cjo"), "run", "--job", job]
    m = measure(label, cmd, env=env, cwd=ROOT, keep_samples=True)
    steps = dagster_steps(work / "dagster_home", m.samples or [])
    return m, steps, dbt_model_seconds(ROOT / "target", since)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--advisors", type=int, default=int(os.environ.get("BENCH_SCALE", 1_000_000)))
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--workdir", type=Path, default=ROOT / "benchmarks" / "tmp")
    ap.add_argument("--pandas-events", type=int, default=10_000_000)
    ap.add_argument("--reuse-raw", action="store_true", help="keep generated raw data from an earlier run")
    ap.add_argument("--generate-only", action="store_true", help="generate the raw data (measured) and stop")
    args = ap.parse_args()
    from orchestration import settings

    s = settings.get()
    work = args.workdir / f"pipeline_{args.advisors}"
    raw_all = work / "raw_all"
    for stale in ("raw", "day", "landing", "published", "state", "dagster_home", "refresh.duckdb",
                  "cjo.duckdb", "cjo.duckdb.wal"):
        p = work / stale
        shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)
    if not args.reuse_raw:
        shutil.rmtree(raw_all, ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    (work / "dagster_home").mkdir()
    env = {**os.environ, "CJO_RAW_DIR": str(work / "raw"), "CJO_LANDING_DIR": str(work / "landing"),
           "CJO_DUCKDB_PATH": str(work / "cjo.duckdb"), "CJO_PUBLISH_DIR": str(work / "published"),
           "CJO_STATE_DIR": str(work / "state"), "DAGSTER_HOME": str(work / "dagster_home"),
           "CJO_DUCKDB_MEMORY_LIMIT": s.duckdb_memory_limit, "CJO_DUCKDB_THREADS": str(s.duckdb_threads),
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    duck = {"memory_limit": s.duckdb_memory_limit, "threads": s.duckdb_threads}
    steps: list[Measurement] = []
    gen_record = work / "generate_measurement.json"
    if not (raw_all / "_ground_truth").exists():
        gen = measure("generate", [PY, "-m", "cjo_data.generate", "--advisors", str(args.advisors),
                                   "--days", str(args.days), "--seed", str(args.seed), "--out", str(raw_all)],
                      env=env, cwd=ROOT)
        gen_record.write_text(json.dumps(asdict(gen)))
        steps.append(gen)
    elif gen_record.exists():  # generated by an earlier (or --generate-only) run of this benchmark
        steps.append(Measurement(**{**json.loads(gen_record.read_text()), "step": "generate (earlier run)"}))
    if args.generate_only:
        return 0
    deliveries = max(1, round(args.days / 30.44))  # the generator's default: one delivery a month
    m, split = scale_step("split_last_day", "split", {"raw_all": str(raw_all), "history": str(work / "raw"),
                          "day": str(work / "day"), "days_per_delivery": args.days / deliveries}, work, env)
    steps.append(m)
    history_at = (datetime.now(UTC) - timedelta(days=7)).replace(tzinfo=None).isoformat()
    steps.append(measure("land_history", [PY, "-c", (
        "from datetime import datetime; from pathlib import Path; from orchestration.landing import land; "
        f"land(Path({str(work / 'raw')!r}), Path({str(work / 'landing')!r}), "
        f"now=datetime.fromisoformat({history_at!r}))")], env=env, cwd=ROOT))
    out: dict = {"advisors": args.advisors, "days": args.days, "seed": args.seed, "duckdb": duck,
                 "raw_mb": round(sum(p.stat().st_size for p in raw_all.rglob("*") if p.is_file()) / 2**20, 1),
                 "one_day_delivery_rows": split.get("day_rows"), "steps": steps, "dagster_steps": {},
                 "dbt_model_seconds": {},
                 "note": "2 shared cores: other builds ran at the same time (see load_start/load_end per step)"}

    def save() -> None:  # after every phase, so a long run that dies later still leaves its figures
        write_results(f"pipeline_{args.advisors}", out)

    def job(label: str, name: str) -> Measurement:
        m, dsteps, models = run_job(label, name, work, env)
        steps.append(m)
        out["dagster_steps"][label], out["dbt_model_seconds"][label] = dsteps, models
        return m

    save()
    gm, gx = scale_step("gx_raw_history", "gx", {"landing": str(work / "landing")}, work, env)
    steps.append(gm)
    out["gx_raw_history"] = gx
    save()
    full = job("full_pipeline", "full_pipeline")
    dbt_s = round(sum(v["seconds"] for k, v in out["dagster_steps"]["full_pipeline"].items()
                      if k.startswith("cjo_dbt_assets")), 1)
    # landing and validating the history (outside the job here, to date it) + the full job
    full_s = round(full.seconds + sum(x.seconds for x in steps if x.step in ("land_history", "gx_raw_history")), 1)
    out.update({"dbt_seconds": dbt_s, "total_seconds": full_s,
                "generate_seconds": next((x.seconds for x in steps if x.step.startswith("generate")), None),
                "peak_rss_mb": max(x.peak_rss_mb for x in steps),
                "warehouse_mb": round((work / "cjo.duckdb").stat().st_size / 2**20, 1)})
    save()
    if full.returncode != 0:
        print("the full run failed: nothing to compare incremental runs with", file=sys.stderr)
        return 1
    lb, lower = scale_step("lower_bound", "lower_bound", {"landing": str(work / "landing"),
                           "db": str(work / "lower_bound.duckdb"), **duck}, work, env)
    steps.append(lb)
    lower_s = lower.get("seconds")
    out.update({"lower_bound_seconds": lower_s, "lower_bound": lower,
                "dbt_over_lower_bound": round(dbt_s / lower_s, 1) if lower_s else None,
                "total_over_lower_bound": round(full_s / lower_s, 1) if lower_s else None})
    save()
    shutil.copytree(work / "day", work / "raw", dirs_exist_ok=True)
    inc = job("incremental_1_day", "incremental")
    out.update({"incremental_seconds": inc.seconds, "incremental_share_of_full": round(inc.seconds / full_s, 3)})
    save()
    none = job("incremental_no_change", "incremental")
    out.update({"no_change_seconds": none.seconds, "no_change_share_of_full": round(none.seconds / full_s, 3),
                "peak_rss_mb": max(x.peak_rss_mb for x in steps)})
    save()
    # incremental == full refresh: rebuild what depends on earlier runs in a copy, compare row for row.
    # Same analytic steps on both sides: neither refits the Python analytics or ML (the incremental job
    # leaves fits to the daily run), both read the fitted tables as they stand after the run's erasure
    # pass, and dbt gets the vars the job's dbt steps get (settings.dbt_vars: journey clock, CRM ids).
    shutil.copy2(work / "cjo.duckdb", work / "refresh.duckdb")
    steps.append(measure("full_refresh_copy", [str(BIN / "dbt"), "--quiet", "run", "--full-refresh", "--select",
                                               "config.materialized:incremental+", "--vars",
                                               json.dumps(settings.dbt_vars(s), sort_keys=True), "--target-path",
                                               str(work / "refresh_target")],
                         env={**env, "CJO_DUCKDB_PATH": str(work / "refresh.duckdb")}, cwd=ROOT))
    cm, equal = scale_step("compare", "compare", {
        "live": str(work / "cjo.duckdb"), "refreshed": str(work / "refresh.duckdb"),
        "schemas": list(COMPARED_SCHEMAS), "exclude": list(HISTORY_TABLES), "skip_columns": []}, work, env)
    steps.append(cm)
    (work / "refresh.duckdb").unlink(missing_ok=True)
    out.update({"incremental_equals_full": equal.get("equal", False), "comparison": equal})
    save()
    pm, pandas = scale_step("pandas_baseline", "pandas", {"landing": str(work / "landing"),
                            "n_events": args.pandas_events, **duck}, work, env)
    steps.append(pm)
    out["pandas_baseline"] = pandas
    save()
    return 0 if all(x.returncode == 0 for x in steps) else 1


if __name__ == "__main__":
    raise SystemExit(main())
