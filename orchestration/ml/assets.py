"""Thin Dagster assets over the ML modules: `ml/customer_segments` and `ml/propensity_scores`.

Each asset opens the warehouse for as short a time as it can (DuckDB has one writer), computes with
the pure functions in this package, writes its `ml.*` tables and returns its diagnostics as metadata.
The dbt decisioning marts read those tables as the `ml` source, whose `meta.dagster.asset_key` points
at these assets so the lineage lines up.
"""

import json
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pandas as pd
from pydantic import Field

from orchestration import settings
from orchestration.ml import features as feat
from orchestration.ml import labels
from orchestration.ml import propensity as prop
from orchestration.ml import segmentation as seg
from orchestration.ml import uplift as upl
from orchestration.warehouse_lock import connect_live

ML_GROUP = "ml"
SEGMENTS_KEY = dg.AssetKey(["ml", "customer_segments"])
# The segmentation writes two tables; each is its own asset key (dbt sources may not share one).
PROFILES_KEY = dg.AssetKey(["ml", "segment_profiles"])
PROPENSITY_KEY = dg.AssetKey(["ml", "propensity_scores"])
UPLIFT_KEY = dg.AssetKey(["ml", "uplift_scores"])
# dbt models the assets read; resolved to asset keys with get_asset_key_for_model, never typed.
UPSTREAM_MODELS = ("dim_customers", "fct_touchpoints", "fct_journey_stages", "int_customer_sales_mapped",
                   "int_customer_advisors_mapped", "int_customer_attributes_mapped")
# The uplift model also reads the past campaigns' members and outcomes.
UPLIFT_MODELS = (*UPSTREAM_MODELS, "fct_campaign_member_outcomes")


# ------------------------------------------------------------------ config


class SegmentationConfig(dg.Config):
    k_min: int = Field(2, description="Smallest k tried by K-Means.")
    k_max: int = Field(8, description="Largest k tried. Each extra k costs one K-Means fit on the sample.")
    sample_size: int = Field(20_000, description="Rows for choosing k (silhouette is quadratic in rows).")
    fit_size: int = Field(100_000, description="Rows the final K-Means and the scaler are fitted on.")
    seed: int = Field(42, description="Random seed: same data + seed -> same segments.")


class PropensityConfig(dg.Config):
    models: list[str] | None = Field(
        None, description="Models this run expects (conversion, churn); unset: the propensity_models setting. "
        "The AUC check fails when one of them could not be trained. A business without prospects (a "
        "subscription list) expects churn only; anonymous-visitor data expects conversion only.")
    snapshot_every_days: int = Field(30, description="Days between training snapshots.")
    min_history_days: int = Field(90, description="History needed (from the first record of any kind) before "
                                  "the first snapshot.")
    max_snapshots: int = Field(12, description="Only the latest this many snapshot dates are used (older "
                               "history adds rows and time, not relevance).")
    test_snapshots: int = Field(2, description="Latest snapshot dates held out for the test split.")
    test_customer_share: float = Field(
        0.3, description="Share of customers held out (by a hash of their id): the test rows are later "
        "snapshots of customers never seen in training.")
    max_train_rows: int | None = Field(
        250_000, description="Training rows at most: whole customers drawn at random (the hold-out is never "
        "sampled). How the hold-out AUC of a sample compares with training on every row: "
        "benchmarks/results/ml_training_sample_100000.json. Unset: every row.")
    conversion_horizon_days: int = Field(30, description="Conversion label: a first purchase within this many days.")
    conversion_active_days: int = Field(
        90, description="Conversion population: prospects with a touch in this many days before the snapshot "
        "(quieter prospects are left out, not counted as negatives). Single-visit data (web sessions): the "
        "snapshot interval.")
    churn_horizon_days: int = Field(90, description="Churn label: no purchase within this many days.")
    churn_overdue_factor: float = Field(
        1.5, description="Churn population: buyers whose days since the last purchase are at most this many "
        "times their usual gap between purchases (overdue buyers have already lapsed: left out).")
    max_model_age_days: int = Field(30, description="Retrain when the model file is older than this.")
    psi_threshold: float = Field(
        0.25, description="Retrain (and fail the drift check) when the PSI of the score or a top feature "
        "exceeds this. 0.1-0.25 is moderate shift; higher values tolerate more drift.")
    auc_floor: float = Field(0.6, description="The AUC check fails when a model's holdout ROC AUC is below "
                             "this (or the model is missing).")
    min_days_between_retrains: int = Field(
        7, description="Drift alone does not retrain a model younger than this (no retrain loop when the "
        "drift is in the world, not in the model).")
    force_retrain: bool = Field(False, description="Retrain even when the model is fresh and stable.")

    def tasks(self) -> dict[str, labels.Task]:
        every = labels.make_tasks(self.conversion_horizon_days, self.conversion_active_days,
                                  self.churn_horizon_days, self.churn_overdue_factor)
        wanted = self.models if self.models is not None else settings.get().propensity_models
        unknown = sorted(set(wanted) - set(every))
        if unknown:
            raise ValueError(f"unknown models {unknown}: choose from {sorted(every)}")
        return {k: v for k, v in every.items() if k in wanted}

    def split(self) -> prop.SplitSpec:
        return prop.SplitSpec(self.test_snapshots, self.test_customer_share, self.max_train_rows)


