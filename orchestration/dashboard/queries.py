"""Every read the dashboard and the report make, as pure functions of (connection, Filters).

The connection is a read-only connection to the PUBLISHED copy (``open_reader``); each function returns
a pandas DataFrame and changes nothing. The marts own the rules (statuses, funnel reach, stalls,
eligibility, attribution credits); these functions only select, filter and add up. Rates are recomputed
from their summed components, as docs/analytics.md prescribes for sliced marts.

Filters: date range, persona, segment, value tier and acquisition channel (``Filters``). A mart without
one of those slices cannot be filtered by it: ``Clause.not_applied`` names the filters a query ignored,
and the page says so rather than pretending.

``people``: one row per customer with the filter dimensions and what a "who are they" panel needs
(current stage, latest monthly status, stalled, reachable, eligible). It is built once per published
copy and registered into each connection (``open_reader``), so every query can join it.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from orchestration.dashboard.experiments import COLUMNS, readout

# The filter dimensions and the column that holds each in `people` and in the sliced marts.
DIMENSIONS = ("persona", "segment", "tier", "channel")
PEOPLE_COLUMNS = {
    "persona": "persona",
    "segment": "segment_name",
    "tier": "value_tier",
    "channel": "acquisition_channel",
}
# Columns a chart may name as a group ("who are they"): only these reach SQL, as identifiers.
GROUP_COLUMNS = (
    "persona",
    "segment_name",
    "value_tier",
    "acquisition_channel",
    "current_stage",
    "status",
    "is_stalled",
    "cohort_month",
    "wholesaler_id",
    "interest_segment",
    "audience",
    "status_month",
    "stage_entered",
)
PREVIEW_COLUMNS = (
    "customer_id",
    "full_name",
    "persona",
    "segment_name",
    "value_tier",
    "acquisition_channel",
    "current_stage",
    "status",
    "is_stalled",
    "is_contactable",
    "is_eligible",
    "customer_value",
)


@dataclass(frozen=True)
class Filters:
    """What every page filters by. Empty tuples mean "all"; dates are inclusive."""

    start: date | None = None
    end: date | None = None
    persona: tuple[str, ...] = ()
    segment: tuple[str, ...] = ()
    tier: tuple[str, ...] = ()
    channel: tuple[str, ...] = ()

    def values(self, dim: str) -> tuple[str, ...]:
        return tuple(getattr(self, dim))

    def active(self) -> list[str]:
        """The filters in use ("date" included), for captions."""
        out = ["date"] if self.start or self.end else []
        return out + [d for d in DIMENSIONS if self.values(d)]


@dataclass(frozen=True)
class Clause:
    sql: str
    params: list = field(default_factory=list)
    not_applied: tuple[str, ...] = ()


def clause(f: Filters, columns: Mapping[str, str], date_column: str | None = None, alias: str = "") -> Clause:
    """A WHERE fragment (``true`` when nothing applies) with its parameters. `columns` maps a dimension to
    the column that holds it; a dimension with a value but no column is reported in ``not_applied``."""
    prefix = f"{alias}." if alias else ""
    parts, params, skipped = [], [], []
    for dim in DIMENSIONS:
        wanted = f.values(dim)
        if not wanted:
            continue
        if dim not in columns:
            skipped.append(dim)
            continue
        parts.append(f"{prefix}{columns[dim]} in ({', '.join('?' * len(wanted))})")
        params += list(wanted)
    if f.start or f.end:
        if date_column is None:
            skipped.insert(0, "date")
        else:
            qualified = date_column if "." in date_column else prefix + date_column
            if f.start:
                parts.append(f"cast({qualified} as date) >= ?")
                params.append(f.start)
            if f.end:
                parts.append(f"cast({qualified} as date) <= ?")
                params.append(f.end)
    return Clause(" and ".join(parts) or "true", params, tuple(skipped))


def _df(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence = ()) -> pd.DataFrame:
    return con.execute(sql, list(params)).df()


def has_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?", [schema, table]
        ).fetchone()[0]
    )


# ------------------------------------------------------------------ people and the reader

PEOPLE_SQL = """
with monthly as (
    select customer_id,
           any_value(segment_name) as segment_name,
           any_value(cohort_month) as cohort_month,
           arg_max(status, month_start) as status
    from marts.fct_customer_monthly group by customer_id
),
stalls as (
    select customer_id, bool_or(is_stalled) as is_stalled from marts.fct_stage_stalls group by customer_id
),
ledger as (
    select customer_id, bool_or(is_eligible) as is_eligible,
           string_agg(distinct case when is_eligible then action end, ', ' order by
                      case when is_eligible then action end) as eligible_actions
    from marts.fct_action_eligibility
    where decided_date = (select max(decided_date) from marts.fct_action_eligibility)
    group by customer_id
)
select c.customer_id, c.full_name, c.email, c.phone_e164,
       coalesce(c.persona, 'unknown') as persona,
       coalesce(m.segment_name, 'unsegmented') as segment_name,
       coalesce(c.value_tier, 'prospect') as value_tier,
       coalesce(c.is_key_account_tier, false) as is_key_account_tier,
       coalesce(c.acquisition_channel, 'unattributed') as acquisition_channel,
       c.current_stage, c.current_stage_since, c.wholesaler_id, c.interest_segment,
       coalesce(m.status, 'prospect') as status, m.cohort_month,
       coalesce(s.is_stalled, false) as is_stalled,
       coalesce(c.is_contactable, false) as is_contactable,
       coalesce(c.is_contactable_email, false) as is_contactable_email,
       coalesce(c.is_contactable_phone, false) as is_contactable_phone,
       coalesce(l.is_eligible, false) as is_eligible, l.eligible_actions,
       c.historical_value, c.predicted_clv, c.probability_alive, c.customer_value
