"""A small synthetic warehouse with the marts' shapes, for unit tests and the benchmark.

It is not the demo generator (cjo_data.generate builds raw files for the whole pipeline). It
writes the few relations the ML code reads straight into a DuckDB connection, with planted structure:
personas with distinct channel habits, prospects whose web and webinar activity ramps up before their
first purchase, and active advisors whose engagement fades before they lapse. That lets the ML tests
run in seconds and still fail when a model stops learning.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from orchestration.ml.features import FeatureTables

# Daily touch rates per persona and channel (email, web, webinar, wholesaler).
PERSONAS: dict[str, tuple[float, float, float, float]] = {
    "digital_native": (0.30, 0.50, 0.02, 0.005),
    "relationship": (0.10, 0.03, 0.01, 0.08),
    "webinar_learner": (0.20, 0.10, 0.12, 0.01),
    "dormant": (0.05, 0.01, 0.002, 0.002),
}
CHANNEL_TYPES = {
    "email": ("send", "open", "click"),
    "web": ("page_view", "page_view", "form_submit"),
    "webinar": ("register", "attend", "attend"),
    "wholesaler": ("call", "meeting", "meeting"),
}
FIRM_TYPES = ("wirehouse", "ria", "independent_bd", "bank")


@dataclass(frozen=True)
class SyntheticWarehouse:
    tables: FeatureTables
    start: pd.Timestamp
    end: pd.Timestamp
    people: pd.DataFrame  # customer_id, persona, converts_on, lapses_on


def build(
    con: duckdb.DuckDBPyConnection,
    n_customers: int = 600,
    days: int = 400,
    seed: int = 7,
    schema: str = "syn",
    start: str = "2025-01-01",
    fade_days: int = 60,
    fade: float = 0.25,
) -> SyntheticWarehouse:
    """Create ``schema.{dim_customers, fct_touchpoints, fct_journey_stages, int_customer_sales_mapped}``.

    Lapsing advisors' touch rates are multiplied by ``fade`` in the ``fade_days`` before they lapse."""
    rng = np.random.default_rng(seed)
    t0 = pd.Timestamp(start)
    ids = np.array([f"C{i:07d}" for i in range(n_customers)])
    names = list(PERSONAS)
    persona_idx = rng.integers(0, len(names), n_customers)
    rates = np.array([PERSONAS[p] for p in names])[persona_idx]  # (n, 4)
    # Prospects convert on a random day (or never); actives (40 %) buy from the start; some lapse.
    is_active = rng.random(n_customers) < 0.4
    converts_on = np.where(
        ~is_active & (rng.random(n_customers) < 0.5), rng.integers(60, days, n_customers), -1
    )
    lapses_on = np.where(is_active & (rng.random(n_customers) < 0.4), rng.integers(120, days, n_customers), -1)

    day = np.arange(days)
    mult = np.ones((n_customers, days))
    # Ramp-up of interest in the 30 days before a first purchase.
    ramp = (converts_on[:, None] >= 0) & (day[None, :] >= converts_on[:, None] - 30) & (
        day[None, :] < converts_on[:, None]
    )
    mult = np.where(ramp, 3.0, mult)
    # Fading engagement before a lapse, near silence afterwards.
    fading = (lapses_on[:, None] >= 0) & (day[None, :] >= lapses_on[:, None] - fade_days)
    mult = np.where(fading, fade, mult)

    touch_frames = []
    for ch_i, ch in enumerate(CHANNEL_TYPES):
        counts = rng.poisson(rates[:, ch_i : ch_i + 1] * mult)
        cust, d = np.nonzero(counts)
        reps = counts[cust, d]
        cust, d = np.repeat(cust, reps), np.repeat(d, reps)
        types = np.array(CHANNEL_TYPES[ch])[rng.integers(0, 3, len(cust))]
        secs = rng.integers(0, 86400, len(cust))
        touch_frames.append(pd.DataFrame({
            "customer_id": ids[cust],
            "occurred_at": t0 + pd.to_timedelta(d, "D") + pd.to_timedelta(secs, "s"),
            "channel": ch,
            "touchpoint_type": types,
        }))
    touches = pd.concat(touch_frames, ignore_index=True)
    touches.insert(0, "touchpoint_id", [f"T{i}" for i in range(len(touches))])
    touches["campaign_id"] = None
    touches["wholesaler_id"] = None
    touches["source"] = "synthetic"
    touches["source_row"] = np.arange(len(touches))

    # Purchases: actives buy ~every 20 days until they lapse; converters from their conversion day on.
    buy_rate = np.where(is_active, 0.05, 0.0)[:, None] * np.ones((1, days))
    buy_rate = np.where((lapses_on[:, None] >= 0) & (day[None, :] >= lapses_on[:, None]), 0.0, buy_rate)
    conv = (converts_on[:, None] >= 0) & (day[None, :] >= converts_on[:, None])
    buy_rate = np.where(conv, 0.04, buy_rate)
    buys = rng.random((n_customers, days)) < buy_rate
    buys[np.arange(n_customers)[converts_on >= 0], converts_on[converts_on >= 0]] = True
    cust, d = np.nonzero(buys)
    redemption = rng.random(len(cust)) < 0.15
    sales = pd.DataFrame({
        "sale_id": [f"S{i}" for i in range(len(cust))],
        "customer_id": ids[cust],
        "advisor_id": np.char.add("A", ids[cust]),
        "product_id": np.array([f"P{k}" for k in range(8)])[rng.integers(0, 8, len(cust))],
        "transaction_type": np.where(redemption, "redemption", "purchase"),
        "amount": np.round(rng.lognormal(10, 1, len(cust)), 2),
        "traded_at": t0 + pd.to_timedelta(d, "D") + pd.to_timedelta(rng.integers(0, 86400, len(cust)), "s"),
    })
    sales["signed_amount"] = np.where(redemption, -sales["amount"], sales["amount"])
    sales["asset_class"] = sales["product_id"].map(
        {f"P{k}": ["equity", "fixed_income", "multi_asset", "alternatives"][k % 4] for k in range(8)}
    )

    # Journey stages (keys of seeds/journey_stages.csv): consideration -> retention at the first
    # purchase; retention -> lapsed 90 days after the last purchase.
    stage_rows = []
    for i, cid in enumerate(ids):
        first = t0
        if is_active[i]:
            seq = [("retention", first)]
            if lapses_on[i] >= 0 and lapses_on[i] + 90 < days:
                seq.append(("lapsed", t0 + pd.Timedelta(days=int(lapses_on[i]) + 90)))
        else:
            seq = [("consideration", first)]
            if converts_on[i] >= 0:
                seq.append(("retention", t0 + pd.Timedelta(days=int(converts_on[i]), hours=12)))
        for k, (stage, entered) in enumerate(seq):
            exited = seq[k + 1][1] if k + 1 < len(seq) else pd.NaT
            stage_rows.append((cid, stage, entered, exited, pd.isna(exited)))
    stages = pd.DataFrame(stage_rows, columns=["customer_id", "stage", "entered_at", "exited_at", "is_current"])

    end = t0 + pd.Timedelta(days=days)
    customers = pd.DataFrame({
        "customer_id": ids,
        "advisor_id": np.char.add("A", ids),
        "persona": np.array(names)[persona_idx],
        "firm_type": np.array(FIRM_TYPES)[rng.integers(0, 4, n_customers)],
        "wholesaler_id": np.array([f"W{k}" for k in range(5)])[rng.integers(0, 5, n_customers)],
        "current_stage": stages.loc[stages["is_current"]].set_index("customer_id").loc[ids, "stage"].to_numpy(),
        "consent_email": rng.random(n_customers) < 0.9,
        "consent_phone": rng.random(n_customers) < 0.8,
        "consent_ads": rng.random(n_customers) < 0.7,
    })

    con.execute(f"create schema if not exists {schema}")
    for name, frame in {
        "dim_customers": customers, "fct_touchpoints": touches, "fct_journey_stages": stages,
        "int_customer_sales_mapped": sales,
    }.items():
        con.register("_frame", frame)
        con.execute(f"create or replace table {schema}.{name} as select * from _frame")
        con.unregister("_frame")
    tables = FeatureTables(
        customers=f"{schema}.dim_customers", touchpoints=f"{schema}.fct_touchpoints",
        stages=f"{schema}.fct_journey_stages", sales=f"{schema}.int_customer_sales_mapped",
    )
    people = pd.DataFrame({
        "customer_id": ids, "persona": customers["persona"],
        "converts_on": [t0 + pd.Timedelta(days=int(c)) if c >= 0 else pd.NaT for c in converts_on],
        "lapses_on": [t0 + pd.Timedelta(days=int(c)) if c >= 0 else pd.NaT for c in lapses_on],
    })
    return SyntheticWarehouse(tables=tables, start=t0, end=end, people=people)


