"""Uplift: who is moved by an action, learned from past randomised campaigns (issue 12, item 9).

A propensity model says who will buy; an uplift model says whose buying a contact changes. The training
rows are the members of past campaigns with a randomised control group (marts.fct_campaign_member_outcomes,
the one definition of a campaign's outcome, also read by agg_experiment_results): features as of the
campaign's start day (orchestration/ml/features.py, events strictly before it), the campaign's channel,
treated or control, and the outcome: a purchase within the campaign's window.

- **Learners** (scikit-learn): a two-model T-learner (P(buy | x, treated) - P(buy | x, control); logistic
  regression or gradient boosting) and a class-transformation model (Z = 1 for treated buyers and control
  non-buyers, groups reweighted to equal weight per campaign; uplift = 2 P(Z = 1 | x) - 1). The champion
  is chosen on the training rows only (an inner split by customer), never on the hold-out.
- **Evaluation**: the hold-out is the later campaigns (by start) of customers never seen in training
  (evaluation.customer_in_test, its own salt). Metrics on it: the Qini coefficient (area between the
  Qini curve and the random line, over the same area of the perfect ranking; 0 = random, 1 = perfect),
  its bootstrap standard error, and the uplift in the top decile (treated minus control purchase rate);
  beside the same figures for a propensity ranking (P(buy | x) on the same rows, treatment ignored: what
  next-best action ranks by today) and for random rankings.
- **Scores**: every customer known at the clock, once per campaign channel: ml.fct_uplift_scores, read by
  fct_action_eligibility when var nba_ranking = 'uplift' (actions.uplift_campaign_channel maps an action to
  the campaign channel whose effect it repeats).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb
import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from orchestration.ml import evaluation as ev
from orchestration.ml import propensity as prop
from orchestration.ml.features import FeatureTables, compute_features, feature_lists

# The campaign's channel is a model input: the same person can be moved by a meeting and not by a mail.
CHANNEL_FEATURE = "campaign_channel"
LEARNERS = ("t_learner_logistic", "t_learner_hgb", "class_transformation_hgb")
# The hold-out customers of the uplift model (another salt than the propensity split: the two hold-outs
# are drawn independently). Changing it re-draws them.
UPLIFT_SPLIT_SALT = "cjo-uplift-holdout-v1"
INNER_SPLIT_SALT = "cjo-uplift-selection-v1"
# Resamples for the bootstrap standard error of the Qini coefficient and random rankings for its noise
# floor; more cost time (one sort of the hold-out each), fewer make the error bars jumpy.
BOOTSTRAP = 200
RANDOM_RANKINGS = 200
# Gradient boosting for uplift: smaller leaves than the propensity model's (the control arm of a campaign
# is 10-20 % of its members, a few hundred rows on the fixture).
HGB_PARAMS = {"max_iter": 150, "learning_rate": 0.05, "max_leaf_nodes": 8, "min_samples_leaf": 40,
              "l2_regularization": 1.0, "early_stopping": False}


# ------------------------------------------------------------------ Qini


def qini_curve(y: np.ndarray, uplift: np.ndarray, treatment: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(x, q): after targeting the x highest-uplift rows (ties kept together), q = treated buyers -
    control buyers x treated / control among them (0 while no control row is reached). Starts at (0, 0).
    The same definition as scikit-uplift's qini_curve (Radcliffe 2007)."""
    y, u, t = (np.asarray(a) for a in (y, uplift, treatment))
    order = np.argsort(u, kind="mergesort")[::-1]
    y, u, t = y[order].astype("float64"), u[order], t[order].astype("float64")
    last = np.r_[np.flatnonzero(np.diff(u)), len(u) - 1] if len(u) else np.array([], dtype=int)
    n_t = np.cumsum(t)[last]
    n_c = (last + 1) - n_t
    y_t = np.cumsum(y * t)[last]
    y_c = np.cumsum(y * (1 - t))[last]
    ratio = np.divide(n_t, n_c, out=np.zeros_like(n_t), where=n_c != 0)
    return np.r_[0, last + 1].astype("float64"), np.r_[0.0, y_t - y_c * ratio]


