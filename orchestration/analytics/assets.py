"""Thin Dagster assets over the analytics modules: ``analytics/customer_clv``,
``analytics/markov_attribution`` and ``analytics/wholesaler_effects``.

Each reads one intermediate dbt table (its upstream asset), computes with the pure functions of this
package, replaces its ``analytics.*`` tables and returns its diagnostics as metadata. The dbt models that
read those tables declare them as the ``analytics`` source (models/staging/analytics), whose
``meta.dagster.asset_key`` points back here, so dim_customers (value tiers) runs after customer_clv and
fct_attribution after markov_attribution.
"""


from datetime import UTC, datetime
from typing import Any

import dagster as dg
import duckdb
import numpy as np
import pandas as pd
from pydantic import Field

from orchestration.analytics import clv, markov, wholesalers
from orchestration.ml.assets import _md_table, warehouse, write_table

GROUP = "analytics"
CLV_KEY = dg.AssetKey(["analytics", "customer_clv"])
CLV_VALIDATION_KEY = dg.AssetKey(["analytics", "clv_validation"])
CLV_PARAMETERS_KEY = dg.AssetKey(["analytics", "clv_parameters"])
MARKOV_KEY = dg.AssetKey(["analytics", "markov_attribution"])
WHOLESALER_KEY = dg.AssetKey(["analytics", "wholesaler_effects"])
WHOLESALER_TERMS_KEY = dg.AssetKey(["analytics", "wholesaler_regression_terms"])
# The dbt model each asset reads (resolved to its asset key, never typed) and its relation in DuckDB.
CLV_INPUT = ("int_customer_purchases_summarized", "intermediate.int_customer_purchases_summarized")
MARKOV_INPUT = ("int_attribution_touches_windowed", "intermediate.int_attribution_touches_windowed")
WHOLESALER_INPUT = ("int_wholesaler_coverage_monthly", "intermediate.int_wholesaler_coverage_monthly")


class ClvConfig(dg.Config):
    horizon_days: int = Field(365, description="Prediction horizon of predicted_clv (days). Longer horizons "
                              "lean harder on the BG/NBD dropout estimate.")
    discount_rate: float = Field(0.01, description="Discount rate per 30 days (0.01 ~ 12.7% a year). 0 gives "
                                 "undiscounted expected purchases.")
    penalizer: float = Field(0.0, description="L2 penalty on the log-parameters (lifetimes penalizer_coef). "
                             "0 is plain maximum likelihood; raise it (0.001-0.1) when the fit does not converge.")


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _read(con: duckdb.DuckDBPyConnection, relation: str) -> pd.DataFrame:
    return con.execute(f"select * from {relation}").df()


# ------------------------------------------------------------------ runners (no Dagster)


def run_clv(con: duckdb.DuckDBPyConnection, config: ClvConfig) -> dict[str, Any]:
    """Validate on the hold-out split, refit on everything, score; write the analytics.* CLV tables."""
    summary = clv.from_warehouse(_read(con, CLV_INPUT[1])).set_index("customer_id")
    now = _now()
    report: dict[str, Any] = {"customers": len(summary), "fitted_at": now.isoformat()}
    deciles = pd.DataFrame(columns=["decile", "customers", "predicted_purchases", "actual_purchases",
                                    "predicted_amount", "actual_amount"])
    parameters: list[dict[str, Any]] = []
    try:
        validation = clv.validate(summary, config.penalizer)
        deciles, report["validation"] = validation.deciles, validation.metrics
        parameters += _parameter_rows(validation.parameters, "calibration", now)
    except clv.NotEnoughData as exc:
        report["validation_skipped"] = str(exc)
    scores = pd.DataFrame()
    try:
        model = clv.fit(summary, config.penalizer)
        scores = clv.predict(model, summary, config.horizon_days, config.discount_rate)
        parameters += _parameter_rows(model.parameters(), "full", now)
        report.update(parameters=model.parameters(), repeat_buyers=model.repeat_buyers,
                      frequency_monetary_corr=model.frequency_monetary_corr, spend_fallback=model.spend_fallback)
    except clv.NotEnoughData as exc:
        report["fit_skipped"] = str(exc)
    table = _clv_table(summary, scores, config.horizon_days, now)
    write_table(con, "analytics.customer_clv", table)
    write_table(con, "analytics.clv_validation", _validation_table(deciles, summary, now))
    write_table(con, "analytics.clv_parameters", pd.DataFrame(
        parameters, columns=["model", "period", "parameter", "value", "fitted_at"]))
    report["scored"] = len(table)
    report["deciles"] = deciles.to_dict("records")
    return report


