"""Wholesaler skill versus territory: a linear mixed model (statsmodels MixedLM) on the coverage panel
(int_wholesaler_coverage_monthly: one row per wholesaler, territory and month).

The outcome is a wholesaler's sales to the advisors it covers, relative to what the same advisor-months
would have bought in an average cell of the same month (observed / expected, indirect standardisation),
per spell (a wholesaler in a territory):

    y = log((purchases + 0.5) / (advisor-months x the month's purchases per advisor + 0.5))
      = territory proxies (region, log advisors and firms in the territory) + book mix (mean years of
        experience, wirehouse and RIA shares) + u_wholesaler + v_territory + e

with crossed random intercepts for the wholesaler (u) and the territory (v). The default outcome counts
purchases: the ticket size is the advisor's book and the territory's wealth more than the wholesaler's
doing, and amounts are far noisier (``outcome="purchase_amount"`` uses amounts). The territory intercept
absorbs potential the proxies miss, so a wholesaler is compared with others who covered the same
territories: the effects are separable because some wholesalers change territory and some territories are
shared. The wholesaler's effect is its predicted random intercept (BLUP) with the conditional standard
deviation as its standard error.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

# What "sales" means: purchases (count, the default) or purchase_amount (USD).
OUTCOME = "purchases"
OUTCOMES = ("purchases", "purchase_amount")
# Added to observed and expected sales before the log (a spell without a sale stays finite).
SMOOTHING = 0.5
COVARIATES = ("log_territory_advisors", "log_territory_firms", "mean_years_experience", "wirehouse_share",
              "ria_share")
Z_95 = 1.959963984540054
REGION_PREFIX = "region_"
# Fewer wholesalers than this and the variance of their effects is not estimable (the fit is skipped).
MIN_WHOLESALERS = 8


class NotEstimable(ValueError):
    """The panel cannot support the regression (too few wholesalers, or a singular design)."""


@dataclass
class WholesalerFit:
    effects: pd.DataFrame  # wholesaler_id, effect, std_error, ci_lower, ci_upper, cells, territories, advisor_months
    terms: pd.DataFrame  # term, coefficient, std_error, ci_lower, ci_upper, p_value
    summary: dict[str, Any] = field(default_factory=dict)


def empty_fit(reason: str) -> WholesalerFit:
    """The typed, empty result written when the panel cannot support the model."""
    effects = pd.DataFrame({"wholesaler_id": pd.Series(dtype=str), **{c: pd.Series(dtype=float) for c in (
        "effect", "std_error", "ci_lower", "ci_upper")}, **{c: pd.Series(dtype="int64") for c in (
        "cells", "territories", "advisor_months")}})
    terms = pd.DataFrame({"term": pd.Series(dtype=str), **{c: pd.Series(dtype=float) for c in (
        "coefficient", "std_error", "ci_lower", "ci_upper", "p_value")}})
    return WholesalerFit(effects=effects, terms=terms, summary={"skipped": reason})


def prepare(panel: pd.DataFrame) -> pd.DataFrame:
    """Covariates per cell; cells with no covered advisor are dropped."""
    data = panel[panel["advisors"] > 0].copy()
    data["log_territory_advisors"] = np.log(data["territory_advisors"].astype(float).clip(lower=1))
    data["log_territory_firms"] = np.log(data["territory_firms"].astype(float).clip(lower=1))
    data["mean_years_experience"] = data["mean_years_experience"].astype(float).fillna(
        data["mean_years_experience"].astype(float).mean())
    data["month"] = pd.to_datetime(data["month_start"]).dt.strftime("%Y-%m")
    # region (a proxy of potential) as dummies, the most common region as the base
    regions = data["region"].fillna("unknown").astype(str)
    base = regions.value_counts().idxmax() if len(regions) else None
    for region in sorted(set(regions) - {base}):
        data[f"{REGION_PREFIX}{region}"] = (regions == region).astype(float)
    data["y"] = 0.0  # set per spell (spells) or per cell (cell_outcome)
    return data.reset_index(drop=True)


def covariates(data: pd.DataFrame) -> list[str]:
    """The fixed-effect covariates present: territory proxies, book mix and region dummies."""
    return [*COVARIATES, *sorted(c for c in data.columns if c.startswith(REGION_PREFIX))]


def cell_outcome(data: pd.DataFrame, outcome: str = OUTCOME) -> pd.DataFrame:
    """Observed and expected sales per cell: expected = advisors x the month's sales per advisor."""
    rate = data.groupby("month")[outcome].transform("sum") / data.groupby("month")["advisors"].transform("sum")
    out = data.assign(observed=data[outcome].astype(float), expected=data["advisors"] * rate)
    out["y"] = np.log((out["observed"] + SMOOTHING) / (out["expected"] + SMOOTHING))
    return out