def qini_coefficient(y: np.ndarray, uplift: np.ndarray, treatment: np.ndarray) -> float:
    """Area between the Qini curve and the random line (0, 0)-(n, q(n)), over the same area of the
    perfect ranking (treated buyers first, control buyers last). 0 = random, 1 = perfect, < 0 = worse than
    random; NaN without both groups or without a buyer."""
    y, t = np.asarray(y, dtype="float64"), np.asarray(treatment, dtype="float64")
    if len(y) == 0 or t.min() == t.max() or y.max() == 0:
        return float("nan")
    x, q = qini_curve(y, uplift, t)
    xp, qp = qini_curve(y, y * t - y * (1 - t), t)
    random_area = xp[-1] * qp[-1] / 2
    perfect = np.trapezoid(qp, xp) - random_area
    return float((np.trapezoid(q, x) - random_area) / perfect) if perfect != 0 else float("nan")


def uplift_at_top(y: np.ndarray, uplift: np.ndarray, treatment: np.ndarray, share: float = 0.1) -> float:
    """Treated purchase rate - control purchase rate among the ``share`` highest-uplift rows (NaN when
    that slice lacks either group)."""
    y, t = np.asarray(y, dtype="float64"), np.asarray(treatment).astype(bool)
    top = np.argsort(-np.asarray(uplift), kind="stable")[: max(1, round(share * len(y)))]
    yt, tt = y[top], t[top]
    return float(yt[tt].mean() - yt[~tt].mean()) if tt.any() and (~tt).any() else float("nan")


def ranking_metrics(y: np.ndarray, score: np.ndarray, treatment: np.ndarray, seed: int = 0) -> dict[str, float]:
    """Qini coefficient with its bootstrap standard error, and the uplift in the top decile."""
    rng = np.random.default_rng(seed)
    n = len(y)
    boot = [qini_coefficient(y[i], score[i], treatment[i]) for i in (rng.integers(0, n, n) for _ in range(BOOTSTRAP))]
    return {"qini": qini_coefficient(y, score, treatment), "qini_se": float(np.nanstd(boot)),
            "uplift_top_decile": uplift_at_top(y, score, treatment)}


def random_qini(y: np.ndarray, treatment: np.ndarray, seed: int = 0) -> dict[str, float]:
    """The Qini coefficient of random rankings: mean (about 0) and spread (the noise floor of this
    hold-out: a model within it has not shown it beats random)."""
    rng = np.random.default_rng(seed)
    q = np.array([qini_coefficient(y, rng.random(len(y)), treatment) for _ in range(RANDOM_RANKINGS)])
    return {"qini": float(np.nanmean(q)), "qini_se": float(np.nanstd(q)),
            "uplift_top_decile": uplift_at_top(y, rng.random(len(y)), treatment)}


# ------------------------------------------------------------------ training data


def campaign_rows(con: duckdb.DuckDBPyConnection, tables: FeatureTables | None = None,
                  outcomes: str = "marts.fct_campaign_member_outcomes") -> pd.DataFrame:
    """One row per closed campaign and member: features as of the campaign's start day (events strictly
    before it), the campaign channel, ``treated`` and ``label`` (purchased in the window)."""
    tables = tables or FeatureTables()
    members = con.execute(f"""
        select campaign_id, customer_id, channel as {CHANNEL_FEATURE}, cast(is_treated as int) as treated,
               purchased as label, window_start_at as as_of
        from {outcomes} where is_window_closed order by campaign_id, customer_id""").df()
    frames = []
    for as_of, group in members.groupby("as_of", sort=True):
        con.register("_uplift_members", group[["customer_id"]].drop_duplicates())
        try:
            feats = compute_features(con, pd.Timestamp(as_of), tables, restrict_to="_uplift_members")
        finally:
            con.unregister("_uplift_members")
        frames.append(group.drop(columns="as_of").merge(feats, on="customer_id", how="inner"))
    if not frames:
        return members.assign(**{c: pd.Series(dtype="float64") for c in ("treated", "label")})
    return pd.concat(frames, ignore_index=True)


def uplift_features(data: pd.DataFrame) -> tuple[list[str], list[str]]:
    numeric, categorical = feature_lists(data)
    return numeric, [*categorical, CHANNEL_FEATURE]


