"""Property test of the real fct_attribution SQL: for any conversions, touch windows and removal effects
(drawn by hypothesis), every model's credits are >= 0 and sum to 1 per conversion, and every purchase
appears. The model is compiled once by dbt, then run on in-memory tables named like its inputs."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import duckdb
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pipeline_support import ROOT, VENV_BIN, _run

MODELS = ["first_touch", "last_touch", "linear", "time_decay", "position_based", "markov"]
CHANNELS = ["email", "web", "webinar", "wholesaler"]
CLOCK = datetime(2026, 10, 1)


@pytest.fixture(scope="module")
def compiled_sql(built_warehouse, tmp_path_factory) -> str:
    target = tmp_path_factory.mktemp("attribution_target")
    _run([str(VENV_BIN / "dbt"), "compile", "--quiet", "--select", "fct_attribution", "--project-dir", str(ROOT),
          "--profiles-dir", str(ROOT), "--target-path", str(target)], dict(__import__("os").environ), "dbt compile")
    return next(target.rglob("fct_attribution.sql")).read_text()


def _tables(sql: str) -> dict[str, str]:
    """Each ref in the compiled SQL ("db"."schema"."name") by model name."""
    return {m.group(3): m.group(0) for m in re.finditer(r'"(\w+)"\."(\w+)"\."(\w+)"', sql)}


conversions_strategy = st.lists(
    st.tuples(
        st.floats(1, 1e6),  # amount
        st.lists(st.tuples(st.sampled_from(CHANNELS), st.floats(0, 89.9)), max_size=7),  # touches
    ),
    min_size=1, max_size=8,
)
effects_strategy = st.dictionaries(st.sampled_from(CHANNELS), st.sampled_from([0.0, 0.05, 0.3, 1.0]))


def _inputs(conversions, effects):
    sales, touches = [], []
    for i, (amount, path) in enumerate(conversions):
        converted_at = CLOCK - timedelta(days=1 + i)
        sales.append({"sale_id": f"s{i}", "customer_id": "c1", "is_purchase": True, "amount": amount,
                      "product_id": "p1", "traded_at": converted_at})
        ordered = sorted(path, key=lambda t: -t[1])
        for j, (channel, days) in enumerate(ordered, start=1):
            touches.append({"is_conversion": True, "conversion_id": f"s{i}", "touch_day_id": f"s{i}-{j}",
                            "touchpoint_id": f"t{i}-{j}", "channel": channel, "campaign_id": None,
                            "touched_at": converted_at - timedelta(days=days), "days_before_conversion": days,
                            "touch_position": j, "touches_in_path": len(ordered)})
    return {
        "int_customer_sales_mapped": pd.DataFrame(sales),
        "int_attribution_touches_windowed": pd.DataFrame(touches, columns=[
            "is_conversion", "conversion_id", "touch_day_id", "touchpoint_id", "channel", "campaign_id",
            "touched_at", "days_before_conversion", "touch_position", "touches_in_path"]).astype(
            {"is_conversion": bool, "days_before_conversion": float, "touch_position": "int64",
             "touches_in_path": "int64", "touched_at": "datetime64[us]", "campaign_id": object}),
        "stg_analytics__channel_removal_effects": pd.DataFrame(
            {"channel": list(effects), "removal_effect": list(effects.values())}).astype(
            {"channel": object, "removal_effect": float}),
        "dim_customers": pd.DataFrame([{"customer_id": "c1", "persona": "seasoned", "value_tier": "gold",
                                        "acquisition_channel": "email"}]),
        "int_journey_clock_resolved": pd.DataFrame([{"as_of_at": CLOCK}]),
    }


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(conversions_strategy, effects_strategy)
def test_every_models_credits_sum_to_one_per_conversion(compiled_sql, conversions, effects):
    con = duckdb.connect()
    for name, relation in _tables(compiled_sql).items():
        database, schema, _ = (p.strip('"') for p in relation.split("."))
        if database not in {r[0] for r in con.execute("select database_name from duckdb_databases()").fetchall()}:
            con.execute(f'attach \':memory:\' as "{database}"')
        con.execute(f'create schema if not exists "{database}"."{schema}"')
        frame = _inputs(conversions, effects)[name]
        con.register("frame", frame)
        con.execute(f"create table {relation} as select * from frame")
        con.unregister("frame")
    result = con.execute(compiled_sql).df()
    con.close()
    sums = result.groupby("conversion_id")[[f"{m}_credit" for m in MODELS]].sum()
    assert sorted(sums.index) == sorted(f"s{i}" for i in range(len(conversions)))
    assert ((sums - 1.0).abs() < 1e-9).all().all(), sums
    assert (result[[f"{m}_credit" for m in MODELS]] >= -1e-12).all().all()
    # a conversion without touches is one 'unattributed' row; the others have one row per touch
    for i, (_, path) in enumerate(conversions):
        rows = result[result["conversion_id"] == f"s{i}"]
        assert len(rows) == max(len(path), 1)
        assert (rows["channel"] == "unattributed").all() == (len(path) == 0)