class UpliftConfig(dg.Config):
    test_campaign_share: float = Field(
        0.3, description="Share of past campaigns (the latest by start, at least one) whose members are the "
        "hold-out; training uses the campaigns that started before them.")
    test_customer_share: float = Field(
        0.3, description="Share of customers held out (by a hash of their id): no hold-out customer is in "
        "training.")
    max_train_rows: int | None = Field(
        250_000, description="Rows each learner is fitted on at most: whole customers drawn at random (the "
        "hold-out is never sampled). Unset: every row.")
    seed: int = Field(0, description="Random seed of the learners, the bootstrap and the random rankings.")

    def split(self) -> upl.UpliftSplit:
        return upl.UpliftSplit(self.test_campaign_share, self.test_customer_share, self.max_train_rows)


# ------------------------------------------------------------------ helpers


@contextmanager
def warehouse(read_only: bool = False):
    """A short-lived connection to the live warehouse (closed on exit, even on error)."""
    with connect_live(settings.duckdb_path(), read_only=read_only) as con:
        yield con


def _first_row(con: duckdb.DuckDBPyConnection, sql: str) -> tuple | None:
    rows = con.execute(sql).fetchall()
    return rows[0] if rows else None


def dbt_clock(con: duckdb.DuckDBPyConnection) -> pd.Timestamp | None:
    """The journey clock the dbt marts were built with (int_journey_clock_resolved), if built."""
    # fetchall, not fetchone: DuckDB 2 keeps a half-read result open and refuses the next query.
    try:
        row = _first_row(con, "select max(as_of_at) from intermediate.int_journey_clock_resolved")
    except duckdb.Error:
        return None
    return pd.Timestamp(row[0]) if row and row[0] is not None else None


def clock(con: duckdb.DuckDBPyConnection, tables: feat.FeatureTables,
          as_of: datetime | pd.Timestamp | None = None) -> pd.Timestamp:
    """"Now" for every feature, label and score: the configured journey clock when set (the same
    setting dbt gets as var as_of_ts), else the newest event, as the dbt marts resolve it. Features read
    events strictly before it."""
    built = dbt_clock(con)
    if as_of is not None:
        wanted = prop._naive(as_of)
        if built is not None and built != wanted:
            raise ValueError(f"the journey clock is set to {wanted} but the dbt marts were built at {built}: "
                             "rebuild them with the same clock (cjo run --as-of ...)")
        return wanted
    if built is None:
        row = _first_row(con, f"select max(occurred_at) from {tables.touchpoints}")
        if not row or row[0] is None:
            raise ValueError("the warehouse has no events: build the dbt marts first")
        built = pd.Timestamp(row[0])
    # Features use `< as_of`: add a microsecond so the newest event itself counts.
    return built + pd.Timedelta(microseconds=1)