@dataclass(frozen=True)
class UpliftSplit:
    """The hold-out: the latest ``test_campaign_share`` of campaigns (by start, at least one) and a share
    of customers."""

    test_campaign_share: float = 0.3
    test_customer_share: float = 0.3
    max_train_rows: int | None = 250_000  # ev.bounded_by_customer, for every fit; None: every row


def split(data: pd.DataFrame, spec: UpliftSplit, salt: str = UPLIFT_SPLIT_SALT,
          ) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """(train, test, kind). With two campaigns or more: train = training customers in campaigns that
    started before the first test campaign, test = held-out customers in the test campaigns (kind
    'campaign_time_and_customer'). With one campaign: held-out customers only ('customer')."""
    held_out = ev.customer_in_test(data["customer_id"], spec.test_customer_share, salt)
    starts = data.groupby("campaign_id")["as_of"].min().sort_values()
    if len(starts) < 2:
        return data[~held_out], data[held_out], "customer"
    n_test = min(len(starts) - 1, max(1, round(spec.test_campaign_share * len(starts))))
    cutoff = starts.iloc[-n_test]
    late = data["as_of"] >= cutoff
    return data[~held_out & ~late], data[held_out & late], "campaign_time_and_customer"


# ------------------------------------------------------------------ learners


def _hgb(numeric: list[str], categorical: list[str], seed: int) -> Pipeline:
    pipe = prop.make_model("hgb", numeric, categorical, seed)
    pipe.set_params(clf=HistGradientBoostingClassifier(
        **HGB_PARAMS, categorical_features=list(range(len(numeric), len(numeric) + len(categorical))),
        random_state=seed))
    return pipe


def _base(kind: str, numeric: list[str], categorical: list[str], seed: int) -> Pipeline:
    return _hgb(numeric, categorical, seed) if kind == "hgb" else prop.make_model("logistic", numeric, categorical)


def _balanced_weights(data: pd.DataFrame) -> np.ndarray:
    """Treated and control rows of each campaign weigh half of the campaign each (class transformation
    assumes P(treated) = 1/2)."""
    share = data.groupby("campaign_id")["treated"].transform("mean").to_numpy(dtype="float64")
    t = data["treated"].to_numpy(dtype="float64")
    return np.where(t == 1, 0.5 / share, 0.5 / (1 - share))


def average_effect(data: pd.DataFrame) -> float:
    """The measured average uplift of campaign members: each campaign's treated minus control purchase
    rate, weighted by its members (campaigns without both groups are left out)."""
    rates = data.groupby(["campaign_id", "treated"])["label"].mean().unstack()
    sizes = data.groupby("campaign_id").size()
    if 0 not in rates or 1 not in rates:
        return float("nan")
    diff = (rates[1] - rates[0]).dropna()
    return float(np.average(diff, weights=sizes[diff.index])) if len(diff) else float("nan")


@dataclass
class UpliftModel:
    """A fitted learner: ``predict(frame)`` is the estimated uplift (incremental purchase probability).
    ``offset`` anchors the mean prediction on the training rows to their measured average uplift: the
    two arms' models are fitted apart (the control arm on 10-20 % of the rows), so their difference can
    sit off level while ranking well; next-best action multiplies the level by value, the Qini only
    reads the order (the offset does not change it)."""

    learner: str
    features: list[str]
    models: dict[str, Pipeline] = field(default_factory=dict)
    offset: float = 0.0

    def raw(self, frame: pd.DataFrame) -> np.ndarray:
        x = frame[self.features]
        if self.learner.startswith("t_learner"):
            treated, control = (prop.predict_in_batches(self.models[arm], x) for arm in ("treated", "control"))
            return treated - control
        return 2 * prop.predict_in_batches(self.models["z"], x) - 1

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        return np.clip(self.raw(frame) + self.offset, -1.0, 1.0)


