"""Point-in-time customer features: what we knew about each customer as of a snapshot time T.

Every feature is computed from event-level tables (touchpoints, sales, journey-stage history, CRM
accounts, customer attributes) with ``event_time < T``. Current-state columns of ``dim_customers``
(current stage, engagement score, touch counts) are never read, because they already contain what
happened after T and would leak the future into training. Only attributes that do not change over time
(firm type, and the persona when it is given) are taken from the dimension. A test adds events after T
and checks that nothing changes.

A customer's history starts at their first record of any kind before T: a touch, a sale, a journey
stage or the creation of a CRM account (``tenure_days``). Customer attributes (the
``crm.customer_attributes`` delivery, typed by their declaration) become one column each,
``attr_<name>``: the latest value known before T (numeric: NaN when unknown; categorical: 'unknown').

The functions take an open DuckDB connection and return pandas; they never open the warehouse
themselves, so the caller decides how long the (single-writer) file is held.
"""

from __future__ import annotations

import re
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
    # CRM records keyed to the person (created_at starts the history). Optional: left out when missing.
    accounts: str = "intermediate.int_customer_advisors_mapped"
    # Typed customer attributes keyed to the person, one row per value and time it became known
    # (customer_id, attribute, attribute_type, value_number, value_text, valid_from). Optional.
    attributes: str = "intermediate.int_customer_attributes_mapped"
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
    "days_since_last_activity",
    "tenure_days",
    "days_in_stage",
    "purchases_365d",
    "purchase_amount_365d",
    "net_flow_365d",
    "redemptions_365d",
    "days_since_last_purchase",
    "lifetime_purchases",
    "lifetime_purchase_amount",
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
# Prefix of the customer-attribute columns (attr_<name>), whose list depends on the data.
ATTRIBUTE_PREFIX = "attr_"
# Attribute names become column names: anything else than [a-z0-9_] is replaced.
_NAME_OK = re.compile(r"[^a-z0-9_]+")