from marts.dim_customers c
left join monthly m using (customer_id)
left join stalls s using (customer_id)
left join ledger l using (customer_id)
"""


def people(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return _df(con, PEOPLE_SQL)


class Reader:
    """Opens read-only connections to the published copy with ``people`` registered. ``people`` is
    rebuilt when the published file changes (it is swapped atomically after each run)."""

    def __init__(self, publish_dir: Path | None = None):
        self.publish_dir = publish_dir
        self._lock = threading.Lock()
        self._people: tuple[tuple, pd.DataFrame] | None = None

    def _stamp(self) -> tuple:
        from orchestration.publish import published_path

        path = published_path(self.publish_dir)
        st = path.stat()
        return (str(path), st.st_mtime_ns, st.st_ino)

    @contextlib.contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        from orchestration.publish import reader_connection

        con = reader_connection(self.publish_dir)
        try:
            stamp = self._stamp()
            with self._lock:
                if self._people is None or self._people[0] != stamp:
                    self._people = (stamp, people(con))
                frame = self._people[1]
            con.register("people", frame)
            yield con
        finally:
            con.close()


# ------------------------------------------------------------------ filter choices


def filter_options(con: duckdb.DuckDBPyConnection) -> dict[str, list]:
    """The values each filter offers, and the months the data spans (``months``: first, last)."""
    opts = {
        dim: [
            r[0]
            for r in con.execute(f"select distinct {col} from people where {col} is not null order by 1").fetchall()
        ]
        for dim, col in PEOPLE_COLUMNS.items()
    }
    first, last = con.execute("select min(month_start), max(month_start) from marts.fct_customer_monthly").fetchone()
    opts["months"] = [first, last]
    return opts


# ------------------------------------------------------------------ overview


def kpis_by_month(con, f: Filters) -> pd.DataFrame:
    """Monthly KPIs summed over the chosen slices, rates recomputed from their components."""
    c = clause(f, PEOPLE_COLUMNS, "month_start")
    return _df(
        con,
        f"""
        select month_start,
               sum(customers_at_start) as customers_at_start, sum(retained_customers) as retained,
               sum(churned_customers) as churned, sum(new_customers) as new_customers,
               sum(reactivated_customers) as reactivated, sum(active_customers) as active,
               sum(at_risk_customers) as at_risk, sum(lapsed_customers) as lapsed, sum(prospects) as prospects,
               sum(purchases) as purchases, sum(revenue) as revenue, sum(net_flows) as net_flows,
               sum(touches) as touches,
               sum(retained_customers) / nullif(sum(customers_at_start), 0) as retention_rate,
               sum(churned_customers) / nullif(sum(customers_at_start), 0) as churn_rate,
               sum(opportunities_open_at_start)
                 * (sum(opportunities_won) / nullif(sum(opportunities_won) + sum(opportunities_lost), 0))
                 * (sum(won_amount) / nullif(sum(opportunities_won), 0))
                 / nullif(sum(won_cycle_days) / nullif(sum(opportunities_won), 0), 0) as pipeline_velocity
        from marts.agg_kpis_monthly where {c.sql}
        group by month_start order by month_start""",
        c.params,
    )


def status_month(con, f: Filters) -> date | None:
    """The month whose statuses a page shows when the date range ends before the data does: the month of
    the range's end (None: the latest month, i.e. ``people.status``)."""
    if not f.end:
        return None
    got = con.execute(
        "select max(month_start) from marts.fct_customer_monthly where month_start <= cast(? as date)", [f.end]
    ).fetchone()[0]
    return got