def fit(learner: str, data: pd.DataFrame, seed: int = 0) -> UpliftModel:
    numeric, categorical = uplift_features(data)
    cols = [*numeric, *categorical]
    kind = learner.rsplit("_", 1)[-1]
    model = UpliftModel(learner, cols)
    with threadpool_limits(limits=prop.OMP_THREADS, user_api="openmp"):
        if learner.startswith("t_learner"):
            for name, arm in (("treated", 1), ("control", 0)):
                rows = data[data["treated"] == arm]
                if rows["label"].nunique() < 2:
                    raise ValueError(f"uplift: the {name} rows hold one outcome class ({len(rows)} rows)")
                model.models[name] = _base(kind, numeric, categorical, seed).fit(rows[cols], rows["label"])
        else:
            z = (data["label"] == data["treated"]).astype(int)
            model.models["z"] = _base(kind, numeric, categorical, seed).fit(
                data[cols], z, clf__sample_weight=_balanced_weights(data))
    measured = average_effect(data)
    if measured == measured:
        model.offset = measured - float(np.mean(model.raw(data)))
    return model


def response_model(data: pd.DataFrame, seed: int = 0) -> Pipeline:
    """The propensity baseline: P(purchase | x) on the same rows, treatment ignored."""
    numeric, categorical = uplift_features(data)
    with threadpool_limits(limits=prop.OMP_THREADS, user_api="openmp"):
        return _hgb(numeric, categorical, seed).fit(data[[*numeric, *categorical]], data["label"])


def choose_learner(train: pd.DataFrame, seed: int = 0) -> tuple[str, dict[str, float]]:
    """The learner with the best Qini on an inner split of the training customers (never the hold-out);
    the first learner that fits when the inner split cannot judge."""
    held = ev.customer_in_test(train["customer_id"], 0.3, INNER_SPLIT_SALT)
    fit_rows, val = train[~held], train[held]
    scores: dict[str, float] = {}
    for learner in LEARNERS:
        try:
            scores[learner] = qini_coefficient(val["label"].to_numpy(), fit(learner, fit_rows, seed).predict(val),
                                               val["treated"].to_numpy())
        except ValueError:
            scores[learner] = float("nan")
    valid = {k: v for k, v in scores.items() if v == v}
    return (max(valid, key=valid.get) if valid else LEARNERS[0]), scores


# ------------------------------------------------------------------ train, evaluate, score


@dataclass
class TrainedUplift:
    version: str
    model: UpliftModel
    metrics: dict[str, Any]  # {"model": {...}, "propensity": {...}, "random": {...}, "learners": {...}, ...}
    training_window: dict[str, str]
    channels: list[str]
    created_at: str

    @property
    def qini(self) -> float:
        return float(self.metrics["model"]["qini"])

    def summary(self) -> dict[str, Any]:
        return {"version": self.version, "learner": self.model.learner, "metrics": self.metrics,
                "training_window": self.training_window, "channels": self.channels, "created_at": self.created_at}


def evaluate_on(test: pd.DataFrame, uplift: np.ndarray, propensity: np.ndarray, seed: int = 0) -> dict[str, Any]:
    """The model's uplift ranking, the propensity ranking and random rankings, judged on the same rows."""
    y, t = test["label"].to_numpy(dtype="float64"), test["treated"].to_numpy(dtype="float64")
    treated, control = y[t == 1], y[t == 0]
    return {
        "model": ranking_metrics(y, uplift, t, seed), "propensity": ranking_metrics(y, propensity, t, seed),
        "random": random_qini(y, t, seed),
        "average_uplift": float(treated.mean() - control.mean()) if len(treated) and len(control) else float("nan"),
        "mean_predicted_uplift": float(np.mean(uplift)),
        "n_treated": int((t == 1).sum()), "n_control": int((t == 0).sum()), "purchase_rate": float(y.mean()),
    }


