"""Propensity models: conversion (an active prospect's first purchase) and churn (a buyer who is not
yet overdue makes no further purchase). Populations, labels and censoring: orchestration/ml/labels.py.

Training rows are point-in-time snapshots: features as of T (features.compute_features) with a label
from what happened in [T, T + horizon). The evaluation (orchestration/ml/evaluation.py) holds out
customers AND time: the model is tested on later snapshots of customers it never saw. HistGradientBoosting
is the model, a logistic regression on the same features and split is the baseline, and a logistic
regression on recency alone shows how much of the label is plain activity. The champion (the model that
scores) is chosen on the training rows only, by an inner split by time and customer that mirrors the
hold-out (folds grouped by customer when that split has one class), never on the hold-out. Model files are
versioned (joblib) with their feature list, training window, clock, metrics and a reference sample of
scores and top features for drift (PSI) checks.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import joblib
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, OrdinalEncoder, StandardScaler
from threadpoolctl import threadpool_limits

from orchestration.ml import drift
from orchestration.ml import evaluation as ev
from orchestration.ml.features import FeatureTables, compute_features, feature_lists
from orchestration.ml.labels import TASKS, Task, population_and_labels

# Number of top features (by |correlation with the score|) watched for drift.
TOP_FEATURES = 5
# OpenMP threads for HistGradientBoosting. Measured on the 2-core machine: with 2 threads a 6k-row
# fit took 25-30 s next to an open DuckDB connection (threads spin against each other), with 1 thread
# 1.9 s. Raise only after measuring on the target machine.
OMP_THREADS = 1
# Rows kept per model file as the drift reference: enough for stable deciles, small on disk.
REFERENCE_SAMPLE = 5_000
# Champion selection: folds (grouped by customer) and the most training rows they use. More rows cost
# time (two fits per fold) without changing which model wins.
SELECTION_FOLDS = 3
SELECTION_ROWS = 40_000
# Rows scored per predict call: the model's working memory stays flat however many customers are scored.
SCORE_BATCH_ROWS = 100_000
# The inner splits that choose the champion hold out other customers than the outer one (one salt per
# repeat). One inner split is noisy: at 20k advisors, single splits disagreed on the winner 2 times in 5.
INNER_SPLIT_SALT = "cjo-model-selection-v1"
SELECTION_REPEATS = 3
# An inner split decides only with at least this many rows of each class in its fit and its validation part.
MIN_SELECTION_CLASS_ROWS = 50
# Fewer fit rows than a few of the tree model's smallest leaves, and it cannot split: it would lose by default.
HGB_MIN_LEAF = 200
MIN_SELECTION_FIT_ROWS = 5 * HGB_MIN_LEAF
# Categories kept per categorical column by the tree model (the rest share one code); HGB bins at most 255.
MAX_CATEGORIES = 250


# ------------------------------------------------------------------ snapshots


def snapshot_dates(start: pd.Timestamp, end: pd.Timestamp, every_days: int, min_history_days: int,
                   max_snapshots: int | None = None) -> list:
    """Snapshot dates from start + min_history to end, every ``every_days`` (dates at midnight); at most
    the latest ``max_snapshots`` of them."""
    first = (pd.Timestamp(start) + pd.Timedelta(days=min_history_days)).normalize()
    dates = list(pd.date_range(first, pd.Timestamp(end).normalize(), freq=f"{every_days}D"))
    return dates[-max_snapshots:] if max_snapshots else dates


def build_training_sets(
    con: duckdb.DuckDBPyConnection,
    dates: Sequence[pd.Timestamp],
    data_end: pd.Timestamp,
    tables: FeatureTables,
    tasks: dict[str, Task] | None = None,
) -> dict[str, pd.DataFrame]:
    """Per task, the stacked snapshots whose label window closes by the end of the data (complete
    labels only: censoring). Features are computed once per snapshot date and shared by the tasks."""
    tasks = tasks or TASKS
    frames: dict[str, list[pd.DataFrame]] = {t: [] for t in tasks}
    for t in dates:
        open_tasks = {k: v for k, v in tasks.items() if t + pd.Timedelta(days=v.horizon_days) <= data_end}
        if not open_tasks:
            continue
        feats = compute_features(con, t, tables)
        for k, pop in population_and_labels(con, feats, t, tables.sales, open_tasks).items():
            if len(pop):
                frames[k].append(pop)
    # A task without a complete snapshot (history shorter than its horizon) is left out: the caller
    # decides whether that is an error.
    return {k: pd.concat(parts, ignore_index=True) for k, parts in frames.items() if parts}


# ------------------------------------------------------------------ models


def _log1p_nonneg(x):
    x = np.asarray(x, dtype="float64")
    return np.sign(x) * np.log1p(np.abs(x))


def make_model(kind: str, numeric: Sequence[str], categorical: Sequence[str], seed: int = 0) -> Pipeline:
    num, cat = list(numeric), list(categorical)
    if kind == "hgb":
        pre = ColumnTransformer(
            [("num", "passthrough", num),
             ("cat", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1,
                                    encoded_missing_value=-1, max_categories=MAX_CATEGORIES), cat)],
            remainder="drop", verbose_feature_names_out=False,
        )
        # Shallow, strongly regularized trees: on the demo data (a few thousand positives) deeper trees
        # overfit and lost to the logistic baseline (AUC 0.68 vs 0.72 with 31 leaves).
        clf = HistGradientBoostingClassifier(
            max_iter=200, learning_rate=0.03, max_leaf_nodes=6, min_samples_leaf=HGB_MIN_LEAF, l2_regularization=10.0,
            categorical_features=list(range(len(num), len(num) + len(cat))), early_stopping=False,
            random_state=seed,
        )
        return Pipeline([("pre", pre), ("clf", clf)])
    if kind == "logistic":
        numeric_pipe = Pipeline([("impute", SimpleImputer(strategy="median", add_indicator=True,
                                                          keep_empty_features=True)),
                                 ("log", FunctionTransformer(_log1p_nonneg)), ("scale", StandardScaler())])
        transformers = [("num", numeric_pipe, num)]
        if cat:
            transformers.append(("cat", OneHotEncoder(handle_unknown="ignore", min_frequency=5), cat))
        pre = ColumnTransformer(transformers, remainder="drop")
        return Pipeline([("pre", pre), ("clf", LogisticRegression(max_iter=2000, C=1.0))])
    raise ValueError(f"unknown model kind {kind!r}")


def _fit_predict(kind: str, numeric: list[str], categorical: list[str], train: pd.DataFrame,
                 test: pd.DataFrame, seed: int) -> tuple[Pipeline, np.ndarray]:
    cols = [*numeric, *categorical]
    with threadpool_limits(limits=OMP_THREADS, user_api="openmp"):
        model = make_model(kind, numeric, categorical, seed).fit(train[cols], train["label"].to_numpy())
        return model, model.predict_proba(test[cols])[:, 1]


def choose_champion(train: pd.DataFrame, numeric: list[str], categorical: list[str], seed: int = 0,
                    horizon_days: int | None = None, spec: SplitSpec | None = None,
                    ) -> tuple[str, dict[str, Any]]:
    """HGB or logistic, chosen on the TRAINING rows only (the hold-out is never used to choose), the way
    the hold-out judges: inner splits by time and customer of the training rows (other customers than the
    outer split's: other salts), the mean ROC AUC over SELECTION_REPEATS of them. HGB unless the logistic
    model is better. The inner splits validate on the outer split's number of latest snapshot dates, else
    on the latest one only, whichever first leaves enough rows to fit and to judge: a long horizon leaves
    few complete labels before the inner cut-off (at 20k advisors the churn model's inner fit had about
    110 rows, where the regularized trees predict a constant). Without a horizon, or when neither is
    usable, folds grouped by customer decide instead."""
    if horizon_days is not None:
        spec = spec or SplitSpec()
        for val_snapshots in dict.fromkeys((spec.test_snapshots, 1)):
            splits = _inner_splits(train, horizon_days, val_snapshots, spec.test_customer_share)
            if splits:
                aucs: dict[str, list[float]] = {"hgb": [], "logistic": []}
                for fit, val in splits:
                    for kind in aucs:
                        aucs[kind].append(ev.roc_auc(val["label"].to_numpy(), _fit_predict(
                            kind, numeric, categorical, _bounded(fit, seed), val, seed)[1]))
                return _pick(aucs, f"time_and_customer_x{len(splits)} (last {val_snapshots} snapshot dates)")
    return _choose_by_group_folds(train, numeric, categorical, seed)


def _inner_splits(train: pd.DataFrame, horizon_days: int, val_snapshots: int, share: float,
                  ) -> list[tuple[pd.DataFrame, pd.DataFrame]]:
    """SELECTION_REPEATS (fit, validation) splits by time and customer, or none when one of them is too
    small to choose on."""
    splits = []
    for repeat in range(SELECTION_REPEATS):
        try:
            fit, val = ev.time_customer_split(train, horizon_days, val_snapshots, share,
                                              salt=f"{INNER_SPLIT_SALT}-{repeat}")
        except ValueError:
            return []
        if len(fit) < MIN_SELECTION_FIT_ROWS or not (_usable_for_selection(fit) and _usable_for_selection(val)):
            return []
        splits.append((fit, val))
    return splits


def _usable_for_selection(frame: pd.DataFrame) -> bool:
    counts = frame["label"].value_counts()
    return len(counts) == 2 and int(counts.min()) >= MIN_SELECTION_CLASS_ROWS


def _pick(aucs: dict[str, list[float]], method: str) -> tuple[str, dict[str, Any]]:
    """The candidate with the higher mean AUC (HGB on a tie or when neither has a fold), with the means,
    every fold's AUC and how they were drawn."""
    mean = {k: float(np.mean(v)) if v else float("nan") for k, v in aucs.items()}
    champion = "logistic" if mean["logistic"] > mean["hgb"] else "hgb"
    return champion, {**mean, "folds": {k: [round(x, 4) for x in v] for k, v in aucs.items()}, "method": method}


def _bounded(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    return frame if len(frame) <= SELECTION_ROWS else frame.sample(SELECTION_ROWS, random_state=seed)


def _choose_by_group_folds(train: pd.DataFrame, numeric: list[str], categorical: list[str], seed: int,
                           ) -> tuple[str, dict[str, Any]]:
    sample = _bounded(train, seed)
    groups = sample["customer_id"].astype(str).to_numpy()
    folds = min(SELECTION_FOLDS, len(np.unique(groups)))
    scores: dict[str, list[float]] = {"hgb": [], "logistic": []}
    if folds >= 2:
        for fit_idx, val_idx in GroupKFold(n_splits=folds).split(sample, groups=groups):
            fit, val = sample.iloc[fit_idx], sample.iloc[val_idx]
            if fit["label"].nunique() < 2 or val["label"].nunique() < 2:
                continue
            for kind in scores:
                scores[kind].append(ev.roc_auc(val["label"].to_numpy(), _fit_predict(
                    kind, numeric, categorical, fit, val, seed)[1]))
    return _pick(scores, f"customer_folds_x{folds}")


@dataclass
class TrainedModel:
    task: str
    version: str
    model: Pipeline
    features: list[str]
    training_window: dict[str, str]
    metrics: dict[str, Any]  # {"hgb": {...}, "logistic": {...}, "recency_only": {...}, "champion": ...}
    reference: dict[str, np.ndarray]  # drift reference: score + top features
    top_features: list[str]
    created_at: str
    as_of: str = ""  # the journey clock the model was trained at (its data ends there)
    label: dict[str, Any] = field(default_factory=dict)  # the task definition and its censoring rules

    @property
    def champion(self) -> str:
        return str(self.metrics.get("champion", "hgb"))

    @property
    def auc(self) -> float:
        """holdout_roc_auc: the scoring model's ROC AUC on later snapshots of held-out customers."""
        return float(self.metrics[self.champion]["roc_auc"])

    @property
    def leak_warning(self) -> str | None:
        return self.metrics.get("leak_warning")

    def summary(self) -> dict[str, Any]:
        return {
            "task": self.task, "version": self.version, "created_at": self.created_at, "as_of": self.as_of,
            "label": self.label, "features": self.features, "training_window": self.training_window,
            "top_features": self.top_features, "champion": self.champion,
            "metrics": {k: ({m: v for m, v in d.items() if m not in ("calibration", "lift_by_decile")}
                            if isinstance(d, dict) else d)
                        for k, d in self.metrics.items()},
        }


def _top_features(frame: pd.DataFrame, scores: np.ndarray, numeric: list[str], n: int) -> list[str]:
    corr = {}
    for col in numeric:
        x = frame[col].to_numpy(dtype="float64")
        ok = ~np.isnan(x)
        if ok.sum() < 3 or np.std(x[ok]) == 0:
            continue
        corr[col] = abs(float(np.corrcoef(x[ok], scores[ok])[0, 1]))
    return sorted(corr, key=corr.get, reverse=True)[:n]


@dataclass(frozen=True)
class SplitSpec:
    """How the hold-out is drawn: the latest snapshot dates and a share of customers."""

    test_snapshots: int = 2
    test_customer_share: float = 0.3
    max_train_rows: int | None = 250_000  # ev.bounded_by_customer; None: every training row


def split(task: Task, data: pd.DataFrame, spec: SplitSpec) -> tuple[pd.DataFrame, pd.DataFrame]:
    train_df, test_df = ev.time_customer_split(data, task.horizon_days, spec.test_snapshots,
                                               spec.test_customer_share)
    if train_df["label"].nunique() < 2 or test_df["label"].nunique() < 2:
        raise ValueError(f"{task.name}: training or hold-out data has a single class "
                         f"({len(train_df)} training / {len(test_df)} hold-out rows)")
    return train_df, test_df


def _holdout_metrics(task: Task, train_df: pd.DataFrame, test_df: pd.DataFrame, numeric: list[str],
                     categorical: list[str], seed: int) -> tuple[dict[str, Any], dict[str, Pipeline]]:
    y = test_df["label"].to_numpy()
    metrics: dict[str, Any] = {}
    models: dict[str, Pipeline] = {}
    for kind in ("hgb", "logistic"):
        models[kind], p = _fit_predict(kind, numeric, categorical, train_df, test_df, seed)
        metrics[kind] = ev.evaluate(y, p)
    _, p = _fit_predict("logistic", [ev.RECENCY_FEATURE], [], train_df, test_df, seed)
    metrics["recency_only"] = ev.evaluate(y, p)
    metrics["single_feature_auc"] = ev.single_feature_aucs(train_df, test_df, numeric, categorical)
    metrics["leak_warning"] = ev.leak_warning(metrics["single_feature_auc"])
    return metrics, models


def train(task: Task | str, data: pd.DataFrame, seed: int = 0, spec: SplitSpec | None = None,
          as_of: pd.Timestamp | None = None) -> TrainedModel:
    """Split by time and customer, choose the champion on the training customers, report both models,
    the recency-only baseline and the single-feature scan on the hold-out."""
    task = TASKS[task] if isinstance(task, str) else task
    spec = spec or SplitSpec()
    all_train, test_df = split(task, data, spec)
    train_df = ev.bounded_by_customer(all_train, spec.max_train_rows, seed)
    numeric, categorical = feature_lists(data)
    champion, selection = choose_champion(train_df, numeric, categorical, seed, task.horizon_days, spec)
    metrics, models = _holdout_metrics(task, train_df, test_df, numeric, categorical, seed)
    metrics.update({
        "champion": champion, "selection_cv_roc_auc": selection,
        "auc_gain_over_baseline": {"roc_auc": metrics[champion]["roc_auc"] - metrics["logistic"]["roc_auc"]},
        "n_train": len(train_df), "n_test": len(test_df), "n_train_available": len(all_train),
    })
    model = models[champion]
    # Drift reference: the hold-out snapshots, the population closest to the one scored next. The whole
    # training history would show "drift" from history length alone.
    rng = np.random.default_rng(seed)
    ref_rows = test_df.iloc[rng.choice(len(test_df), min(len(test_df), REFERENCE_SAMPLE), replace=False)]
    cols = [*numeric, *categorical]
    with threadpool_limits(limits=OMP_THREADS, user_api="openmp"):
        ref_scores = model.predict_proba(ref_rows[cols])[:, 1]
    top = _top_features(ref_rows, ref_scores, numeric, TOP_FEATURES)
    reference = {"score": ref_scores, **{c: ref_rows[c].to_numpy(dtype="float64") for c in top}}
    window = {
        "train_from": str(pd.Timestamp(train_df["as_of"].min())),
        "train_to": str(pd.Timestamp(train_df["as_of"].max())),
        "test_from": str(pd.Timestamp(test_df["as_of"].min())),
        "test_to": str(pd.Timestamp(test_df["as_of"].max())),
        "train_rows": str(len(train_df)), "test_rows": str(len(test_df)),
        "train_customers": str(train_df["customer_id"].nunique()),
        "test_customers": str(test_df["customer_id"].nunique()),
        "test_customer_share": str(spec.test_customer_share),
    }
    created = datetime.now(UTC).replace(tzinfo=None)
    digest = hashlib.sha256(json.dumps([task.name, window, cols], sort_keys=True).encode()).hexdigest()[:8]
    version = f"{task.name}-{created:%Y%m%dT%H%M%S}-{digest}"
    label = {"description": task.description, "horizon_days": task.horizon_days, "censoring": task.censoring}
    return TrainedModel(task.name, version, model, cols, window, metrics, reference, top, created.isoformat(),
                        str(pd.Timestamp(as_of)) if as_of is not None else "", label)


# ------------------------------------------------------------------ model files


def model_dir(state_dir: Path, task: str) -> Path:
    return state_dir / "models" / task


def save(state_dir: Path, trained: TrainedModel) -> Path:
    """Write `<state>/models/<task>/<version>.joblib` + `.json` and point `latest.json` at it."""
    folder = model_dir(state_dir, trained.task)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{trained.version}.joblib"
    joblib.dump(trained, path.with_suffix(".tmp"))
    path.with_suffix(".tmp").replace(path)
    summary = trained.summary()
    (folder / f"{trained.version}.json").write_text(json.dumps(summary, indent=2, default=str))
    latest = folder / "latest.json"
    latest.with_suffix(".tmp").write_text(json.dumps({"version": trained.version, "file": path.name}))
    latest.with_suffix(".tmp").replace(latest)
    return path


def load_latest(state_dir: Path, task: str) -> TrainedModel | None:
    latest = model_dir(state_dir, task) / "latest.json"
    if not latest.exists():
        return None
    info = json.loads(latest.read_text())
    return joblib.load(model_dir(state_dir, task) / info["file"])


def score(trained: TrainedModel, features: pd.DataFrame) -> np.ndarray:
    missing = [c for c in trained.features if c not in features.columns]
    if missing:
        raise ValueError(f"model {trained.version} needs features that are missing: {missing}")
    return predict_in_batches(trained.model, features[trained.features])


def predict_in_batches(model: Pipeline, rows: pd.DataFrame) -> np.ndarray:
    """P(label = 1) for every row, SCORE_BATCH_ROWS rows per call (flat working memory at any scale)."""
    if len(rows) == 0:
        return np.array([], dtype="float64")
    with threadpool_limits(limits=OMP_THREADS, user_api="openmp"):
        return np.concatenate([model.predict_proba(rows.iloc[i:i + SCORE_BATCH_ROWS])[:, 1]
                               for i in range(0, len(rows), SCORE_BATCH_ROWS)])


def set_drift_reference(trained: TrainedModel, population: pd.DataFrame, seed: int = 0) -> None:
    """Make the population scored at training time the drift reference (like with like: later runs
    compare the population they score with the one this model first scored, at the same kind of clock,
    so a fresh training has no drift by construction). The top features are picked on it too."""
    if len(population) == 0:
        return
    rng = np.random.default_rng(seed)
    rows = population.iloc[rng.choice(len(population), min(len(population), REFERENCE_SAMPLE), replace=False)]
    scores = score(trained, rows)
    numeric = [c for c in trained.features if pd.api.types.is_numeric_dtype(rows[c])]
    trained.top_features = _top_features(rows, scores, numeric, TOP_FEATURES)
    trained.reference = {"score": scores, **{c: rows[c].to_numpy(dtype="float64") for c in trained.top_features}}


def drift_report(trained: TrainedModel, features: pd.DataFrame, scores: np.ndarray, threshold: float) -> dict:
    current = {"score": scores, **{c: features[c].to_numpy(dtype="float64") for c in trained.top_features}}
    return drift.psi_report(trained.reference, current, threshold)


def retrain_decision(
    trained: TrainedModel | None,
    now: datetime,
    drift_by_series: dict[str, dict[str, float | bool]] | None,
    max_age_days: int,
    force: bool = False,
    min_days_between_retrains: int = 0,
    clock: pd.Timestamp | None = None,
    features: Sequence[str] | None = None,
) -> tuple[bool, str]:
    """Continuous learning policy: retrain when there is no model, it was trained at another journey
    clock (a back-test must not use a model that saw the future, and a model from an older clock has
    not seen the newest data), its feature list no longer matches the data (an attribute came or went),
    it is too old, or inputs drifted (drift only once the model is at least
    ``min_days_between_retrains`` old)."""
    if force:
        return True, "forced"
    if trained is None:
        return True, "no_model"
    if clock is not None and trained.as_of and pd.Timestamp(trained.as_of) != pd.Timestamp(clock):
        direction = "later" if pd.Timestamp(trained.as_of) > pd.Timestamp(clock) else "earlier"
        return True, f"clock_moved:trained_at_{direction}_clock"
    if features is not None and list(features) != list(trained.features):
        return True, "features_changed"
    age = (pd.Timestamp(now).tz_localize(None) - pd.Timestamp(trained.created_at)).days
    if age > max_age_days:
        return True, f"age_{age}d_over_{max_age_days}d"
    drifted = sorted(k for k, v in (drift_by_series or {}).items() if v.get("drifted"))
    if drifted and age >= min_days_between_retrains:
        return True, "drift:" + ",".join(drifted)
    if drifted:
        return False, "drift_but_retrained_recently:" + ",".join(drifted)
    return False, "fresh"


def _naive(ts: datetime | pd.Timestamp) -> pd.Timestamp:
    t = pd.Timestamp(ts)
    return t.tz_localize(None) if t.tzinfo else t


def score_frame(trained: TrainedModel, population: pd.DataFrame, scored_at: datetime) -> pd.DataFrame:
    """The rows of ml.fct_propensity_scores for one model."""
    return pd.DataFrame({
        "customer_id": population["customer_id"].astype(str).to_numpy(),
        "model": trained.task,
        "score": score(trained, population).astype("float64"),
        "model_version": trained.version,
        "scored_at": _naive(scored_at),
    })


def empty_score_frame() -> pd.DataFrame:
    """ml.fct_propensity_scores with no rows and the column types score_frame writes."""
    return pd.DataFrame({
        "customer_id": pd.Series([], dtype="object"),
        "model": pd.Series([], dtype="object"),
        "score": pd.Series([], dtype="float64"),
        "model_version": pd.Series([], dtype="object"),
        "scored_at": pd.Series([], dtype="datetime64[ns]"),
    })


def model_run_row(trained: TrainedModel, retrained: bool, reason: str, drift_by_series: dict,
                  run_at: datetime, clock: pd.Timestamp, auc_floor: float) -> dict[str, Any]:
    """One row of ml.model_runs (metrics as JSON text so the table is engine-neutral). The headline is
    holdout_roc_auc: the scoring model on later snapshots of customers held out from training."""
    m = trained.metrics
    single = m.get("single_feature_auc") or {}
    top_single = max(single, key=single.get) if single else None
    return {
        "run_at": _naive(run_at),
        "as_of": _naive(clock),
        "model": trained.task,
        "model_version": trained.version,
        "retrained": retrained,
        "retrain_reason": reason,
        "champion": trained.champion,
        "holdout_roc_auc": trained.auc,
        "baseline_roc_auc": m["logistic"]["roc_auc"],
        "recency_only_roc_auc": m["recency_only"]["roc_auc"],
        "hgb_roc_auc": m["hgb"]["roc_auc"],
        "pr_auc": m[trained.champion]["pr_auc"],
        "brier": m[trained.champion]["brier"],
        "n_train": int(m["n_train"]),
        "n_test": int(m["n_test"]),
        "positive_rate": m[trained.champion]["positive_rate"],
        "auc_floor": float(auc_floor),
        "max_single_feature": top_single,
        "max_single_feature_auc": single[top_single] if top_single else float("nan"),
        "single_feature_warning": trained.leak_warning,
        "max_psi": max((v["psi"] for v in drift_by_series.values() if v["psi"] == v["psi"]), default=0.0),
        "training_window": json.dumps(trained.training_window),
        "label_definition": json.dumps(trained.label),
        "metrics_json": json.dumps(m, default=float),
        "drift_json": json.dumps(drift_by_series, default=float),
    }