def _people_at(month: date | None) -> tuple[str, list]:
    """`people`, or `people` with each customer's status in `month` (fct_customer_monthly) and only the
    customers whose journey had begun by then."""
    if month is None:
        return "people", []
    return (
        "(select p.* replace (m.status as status) from people p "
        "join marts.fct_customer_monthly m on m.customer_id = p.customer_id and m.month_start = ?)",
        [month],
    )


def people_by(con, f: Filters, column: str, where: str = "true", month: date | None = None) -> pd.DataFrame:
    """Customers per value of a `people` column, with how many are reachable and eligible and their
    value (statuses as of `month` when given, see ``status_month``). `column` must be one of GROUP_COLUMNS."""
    if column not in GROUP_COLUMNS:
        raise ValueError(f"unknown people column {column!r}")
    c = clause(f, PEOPLE_COLUMNS)
    source, source_params = _people_at(month)
    return _df(
        con,
        f"""
        select {column} as value, count(*) as customers,
               count(*) filter (where is_contactable) as reachable,
               count(*) filter (where is_eligible) as eligible,
               count(*) filter (where status = 'at_risk') as at_risk,
               count(*) filter (where value_tier != 'prospect') as buyers,
               coalesce(sum(historical_value), 0) as historical_value,
               coalesce(sum(predicted_clv), 0) as predicted_clv,
               avg(probability_alive) as mean_probability_alive,
               coalesce(sum(customer_value), 0) as customer_value
        from {source} where {c.sql} and {where}
        group by 1 order by customers desc""",
        [*source_params, *c.params],
    )


# ------------------------------------------------------------------ funnel and stages

FUNNEL_STAGES = ("awareness", "consideration", "purchase", "onboarding", "retention", "advocacy")


def funnel(con, f: Filters) -> tuple[pd.DataFrame, Clause]:
    """Customers who reached each forward stage (the funnel mart's rule), for journeys started in the
    date range (cohort month)."""
    c = clause(f, PEOPLE_COLUMNS, "cohort_month")
    sums = ", ".join(f"coalesce(sum(reached_{s}), 0) as {s}" for s in FUNNEL_STAGES)
    wide = _df(
        con,
        f"select {sums}, coalesce(sum(reached_lapsed), 0) as lapsed from marts.agg_journey_funnel where {c.sql}",
        c.params,
    )
    rows = [(i + 1, s, int(wide[s].iloc[0] or 0)) for i, s in enumerate(FUNNEL_STAGES)]
    out = pd.DataFrame(rows, columns=["stage_order", "stage", "reached"])
    out["step_rate"] = out["reached"] / out["reached"].shift(1)
    out["lapsed_total"] = int(wide["lapsed"].iloc[0] or 0)
    return out, c


DURATION_BUCKETS = ("stays_0_7_days", "stays_7_30_days", "stays_30_90_days", "stays_90_180_days", "stays_180_plus_days")


def stage_durations(con, f: Filters) -> tuple[pd.DataFrame, Clause]:
    """Completed stays per stage by length, for stays begun in the date range (the histogram adds up across
    slices and months)."""
    c = clause(f, PEOPLE_COLUMNS, "month_start")
    sums = ", ".join(f"sum({b}) as {b}" for b in DURATION_BUCKETS)
    return _df(
        con,
        f"""
        select stage, min(stage_order) as stage_order, sum(completed_stays) as completed_stays, {sums},
               sum(mean_days * completed_stays) / nullif(sum(completed_stays), 0) as mean_days
        from marts.agg_stage_durations where {c.sql}
        group by stage order by stage_order""",
        c.params,
    ), c