def train(data: pd.DataFrame, seed: int = 0, spec: UpliftSplit | None = None) -> TrainedUplift:
    """Split by campaign time and customer, choose the learner on the training customers, evaluate it
    against the propensity and random rankings on the hold-out, then refit the champion on every row
    (the hold-out figures describe the learner; scoring uses all the evidence)."""
    spec = spec or UpliftSplit()
    all_train, test_df, kind = split(data, spec)
    train_df = ev.bounded_by_customer(all_train, spec.max_train_rows, seed)
    for name, part in (("training", train_df), ("hold-out", test_df)):
        if part["treated"].nunique() < 2 or part["label"].nunique() < 2:
            raise ValueError(f"uplift: the {name} rows need treated and control members and both outcomes "
                             f"({len(part)} rows, {int(part['treated'].sum())} treated, "
                             f"{int(part['label'].sum())} purchases)")
    learner, selection = choose_learner(train_df, seed)
    model = fit(learner, train_df, seed)
    baseline = response_model(train_df, seed)
    cols = baseline.feature_names_in_
    with threadpool_limits(limits=prop.OMP_THREADS, user_api="openmp"):
        propensity = baseline.predict_proba(test_df[cols])[:, 1]
    metrics = evaluate_on(test_df, model.predict(test_df), propensity, seed)
    metrics.update({"learner": learner, "selection_qini": selection, "split": kind,
                    "n_train": len(train_df), "n_test": len(test_df), "n_train_available": len(all_train)})
    window = {
        "train_campaigns": ",".join(sorted(train_df["campaign_id"].unique())),
        "test_campaigns": ",".join(sorted(test_df["campaign_id"].unique())),
        "train_customers": str(train_df["customer_id"].nunique()),
        "test_customers": str(test_df["customer_id"].nunique()),
        "test_customer_share": str(spec.test_customer_share),
    }
    final = fit(learner, ev.bounded_by_customer(data, spec.max_train_rows, seed), seed)
    created = datetime.now(UTC).replace(tzinfo=None)
    digest = hashlib.sha256(json.dumps([window, final.features], sort_keys=True).encode()).hexdigest()[:8]
    channels = sorted(data[CHANNEL_FEATURE].dropna().unique())
    return TrainedUplift(f"uplift-{created:%Y%m%dT%H%M%S}-{digest}", final, metrics, window, channels,
                         created.isoformat())


def score_frame(trained: TrainedUplift, population: pd.DataFrame, scored_at: datetime) -> pd.DataFrame:
    """ml.fct_uplift_scores: every customer of ``population`` once per campaign channel seen in training."""
    frames = []
    for channel in trained.channels:
        rows = population.assign(**{CHANNEL_FEATURE: channel})
        frames.append(pd.DataFrame({
            "customer_id": rows["customer_id"].astype(str).to_numpy(), "campaign_channel": channel,
            "uplift": trained.model.predict(rows).astype("float64") if len(rows) else np.array([], "float64"),
            "model_version": trained.version, "scored_at": pd.Timestamp(scored_at).tz_localize(None)}))
    return pd.concat(frames, ignore_index=True) if frames else empty_score_frame()


def empty_score_frame() -> pd.DataFrame:
    return pd.DataFrame({"customer_id": pd.Series([], dtype="object"),
                         "campaign_channel": pd.Series([], dtype="object"),
                         "uplift": pd.Series([], dtype="float64"), "model_version": pd.Series([], dtype="object"),
                         "scored_at": pd.Series([], dtype="datetime64[ns]")})


def run_row(trained: TrainedUplift, run_at: datetime, clock: pd.Timestamp) -> dict[str, Any]:
    """One row of ml.uplift_runs. The headline is qini: the model's Qini coefficient on the hold-out."""
    m = trained.metrics
    return {
        "run_at": pd.Timestamp(run_at).tz_localize(None), "as_of": pd.Timestamp(clock).tz_localize(None),
        "model_version": trained.version, "learner": m["learner"], "split": m["split"],
        "qini": m["model"]["qini"], "qini_se": m["model"]["qini_se"],
        "propensity_qini": m["propensity"]["qini"], "propensity_qini_se": m["propensity"]["qini_se"],
        "random_qini": m["random"]["qini"], "random_qini_sd": m["random"]["qini_se"],
        "uplift_top_decile": m["model"]["uplift_top_decile"],
        "propensity_uplift_top_decile": m["propensity"]["uplift_top_decile"],
        "average_uplift": m["average_uplift"], "mean_predicted_uplift": m["mean_predicted_uplift"],
        "n_train": int(m["n_train"]), "n_test": int(m["n_test"]),
        "n_test_control": int(m["n_control"]), "training_window": json.dumps(trained.training_window),
        "metrics_json": json.dumps(m, default=float),
    }
