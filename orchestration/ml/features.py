"""Point-in-time customer features: what we knew about each customer as of a snapshot time T.

Every feature is computed from event-level tables (touchpoints, sales, journey-stage history) with
``event_time < T``. Current-state columns of ``dim_customers`` (current stage, engagement score, touch
counts) are never read, because they already contain what happened after T and would leak the future
into training. Only attributes that do not change over time (firm type, and the persona when it is
given) are taken from the dimension. A test adds events after T and checks that nothing changes.

The functions take an open DuckDB connection and return pandas; they never open the warehouse
themselves, so the caller decides how long the (single-writer) file is held.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import duckdb
import pandas as pd

# Touchpoint channels that become feature columns. A fixed list (not "whatever is in the data") so
# that a model trained yesterday can score today even if a channel had no events in one window.
CHANNELS: tuple[str, ...] = ("email", "web", "webinar", "wholesaler")
# Rolling windows in days for the touch counts. Changing them changes the feature list, so the model
# files record the list they were trained with and scoring fails loudly on a mismatch.
WINDOWS: tuple[int, ...] = (30, 90, 365)
# Touchpoint types that show the customer doing something (as opposed to us sending something).
ENGAGED_TYPES: tuple[str, ...] = (
    "open", "click", "page_view", "form_submit", "login", "register", "attend", "meeting", "call",
)
# Outbound types: used for the contact-fatigue features.
OUTBOUND_TYPES: tuple[str, ...] = ("send", "deliver")
# Days given to customers with no event of that kind yet (recency of "never"); large but finite so
# scaling and tree splits behave.
NEVER_DAYS = 9999


@dataclass(frozen=True)
class FeatureTables:
    """Relations the features read. Overridable so tests can point at small synthetic tables."""

    customers: str = "marts.dim_customers"
    touchpoints: str = "marts.fct_touchpoints"
    stages: str = "marts.fct_journey_stages"
    # Sales already keyed to the person (CRM advisor records resolved through the identity graph,
    # forgotten people dropped) with the product's asset class.
    sales: str = "intermediate.int_customer_sales_mapped"
    # Attributes of dim_customers that do not change over time, used as categoricals.
    static_columns: tuple[str, ...] = field(default=("firm_type", "persona"))


NUMERIC_FEATURES: tuple[str, ...] = (
    *(f"{ch}_touches_{w}d" for ch in CHANNELS for w in WINDOWS),
    "engaged_touches_30d",
    "engaged_touches_90d",
    "outbound_touches_30d",
    "email_open_rate_90d",
    "days_since_last_touch",
    "days_since_last_engaged",
    "tenure_days",
    "days_in_stage",
    "purchases_365d",
    "purchase_amount_365d",
    "net_flow_365d",
    "redemptions_365d",
    "days_since_last_purchase",
    "lifetime_purchases",
    "products_held",
    "asset_classes_held",
    "avg_ticket",
    "multi_asset_share",
    "email_click_rate_365d",
    "webinar_share_365d",
    "meeting_share_365d",
    "days_since_last_meeting",
    "days_since_last_webinar",
    "days_since_last_click",
)
CATEGORICAL_FEATURES: tuple[str, ...] = ("stage", "firm_type", "persona")


def _in_list(values: Sequence[str]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def _columns(con: duckdb.DuckDBPyConnection, relation: str) -> set[str]:
    schema, _, name = relation.rpartition(".")
    rows = con.execute(
        "select column_name from information_schema.columns where table_name = ? and (? = '' or table_schema = ?)",
        [name, schema, schema],
    ).fetchall()
    return {r[0] for r in rows}


def feature_sql(tables: FeatureTables, static_columns: Sequence[str]) -> str:
    """The feature query. Parameters: ``$as_of`` (timestamp). Everything is filtered on ``< $as_of``."""
    touch_cols = ",\n        ".join(
        f"count(*) filter (where channel = '{ch}' and occurred_at >= $as_of - interval {w} day)"
        f" as {ch}_touches_{w}d"
        for ch in CHANNELS
        for w in WINDOWS
    )
    engaged = _in_list(ENGAGED_TYPES)
    outbound = _in_list(OUTBOUND_TYPES)
    static_select = ",\n        ".join(f"c.{col}" for col in static_columns)
    static_select = (static_select + ",") if static_select else ""
    return f"""
