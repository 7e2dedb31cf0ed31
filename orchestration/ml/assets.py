"""Thin Dagster assets over the ML modules: `ml/customer_segments` and `ml/propensity_scores`.

Each asset opens the warehouse for as short a time as it can (DuckDB has one writer), computes with
the pure functions in this package, writes its `ml.*` tables and returns its diagnostics as metadata.
The dbt decisioning marts read those tables as the `ml` source, whose `meta.dagster.asset_key` points
at these assets so the lineage lines up.
"""

import json
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pandas as pd
from pydantic import Field

from orchestration import settings
from orchestration.ml import features as feat
from orchestration.ml import propensity as prop
from orchestration.ml import segmentation as seg
from orchestration.warehouse_lock import connect_live

ML_GROUP = "ml"
SEGMENTS_KEY = dg.AssetKey(["ml", "customer_segments"])
# The segmentation writes two tables; each is its own asset key (dbt sources may not share one).
PROFILES_KEY = dg.AssetKey(["ml", "segment_profiles"])
PROPENSITY_KEY = dg.AssetKey(["ml", "propensity_scores"])
# dbt models the assets read; resolved to asset keys with get_asset_key_for_model, never typed.
UPSTREAM_MODELS = ("dim_customers", "fct_touchpoints", "fct_journey_stages", "int_customer_sales_mapped")


# ------------------------------------------------------------------ config


class SegmentationConfig(dg.Config):
    k_min: int = Field(2, description="Smallest k tried by K-Means.")
    k_max: int = Field(8, description="Largest k tried. Each extra k costs one K-Means fit on the sample.")
    sample_size: int = Field(20_000, description="Rows for choosing k (silhouette is quadratic in rows).")
    fit_size: int = Field(100_000, description="Rows the final K-Means and the scaler are fitted on.")
    seed: int = Field(42, description="Random seed: same data + seed -> same segments.")


class PropensityConfig(dg.Config):
    snapshot_every_days: int = Field(30, description="Days between training snapshots.")
    min_history_days: int = Field(90, description="History needed before the first snapshot.")
    test_snapshots: int = Field(2, description="Latest snapshots held out for the time-based test split.")
    max_model_age_days: int = Field(30, description="Retrain when the model file is older than this.")
    psi_threshold: float = Field(
        0.25, description="Retrain (and fail the drift check) when the PSI of the score or a top feature "
        "exceeds this. 0.1-0.25 is moderate shift; higher values tolerate more drift.")
    auc_floor: float = Field(0.6, description="The AUC check fails below this test ROC AUC.")
    min_days_between_retrains: int = Field(
        7, description="Drift alone does not retrain a model younger than this (no retrain loop when the "
        "drift is in the world, not in the model).")
    force_retrain: bool = Field(False, description="Retrain even when the model is fresh and stable.")


# ------------------------------------------------------------------ helpers


@contextmanager
def warehouse(read_only: bool = False):
    """A short-lived connection to the live warehouse (closed on exit, even on error)."""
    with connect_live(settings.duckdb_path(), read_only=read_only) as con:
        yield con


def _first_row(con: duckdb.DuckDBPyConnection, sql: str) -> tuple | None:
    rows = con.execute(sql).fetchall()
    return rows[0] if rows else None


def clock(con: duckdb.DuckDBPyConnection, tables: feat.FeatureTables) -> pd.Timestamp:
    """The journey clock (var as_of_ts, else the newest event), as the dbt marts use it."""
    # fetchall, not fetchone: DuckDB 2 keeps a half-read result open and refuses the next query.
    try:
        row = _first_row(con, "select max(as_of_at) from intermediate.int_journey_clock_resolved")
    except duckdb.Error:
        row = None
    if not row or row[0] is None:
        row = _first_row(con, f"select max(occurred_at) from {tables.touchpoints}")
    if not row or row[0] is None:
        raise ValueError("the warehouse has no events: build the dbt marts first")
    # Features use `< as_of`: add a microsecond so the newest event itself counts.
    return pd.Timestamp(row[0]) + pd.Timedelta(microseconds=1)