def history_start(con: duckdb.DuckDBPyConnection, tables: feat.FeatureTables, as_of: pd.Timestamp) -> pd.Timestamp:
    """The first record of any kind (a touch, a sale, a CRM account), the start of the usable history."""
    parts = [f"select min(occurred_at) as t from {tables.touchpoints}",
             f"select min(traded_at) from {tables.sales}"]
    if feat.relation_exists(con, tables.accounts):
        parts.append(f"select min(created_at) from {tables.accounts}")
    row = _first_row(con, "select min(t) from (" + " union all ".join(parts) + ")")
    return pd.Timestamp(row[0]) if row and row[0] is not None else as_of


def write_table(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame, mode: str = "replace") -> None:
    schema = table.split(".")[0]
    con.execute(f"create schema if not exists {schema}")
    con.register("_frame", frame)
    try:
        if mode == "replace":
            con.execute(f"create or replace table {table} as select * from _frame")
        else:
            con.execute(f"create table if not exists {table} as select * from _frame where false")
            existing = {r[0]: r[1] for r in con.execute(f"describe {table}").fetchall()}
            for col in frame.columns:
                col_type = con.execute(f'select typeof("{col}") from _frame limit 1').fetchall()[0][0]
                if col not in existing:
                    # A newer run logs a new column: add it (older rows get null) instead of failing.
                    con.execute(f'alter table {table} add column "{col}" {col_type}')
                elif existing[col] == '"NULL"' and col_type != "NULL":
                    # The first rows had no value in it (a skipped model's run), so it was created without a
                    # type: the first typed value gives it one (no value is lost: every earlier one is null).
                    con.execute(f'alter table {table} alter column "{col}" type {col_type}')
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


def run_report_path(state_dir: Path) -> Path:
    return state_dir / "models" / "last_run.json"


# ------------------------------------------------------------------ pure-ish runners (no Dagster)


def run_segmentation(con: duckdb.DuckDBPyConnection, state_dir: Path, config: SegmentationConfig,
                     tables: feat.FeatureTables | None = None, as_of: datetime | None = None,
                     ) -> tuple[pd.DataFrame, seg.SegmentationResult]:
    tables = tables or feat.FeatureTables()
    as_of = clock(con, tables, as_of)
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


@dataclass
class _TrainingData:
    """Snapshots built once per run, only when some model needs retraining."""

    con: duckdb.DuckDBPyConnection
    tables: feat.FeatureTables
    config: PropensityConfig
    tasks: dict[str, labels.Task]
    as_of: pd.Timestamp
    sets: dict[str, pd.DataFrame] | None = None

    def for_task(self, task: str) -> pd.DataFrame:
        if self.sets is None:
            start = history_start(self.con, self.tables, self.as_of)
            dates = prop.snapshot_dates(start, self.as_of, self.config.snapshot_every_days,
                                        self.config.min_history_days, self.config.max_snapshots)
            self.sets = prop.build_training_sets(self.con, dates, self.as_of, self.tables, self.tasks)
        if task not in self.sets:
            horizon = self.tasks[task].horizon_days
            raise ValueError(f"no complete {horizon}-day label window in the history (or an empty population): "
                             "the history is shorter than the horizon plus min_history_days")
        return self.sets[task]


def _train_or_keep(task: str, trained: prop.TrainedModel | None, data: _TrainingData, state_dir: Path,
                   pop: pd.DataFrame, reason: str) -> tuple[prop.TrainedModel | None, bool, str, str | None]:
    """Train a new model; on failure keep the previous one. Returns (model, retrained, reason, error)."""
    try:
        new = prop.train(data.tasks[task], data.for_task(task), spec=data.config.split(), as_of=data.as_of)
    except ValueError as exc:
        if trained is None:
            return None, False, reason, str(exc)
        return trained, False, f"{reason};retrain_failed:{exc}", None
    prop.set_drift_reference(new, pop)
    prop.save(state_dir, new)
    return new, True, reason, None