def stalls(con, f: Filters) -> pd.DataFrame:
    """Customers now in each stage that can still move forward, stalled ones, and how many of those are
    reachable and eligible (people: the stall mart and the ledger); the date range picks who entered
    their stage in it."""
    c = clause(f, PEOPLE_COLUMNS, "s.entered_at", alias="p")
    return _df(
        con,
        f"""
        select s.stage, count(*) as current_customers,
               count(*) filter (where s.is_stalled) as stalled,
               count(*) filter (where s.is_stalled and p.is_contactable) as stalled_reachable,
               count(*) filter (where s.is_stalled and p.is_eligible) as stalled_eligible,
               median(s.stall_threshold_days) as stall_threshold_days
        from marts.fct_stage_stalls s join people p using (customer_id)
        where {c.sql}
        group by s.stage order by min(s.entered_at) is null, s.stage""",
        c.params,
    )


def transitions(con, f: Filters) -> pd.DataFrame:
    """Moves between stages in the date range (Sankey links)."""
    c = clause(f, PEOPLE_COLUMNS, "t.transitioned_at", alias="p")
    return _df(
        con,
        f"""
        select coalesce(t.from_stage, '(entered)') as from_stage, t.to_stage, count(*) as moves,
               count(distinct t.customer_id) as customers, bool_or(t.is_backward) as is_backward
        from marts.fct_journey_transitions t join people p using (customer_id)
        where {c.sql}
        group by 1, 2 order by moves desc""",
        c.params,
    )


# ------------------------------------------------------------------ retention cohorts


def cohorts(con, f: Filters) -> pd.DataFrame:
    """Cohort (first purchase month) x months since: cohort size, live and purchasing customers."""
    c = clause(f, PEOPLE_COLUMNS, "cohort_month")
    return _df(
        con,
        f"""
        select cohort_month, months_since_first_purchase as months_since,
               sum(cohort_customers) as cohort_customers, sum(live_customers) as live_customers,
               sum(purchasing_customers) as purchasing_customers, sum(revenue) as revenue,
               sum(live_customers) / nullif(sum(cohort_customers), 0) as retention_rate
        from marts.agg_retention_cohorts where {c.sql}
        group by 1, 2 order by 1, 2""",
        c.params,
    )


# ------------------------------------------------------------------ CLV and tiers


def clv_validation(con) -> pd.DataFrame:
    if not has_table(con, "marts", "agg_clv_validation"):
        return pd.DataFrame()
    return _df(con, "select * from marts.agg_clv_validation order by decile")


def valuable_at_risk(con, f: Filters, below: float = 0.5) -> pd.DataFrame:
    """Customers of the key-account tiers (dim_customers.is_key_account_tier, from the dbt var
    analytics_key_account_tiers) whose probability of still being active is below `below`."""
    c = clause(f, PEOPLE_COLUMNS)
    return _df(
        con,
        f"""
        select value_tier as value, count(*) as customers, count(*) filter (where is_eligible) as eligible,
               count(*) filter (where is_contactable) as reachable, coalesce(sum(predicted_clv), 0) as predicted_clv
        from people where {c.sql} and is_key_account_tier and probability_alive < ?
        group by 1 order by predicted_clv desc""",
        [*c.params, below],
    )


# ------------------------------------------------------------------ where the money flows


def revenue_by_origin(con, f: Filters, by: str = "acquisition_channel") -> tuple[pd.DataFrame, Clause]:
    if by not in ("acquisition_channel", "acquisition_stage", "first_asset_class", "journey_path"):
        raise ValueError(by)
    c = clause(f, PEOPLE_COLUMNS, "first_purchase_month")
    return _df(
        con,
        f"""
        select {by} as value, sum(customers) as customers, sum(revenue) as revenue,
               sum(customer_value) as customer_value, sum(revenue) / nullif(sum(customers), 0) as revenue_per_customer
        from marts.agg_revenue_by_origin where {c.sql}
        group by 1 order by revenue desc""",
        c.params,
    ), c


def revenue_by_stage(con, f: Filters) -> tuple[pd.DataFrame, Clause]:
    c = clause(f, PEOPLE_COLUMNS, "month_start")
    return _df(
        con,
        f"""
        select month_start, stage, sum(revenue) as revenue, sum(purchases) as purchases
        from marts.agg_revenue_by_stage where {c.sql}
        group by 1, 2 order by 1, 2""",
        c.params,
    ), c