def _parameter_rows(params: dict[str, dict[str, float]], period: str, now: datetime) -> list[dict[str, Any]]:
    return [{"model": m, "period": period, "parameter": k, "value": float(v), "fitted_at": now}
            for m, values in params.items() for k, v in values.items()]


def _clv_table(summary: pd.DataFrame, scores: pd.DataFrame, horizon: int, now: datetime) -> pd.DataFrame:
    """Scores joined to the model inputs; no rows when nothing could be fitted."""
    base = summary.loc[scores.index] if len(scores) else summary.iloc[:0]
    out = pd.DataFrame({
        "customer_id": base.index.astype(str),
        "frequency": base["frequency"].astype("int32").to_numpy(),
        "recency_days": base["recency"].astype(float).to_numpy(),
        "tenure_days": base["T"].astype(float).to_numpy(),
        "monetary_value": base["monetary_value"].astype(float).to_numpy(),
    })
    for col in ("probability_alive", "expected_purchases", "expected_average_amount", "predicted_clv"):
        out[col] = scores[col].to_numpy(float) if len(scores) else np.zeros(0)
    out["horizon_days"] = np.full(len(out), horizon, dtype="int32")
    out["fitted_at"] = pd.Series([now] * len(out), dtype="datetime64[us]")
    return out


def _validation_table(deciles: pd.DataFrame, summary: pd.DataFrame, now: datetime) -> pd.DataFrame:
    out = deciles.copy()
    out["decile"] = out["decile"].astype("int32")
    out["customers"] = out["customers"].astype("int64")
    for col in ("predicted_purchases", "actual_purchases", "predicted_amount", "actual_amount"):
        out[col] = out[col].astype(float)
    cal_end = pd.Timestamp(summary["calibration_end_date"].iloc[0]) if len(summary) else pd.NaT
    out["calibration_end_date"] = pd.Series([cal_end] * len(out), dtype="datetime64[us]")
    out["holdout_days"] = np.full(len(out), int(summary["duration_holdout"].iloc[0]) if len(summary) else 0,
                                  dtype="int32")
    out["fitted_at"] = pd.Series([now] * len(out), dtype="datetime64[us]")
    return out


def run_markov(con: duckdb.DuckDBPyConnection) -> markov.MarkovResult:
    frame = con.execute(f"""
        select path_id, touch_position as position, channel, is_conversion as converted
        from {MARKOV_INPUT[1]}""").df()
    result = markov.removal_effects(frame)
    table = markov.table(result).assign(fitted_at=pd.Timestamp(_now()))
    write_table(con, "analytics.channel_removal_effects", table)
    return result


def run_wholesalers(con: duckdb.DuckDBPyConnection) -> wholesalers.WholesalerFit:
    """Fit and write; a panel that cannot support the model writes empty tables with the reason."""
    panel = _read(con, WHOLESALER_INPUT[1])
    try:
        fitted = wholesalers.fit(panel)
    except wholesalers.NotEstimable as exc:
        fitted = wholesalers.empty_fit(str(exc))
    now = pd.Timestamp(_now())
    write_table(con, "analytics.wholesaler_effects", wholesalers.readout(fitted.effects, panel).assign(fitted_at=now))
    write_table(con, "analytics.wholesaler_regression_terms", fitted.terms.assign(fitted_at=now))
    return fitted


# ------------------------------------------------------------------ Dagster


def _model_key(model: str) -> dg.AssetKey:
    from dagster_dbt import get_asset_key_for_model

    from orchestration.dbt_assets import cjo_dbt_assets

    return get_asset_key_for_model([cjo_dbt_assets], model)


def _clv_metadata(report: dict[str, Any]) -> dict[str, Any]:
    meta: dict[str, Any] = {"customers": report["customers"], "scored": report["scored"]}
    for key in ("validation_skipped", "fit_skipped", "spend_fallback"):
        if report.get(key):
            meta[key] = report[key]
    if "parameters" in report:
        meta["parameters"] = dg.JsonMetadataValue(report["parameters"])
        meta["frequency_monetary_corr"] = dg.FloatMetadataValue(report["frequency_monetary_corr"])
    if "validation" in report:
        v = report["validation"]
        meta["holdout_total_purchases_ratio"] = dg.FloatMetadataValue(v["total_purchases_ratio"])
        meta["holdout_decile_correlation"] = dg.FloatMetadataValue(v["decile_correlation"])
        meta["holdout_decile_mae_relative"] = dg.FloatMetadataValue(v["decile_mae_relative"])
        meta["validation_by_decile"] = dg.MarkdownMetadataValue(_md_table(report["deciles"]))
    return meta