def _task_report(trained: prop.TrainedModel, retrained: bool, reason: str, drift_before: dict, drift_after: dict,
                 config: PropensityConfig, scored: int, now: datetime) -> dict[str, Any]:
    return {
        "model_version": trained.version, "retrained": retrained, "retrain_reason": reason,
        "metrics": trained.metrics, "drift_before": drift_before, "drift": drift_after,
        "auc_floor": config.auc_floor, "psi_threshold": config.psi_threshold,
        "holdout_roc_auc": trained.auc, "baseline_roc_auc": trained.metrics["logistic"]["roc_auc"],
        "recency_only_roc_auc": trained.metrics["recency_only"]["roc_auc"],
        "single_feature_warning": trained.leak_warning, "label": trained.label, "as_of": trained.as_of,
        "scored_rows": scored, "training_window": trained.training_window,
        "top_features": trained.top_features, "run_at": now.isoformat(),
    }


def run_propensity(con: duckdb.DuckDBPyConnection, state_dir: Path, config: PropensityConfig,
                   tables: feat.FeatureTables | None = None, as_of: datetime | None = None,
                   ) -> dict[str, dict[str, Any]]:
    """Score each model (retraining first when needed); write ml.fct_propensity_scores and ml.model_runs,
    and the run report the model checks read (state_dir/models/last_run.json)."""
    tables = tables or feat.FeatureTables()
    tasks = config.tasks()
    now_clock = clock(con, tables, as_of)
    now = datetime.now(UTC).replace(tzinfo=None)
    current = feat.compute_features(con, now_clock, tables)
    populations = labels.population_and_labels(con, current, now_clock, tables.sales, tasks)
    columns = feat.feature_columns(current)
    data = _TrainingData(con, tables, config, tasks, now_clock)
    report: dict[str, dict[str, Any]] = {}
    score_frames, run_rows = [], []
    for task in tasks:
        pop = populations[task]
        trained = prop.load_latest(state_dir, task)
        drift_before: dict = {}
        if trained is not None and trained.features == columns:
            drift_before = prop.drift_report(trained, pop, prop.score(trained, pop), config.psi_threshold)
        retrain, reason = prop.retrain_decision(trained, now, drift_before, config.max_model_age_days,
                                                config.force_retrain, config.min_days_between_retrains,
                                                clock=now_clock, features=columns)
        error = None
        if retrain:
            trained, retrain, reason, error = _train_or_keep(task, trained, data, state_dir, pop, reason)
        if trained is None:
            # Nothing to score with: report it (the AUC check then fails for this model).
            report[task] = {"skipped": error, "retrain_reason": reason, "auc_floor": config.auc_floor}
            continue
        scores = prop.score_frame(trained, pop, now)
        drift_after = prop.drift_report(trained, pop, scores["score"].to_numpy(), config.psi_threshold)
        score_frames.append(scores)
        run_rows.append(prop.model_run_row(trained, retrain, reason, drift_after, now, now_clock, config.auc_floor))
        report[task] = _task_report(trained, retrain, reason, drift_before, drift_after, config, len(scores), now)
    write_run_report(state_dir, report, list(tasks), now_clock)
    # Always (re)write the table, empty when no model could be trained yet (history shorter than the
    # horizons): next-best action then falls back to the catalog's base response rates, the AUC check
    # reports the missing model, and stale scores of a model that no longer exists never linger.
    write_table(con, "ml.fct_propensity_scores",
                pd.concat(score_frames, ignore_index=True) if score_frames else prop.empty_score_frame())
    if run_rows:
        write_table(con, "ml.model_runs", pd.DataFrame(run_rows), mode="append")
    return report