def spells(data: pd.DataFrame, outcome: str = OUTCOME) -> pd.DataFrame:
    """One row per wholesaler and territory (a spell): log of observed over expected sales summed over the
    spell's months, covariates averaged over its advisor-months. Summing before the log weighs each month
    by its advisors (an early month with a handful of covered advisors is noise), and keeps the model
    small (MixedLM's cost grows with the square of the rows)."""
    cells = cell_outcome(data, outcome)
    covs = covariates(cells)
    weighted = cells[covs].mul(cells["advisors"], axis=0)
    frame = pd.concat([cells[["wholesaler_id", "territory_id", "observed", "expected", "advisors"]], weighted],
                      axis=1)
    out = frame.groupby(["wholesaler_id", "territory_id"], sort=True).sum()
    for col in covs:
        out[col] = out[col] / out["advisors"]
    out["y"] = np.log((out["observed"] + SMOOTHING) / (out["expected"] + SMOOTHING))
    out["months"] = cells.groupby(["wholesaler_id", "territory_id"], sort=True).size()
    return out.reset_index()


def _design(data: pd.DataFrame) -> pd.DataFrame:
    """Fixed effects: intercept and the covariates."""
    return pd.concat([pd.Series(1.0, index=data.index, name="intercept"), data[covariates(data)].astype(float)],
                     axis=1)


def full_rank(x: pd.DataFrame) -> pd.DataFrame:
    """Drop columns that are linear combinations of earlier ones (a constant covariate, or territory
    proxies that coincide in a small panel), keeping the order."""
    keep: list[str] = []
    for col in x.columns:
        if np.linalg.matrix_rank(x[[*keep, col]].to_numpy()) > len(keep):
            keep.append(col)
    return x[keep]


def is_separable(cells: pd.DataFrame) -> bool:
    """Can a wholesaler's effect be told from its territory's? Not when every wholesaler covered exactly
    one territory and every territory had exactly one wholesaler (the two partitions coincide)."""
    pairs = cells[["wholesaler_id", "territory_id"]].drop_duplicates()
    return not (pairs["wholesaler_id"].is_unique and pairs["territory_id"].is_unique)


def fit(panel: pd.DataFrame, outcome: str = OUTCOME) -> WholesalerFit:
    """Crossed wholesaler and territory intercepts on spells when the panel separates them; otherwise a
    wholesaler random intercept on the monthly cells, flagged ``separable: False`` (the effects then
    include the territory's potential beyond its proxies)."""
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {OUTCOMES}, got {outcome!r}")
    cells = cell_outcome(prepare(panel), outcome)
    n_ws = cells["wholesaler_id"].nunique()
    if n_ws < MIN_WHOLESALERS:
        raise NotEstimable(f"{n_ws} wholesalers in the panel; the regression needs at least {MIN_WHOLESALERS}")
    data = spells(cells, outcome) if is_separable(cells) else cells
    try:
        result, names = _fit_crossed(data) if data is not cells else _fit_wholesaler_only(cells)
    except np.linalg.LinAlgError as exc:
        raise NotEstimable(f"singular design ({exc}): too little variation in the panel") from exc
    wholesalers_ = sorted(cells["wholesaler_id"].unique())
    effects = _effects(result, cells, wholesalers_, names)
    summary = _summary(result, cells, data)
    summary["separable"] = data is not cells
    summary["outcome"] = outcome
    return WholesalerFit(effects=effects, terms=_terms(result), summary=summary)


def _fit_crossed(data: pd.DataFrame) -> tuple[Any, dict[str, tuple[Any, str]]]:
    import statsmodels.api as sm
    from statsmodels.regression.mixed_linear_model import VCSpec

    ws = pd.get_dummies(data["wholesaler_id"], dtype=float)
    terr = pd.get_dummies(data["territory_id"], dtype=float)
    vc = VCSpec(names=["wholesaler", "territory"], colnames=[[list(ws.columns)], [list(terr.columns)]],
                mats=[[ws.to_numpy()], [terr.to_numpy()]])
    model = sm.MixedLM(data["y"].to_numpy(), full_rank(_design(data)), groups=np.zeros(len(data)), exog_vc=vc)
    result = _quiet_fit(model)
    return result, {w: (0, f"wholesaler[{w}]") for w in ws.columns}


def _fit_wholesaler_only(cells: pd.DataFrame) -> tuple[Any, dict[str, tuple[Any, str]]]:
    import statsmodels.api as sm

    months = pd.get_dummies(cells["month"], prefix="month", drop_first=True, dtype=float)
    x = full_rank(pd.concat([_design(cells), months], axis=1))
    model = sm.MixedLM(cells["y"].to_numpy(), x, groups=cells["wholesaler_id"].to_numpy())
    result = _quiet_fit(model)
    return result, {w: (w, "Group Var") for w in cells["wholesaler_id"].unique()}


