"""Pieces of the scale benchmark (bench_pipeline.py) that are not timing: splitting off a 1-day delivery,
the lower bound, the pandas baseline, and the incremental-versus-full-refresh comparison.

Each `python benchmarks/_scale.py <command> <json args> <out.json>` writes its result to out.json, so
the benchmark can run it in its own process and measure that process's time and memory.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

import duckdb

EVENT_TABLES = ("marketing/email_events", "marketing/web_events", "marketing/webinar_events",
                "advisor/interactions")
SESSION_GAP_SECONDS = 1800


def split_last_day(raw_all: Path, history: Path, day: Path, days_per_delivery: float) -> dict:
    """Copy (hard-link) every delivery into `history`, except that the newest delivery of each table with
    several deliveries is cut in two: its last 1/days_per_delivery of rows (the generator writes rows in
    time order) become a new delivery file in `day`: a 1-day delivery landed after the full run."""
    con = duckdb.connect()
    counts = {}
    for folder in sorted({p.parent for p in raw_all.rglob("delivery_*") if "_ground_truth" not in p.parts}):
        files = sorted(folder.glob("delivery_*"))
        rel = folder.relative_to(raw_all)
        (history / rel).mkdir(parents=True, exist_ok=True)
        for p in files[:-1] if len(files) > 1 else files:
            _link(p, history / rel / p.name)
        if len(files) < 2:
            continue
        last = files[-1]
        k, label = last.name.split("_")[1], last.name.split("_", 2)[2]
        ext = label.split(".", 1)[1]
        reader = (f"read_parquet('{last}')" if ext == "parquet"
                  else f"read_csv('{last}', all_varchar=true, header=true)")
        rows = con.execute(f"select * from {reader}").to_arrow_table()
        n_day = max(1, round(rows.num_rows / days_per_delivery))
        (day / rel).mkdir(parents=True, exist_ok=True)
        _write(con, rows.slice(0, rows.num_rows - n_day), history / rel / last.name, ext)
        _write(con, rows.slice(rows.num_rows - n_day), day / rel / f"delivery_{int(k) + 1:03d}_{label}", ext)
        counts[str(rel)] = n_day
    truth = raw_all / "_ground_truth"
    if truth.exists():
        shutil.copytree(truth, history / "_ground_truth", dirs_exist_ok=True)
    return {"day_rows": counts}


def _link(src: Path, dst: Path) -> None:
    try:
        dst.hardlink_to(src)
    except OSError:
        shutil.copy2(src, dst)


def _write(con: duckdb.DuckDBPyConnection, table, path: Path, ext: str) -> None:
    con.register("part", table)
    opts = ("(format parquet, compression zstd)" if ext == "parquet"
            else "(format csv, header true, compression gzip)" if ext.endswith("gz")
            else "(format csv, header true)")
    con.execute(f"copy (select * from part) to '{path}' {opts}")
    con.unregister("part")


def _events_sql(landing: Path, limit: int | None = None) -> str:
    """Every event of the four event tables, one shape: a person key (CRM id, else email, else cookie)
    and a time. The raw text is parsed here, as a user writing it by hand would."""
    parts = []
    for t in EVENT_TABLES:
        cols = duckdb.sql(f"describe select * from read_parquet('{landing}/{t}/*.parquet', union_by_name=true)")
        names = {r[0] for r in cols.fetchall()}
        key = [c for c in ("advisor_id", "email", "anonymous_id") if c in names]
        key_sql = "coalesce(" + ", ".join(f"nullif(lower(trim({c})), '')" for c in key) + ")" \
            if len(key) > 1 else f"lower(trim({key[0]}))"
        parts.append(f"select {key_sql} as person, try_cast(occurred_at as timestamptz) as ts, "
                     f"'{t.split('/')[1]}' as tbl from read_parquet('{landing}/{t}/*.parquet', union_by_name=true)")
    sql = " union all ".join(parts)
    return f"select * from ({sql}) where person is not null and ts is not null" + (f" limit {limit}" if limit else "")


def lower_bound(landing: Path, db: Path, memory_limit: str, threads: int) -> dict:
    """One DuckDB pass that sessionizes the raw events (a window over person and time) and one
    per-person aggregate, written to a table: the floor under any pipeline over the same events."""
    db.unlink(missing_ok=True)
    con = duckdb.connect(str(db))
    con.execute(f"set memory_limit = '{memory_limit}'; set threads = {threads}; "
                "set preserve_insertion_order = false")
    start = time.perf_counter()
    con.execute(f"""
        create table customer_360 as
        with events as ({_events_sql(landing)}),
        flagged as (
            select person, ts, tbl,
                   case when ts - lag(ts) over w > interval {SESSION_GAP_SECONDS} second
                        or lag(ts) over w is null then 1 else 0 end as is_start
            from events window w as (partition by person order by ts)),
        sessions as (
            select person, ts, tbl, sum(is_start) over (partition by person order by ts
                rows between unbounded preceding and current row) as session_number
            from flagged)
        select person, count(*) as events, max(session_number) as sessions, min(ts) as first_at,
               max(ts) as last_at, count(*) filter (where tbl = 'web_events') as web_events,
               count(*) filter (where tbl = 'email_events') as email_events,
               count(*) filter (where tbl = 'webinar_events') as webinar_events,
               count(*) filter (where tbl = 'interactions') as interactions
        from sessions group by person""")
    seconds = time.perf_counter() - start
    events = con.execute(f"select count(*) from ({_events_sql(landing)})").fetchone()[0]
    people = con.execute("select count(*) from customer_360").fetchone()[0]
    con.close()
    db.unlink(missing_ok=True)
    return {"seconds": round(seconds, 2), "events": events, "people": people}


def pandas_baseline(landing: Path, n_events: int, memory_limit: str, threads: int) -> dict:
    """The same customer-360 and sessionization written in pandas, on the first `n_events` events, next
    to DuckDB on the same rows (loading the rows into pandas is not counted)."""
    import pandas as pd

    con = duckdb.connect()
    con.execute(f"set memory_limit = '{memory_limit}'; set threads = {threads}")
    df = con.execute(_events_sql(landing, n_events)).df()
    df["ts"] = pd.to_datetime(df["ts"], utc=True)
    start = time.perf_counter()
    df = df.sort_values(["person", "ts"], kind="stable")
    gap = df.groupby("person", sort=False)["ts"].diff()
    df["is_start"] = (gap.isna() | (gap > pd.Timedelta(seconds=SESSION_GAP_SECONDS))).astype("int64")
    df["session_number"] = df.groupby("person", sort=False)["is_start"].cumsum()
    per = df.groupby("person").agg(events=("ts", "size"), sessions=("session_number", "max"),
                                   first_at=("ts", "min"), last_at=("ts", "max"))
    per = per.join(pd.crosstab(df["person"], df["tbl"]))
    pandas_s = time.perf_counter() - start
    con.register("ev", df[["person", "ts", "tbl"]])
    start = time.perf_counter()
    duck = con.execute(f"""
        with flagged as (select person, ts, tbl, case when ts - lag(ts) over w > interval {SESSION_GAP_SECONDS}
                 second or lag(ts) over w is null then 1 else 0 end as is_start
             from ev window w as (partition by person order by ts)),
        s as (select *, sum(is_start) over (partition by person order by ts rows between unbounded
              preceding and current row) as session_number from flagged)
        select person, count(*) as events, max(session_number) as sessions from s group by person""").to_arrow_table()
    duck_s = time.perf_counter() - start
    same = bool(duck.num_rows == len(per)
                and int(duck.column("sessions").to_pandas().sum()) == int(per["sessions"].sum()))
    return {"events": len(df), "people": len(per), "pandas_seconds": round(pandas_s, 2),
            "duckdb_seconds": round(duck_s, 2), "pandas_over_duckdb": round(pandas_s / max(duck_s, 1e-9), 1),
            "same_sessions_total": same}


def gx_history(landing: Path) -> dict:
    """The GX raw suites on every delivery of the latest landing batch (the history landed before the full
    run), as the full job's raw check would have validated them had it landed them itself."""
    from expectations._config import Thresholds
    from orchestration.quality.raw import new_deliveries, validate_deliveries

    deliveries = new_deliveries(landing, None)
    start = time.perf_counter()
    results = validate_deliveries(landing, deliveries, Thresholds())
    return {"seconds": round(time.perf_counter() - start, 2),
            "deliveries": sum(len(v) for v in deliveries.values()),
            "blocked": [r.reason for rs in results.values() for r in rs if not r.success]}