def run_uplift(con: duckdb.DuckDBPyConnection, state_dir: Path, config: UpliftConfig,
               tables: feat.FeatureTables | None = None, as_of: datetime | None = None,
               outcomes: str = "marts.fct_campaign_member_outcomes") -> dict[str, Any]:
    """Train the uplift model on the past campaigns, evaluate it on the hold-out, score every customer
    per campaign channel; write ml.fct_uplift_scores (always: empty without a model), ml.uplift_runs and
    state_dir/models/uplift/latest.json. Returns the run report (``skipped`` when no model could be
    trained: too few campaigns, no control group or no purchase)."""
    tables = tables or feat.FeatureTables()
    now_clock = clock(con, tables, as_of)
    now = datetime.now(UTC).replace(tzinfo=None)
    data = upl.campaign_rows(con, tables, outcomes) if feat.relation_exists(con, outcomes) else pd.DataFrame()
    try:
        if data.empty:
            raise ValueError(f"no closed campaign with members in {outcomes}")
        trained = upl.train(data, config.seed, config.split())
    except ValueError as exc:
        write_table(con, "ml.fct_uplift_scores", upl.empty_score_frame())
        return {"skipped": str(exc), "rows": len(data)}
    population = feat.compute_features(con, now_clock, tables)
    scores = upl.score_frame(trained, population, now)
    write_table(con, "ml.fct_uplift_scores", scores)
    write_table(con, "ml.uplift_runs", pd.DataFrame([upl.run_row(trained, now, now_clock)]), mode="append")
    folder = state_dir / "models" / "uplift"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "latest.json").write_text(json.dumps(trained.summary(), indent=2, default=float))
    return {"model_version": trained.version, "metrics": trained.metrics, "scored_rows": len(scores),
            "training_window": trained.training_window, "as_of": str(now_clock)}


def uplift_metadata(report: dict[str, Any]) -> dict[str, Any]:
    if "skipped" in report:
        return {"skipped": report["skipped"]}
    m = report["metrics"]
    return {
        "qini": dg.FloatMetadataValue(m["model"]["qini"]), "qini_se": dg.FloatMetadataValue(m["model"]["qini_se"]),
        "propensity_qini": dg.FloatMetadataValue(m["propensity"]["qini"]),
        "random_qini": dg.FloatMetadataValue(m["random"]["qini"]),
        "random_qini_sd": dg.FloatMetadataValue(m["random"]["qini_se"]),
        "uplift_top_decile": dg.FloatMetadataValue(m["model"]["uplift_top_decile"]),
        "propensity_uplift_top_decile": dg.FloatMetadataValue(m["propensity"]["uplift_top_decile"]),
        "average_uplift": dg.FloatMetadataValue(m["average_uplift"]),
        "learner": m["learner"], "split": m["split"], "selection_qini": dg.JsonMetadataValue(m["selection_qini"]),
        "n_train": dg.IntMetadataValue(int(m["n_train"])), "n_test": dg.IntMetadataValue(int(m["n_test"])),
        "model_version": report["model_version"], "scored_rows": report["scored_rows"],
        "training_window": dg.JsonMetadataValue(report["training_window"]),
    }