def write_table(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame, mode: str = "replace") -> None:
    schema = table.split(".")[0]
    con.execute(f"create schema if not exists {schema}")
    con.register("_frame", frame)
    try:
        if mode == "replace":
            con.execute(f"create or replace table {table} as select * from _frame")
        else:
            con.execute(f"create table if not exists {table} as select * from _frame where false")
            existing = {r[0] for r in con.execute(f"describe {table}").fetchall()}
            for col in [c for c in frame.columns if c not in existing]:
                # A newer run logs a new column: add it (older rows get null) instead of failing.
                col_type = con.execute(f'select typeof("{col}") from _frame limit 1').fetchall()[0][0]
                con.execute(f'alter table {table} add column "{col}" {col_type}')
            con.execute(f"insert into {table} by name select * from _frame")
    finally:
        con.unregister("_frame")


def _md_table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "(none)"
    cols = list(rows[0])
    fmt = [" | ".join(cols), " | ".join("---" for _ in cols)]
    for r in rows:
        fmt.append(" | ".join(f"{r[c]:.4f}" if isinstance(r[c], float) else str(r[c]) for c in cols))
    return "\n".join(fmt)


def last_run_path(state_dir: Path, task: str) -> Path:
    return prop.model_dir(state_dir, task) / "last_run.json"


# ------------------------------------------------------------------ pure-ish runners (no Dagster)


def run_segmentation(con: duckdb.DuckDBPyConnection, state_dir: Path, config: SegmentationConfig,
                     tables: feat.FeatureTables | None = None) -> tuple[pd.DataFrame, seg.SegmentationResult]:
    tables = tables or feat.FeatureTables()
    as_of = clock(con, tables)
    frame = feat.compute_features(con, as_of, tables)
    result = seg.segment(frame, (config.k_min, config.k_max), config.sample_size, config.fit_size,
                         config.seed, previous=seg.load_state(state_dir))
    seg.save_state(state_dir, result)
    now = datetime.now(UTC).replace(tzinfo=None)
    names = result.profiles.set_index("segment_id")["segment_name"]
    assignments = pd.DataFrame({
        "customer_id": frame["customer_id"].astype(str),
        "segment_id": result.labels.astype("int32"),
        "segment_name": names.reindex(result.labels).to_numpy(),
        "features_as_of": as_of.floor("s"),
        "segmented_at": now,
    })
    profiles = result.profiles.assign(segmented_at=now)
    profiles["segment_id"] = profiles["segment_id"].astype("int32")
    profiles["customers"] = profiles["customers"].astype("int64")
    write_table(con, "ml.customer_segments", assignments)
    write_table(con, "ml.segment_profiles", profiles)
    if frame["persona"].nunique() > 1:
        result.persona_ari = seg.persona_agreement(result.labels, frame["persona"])
    return assignments, result


def run_propensity(con: duckdb.DuckDBPyConnection, state_dir: Path, config: PropensityConfig,
                   tables: feat.FeatureTables | None = None) -> dict[str, dict[str, Any]]:
    """Score both models (retraining first when needed); write ml.fct_propensity_scores and ml.model_runs."""
    tables = tables or feat.FeatureTables()
    as_of = clock(con, tables)
    now = datetime.now(UTC).replace(tzinfo=None)
    current = feat.compute_features(con, as_of, tables)
    populations = prop.population_and_labels(con, current, as_of, tables)
    data_start_row = _first_row(con, f"select min(occurred_at) from {tables.touchpoints}")
    data_start = pd.Timestamp(data_start_row[0]) if data_start_row and data_start_row[0] else as_of
    report: dict[str, dict[str, Any]] = {}
    training_sets: dict[str, pd.DataFrame] | None = None
    score_frames, run_rows = [], []
    for task in prop.TASKS:
        pop = populations[task]
        trained = prop.load_latest(state_dir, task)
        drift_before: dict = {}
        if trained is not None:
            drift_before = prop.drift_report(trained, pop, prop.score(trained, pop), config.psi_threshold)
        retrain, reason = prop.retrain_decision(trained, now, drift_before, config.max_model_age_days,
                                                config.force_retrain, config.min_days_between_retrains)
        if retrain:
            if training_sets is None:
                dates = prop.snapshot_dates(data_start, as_of, config.snapshot_every_days, config.min_history_days)
                training_sets = prop.build_training_sets(con, dates, as_of, tables)
            try:
                if task not in training_sets:
                    raise ValueError(f"history shorter than the {prop.TASKS[task].horizon_days}-day horizon")
                trained = prop.train(task, training_sets[task], test_snapshots=config.test_snapshots)
                prop.save(state_dir, trained)
            except ValueError as exc:
                if trained is None:
                    # Nothing to score with: report it (the AUC check then fails for this model).
                    report[task] = {"skipped": str(exc), "retrain_reason": reason}
                    continue
                reason = f"{reason};retrain_failed:{exc}"  # keep scoring with the previous model
                retrain = False
        scores = prop.score_frame(trained, pop, now)
        drift_after = prop.drift_report(trained, pop, scores["score"].to_numpy(), config.psi_threshold)
        score_frames.append(scores)
        run_rows.append(prop.model_run_row(trained, retrain, reason, drift_after, now))
        report[task] = {
            "model_version": trained.version, "retrained": retrain, "retrain_reason": reason,
            "metrics": trained.metrics, "drift_before": drift_before, "drift": drift_after,
            "auc_floor": config.auc_floor, "psi_threshold": config.psi_threshold,
            "scored_rows": len(scores), "training_window": trained.training_window,
            "top_features": trained.top_features, "run_at": now.isoformat(),
        }
        path = last_run_path(state_dir, task)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report[task], indent=2, default=float))
    # Always (re)write the table, empty when no model could be trained yet (history shorter than the
    # horizons): next-best action then falls back to the catalog's base response rates, the AUC check
    # reports the missing model, and stale scores of a model that no longer exists never linger.
    write_table(con, "ml.fct_propensity_scores",
                pd.concat(score_frames, ignore_index=True) if score_frames else prop.empty_score_frame())
    if run_rows:
        write_table(con, "ml.model_runs", pd.DataFrame(run_rows), mode="append")
    return report