def compare(live: Path, refreshed: Path, schemas: tuple[str, ...], exclude: tuple[str, ...],
            skip_columns: tuple[str, ...]) -> dict:
    """Row-for-row comparison of every table of `schemas` in two warehouse files, floats within a
    tolerance (orchestration/table_diff.py: the rule the incremental tests use). Returns the tables that
    differ and how many rows differ (only in one + only in the other)."""
    from orchestration.table_diff import diff

    con = duckdb.connect()
    con.execute(f"attach '{live}' as a (read_only); attach '{refreshed}' as b (read_only)")
    tables = con.execute("select table_schema, table_name from information_schema.tables where table_catalog = 'a' "
                         "and table_type = 'BASE TABLE' order by 1, 2").fetchall()
    diffs, compared = {}, []
    for schema, table in tables:
        if schema not in schemas or table in exclude:
            continue
        d = diff(con, f'a."{schema}"."{table}"', f'b."{schema}"."{table}"', skip=skip_columns)
        compared.append(f"{schema}.{table}")
        if not d.equal:
            diffs[f"{schema}.{table}"] = d.only_a + d.only_b
    return {"equal": not diffs and bool(compared), "tables_compared": len(compared), "differing_rows": diffs,
            "excluded": list(exclude)}


def main(argv: list[str]) -> int:
    cmd, args = argv[0], json.loads(argv[1])
    fn = {"split": split_last_day, "lower_bound": lower_bound, "pandas": pandas_baseline, "compare": compare,
          "gx": gx_history}[cmd]
    kwargs = {k: (Path(v) if k in ("raw_all", "history", "day", "landing", "db", "live", "refreshed") else
                  tuple(v) if isinstance(v, list) else v) for k, v in args.items()}
    out = fn(**kwargs)
    Path(argv[2]).write_text(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