def write_run_report(state_dir: Path, report: dict[str, dict[str, Any]], expected: list[str],
                     as_of: pd.Timestamp) -> Path:
    """The one file the model checks read (they never open the warehouse): every expected model, trained,
    kept or skipped with its reason."""
    path = run_report_path(state_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {"expected_models": expected, "as_of": str(as_of), "models": report}
    path.with_suffix(".tmp").write_text(json.dumps(body, indent=2, default=float))
    path.with_suffix(".tmp").replace(path)
    return path


# ------------------------------------------------------------------ Dagster


def _upstream_keys(models: tuple[str, ...] = UPSTREAM_MODELS) -> list[dg.AssetKey]:
    try:
        from dagster_dbt import get_asset_key_for_model

        from orchestration.dbt_assets import cjo_dbt_assets
    except ImportError:  # the dbt assets module is not there yet (parallel development)
        return []
    keys = []
    for model in models:
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
            assignments, result = run_segmentation(con, settings.state_dir(), config,
                                                   as_of=settings.journey_clock())
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
              "model run log (ml.model_runs, headline holdout_roc_auc: later snapshots of customers held out "
              "from training); retrains when the model is old, the clock moved or its inputs drifted.")
    def propensity_scores(context: dg.AssetExecutionContext, config: PropensityConfig) -> dg.MaterializeResult:
        with warehouse() as con:
            report = run_propensity(con, settings.state_dir(), config, as_of=settings.journey_clock())
        for line in propensity_log_lines(report):
            (context.log.warning if line.startswith("WARNING") else context.log.info)(line)
        return dg.MaterializeResult(metadata=propensity_metadata(report))

    @dg.asset(key=UPLIFT_KEY, deps=_upstream_keys(UPLIFT_MODELS), group_name=ML_GROUP, pool=DUCKDB_WRITER_POOL,
              kinds={"python", "scikitlearn", "duckdb"},
              description="Uplift scores per customer and campaign channel (ml.fct_uplift_scores), learned from "
              "past randomised campaigns, and the run log (ml.uplift_runs, headline: the hold-out Qini "
              "coefficient beside the propensity ranking's and random rankings').")
    def uplift_scores(context: dg.AssetExecutionContext, config: UpliftConfig) -> dg.MaterializeResult:
        with warehouse() as con:
            report = run_uplift(con, settings.state_dir(), config, as_of=settings.journey_clock())
        if "skipped" in report:
            context.log.warning(f"uplift: no model ({report['skipped']})")
        else:
            m = report["metrics"]
            context.log.info(f"uplift: {m['learner']} Qini {m['model']['qini']:.3f} +/- {m['model']['qini_se']:.3f}, "
                             f"propensity ranking {m['propensity']['qini']:.3f}, random {m['random']['qini']:.3f} "
                             f"+/- {m['random']['qini_se']:.3f} ({m['n_test']} hold-out rows)")
        return dg.MaterializeResult(metadata=uplift_metadata(report))

    @dg.asset_check(asset=PROPENSITY_KEY, description="Every expected model exists and its holdout ROC AUC "
                    "(held-out customers, later snapshots) is at or above the configured floor.")
    def propensity_auc_above_floor() -> dg.AssetCheckResult:
        return _check_result(auc_verdict(read_run_report(settings.state_dir())))

    @dg.asset_check(asset=PROPENSITY_KEY, description="PSI of the score and top features, the population "
                    "scored now vs the population the model first scored, is below the threshold.")
    def propensity_drift_below_threshold() -> dg.AssetCheckResult:
        return _check_result(drift_verdict(read_run_report(settings.state_dir())), dg.AssetCheckSeverity.WARN)

    checks = [propensity_auc_above_floor, propensity_drift_below_threshold]
    return [customer_segments, propensity_scores, uplift_scores], checks


def propensity_log_lines(report: dict[str, dict[str, Any]]) -> list[str]:
    """What the run log says per model: the headline figures, and a WARNING for a missing model or a
    single feature that reads the label."""
    lines = []
    for task, r in report.items():
        if "skipped" in r:
            lines.append(f"WARNING {task}: no model ({r['skipped']})")
            continue
        lines.append(f"{task}: {r['model_version']} ({r['retrain_reason']}), holdout ROC AUC "
                     f"{r['holdout_roc_auc']:.3f}, baseline {r['baseline_roc_auc']:.3f}, recency only "
                     f"{r['recency_only_roc_auc']:.3f}")
        if r.get("single_feature_warning"):
            lines.append(f"WARNING {task}: {r['single_feature_warning']}")
    return lines