# ------------------------------------------------------------------ Dagster


def _upstream_keys() -> list[dg.AssetKey]:
    try:
        from dagster_dbt import get_asset_key_for_model

        from orchestration.dbt_assets import cjo_dbt_assets
    except ImportError:  # the dbt assets module is not there yet (parallel development)
        return []
    keys = []
    for model in UPSTREAM_MODELS:
        try:
            keys.append(get_asset_key_for_model([cjo_dbt_assets], model))
        except Exception:  # a model not in the manifest: no lineage edge rather than a broken load
            continue
    return keys


def build_assets() -> tuple[list[dg.AssetsDefinition], list[dg.AssetChecksDefinition]]:
    from orchestration.resources import DUCKDB_WRITER_POOL  # one writer on the DuckDB file

    deps = _upstream_keys()

    @dg.multi_asset(name="ml__customer_segments", pool=DUCKDB_WRITER_POOL, specs=[
        dg.AssetSpec(SEGMENTS_KEY, deps=deps, group_name=ML_GROUP, kinds={"python", "scikitlearn", "duckdb"},
                     description="Behavioural K-Means segments with stable ids, one row per customer "
                     "(ml.customer_segments); read by the analytics marts."),
        dg.AssetSpec(PROFILES_KEY, deps=deps, group_name=ML_GROUP, kinds={"python", "scikitlearn", "duckdb"},
                     description="One row per segment with its profile (ml.segment_profiles); read by dim_segments."),
    ])
    def customer_segments(context: dg.AssetExecutionContext, config: SegmentationConfig):
        with warehouse() as con:
            assignments, result = run_segmentation(con, settings.state_dir(), config)
        meta = result.metadata()
        context.log.info(f"{len(assignments)} customers in {result.k} segments")
        yield dg.MaterializeResult(asset_key=PROFILES_KEY, metadata={"rows": len(result.profiles)})
        yield dg.MaterializeResult(asset_key=SEGMENTS_KEY, metadata={
            "rows": len(assignments),
            "k": result.k,
            "silhouette": dg.FloatMetadataValue(meta["silhouette"]),
            "davies_bouldin": dg.FloatMetadataValue(meta["davies_bouldin"]),
            "inertia": dg.FloatMetadataValue(meta["inertia"]),
            "k_scores": dg.MarkdownMetadataValue(_md_table(meta["k_scores"])),
            "alternatives": dg.JsonMetadataValue(meta["alternatives"]),
            "matched_previous_centroids": meta["matched_previous_centroids"],
            "persona_adjusted_rand_index": dg.FloatMetadataValue(
                float("nan") if result.persona_ari is None else result.persona_ari),
            "segments": dg.MarkdownMetadataValue(_md_table(
                result.profiles[["segment_id", "customers", "segment_name"]].to_dict("records"))),
        })

    @dg.asset(key=PROPENSITY_KEY, deps=deps, group_name=ML_GROUP, kinds={"python", "scikitlearn", "duckdb"},
              pool=DUCKDB_WRITER_POOL,
              description="Conversion and churn propensity scores (ml.fct_propensity_scores) and the "
              "model run log (ml.model_runs); retrains when the model is old or its inputs drifted.")
    def propensity_scores(context: dg.AssetExecutionContext, config: PropensityConfig) -> dg.MaterializeResult:
        with warehouse() as con:
            report = run_propensity(con, settings.state_dir(), config)
        metadata: dict[str, Any] = {}
        for task, r in report.items():
            if "skipped" in r:
                metadata[f"{task}_skipped"] = r["skipped"]
                context.log.warning(f"{task}: no model ({r['skipped']})")
                continue
            hgb, base = r["metrics"]["hgb"], r["metrics"]["logistic"]
            champ = r["metrics"][r["metrics"]["champion"]]
            metadata.update({
                f"{task}_champion": r["metrics"]["champion"],
                f"{task}_model_version": r["model_version"],
                f"{task}_retrained": r["retrained"],
                f"{task}_retrain_reason": r["retrain_reason"],
                f"{task}_roc_auc": dg.FloatMetadataValue(champ["roc_auc"]),
                f"{task}_hgb_roc_auc": dg.FloatMetadataValue(hgb["roc_auc"]),
                f"{task}_baseline_roc_auc": dg.FloatMetadataValue(base["roc_auc"]),
                f"{task}_pr_auc": dg.FloatMetadataValue(champ["pr_auc"]),
                f"{task}_brier": dg.FloatMetadataValue(champ["brier"]),
                f"{task}_calibration": dg.MarkdownMetadataValue(_md_table(champ["calibration"])),
                f"{task}_lift_by_decile": dg.MarkdownMetadataValue(_md_table(champ["lift_by_decile"])),
                f"{task}_psi": dg.JsonMetadataValue(r["drift"]),
                f"{task}_scored_rows": r["scored_rows"],
            })
            context.log.info(f"{task}: {r['model_version']} ({r['retrain_reason']}), AUC {hgb['roc_auc']:.3f} "
                             f"vs baseline {base['roc_auc']:.3f}")
        return dg.MaterializeResult(metadata=metadata)

    @dg.asset_check(asset=PROPENSITY_KEY, description="Each model's test ROC AUC is above the floor.")
    def propensity_auc_above_floor() -> dg.AssetCheckResult:
        return auc_check(settings.state_dir())

    @dg.asset_check(asset=PROPENSITY_KEY, description="PSI of the score and top features vs training "
                    "is below the threshold.")
    def propensity_drift_below_threshold() -> dg.AssetCheckResult:
        return drift_check(settings.state_dir())

    return [customer_segments, propensity_scores], [propensity_auc_above_floor, propensity_drift_below_threshold]