def _quiet_fit(model: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # boundary / convergence chatter; `converged` is reported
        return model.fit(reml=True, method=["lbfgs"])


def _effects(result: Any, data: pd.DataFrame, wholesalers_: list[str],
             names: dict[str, tuple[Any, str]]) -> pd.DataFrame:
    """BLUPs of the wholesaler intercepts with their conditional standard deviations."""
    effect, se = [], []
    for w in wholesalers_:
        group, name = names[w]
        effect.append(float(result.random_effects[group][name]))
        se.append(float(np.sqrt(max(result.random_effects_cov[group].loc[name, name], 0.0))))
    effect_arr, se_arr = np.asarray(effect), np.asarray(se)
    stats = data.groupby("wholesaler_id").agg(cells=("y", "size"), territories=("territory_id", "nunique"),
                                              advisor_months=("advisors", "sum"))
    out = pd.DataFrame({"wholesaler_id": wholesalers_, "effect": effect_arr, "std_error": se_arr,
                        "ci_lower": effect_arr - Z_95 * se_arr, "ci_upper": effect_arr + Z_95 * se_arr})
    out = out.join(stats, on="wholesaler_id")
    return out.astype({"cells": "int64", "territories": "int64", "advisor_months": "int64"})


def _terms(result: Any) -> pd.DataFrame:
    names = list(result.fe_params.index)
    ci = result.conf_int().loc[names]
    return pd.DataFrame({"term": names, "coefficient": result.fe_params.to_numpy(),
                         "std_error": result.bse_fe.to_numpy(), "ci_lower": ci[0].to_numpy(),
                         "ci_upper": ci[1].to_numpy(), "p_value": result.pvalues.loc[names].to_numpy()})


def _summary(result: Any, data: pd.DataFrame, spell_rows: pd.DataFrame) -> dict[str, Any]:
    names = result.model.exog_vc.names if result.model.exog_vc is not None else []
    vc = dict(zip(names, np.asarray(result.vcomp, float), strict=True))
    per_wholesaler = data.groupby("wholesaler_id")["territory_id"].nunique()
    per_territory = data.groupby("territory_id")["wholesaler_id"].nunique()
    if not names:
        vc["wholesaler"] = float(np.asarray(result.cov_re)[0, 0])
    return {
        "cells": len(data), "rows_fitted": len(spell_rows), "wholesalers": int(data["wholesaler_id"].nunique()),
        "territories": int(data["territory_id"].nunique()), "months": int(data["month"].nunique()),
        "wholesalers_in_several_territories": int((per_wholesaler > 1).sum()),
        "territories_with_several_wholesalers": int((per_territory > 1).sum()),
        "wholesaler_variance": vc.get("wholesaler", float("nan")),
        "territory_variance": vc.get("territory", float("nan")),
        "residual_variance": float(result.scale), "log_likelihood": float(result.llf),
        "converged": bool(result.converged),
    }


def readout(effects: pd.DataFrame, panel: pd.DataFrame) -> pd.DataFrame:
    """The effects as readers see them, the one definition for agg_wholesaler_effects (through
    analytics.wholesaler_effects) and the dashboard's fits on a date range: exp(effect) - 1, the rank
    (1 = the largest effect; ties share the better rank), above or below average when the whole 95%
    interval is, and the raw productivity over the fitted panel (purchases and amounts of the covered
    advisors, the amount per advisor-month)."""
    raw = panel.groupby("wholesaler_id").agg(purchases=("purchases", "sum"), purchase_amount=("purchase_amount", "sum"),
                                             panel_advisor_months=("advisors", "sum"))
    out = effects.join(raw, on="wholesaler_id")
    out["effect_pct"] = np.expm1(out["effect"].astype(float))
    out["effect_rank"] = out["effect"].rank(method="min", ascending=False).fillna(0).astype("int64")
    out["is_above_average"] = (out["ci_lower"] > 0).astype(bool)
    out["is_below_average"] = (out["ci_upper"] < 0).astype(bool)
    out["purchases"] = out["purchases"].fillna(0).astype("int64")
    out["purchase_amount"] = out["purchase_amount"].fillna(0.0).astype(float)
    months = out.pop("panel_advisor_months").astype(float)
    out["purchase_amount_per_advisor_month"] = out["purchase_amount"] / months.where(months > 0)
    return out


def rank_correlation(estimated: pd.Series, truth: pd.Series) -> float:
    """Spearman correlation of two series aligned on their index (e.g. effects vs planted skill)."""
    from scipy.stats import spearmanr

    joined = pd.concat([estimated.rename("a"), truth.rename("b")], axis=1, join="inner").dropna()
    return float(spearmanr(joined["a"], joined["b"]).statistic)