def propensity_metadata(report: dict[str, dict[str, Any]]) -> dict[str, Any]:
    metadata: dict[str, Any] = {}
    for task, r in report.items():
        if "skipped" in r:
            metadata[f"{task}_skipped"] = r["skipped"]
            continue
        m = r["metrics"]
        champ = m[m["champion"]]
        metadata.update({
            f"{task}_holdout_roc_auc": dg.FloatMetadataValue(r["holdout_roc_auc"]),
            f"{task}_baseline_roc_auc": dg.FloatMetadataValue(r["baseline_roc_auc"]),
            f"{task}_recency_only_roc_auc": dg.FloatMetadataValue(r["recency_only_roc_auc"]),
            f"{task}_champion": m["champion"],
            f"{task}_model_version": r["model_version"],
            f"{task}_retrained": r["retrained"],
            f"{task}_retrain_reason": r["retrain_reason"],
            f"{task}_pr_auc": dg.FloatMetadataValue(champ["pr_auc"]),
            f"{task}_brier": dg.FloatMetadataValue(champ["brier"]),
            f"{task}_n_train": dg.IntMetadataValue(int(m["n_train"])),
            f"{task}_n_test": dg.IntMetadataValue(int(m["n_test"])),
            f"{task}_label": r["label"].get("description", ""),
            f"{task}_censoring": r["label"].get("censoring", ""),
            f"{task}_single_feature_warning": r["single_feature_warning"] or "none",
            f"{task}_single_feature_auc": dg.JsonMetadataValue(
                dict(sorted(m["single_feature_auc"].items(), key=lambda kv: -kv[1])[:10])),
            f"{task}_calibration": dg.MarkdownMetadataValue(_md_table(champ["calibration"])),
            f"{task}_lift_by_decile": dg.MarkdownMetadataValue(_md_table(champ["lift_by_decile"])),
            f"{task}_psi": dg.JsonMetadataValue(r["drift"]),
            f"{task}_scored_rows": r["scored_rows"],
        })
    return metadata


def read_run_report(state_dir: Path) -> dict[str, Any] | None:
    path = run_report_path(state_dir)
    return json.loads(path.read_text()) if path.exists() else None


@dataclass(frozen=True)
class Verdict:
    passed: bool
    description: str
    metadata: dict[str, Any]


def auc_verdict(run: dict[str, Any] | None) -> Verdict:
    """Fails when there is no run, when an expected model is missing, or when a holdout ROC AUC is below
    its floor (or not a number)."""
    if run is None:
        return Verdict(False, "no propensity run found", {})
    models = run["models"]
    aucs = {t: r.get("holdout_roc_auc") for t, r in models.items() if "skipped" not in r}
    floors = {t: r["auc_floor"] for t, r in models.items()}
    problems = [f"{t}: missing ({models[t]['skipped'] if t in models else 'not run'})"
                for t in run["expected_models"] if t not in aucs]
    problems += [f"{t}: holdout ROC AUC {aucs[t]:.3f} below the floor {floors[t]}"
                 for t in aucs if not (aucs[t] is not None and aucs[t] >= floors[t])]
    description = "; ".join(problems) or ", ".join(f"{t} {a:.3f} >= {floors[t]}" for t, a in aucs.items())
    return Verdict(not problems, description, {"holdout_roc_auc": aucs, "floor": floors,
                                               "expected_models": run["expected_models"]})


def drift_verdict(run: dict[str, Any] | None) -> Verdict:
    """Fails (WARN) when the score or a top feature drifted past the threshold since the model first
    scored. Quiet when nothing was scored (the AUC check reports missing models) and on a fresh training,
    whose reference is the population it scores."""
    models = {t: r for t, r in ((run or {}).get("models") or {}).items() if "skipped" not in r}
    worst = {t: max((v["psi"] for v in r["drift"].values() if v["psi"] == v["psi"]), default=0.0)
             for t, r in models.items()}
    drifted = {t: [k for k, v in r["drift"].items() if v["drifted"]] for t, r in models.items()}
    failing = [f"{t}: {', '.join(d)}" for t, d in drifted.items() if d]
    description = ("drifted: " + "; ".join(failing)) if failing else (
        "no drift" if models else "no model scored: nothing to compare")
    return Verdict(not failing, description, {"max_psi": worst, "drifted_series": drifted})


def _check_result(verdict: Verdict, severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.ERROR,
                  ) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        passed=verdict.passed, severity=severity, description=verdict.description,
        metadata={"reason": verdict.description,
                  **{k: dg.JsonMetadataValue(v) for k, v in verdict.metadata.items()}},
    )
