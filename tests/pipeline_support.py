"""Helpers shared by tests/conftest.py and test modules (import from here, not from conftest:
tests/activation has a conftest.py of its own, so `from conftest import ...` is ambiguous)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
# Small on purpose: the whole `make test` must stay well under 15 minutes on 2 cores.
FIXTURE_ARGS = ("--advisors", "1500", "--days", "120", "--seed", "7")


@dataclass(frozen=True)
class BuiltWarehouse:
    root: Path
    raw_dir: Path
    landing_dir: Path
    duckdb_path: Path
    publish_dir: Path
    state_dir: Path
    dagster_home: Path

    def env(self) -> dict[str, str]:
        return warehouse_env(self.root)


def warehouse_env(root: Path) -> dict[str, str]:
    """The CJO_* variables (and DAGSTER_HOME) for a warehouse laid out under `root`."""
    return {
        "CJO_RAW_DIR": str(root / "raw"),
        "CJO_LANDING_DIR": str(root / "landing"),
        "CJO_DUCKDB_PATH": str(root / "cjo.duckdb"),
        "CJO_PUBLISH_DIR": str(root / "published"),
        "CJO_STATE_DIR": str(root / "state"),
        "DAGSTER_HOME": str(root / "dagster_home"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


def prepare_dagster_home(home: Path) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ROOT / "instance" / "dagster.yaml", home / "dagster.yaml")
    return home


def _run(cmd: list[str], env: dict[str, str], what: str) -> None:
    proc = subprocess.run(cmd, cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-60:])
        raise RuntimeError(f"{what} failed (exit {proc.returncode}): {' '.join(cmd)}\n{tail}")


def ensure_manifest() -> Path:
    """`dbt parse` when target/manifest.json is missing or older than a dbt file (the project's rule)."""
    from orchestration.dbt_assets import ensure_manifest as ensure

    return ensure()


def true_personas(con, raw_dir: Path):
    """customer_id -> the generator's true persona (from raw_dir/_ground_truth), one row per customer."""
    import pandas as pd

    records = pd.read_csv(raw_dir / "_ground_truth" / "advisor_records.csv")
    people = pd.read_csv(raw_dir / "_ground_truth" / "people.csv")[["person_id", "persona"]]
    customers = con.execute("select customer_id, advisor_id from marts.dim_customers").df()
    both = customers.merge(records, on="advisor_id").merge(people, on="person_id")
    return both.drop_duplicates("customer_id")[["customer_id", "persona"]]


# ------------------------------------------------------------------ wholesaler skill recovery (issue 14)
# What int_wholesaler_coverage_monthly reads, directly or through the identity graph and the clock.
WHOLESALER_PANEL_TABLES = ("crm.advisors", "crm.firms", "crm.wholesalers", "crm.sales", "crm.products",
                           "crm.opportunities", "advisor.interactions", "privacy.deletion_requests")


def build_wholesaler_world(root: Path, advisors: int, seed: int, days: int = 365) -> dict[str, str]:
    """Generate a world, land only what the coverage panel reads and build the panel's models (no tests):
    a few minutes at demo scale instead of the whole pipeline. Returns the warehouse environment."""
    from orchestration import landing

    env = warehouse_env(root)
    raw = Path(env["CJO_RAW_DIR"])
    _run([sys.executable, "-m", "cjo_data.generate", "--advisors", str(advisors), "--days", str(days),
          "--seed", str(seed), "--out", str(raw)], env, "demo data generator")
    landing.land(raw, Path(env["CJO_LANDING_DIR"]), only=WHOLESALER_PANEL_TABLES)
    _run([str(VENV_BIN / "dbt"), "build", "--quiet", "--select", "+int_wholesaler_coverage_monthly",
          "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test", "--project-dir", str(ROOT),
          "--profiles-dir", str(ROOT), "--target-path", str(root / "dbt_target")], env, "dbt build")
    return env


def wholesaler_recovery(panel, effects, truth) -> dict:
    """Spearman correlations with the planted skill (truth: wholesaler_skill.csv indexed by wholesaler_id)
    of the estimated effects (a Series by wholesaler_id), of the model refitted on amounts, and of the
    naive rankings (purchases and amount per covered advisor-month), with the panel's movers and sharers."""
    from orchestration.analytics import wholesalers as W

    skill = truth["skill"]
    by_ws = panel.groupby("wholesaler_id")
    advisor_months = by_ws["advisors"].sum()
    on_amounts = W.fit(panel, outcome="purchase_amount").effects.set_index("wholesaler_id")["effect"]
    return {
        "wholesalers": len(effects),
        "spearman_model": round(W.rank_correlation(effects, skill), 3),
        "spearman_model_on_amounts": round(W.rank_correlation(on_amounts, skill), 3),
        "spearman_naive_purchases_per_advisor_month": round(W.rank_correlation(
            by_ws["purchases"].sum() / advisor_months, skill), 3),
        "spearman_naive_amount_per_advisor_month": round(W.rank_correlation(
            by_ws["purchase_amount"].sum() / advisor_months, skill), 3),
        "wholesalers_in_several_territories": int((by_ws["territory_id"].nunique() > 1).sum()),
        "territories_with_several_wholesalers": int(
            (panel.groupby("territory_id")["wholesaler_id"].nunique() > 1).sum()),
    }
