"""A compact end-to-end harness for fault injection: tiny hand-written deliveries, temp dirs, CJO_* env
vars, then the same two steps the pipeline runs: landing (in process) and `dbt build` (subprocess,
selection limited to what the fault tests read).

`Pipeline.run()` mirrors the Dagster order: landing (which moves a file that cannot be landed aside and
lands the others), then dbt; `dbt_runs` counts the builds.
"""

from __future__ import annotations

import csv
import logging
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from orchestration.contract import table
from orchestration.landing import LandingReport, land

ROOT = Path(__file__).resolve().parents[2]
DBT = Path(sys.executable).parent / "dbt"

# Models the fault tests read. Optional ones belong to other work in progress; the tests that need
# them skip (with the reason) until they exist.
CORE_MODELS = ("fct_quarantined_rows", "fct_quarantined_files", "agg_ingestion_balance")
OPTIONAL_MODELS = ("int_identity_graph", "fct_touchpoints", "int_customers_touches_aggregated")


def model_exists(name: str) -> bool:
    return any((ROOT / "models").rglob(f"{name}.sql"))


def write_csv(raw: Path, fqn: str, file_name: str, rows: list[dict] | None, *, columns: list[str] | None = None,
              text: str | None = None) -> Path:
    """Write one delivery. ``rows`` are dicts keyed by contract column; missing keys are empty."""
    t = table(fqn)
    path = raw / t.source / t.name / file_name
    path.parent.mkdir(parents=True, exist_ok=True)
    if text is not None:
        path.write_text(text)
        return path
    cols = columns or [c.name for c in t.columns]
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(cols)
        for r in rows or []:
            w.writerow([r.get(c, "") for c in cols])
    return path


@dataclass
class Pipeline:
    root: Path
    dbt_runs: int = 0
    dbt_seconds: list[float] = field(default_factory=list)
    reports: list[LandingReport] = field(default_factory=list)

    @property
    def raw(self) -> Path:
        return self.root / "raw"

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    @property
    def duckdb_path(self) -> Path:
        return self.root / "warehouse.duckdb"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update({
            "CJO_RAW_DIR": str(self.raw), "CJO_LANDING_DIR": str(self.landing),
            "CJO_DUCKDB_PATH": str(self.duckdb_path), "CJO_STATE_DIR": str(self.root / "state"),
            "CJO_PUBLISH_DIR": str(self.root / "published"), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        })
        return env

    def selection(self) -> list[str]:
        return [f"+{m}" for m in (*CORE_MODELS, *OPTIONAL_MODELS) if model_exists(m)]

    def land(self) -> LandingReport:
        report = land(self.raw, self.landing)
        self.reports.append(report)
        return report

    def dbt_build(self) -> None:
        import time

        # Views read the landed Parquet at query time: once built, new deliveries show through them
        # without a rebuild, so later builds only rebuild tables (and their tests). Saves ~half the time.
        exclude = ["--exclude", "config.materialized:view"] if self.dbt_runs else []
        start = time.perf_counter()
        # A private target path: other people's dbt commands in the repo must not share our partial
        # parse state or manifest. Unit tests are excluded: they do not read our data. Cautious indirect
        # selection: a test that also reads a model outside the selection is not run.
        cmd = [str(DBT), "build", "--quiet", "--project-dir", str(ROOT), "--profiles-dir", str(ROOT),
               "--target-path", str(self.root / "target"), "--log-path", str(self.root / "logs"),
               "--exclude-resource-type", "unit_test", "--indirect-selection", "cautious",
               "--select", *self.selection(), *exclude]
        proc = subprocess.run(cmd, cwd=ROOT, env=self.env(), capture_output=True, text=True, timeout=600)
        self.dbt_runs += 1
        self.dbt_seconds.append(time.perf_counter() - start)
        if proc.returncode != 0:
            raise AssertionError(f"dbt build failed ({proc.returncode}):\n{proc.stdout[-6000:]}\n{proc.stderr[-3000:]}")

    def run(self) -> LandingReport:
        """Landing, then dbt (landing never raises for a bad file: it moves it aside)."""
        logging.getLogger("orchestration.landing").setLevel(logging.WARNING)
        report = self.land()
        self.dbt_build()
        return report

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        with duckdb.connect(str(self.duckdb_path), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()

    def df(self, sql: str):
        with duckdb.connect(str(self.duckdb_path), read_only=True) as con:
            return con.sql(sql).df()

    def landed_files(self) -> set[str]:
        return {p.relative_to(self.landing).as_posix() for p in self.landing.rglob("*.parquet")}


# ----------------------------------------------------------------------------------------- base data
ADVISORS = [
    {"advisor_id": f"A{i}", "first_name": f"First{i}", "last_name": f"Last{i}", "email": f"person{i}@firm.com",
     "phone": f"212555{1000 + i}", "firm_id": "F1", "title": "Advisor", "years_experience": str(i),
     "created_at": "2024-01-01T09:00:00Z", "updated_at": "2025-01-01T09:00:00Z"}
    for i in range(1, 11)
]
EMAIL_TYPES = ("send", "deliver", "open", "click")


def sale(i: int, **over: str) -> dict:
    row = {"sale_id": f"S{i:04d}", "advisor_id": f"A{1 + i % 10}", "product_id": "P1",
           "transaction_type": "purchase" if i % 3 else "redemption", "amount": f"{100 + i}.50",
           "traded_at": f"2025-03-{1 + i % 28:02d}T{10 + i % 8:02d}:{i % 60:02d}:00Z"}
    row.update(over)
    return row


def email_event(i: int, **over: str) -> dict:
    a = 1 + i % 10
    row = {"event_id": f"E{i:04d}", "campaign_id": "C1", "advisor_id": f"A{a}", "email": f"person{a}@firm.com",
           "event_type": EMAIL_TYPES[i % 4],
           # Unique seconds per event, so a test can find one event by its time in any model.
           "occurred_at": f"2025-03-{10 + i % 18:02d}T{8 + i % 10:02d}:{i % 60:02d}:{i % 59:02d}Z"}
    row.update(over)
    return row


def write_base(raw: Path) -> None:
    write_csv(raw, "crm.advisors", "advisors_0001.csv", ADVISORS)
    write_csv(raw, "crm.sales", "sales_0001.csv", [sale(i) for i in range(1, 61)])
    write_csv(raw, "marketing.email_events", "email_events_0001.csv", [email_event(i) for i in range(1, 61)])