def cross_sell(con, f: Filters, top: int = 25) -> tuple[pd.DataFrame, Clause]:
    """Flows from product to product, for first adoptions in the date range."""
    c = clause(f, PEOPLE_COLUMNS, "adopted_month")
    return _df(
        con,
        f"""
        select from_product_name, to_product_name, sum(customers) as customers, sum(to_revenue) as to_revenue
        from marts.agg_cross_sell_flows where {c.sql}
        group by 1, 2 order by customers desc limit {int(top)}""",
        c.params,
    ), c


def improvement_value(con, f: Filters) -> tuple[pd.DataFrame, Clause]:
    """What one point of conversion on each funnel step is worth, for the customers in the filters (journeys
    begun in the date range): the mart's formulas applied to its summed components."""
    c = clause(f, PEOPLE_COLUMNS, "cohort_month")
    return _df(
        con,
        f"""
        with pooled as (
            select step_order, step, from_stage, to_stage, sum(reached_from) as reached_from,
                   sum(reached_to) as reached_to,
                   sum(value_converted) / nullif(sum(reached_to), 0)
                     - coalesce(sum(value_stopped) / nullif(sum(stopped), 0), 0) as value_per_conversion
            from marts.agg_improvement_value where {c.sql}
            group by 1, 2, 3, 4)
        select step_order, step, from_stage, to_stage, reached_from, reached_to,
               reached_to / nullif(reached_from, 0) as conversion_rate,
               0.01 * reached_from as extra_conversions_per_point,
               0.01 * reached_from * value_per_conversion as value_of_one_point
        from pooled order by step_order""",
        c.params,
    ), c


# ------------------------------------------------------------------ attribution

ATTRIBUTION_MODELS = ("first_touch", "last_touch", "linear", "time_decay", "position_based", "markov")


def attribution(con, f: Filters) -> pd.DataFrame:
    """Conversions and revenue credited to each touch channel under each model (long format)."""
    c = clause(f, PEOPLE_COLUMNS, "a.converted_at", alias="p")
    credits = ", ".join(
        f"sum(a.{m}_credit) as {m}__conv, sum(a.{m}_credit * a.conversion_amount) as {m}__rev"
        for m in ATTRIBUTION_MODELS
    )
    wide = _df(
        con,
        f"""
        select a.channel, {credits}
        from marts.fct_attribution a join people p using (customer_id)
        where {c.sql} group by 1""",
        c.params,
    )
    rows = []
    for _, r in wide.iterrows():
        for m in ATTRIBUTION_MODELS:
            rows.append((m, r["channel"], float(r[f"{m}__conv"] or 0), float(r[f"{m}__rev"] or 0)))
    return pd.DataFrame(rows, columns=["model", "channel", "conversions", "revenue"])


# ------------------------------------------------------------------ segments and personas


def segment_profiles(con) -> pd.DataFrame:
    if not has_table(con, "marts", "dim_segments"):
        return pd.DataFrame()
    return _df(
        con,
        "select segment_name, customers, customer_share, dominant_channel, top_stage, "
        "median_purchase_amount_365d from marts.dim_segments order by customers desc",
    )


def segment_persona_matrix(con, f: Filters) -> pd.DataFrame:
    c = clause(f, PEOPLE_COLUMNS)
    return _df(
        con,
        f"""
        select segment_name, persona, count(*) as customers, coalesce(sum(customer_value), 0) as customer_value,
               count(*) filter (where status = 'at_risk') as at_risk, count(*) filter (where is_eligible) as eligible
        from people where {c.sql} group by 1, 2 order by 1, 2""",
        c.params,
    )


# ------------------------------------------------------------------ experiments