def feature_frame(n: int, seed: int = 0) -> pd.DataFrame:
    """A large synthetic feature frame (no warehouse) with persona structure, for the benchmark."""
    from orchestration.ml.features import CATEGORICAL_FEATURES, NUMERIC_FEATURES

    rng = np.random.default_rng(seed)
    names = list(PERSONAS)
    persona_idx = rng.integers(0, len(names), n)
    data: dict[str, np.ndarray] = {"customer_id": np.char.add("C", np.arange(n).astype(str))}
    base = np.array([PERSONAS[p] for p in names])[persona_idx]
    for col in NUMERIC_FEATURES:
        ch = next((i for i, c in enumerate(CHANNEL_TYPES) if col.startswith(c + "_")), None)
        if ch is not None:
            w = int(col.rsplit("_", 1)[1].rstrip("d"))
            data[col] = rng.poisson(base[:, ch] * w).astype("float64")
        else:
            data[col] = rng.gamma(2.0, 20.0, n)
    data["stage"] = np.array(["consideration", "retention", "lapsed"])[rng.integers(0, 3, n)]
    data["firm_type"] = np.array(FIRM_TYPES)[rng.integers(0, 4, n)]
    data["persona"] = np.array(names)[persona_idx]
    frame = pd.DataFrame(data)
    return frame[["customer_id", *NUMERIC_FEATURES, *CATEGORICAL_FEATURES]]