with universe as (
    -- customers known at T: they had a touch or a journey stage before T
    select customer_id, min(first_at) as first_seen_at from (
        select customer_id, min(occurred_at) as first_at from {tables.touchpoints}
        where occurred_at < $as_of group by 1
        union all
        select customer_id, min(entered_at) from {tables.stages}
        where entered_at < $as_of group by 1
    ) group by 1
),
touches as (
    select
        customer_id,
        {touch_cols},
        count(*) filter (where touchpoint_type in ({engaged}) and occurred_at >= $as_of - interval 30 day)
            as engaged_touches_30d,
        count(*) filter (where touchpoint_type in ({engaged}) and occurred_at >= $as_of - interval 90 day)
            as engaged_touches_90d,
        count(*) filter (where touchpoint_type in ({outbound}) and occurred_at >= $as_of - interval 30 day)
            as outbound_touches_30d,
        count(*) filter (where channel = 'email' and touchpoint_type = 'open'
                         and occurred_at >= $as_of - interval 90 day) as email_opens_90d,
        count(*) filter (where channel = 'email' and touchpoint_type = 'send'
                         and occurred_at >= $as_of - interval 90 day) as email_sends_90d,
        count(*) filter (where channel = 'email' and touchpoint_type = 'click'
                         and occurred_at >= $as_of - interval 365 day) as email_clicks_365d,
        count(*) filter (where channel = 'email' and touchpoint_type = 'open'
                         and occurred_at >= $as_of - interval 365 day) as email_opens_365d,
        count(*) filter (where channel = 'webinar' and occurred_at >= $as_of - interval 365 day)
            as webinar_365d,
        count(*) filter (where touchpoint_type in ({engaged}) and occurred_at >= $as_of - interval 365 day)
            as engaged_365d,
        count(*) filter (where channel = 'wholesaler' and touchpoint_type = 'meeting'
                         and occurred_at >= $as_of - interval 365 day) as meetings_365d,
        count(*) filter (where channel = 'wholesaler' and touchpoint_type in ('meeting', 'call')
                         and occurred_at >= $as_of - interval 365 day) as calls_meetings_365d,
        max(occurred_at) as last_touch_at,
        max(occurred_at) filter (where channel = 'wholesaler' and touchpoint_type = 'meeting') as last_meeting_at,
        max(occurred_at) filter (where channel = 'webinar') as last_webinar_at,
        max(occurred_at) filter (where touchpoint_type = 'click') as last_click_at,
        max(occurred_at) filter (where touchpoint_type in ({engaged})) as last_engaged_at
    from {tables.touchpoints}
    where occurred_at < $as_of
    group by 1
),
stage_at_t as (
    -- the stage the customer was in at T: entered before T and not exited before T
    select customer_id, stage, entered_at
    from {tables.stages}
    where entered_at < $as_of and (exited_at is null or exited_at >= $as_of)
    qualify row_number() over (partition by customer_id order by entered_at desc) = 1
),
sales as (
    select customer_id, transaction_type, amount, product_id, traded_at, asset_class
    from {tables.sales}
    where traded_at < $as_of
),
sales_agg as (
    select
        customer_id,
        count(*) filter (where transaction_type = 'purchase' and traded_at >= $as_of - interval 365 day)
            as purchases_365d,
        coalesce(sum(amount) filter (where transaction_type = 'purchase'
                                     and traded_at >= $as_of - interval 365 day), 0) as purchase_amount_365d,
        coalesce(sum(case when transaction_type = 'purchase' then amount else -amount end)
                 filter (where traded_at >= $as_of - interval 365 day), 0) as net_flow_365d,
        count(*) filter (where transaction_type = 'redemption' and traded_at >= $as_of - interval 365 day)
            as redemptions_365d,
        max(traded_at) filter (where transaction_type = 'purchase') as last_purchase_at,
        count(*) filter (where transaction_type = 'purchase') as lifetime_purchases,
        count(distinct product_id) filter (where transaction_type = 'purchase') as products_held,
        count(distinct asset_class) filter (where transaction_type = 'purchase') as asset_classes_held,
        avg(amount) filter (where transaction_type = 'purchase') as avg_ticket,
        avg(case when asset_class = 'multi_asset' then 1.0 else 0.0 end)
            filter (where transaction_type = 'purchase') as multi_asset_share
    from sales
    group by 1
),
final as (
    select
        u.customer_id,
        cast($as_of as timestamp) as as_of,
        {", ".join(f"coalesce(t.{ch}_touches_{w}d, 0) as {ch}_touches_{w}d" for ch in CHANNELS for w in WINDOWS)},
        coalesce(t.engaged_touches_30d, 0) as engaged_touches_30d,
        coalesce(t.engaged_touches_90d, 0) as engaged_touches_90d,
        coalesce(t.outbound_touches_30d, 0) as outbound_touches_30d,
        case when coalesce(t.email_sends_90d, 0) = 0 then 0.0
             else least(1.0, t.email_opens_90d / t.email_sends_90d) end as email_open_rate_90d,
        coalesce(date_diff('day', t.last_touch_at, $as_of), {NEVER_DAYS}) as days_since_last_touch,
        coalesce(date_diff('day', t.last_engaged_at, $as_of), {NEVER_DAYS}) as days_since_last_engaged,
        coalesce(date_diff('day', t.last_meeting_at, $as_of), {NEVER_DAYS}) as days_since_last_meeting,
        coalesce(date_diff('day', t.last_webinar_at, $as_of), {NEVER_DAYS}) as days_since_last_webinar,
        coalesce(date_diff('day', t.last_click_at, $as_of), {NEVER_DAYS}) as days_since_last_click,
        date_diff('day', u.first_seen_at, $as_of) as tenure_days,
        coalesce(date_diff('day', st.entered_at, $as_of), 0) as days_in_stage,
        coalesce(sa.purchases_365d, 0) as purchases_365d,
        coalesce(sa.purchase_amount_365d, 0) as purchase_amount_365d,
        coalesce(sa.net_flow_365d, 0) as net_flow_365d,
        coalesce(sa.redemptions_365d, 0) as redemptions_365d,
        coalesce(date_diff('day', sa.last_purchase_at, $as_of), {NEVER_DAYS}) as days_since_last_purchase,
        coalesce(sa.lifetime_purchases, 0) as lifetime_purchases,
        coalesce(sa.products_held, 0) as products_held,
        coalesce(sa.asset_classes_held, 0) as asset_classes_held,
        coalesce(sa.avg_ticket, 0) as avg_ticket,
        -- -1 = "no purchase yet" (kept apart from a real 0 share)
        coalesce(sa.multi_asset_share, -1) as multi_asset_share,
        case when coalesce(t.email_opens_365d, 0) = 0 then 0.0
             else least(1.0, t.email_clicks_365d / t.email_opens_365d) end as email_click_rate_365d,
        case when coalesce(t.engaged_365d, 0) = 0 then 0.0
             else t.webinar_365d / t.engaged_365d end as webinar_share_365d,
        case when coalesce(t.calls_meetings_365d, 0) = 0 then -1.0
             else t.meetings_365d / t.calls_meetings_365d end as meeting_share_365d,
        {static_select}
        coalesce(st.stage, 'unknown') as stage
    from universe u
    join {tables.customers} c on c.customer_id = u.customer_id
    left join touches t on t.customer_id = u.customer_id
    left join stage_at_t st on st.customer_id = u.customer_id
    left join sales_agg sa on sa.customer_id = u.customer_id
)
select * from final order by customer_id
"""


def compute_features(
    con: duckdb.DuckDBPyConnection,
    as_of: datetime | pd.Timestamp,
    tables: FeatureTables | None = None,
) -> pd.DataFrame:
    """Features for every customer known before ``as_of``, computed only from events before it.

    Returns one row per customer_id with the columns in NUMERIC_FEATURES and CATEGORICAL_FEATURES
    (a static column missing from dim_customers comes back as 'unknown').
    """
    tables = tables or FeatureTables()
    available = _columns(con, tables.customers)
    static = [c for c in tables.static_columns if c in available]
    sql = feature_sql(tables, static)
    as_of_ts = pd.Timestamp(as_of).tz_localize(None) if pd.Timestamp(as_of).tzinfo else pd.Timestamp(as_of)
    frame = con.execute(sql, {"as_of": as_of_ts.to_pydatetime()}).df()
    for col in CATEGORICAL_FEATURES:
        if col not in frame.columns:
            frame[col] = "unknown"
        frame[col] = frame[col].fillna("unknown").astype(str)
    for col in NUMERIC_FEATURES:
        frame[col] = pd.to_numeric(frame[col], errors="coerce").fillna(0).astype("float64")
    return frame[["customer_id", "as_of", *NUMERIC_FEATURES, *CATEGORICAL_FEATURES]].reset_index(drop=True)


def feature_columns() -> list[str]:
    """All model input columns, numeric first."""
    return [*NUMERIC_FEATURES, *CATEGORICAL_FEATURES]