def experiments(con, f: Filters) -> tuple[pd.DataFrame, Clause]:
    """Every experiment x arm x metric with lift and its 95% interval, for the customers the filters pick:
    the parts of marts.agg_experiment_slices in the chosen slices, added up per arm and compared with the
    control from the summed parts (``experiments.readout``); with no filter this is
    marts.agg_experiment_results. The date range keeps experiments whose window overlaps it. A published
    copy built before the slices existed gives the whole results, the customer filters named not applied."""
    c = clause(replace(f, start=None, end=None), PEOPLE_COLUMNS)
    if has_table(con, "marts", "agg_experiment_slices"):
        frame = readout(_df(
            con,
            f"""
            select experiment_type, experiment_name, channel, arm, metric, window_start_at, window_end_at, z_value,
                   sum(n) as n, sum(value_sum) as value_sum, sum(value_sum_squares) as value_sum_squares
            from marts.agg_experiment_slices where {c.sql}
            group by all""",
            c.params,
        ))
    else:
        frame = _df(con, f"select {', '.join(COLUMNS)} from marts.agg_experiment_results")
        c = Clause("true", [], tuple(d for d in DIMENSIONS if f.values(d)))
    if f.end:
        frame = frame[pd.to_datetime(frame["window_start_at"]).dt.date <= f.end]
    if f.start:
        frame = frame[pd.to_datetime(frame["window_end_at"]).dt.date >= f.start]
    return _with_primary_outcome(con, frame.reset_index(drop=True)), c


def _with_primary_outcome(con, frame: pd.DataFrame) -> pd.DataFrame:
    """is_primary_outcome from marts.dim_experiment_metrics (a campaign's design names its primary
    outcome); empty on a published copy built before that table existed."""
    if not has_table(con, "marts", "dim_experiment_metrics"):
        return frame.assign(is_primary_outcome=pd.NA)
    keys = ["experiment_type", "experiment_name", "metric"]
    primary = _df(con, f"select {', '.join(keys)}, is_primary_outcome from marts.dim_experiment_metrics")
    return frame.merge(primary, on=keys, how="left")


# ------------------------------------------------------------------ wholesalers


EFFECT_COLUMNS = ["wholesaler_id", "wholesaler_name", "region", "effect", "ci_lower", "ci_upper", "effect_pct",
                  "effect_rank", "is_above_average", "is_below_average", "territories",
                  "purchase_amount_per_advisor_month"]
PANEL = "marts.fct_wholesaler_coverage_monthly"
# Fits of the regression on a date range, by the fingerprint of its months of the panel: a fit takes
# seconds, and the page is redrawn on every click.
_RANGE_FITS: dict[tuple, pd.DataFrame | str] = {}
_RANGE_FITS_LOCK = threading.Lock()


def wholesaler_effects(con, f: Filters) -> tuple[pd.DataFrame, Clause]:
    """The estimated effects, with each wholesaler's current book under the chosen filters. With a date
    range, the regression is fitted on the panel's months that overlap it (wholesalers.fit and readout,
    the definitions the whole history's agg_wholesaler_effects comes from); without one, or on a copy
    without the panel, the whole history's fit. A range that cannot support the model keeps the whole
    history's effects, and the date is reported not applied with the reason."""
    c = clause(f, PEOPLE_COLUMNS)
    whole = _df(con, f"select {', '.join(EFFECT_COLUMNS)} from marts.agg_wholesaler_effects")
    eff, not_applied = whole, ()
    if f.start or f.end:
        ranged = _range_fit(con, f.start, f.end) if has_table(con, *PANEL.split(".")) else (
            "this published copy has no coverage panel")
        if isinstance(ranged, str):
            not_applied = (f"date: {ranged}",)
        else:
            names = whole[["wholesaler_id", "wholesaler_name", "region"]]
            eff = ranged.merge(names, on="wholesaler_id", how="left")[EFFECT_COLUMNS]
    books = _df(con, f"""select wholesaler_id, count(*) as book,
                                count(*) filter (where status = 'at_risk') as book_at_risk
                         from people where {c.sql} group by 1""", c.params)
    frame = eff.merge(books, on="wholesaler_id", how="left").fillna({"book": 0, "book_at_risk": 0})
    frame = frame.astype({"book": "int64", "book_at_risk": "int64"})
    return frame.sort_values("effect", ascending=False).reset_index(drop=True), Clause(c.sql, c.params, not_applied)


def _range_fit(con, start: date | None, end: date | None) -> pd.DataFrame | str:
    """The regression on the months of [start, end] (a month counts when it overlaps the range): the
    readout frame, or why the months cannot support the model."""
    where = " and ".join([*(["month_start <= ?"] if end else []), *(["month_start >= ?"] if start else [])])
    params = [*([end] if end else []), *([start.replace(day=1)] if start else [])]
    key = con.execute(f"select count(*), sum(advisors), sum(purchases), min(month_start), max(month_start) "
                      f"from {PANEL} where {where}", params).fetchone()
    with _RANGE_FITS_LOCK:
        if key not in _RANGE_FITS:
            _RANGE_FITS[key] = _fit_readout(con, where, params)
        while len(_RANGE_FITS) > 16:
            _RANGE_FITS.pop(next(iter(_RANGE_FITS)))
        return _RANGE_FITS[key]