def _last_runs(state_dir: Path) -> dict[str, dict[str, Any]]:
    out = {}
    for task in prop.TASKS:
        path = last_run_path(state_dir, task)
        if path.exists():
            out[task] = json.loads(path.read_text())
    return out


def auc_check(state_dir: Path) -> dg.AssetCheckResult:
    runs = _last_runs(state_dir)
    aucs = {t: r["metrics"][r["metrics"].get("champion", "hgb")]["roc_auc"] for t, r in runs.items()}
    floors = {t: r["auc_floor"] for t, r in runs.items()}
    failing = [t for t in aucs if not aucs[t] >= floors[t]]
    return dg.AssetCheckResult(
        passed=bool(runs) and not failing,
        metadata={"roc_auc": dg.JsonMetadataValue(aucs), "floor": dg.JsonMetadataValue(floors),
                  "failing": ", ".join(failing) or ("no model run found" if not runs else "none")},
    )


def drift_check(state_dir: Path) -> dg.AssetCheckResult:
    runs = _last_runs(state_dir)
    worst = {t: max((v["psi"] for v in r["drift"].values() if v["psi"] == v["psi"]), default=0.0)
             for t, r in runs.items()}
    drifted = {t: [k for k, v in r["drift"].items() if v["drifted"]] for t, r in runs.items()}
    failing = [t for t, d in drifted.items() if d]
    return dg.AssetCheckResult(
        passed=bool(runs) and not failing,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"max_psi": dg.JsonMetadataValue(worst), "drifted_series": dg.JsonMetadataValue(drifted)},
    )