def build_assets() -> tuple[list[dg.AssetsDefinition], list[dg.AssetChecksDefinition]]:
    from orchestration.resources import DUCKDB_WRITER_POOL  # one writer on the DuckDB file

    clv_deps = [_model_key(CLV_INPUT[0])]

    @dg.multi_asset(name="analytics__customer_clv", pool=DUCKDB_WRITER_POOL, specs=[
        dg.AssetSpec(CLV_KEY, deps=clv_deps, group_name=GROUP, kinds={"python", "duckdb"},
                     description="Predictive CLV per buyer (BG/NBD + Gamma-Gamma, lifetimes; "
                     "analytics.customer_clv); dim_customers tiers on it."),
        dg.AssetSpec(CLV_VALIDATION_KEY, deps=clv_deps, group_name=GROUP, kinds={"python", "duckdb"},
                     description="The CLV model fitted on the calibration period, predicted against actual "
                     "hold-out purchases by decile (analytics.clv_validation)."),
        dg.AssetSpec(CLV_PARAMETERS_KEY, deps=clv_deps, group_name=GROUP, kinds={"python", "duckdb"},
                     description="Fitted BG/NBD and Gamma-Gamma parameters (analytics.clv_parameters)."),
    ])
    def customer_clv(context: dg.AssetExecutionContext, config: ClvConfig):
        with warehouse() as con:
            report = run_clv(con, config)
        context.log.info(f"CLV: {report['scored']} customers scored; "
                         f"{report.get('validation', report.get('validation_skipped'))}")
        yield dg.MaterializeResult(asset_key=CLV_VALIDATION_KEY, metadata={"deciles": len(report["deciles"])})
        yield dg.MaterializeResult(asset_key=CLV_PARAMETERS_KEY,
                                   metadata={"parameters": dg.JsonMetadataValue(report.get("parameters", {}))})
        yield dg.MaterializeResult(asset_key=CLV_KEY, metadata=_clv_metadata(report))

    @dg.asset(key=MARKOV_KEY, deps=[_model_key(MARKOV_INPUT[0])], group_name=GROUP, pool=DUCKDB_WRITER_POOL,
              kinds={"python", "duckdb"},
              description="Markov-chain removal effect per channel (analytics.channel_removal_effects); "
              "fct_attribution's data-driven model.")
    def markov_attribution(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        with warehouse() as con:
            result = run_markov(con)
        rows = markov.table(result).to_dict("records")
        return dg.MaterializeResult(metadata={
            "paths": result.paths, "conversions": result.conversions,
            "conversion_probability": dg.FloatMetadataValue(result.conversion_probability),
            "removal_effects": dg.MarkdownMetadataValue(_md_table(rows)),
        })

    ws_deps = [_model_key(WHOLESALER_INPUT[0])]

    @dg.multi_asset(name="analytics__wholesaler_effects", pool=DUCKDB_WRITER_POOL, specs=[
        dg.AssetSpec(WHOLESALER_KEY, deps=ws_deps, group_name=GROUP, kinds={"python", "statsmodels", "duckdb"},
                     description="Wholesaler effects net of territory potential and book mix (MixedLM with "
                     "crossed wholesaler and territory intercepts; analytics.wholesaler_effects)."),
        dg.AssetSpec(WHOLESALER_TERMS_KEY, deps=ws_deps, group_name=GROUP, kinds={"python", "statsmodels", "duckdb"},
                     description="Fixed-effect terms of that regression (analytics.wholesaler_regression_terms)."),
    ])
    def wholesaler_effects(context: dg.AssetExecutionContext):
        with warehouse() as con:
            fitted = run_wholesalers(con)
        summary = {k: (float(v) if isinstance(v, float | np.floating) else v) for k, v in fitted.summary.items()}
        if "skipped" in summary:
            context.log.warning(f"wholesaler regression skipped: {summary['skipped']}")
        yield dg.MaterializeResult(asset_key=WHOLESALER_TERMS_KEY, metadata={
            "terms": dg.MarkdownMetadataValue(_md_table(fitted.terms.to_dict("records")))})
        yield dg.MaterializeResult(asset_key=WHOLESALER_KEY, metadata={
            "summary": dg.JsonMetadataValue(summary), "wholesalers": len(fitted.effects)})

    return [customer_clv, markov_attribution, wholesaler_effects], []