def _fit_readout(con, where: str, params: list) -> pd.DataFrame | str:
    from orchestration.analytics import wholesalers

    panel = _df(con, f"select * from {PANEL} where {where}", params)
    try:
        return wholesalers.readout(wholesalers.fit(panel).effects, panel)
    except wholesalers.NotEstimable as exc:
        return f"the months chosen cannot support the regression ({exc})"


# ------------------------------------------------------------------ audiences and syncs


def audience_names(con) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'activation' "
            "and table_name like 'aud\\_%' escape '\\' order by 1"
        ).fetchall()
    ]


def audience_sizes_over_time(con, f: Filters) -> pd.DataFrame:
    """Members per audience and day, from the membership history (entered/exited), for people in the
    filters."""
    if not has_table(con, "activation", "fct_audience_membership"):
        return pd.DataFrame(columns=["audience", "day", "members"])
    c = clause(f, PEOPLE_COLUMNS, alias="p")
    date_parts, date_params = [], []
    if f.start:
        date_parts.append("d.day >= ?")
        date_params.append(f.start)
    if f.end:
        date_parts.append("d.day <= ?")
        date_params.append(f.end)
    return _df(
        con,
        f"""
        with m as (
            select m.audience, cast(m.entered_at as date) as entered, cast(m.exited_at as date) as exited
            from activation.fct_audience_membership m join people p using (customer_id) where {c.sql}),
        days as (
            select distinct entered as day from m union select distinct exited from m where exited is not null)
        select m.audience, d.day, count(*) filter (where m.entered <= d.day and (m.exited is null or m.exited > d.day))
               as members
        from days d cross join m
        where {" and ".join(date_parts) or "true"}
        group by 1, 2 order by 1, 2""",
        [*c.params, *date_params],
    )


def audience_summary(con, f: Filters) -> pd.DataFrame:
    """Each audience now: members in the filters, and how many of those are reachable."""
    c = clause(f, PEOPLE_COLUMNS, alias="p")
    rows = []
    for name in audience_names(con):
        n, reach = con.execute(
            f"select count(distinct a.customer_id), count(distinct a.customer_id) filter (where p.is_contactable) "
            f'from activation."{name}" a join people p using (customer_id) where {c.sql}',
            c.params,
        ).fetchone()
        total = con.execute(f'select count(distinct customer_id) from activation."{name}"').fetchone()[0]
        rows.append((name, n, reach, total))
    return pd.DataFrame(rows, columns=["audience", "members", "reachable", "members_unfiltered"])


def audience_rows(con, name: str, limit: int | None = 20) -> pd.DataFrame:
    """The audience's rows as published (they are gated by the ledger already)."""
    if name not in audience_names(con):
        raise LookupError(f"unknown audience {name!r}; known: {', '.join(audience_names(con)) or '(none)'}")
    lim = f" limit {int(limit)}" if limit else ""
    return _df(con, f'select * from activation."{name}" order by 1{lim}')


def sync_status(con) -> pd.DataFrame:
    """The last (not dry) run of each sync."""
    if not has_table(con, "ops", "sync_runs"):
        return pd.DataFrame()
    return _df(
        con,
        """
        select sync_name, audience, destination, started_at, status, sent, acked, rejected,
               planned_privacy_removed, error
        from (select *, row_number() over (partition by sync_name order by started_at desc) as n
              from ops.sync_runs where not dry_run) where n = 1 order by sync_name""",
    )


def sync_errors(con, limit: int = 20) -> pd.DataFrame:
    """The latest run errors and the open rejected rows by reason."""
    parts = []
    if has_table(con, "ops", "sync_runs"):
        parts.append(
            _df(
                con,
                """
            select sync_name, started_at as at, 'run error' as kind, error as reason, 1 as rows
            from ops.sync_runs where error is not null and not dry_run""",
            )
        )
    if has_table(con, "ops", "sync_rejected_rows"):
        parts.append(
            _df(
                con,
                """
            select sync_name, max(rejected_at) as at, 'rejected rows (open)' as kind, reason, count(*) as rows
            from ops.sync_rejected_rows where resolved_at is null group by sync_name, reason""",
            )
        )
    if not parts:
        return pd.DataFrame(columns=["sync_name", "at", "kind", "reason", "rows"])
    out = pd.concat([p for p in parts if not p.empty] or parts, ignore_index=True)
    return out.sort_values("at", ascending=False).head(limit).reset_index(drop=True)