def _in_list(values: Sequence[str]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def _columns(con: duckdb.DuckDBPyConnection, relation: str) -> set[str]:
    schema, _, name = relation.rpartition(".")
    rows = con.execute(
        "select column_name from information_schema.columns where table_name = ? and (? = '' or table_schema = ?)",
        [name, schema, schema],
    ).fetchall()
    return {r[0] for r in rows}


def feature_sql(tables: FeatureTables, static_columns: Sequence[str], with_accounts: bool = True,
                restrict_to: str | None = None) -> str:
    """The feature query. Parameters: ``$as_of`` (timestamp). Everything is filtered on ``< $as_of``.
    ``restrict_to`` names a relation with a customer_id column: only those customers are computed."""
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
    accounts_union = (
        f"union all select customer_id, min(created_at) from {tables.accounts} where created_at < $as_of group by 1"
        if with_accounts else "")
    restrict = f"where customer_id in (select customer_id from {restrict_to})" if restrict_to else ""
    return f"""
with universe as (
    -- customers known at T: a record of any kind before T (touch, journey stage, sale, CRM account);
    -- the first of them starts the customer's history
    select customer_id, min(first_at) as first_seen_at from (
        select customer_id, min(occurred_at) as first_at from {tables.touchpoints}
        where occurred_at < $as_of group by 1
        union all
        select customer_id, min(entered_at) from {tables.stages}
        where entered_at < $as_of group by 1
        union all
        select customer_id, min(traded_at) from {tables.sales}
        where traded_at < $as_of group by 1
        {accounts_union}
    ) {restrict} group by 1
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
        max(traded_at) as last_sale_at,
        count(*) filter (where transaction_type = 'purchase') as lifetime_purchases,
        coalesce(sum(amount) filter (where transaction_type = 'purchase'), 0) as lifetime_purchase_amount,
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
        coalesce(date_diff('day', greatest(t.last_touch_at, sa.last_sale_at), $as_of), {NEVER_DAYS})
            as days_since_last_activity,
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
        coalesce(sa.lifetime_purchase_amount, 0) as lifetime_purchase_amount,
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


def relation_exists(con: duckdb.DuckDBPyConnection, relation: str) -> bool:
    return bool(_columns(con, relation))


def attributes_sql(tables: FeatureTables, restrict_to: str | None = None) -> str:
    """Per customer and attribute, the latest value known before T (``valid_from`` null = always known)."""
    restrict = f"and customer_id in (select customer_id from {restrict_to})" if restrict_to else ""
    return f"""
select customer_id, attribute, attribute_type, value_number, value_text
from {tables.attributes}
where (valid_from is null or valid_from < $as_of) {restrict}
qualify row_number() over (
    partition by customer_id, attribute order by valid_from desc nulls last, value_text desc nulls last
) = 1
"""


def attribute_column(name: str) -> str:
    """'Monthly Charges' -> 'attr_monthly_charges'."""
    return ATTRIBUTE_PREFIX + (_NAME_OK.sub("_", name.strip().lower()).strip("_") or "unnamed")


def declared_attributes(con: duckdb.DuckDBPyConnection, tables: FeatureTables) -> dict[str, str]:
    """attribute column -> 'numeric' | 'categorical', for every attribute the data holds (any time).
    Taken from the whole table, not only values before T, so every snapshot has the same columns."""
    if not relation_exists(con, tables.attributes):
        return {}
    rows = con.execute(f"select distinct attribute, attribute_type from {tables.attributes} order by 1").fetchall()
    return {attribute_column(name): kind for name, kind in rows}


def _pivot_attributes(con: duckdb.DuckDBPyConnection, tables: FeatureTables, as_of: datetime,
                      declared: dict[str, str], restrict_to: str | None) -> pd.DataFrame:
    long = con.execute(attributes_sql(tables, restrict_to), {"as_of": as_of}).df()
    if long.empty:
        return pd.DataFrame({"customer_id": pd.Series([], dtype="object")})
    long["column"] = long["attribute"].map(attribute_column)
    numeric = long[long["attribute_type"] == "numeric"].pivot(
        index="customer_id", columns="column", values="value_number")
    categorical = long[long["attribute_type"] != "numeric"].pivot(
        index="customer_id", columns="column", values="value_text")
    wide = numeric.join(categorical, how="outer")
    return wide[[c for c in declared if c in wide.columns]].reset_index()


def compute_features(
    con: duckdb.DuckDBPyConnection,
    as_of: datetime | pd.Timestamp,
    tables: FeatureTables | None = None,
    restrict_to: str | None = None,
) -> pd.DataFrame:
    """Features for every customer known before ``as_of``, computed only from events before it.

    Returns one row per customer_id with the columns in NUMERIC_FEATURES and CATEGORICAL_FEATURES
    (a static column missing from dim_customers comes back as 'unknown'), then one ``attr_<name>``
    column per customer attribute. ``restrict_to``: a relation with the customer_ids to compute.
    """
    tables = tables or FeatureTables()
    available = _columns(con, tables.customers)
    static = [c for c in tables.static_columns if c in available]
    sql = feature_sql(tables, static, relation_exists(con, tables.accounts), restrict_to)
    as_of_ts = pd.Timestamp(as_of).tz_localize(None) if pd.Timestamp(as_of).tzinfo else pd.Timestamp(as_of)
    frame = con.execute(sql, {"as_of": as_of_ts.to_pydatetime()}).df()
    for col in CATEGORICAL_FEATURES:
        if col not in frame.columns:
            frame[col] = "unknown"
        frame[col] = frame[col].fillna("unknown").astype(str)
    for col in NUMERIC_FEATURES:
        frame[col] = pd.to_numeric(frame[col], errors="coerce").fillna(0).astype("float64")
    frame = frame[["customer_id", "as_of", *NUMERIC_FEATURES, *CATEGORICAL_FEATURES]].reset_index(drop=True)
    declared = declared_attributes(con, tables)
    if not declared:
        return frame
    attrs = _pivot_attributes(con, tables, as_of_ts.to_pydatetime(), declared, restrict_to)
    frame = frame.merge(attrs, on="customer_id", how="left")
    for col, kind in declared.items():
        if kind == "numeric":
            frame[col] = pd.to_numeric(frame.get(col), errors="coerce").astype("float64")
        else:
            frame[col] = frame[col].fillna("unknown").astype(str) if col in frame else "unknown"
    return frame


def attribute_columns(frame: pd.DataFrame) -> tuple[list[str], list[str]]:
    """(numeric, categorical) attribute columns of a feature frame."""
    cols = [c for c in frame.columns if c.startswith(ATTRIBUTE_PREFIX)]
    numeric = [c for c in cols if pd.api.types.is_numeric_dtype(frame[c])]
    return numeric, [c for c in cols if c not in numeric]


def feature_lists(frame: pd.DataFrame | None = None) -> tuple[list[str], list[str]]:
    """(numeric, categorical) model inputs: the fixed features plus the frame's attribute columns."""
    num_attrs, cat_attrs = attribute_columns(frame) if frame is not None else ([], [])
    return [*NUMERIC_FEATURES, *num_attrs], [*CATEGORICAL_FEATURES, *cat_attrs]


def feature_columns(frame: pd.DataFrame | None = None) -> list[str]:
    """All model input columns, numeric first."""
    numeric, categorical = feature_lists(frame)
    return [*numeric, *categorical]