# ------------------------------------------------------------------ groups ("who are they")


def _group_where(spec: Mapping[str, object]) -> tuple[str, list]:
    """A group as SQL over `people`. Two keys are not columns: ``status_month`` makes ``status`` the status
    in that month (fct_customer_monthly); ``stage_entered`` [first, last] (dates or null) keeps those who
    entered their current stage in that range."""
    parts, params = [], []
    spec = dict(spec)
    if "status_month" in spec:
        parts.append(
            "customer_id in (select customer_id from marts.fct_customer_monthly "
            "where month_start = cast(? as date) and status = ?)"
        )
        params += [str(spec.pop("status_month")), str(spec.pop("status", ""))]
    if "stage_entered" in spec:
        first, last = spec.pop("stage_entered")
        parts.append(
            "cast(current_stage_since as date) between coalesce(cast(? as date), date '0001-01-01') "
            "and coalesce(cast(? as date), date '9999-12-31')"
        )
        params += [first, last]
    for col, value in spec.items():
        if col not in GROUP_COLUMNS:
            raise ValueError(f"a group cannot filter on {col!r}")
        if col == "audience":
            if not isinstance(value, str) or not value.startswith("aud_"):
                raise ValueError(f"not an audience: {value!r}")
            parts.append(f'customer_id in (select customer_id from activation."{value.replace(chr(34), "")}")')
            continue
        if value is None:
            parts.append(f"{col} is null")
            continue
        parts.append(f"cast({col} as varchar) = ?")
        params.append(str(value).lower() if isinstance(value, bool) else str(value))
    return " and ".join(parts) or "true", params


def group_members(con, f: Filters, spec: Mapping[str, object], limit: int | None = None) -> pd.DataFrame:
    """The people of a group (within the page's filters), most valuable first."""
    c = clause(f, PEOPLE_COLUMNS)
    where, params = _group_where(spec)
    lim = f" limit {int(limit)}" if limit else ""
    cols = ", ".join(PREVIEW_COLUMNS)
    return _df(
        con,
        f"select {cols} from people where {c.sql} and {where} "
        f"order by customer_value desc nulls last, customer_id{lim}",
        [*c.params, *params],
    )


def group_summary(con, f: Filters, spec: Mapping[str, object]) -> dict:
    """Size, reachable (consent), eligible (the ledger) and the audiences that already hold them."""
    c = clause(f, PEOPLE_COLUMNS)
    where, params = _group_where(spec)
    size, reachable, eligible = con.execute(
        f"select count(*), count(*) filter (where is_contactable), count(*) filter (where is_eligible) "
        f"from people where {c.sql} and {where}",
        [*c.params, *params],
    ).fetchone()
    covering = []
    if size:
        for name in audience_names(con):
            n = con.execute(
                f"select count(*) from people where {c.sql} and {where} and customer_id in "
                f'(select customer_id from activation."{name}")',
                [*c.params, *params],
            ).fetchone()[0]
            if n:
                covering.append((name, n, n / size))
        covering.sort(key=lambda t: -t[1])
    return {"size": int(size), "reachable": int(reachable), "eligible": int(eligible), "audiences": covering}


def group_export(con, f: Filters, spec: Mapping[str, object]) -> pd.DataFrame:
    """The group members the ledger lets us act on (eligible for at least one action), with the actions
    they are eligible for, and an email or phone only where that channel's consent holds. Others are
    left out: the ledger is the gate."""
    c = clause(f, PEOPLE_COLUMNS)
    where, params = _group_where(spec)
    return _df(
        con,
        f"""
        select customer_id, full_name,
               case when is_contactable_email then email end as email,
               case when is_contactable_phone then phone_e164 end as phone_e164,
               persona, segment_name, value_tier, acquisition_channel, current_stage, status, eligible_actions
        from people where {c.sql} and {where} and is_eligible
        order by customer_value desc nulls last, customer_id""",
        [*c.params, *params],
    )
