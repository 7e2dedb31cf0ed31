"""Each dashboard page as data: a title, the one suggestion, headline numbers, Plotly figures (each with a
title naming its unit and a one-line "how to read"), and tables. The Dash app and the HTML report render
the same ``View``s, so the two cannot drift.

A figure whose points are groups of customers carries, per point, the group as JSON in ``customdata``
(columns of ``queries.people``); clicking it in the app opens the "who are they" panel.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd
import plotly.graph_objects as go

from orchestration.dashboard import insights
from orchestration.dashboard import queries as q
from orchestration.dashboard.experiments import row_labels
from orchestration.dashboard.numbers import MONEY_METRICS, count, days, money, pct

# A small template instead of plotly_white: plotly.py deep-copies a figure's template, and the full one
# (settings for every trace type) cost more than the queries of a page (benchmarks/bench_dashboard.py).
GRID = "#e5ecf6"
TEMPLATE = {
    "layout": {
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "font": {"color": "#2a3f5f"},
        "xaxis": {"gridcolor": GRID, "linecolor": GRID, "zerolinecolor": GRID, "automargin": True},
        "yaxis": {"gridcolor": GRID, "linecolor": GRID, "zerolinecolor": GRID, "automargin": True},
        "hoverlabel": {"align": "left"},
    }
}
COLORWAY = ["#3182bd", "#e6550d", "#31a354", "#756bb1", "#636363", "#fd8d3c", "#9ecae1", "#a1d99b"]
# $250k, $1.2M, $2B: exponentformat "B" names billions B (the SI format would print G).
MONEY_AXIS = {"tickprefix": "$", "exponentformat": "B"}
STAGE_COLORS = {
    "awareness": "#9ecae1",
    "consideration": "#6baed6",
    "purchase": "#3182bd",
    "onboarding": "#31a354",
    "retention": "#74c476",
    "advocacy": "#a1d99b",
    "lapsed": "#de2d26",
    "(start)": "#bdbdbd",
}


@dataclass
class Chart:
    key: str
    figure: go.Figure
    how_to_read: str
    clickable: bool = False  # points carry a group: a click shows who they are


@dataclass
class Table:
    title: str
    frame: pd.DataFrame
    formats: dict[str, Callable] = field(default_factory=dict)

    def cells(self) -> list[list[str]]:
        out = []
        for _, row in self.frame.iterrows():
            out.append([self.formats.get(c, _plain)(row[c]) for c in self.frame.columns])
        return out


@dataclass
class View:
    key: str
    title: str
    suggestion: str
    kpis: list[tuple[str, str]] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    not_applied: tuple[str, ...] = ()  # filters in use that this page cannot apply (shown beside them)
    selected: str | None = None  # the audience previewed (audiences page)
    why_not_applied: str = "this page's data has no slice for them"

    def not_applied_note(self) -> str:
        """The visible notice for the filters in use this page does not apply ('' when it applies all)."""
        if not self.not_applied:
            return ""
        return f"Not applied on this page: {', '.join(self.not_applied)} ({self.why_not_applied})."


def _plain(value) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d %H:%M") if (value.hour or value.minute) else value.strftime("%Y-%m-%d")
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return count(value)
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


def group(**spec) -> str:
    return json.dumps(spec, default=str, sort_keys=True)


def _fig(data) -> go.Figure:
    return go.Figure(data=data, layout={"template": TEMPLATE})


def _layout(fig: go.Figure, title: str, x: str | None = None, y: str | None = None, height: int = 380) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0.01},
        height=height,
        margin={"l": 60, "r": 20, "t": 60, "b": 50},
        legend={"orientation": "h", "y": -0.2},
        separators=".,",
        colorway=COLORWAY,
    )
    if x is not None:
        fig.update_xaxes(title_text=x)
    if y is not None:
        fig.update_yaxes(title_text=y)
    return fig


def _stage_rank(stage: str) -> int:
    order = [*q.FUNNEL_STAGES, "lapsed"]
    return order.index(stage) if stage in order else len(order)


def _dated(f: q.Filters) -> tuple[str, ...]:
    """("date",) when a date range is in use: for the pages that show customers as they are now."""
    return ("date",) if (f.start or f.end) else ()


def _not_applied(*clauses: q.Clause) -> tuple[str, ...]:
    seen: list[str] = []
    for c in clauses:
        seen += [d for d in c.not_applied if d not in seen]
    return tuple(seen)


# ------------------------------------------------------------------ overview


def _kpi_figures(k) -> tuple[go.Figure, go.Figure]:
    rates = _fig(
        [
            go.Scatter(
                x=k["month_start"],
                y=k["retention_rate"],
                name="retention",
                mode="lines+markers",
                hovertemplate="%{x|%b %Y}: %{y:.1%}<extra>retention</extra>",
            ),
            go.Scatter(
                x=k["month_start"],
                y=k["churn_rate"],
                name="churn",
                mode="lines+markers",
                hovertemplate="%{x|%b %Y}: %{y:.1%}<extra>churn</extra>",
            ),
        ]
    )
    _layout(rates, "Retention and churn by month (% of customers live at the month's start)", "month", "% of customers")
    rates.update_yaxes(tickformat=".0%", rangemode="tozero")
    rates.update_xaxes(dtick="M1", tickformat="%b %Y")
    revenue = _fig(
        [
            go.Bar(
                x=k["month_start"],
                y=k["revenue"],
                name="revenue (USD)",
                hovertemplate="%{x|%b %Y}: $%{y:,.0f}<extra></extra>",
            ),
            go.Scatter(
                x=k["month_start"],
                y=k["new_customers"],
                name="new customers",
                yaxis="y2",
                mode="lines+markers",
                hovertemplate="%{x|%b %Y}: %{y:,} new<extra></extra>",
            ),
        ]
    )
    _layout(revenue, "Revenue (USD) and new customers (count) by month", "month", "revenue (USD)")
    revenue.update_layout(
        yaxis=MONEY_AXIS,
        yaxis2={
            "title": "new customers",
            "overlaying": "y",
            "side": "right",
            "showgrid": False,
            "rangemode": "tozero",
            "tickformat": ",d",
        },
    )
    revenue.update_xaxes(dtick="M1", tickformat="%b %Y")
    return rates, revenue


def overview(con, f: q.Filters) -> View:
    k = q.kpis_by_month(con, f)
    month = q.status_month(con, f)  # statuses at the end of the date range
    status = q.people_by(con, f, "status", month=month)
    personas = q.people_by(con, f, "persona", month=month)
    when = "this month" if month is None else f"in {month:%b %Y}"
    last = k.iloc[-1] if not k.empty else None
    kpis = [
        (
            "customers live at the start of the last month",
            count(last["customers_at_start"]) if last is not None else "n/a",
        ),
        ("retention, last month", pct(last["retention_rate"]) if last is not None else "n/a"),
        ("churn, last month", pct(last["churn_rate"]) if last is not None else "n/a"),
        ("revenue in the period", money(k["revenue"].sum())),
        ("new customers in the period", count(k["new_customers"].sum())),
        (f"at risk {when}", count(status.loc[status["value"] == "at_risk", "customers"].sum())),
    ]
    rates, revenue = _kpi_figures(k)
    order = ["prospect", "new", "active", "retained", "reactivated", "at_risk", "lapsed"]
    status = status.set_index("value").reindex([s for s in order if s in set(status["value"])]).reset_index()
    bars = _fig(
        go.Bar(
            x=status["value"],
            y=status["customers"],
            customdata=[
                group(status=s) if month is None else group(status=s, status_month=month) for s in status["value"]
            ],
            text=[count(v) for v in status["customers"]],
            textposition="outside",
            hovertemplate="%{x}: %{y:,} customers<extra>click: who are they</extra>",
        )
    )
    _layout(bars, f"Customers by status {when} (count)", "status", "customers")
    return View(
        "overview",
        "Overview",
        insights.overview(personas),
        kpis,
        [
            Chart(
                "rates",
                rates,
                "Each point is a month: the share of customers live at its start who were still live "
                "(retention) or had lapsed (churn) at its end.",
            ),
            Chart(
                "revenue",
                revenue,
                "Bars are gross purchases per month (left axis, USD); the line counts first-time buyers (right axis).",
            ),
            Chart(
                "status",
                bars,
                "How many customers are in each status in the last month of the date range (the latest month "
                "without one); click a bar to see who they are.",
                clickable=True,
            ),
        ],
    )


# ------------------------------------------------------------------ funnel


def _durations_figure(durations) -> go.Figure:
    labels = {
        "stays_0_7_days": "< 1 week",
        "stays_7_30_days": "1-4 weeks",
        "stays_30_90_days": "1-3 months",
        "stays_90_180_days": "3-6 months",
        "stays_180_plus_days": "6+ months",
    }
    tot = durations["completed_stays"].astype(float).where(durations["completed_stays"] > 0)
    shades = dict(zip(q.DURATION_BUCKETS, ["#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c"], strict=True))
    dur = _fig(
        [
            go.Bar(
                y=durations["stage"],
                x=durations[b].astype(float) / tot,
                name=labels[b],
                orientation="h",
                customdata=durations[b],
                marker_color=shades[b],
                hovertemplate="%{y}, " + labels[b] + ": %{x:.0%} (%{customdata:,} stays)<extra></extra>",
            )
            for b in q.DURATION_BUCKETS
        ]
    )
    _layout(dur, "Time in stage: completed stays by length (% of stays)", "% of completed stays", "stage")
    dur.update_layout(barmode="stack")
    dur.update_xaxes(tickformat=".0%")
    dur.update_yaxes(autorange="reversed")
    dur.update_layout(legend={"traceorder": "normal"})
    return dur


def _stall_group(f: q.Filters, stage: str) -> str:
    if f.start or f.end:  # the chart counts those who entered the stage in the date range
        return group(current_stage=stage, is_stalled=True, stage_entered=[f.start, f.end])
    return group(current_stage=stage, is_stalled=True)


def funnel(con, f: q.Filters) -> View:
    stages, c1 = q.funnel(con, f)
    durations, c2 = q.stage_durations(con, f)
    stall = q.stalls(con, f)
    fun = _fig(
        go.Funnel(
            y=stages["stage"],
            x=stages["reached"],
            texttemplate="%{value:,}<br>%{percentPrevious:.0%}",
            customdata=[group(current_stage=s) for s in stages["stage"]],
            hovertemplate="%{y}: %{x:,} reached<extra>click: who is there now</extra>",
        )
    )
    _layout(fun, "Funnel: customers who reached each stage (count, % of the previous stage)")
    sb = _fig(
        [
            go.Bar(
                x=stall["stage"],
                y=stall[col],
                name=name,
                marker_color=color,
                customdata=[_stall_group(f, s) for s in stall["stage"]],
                hovertemplate="%{x}: %{y:,} " + name + "<extra>click: who are they</extra>",
            )
            for col, name, color in (
                ("stalled", "stalled", "#9ecae1"),
                ("stalled_reachable", "stalled, reachable", "#3182bd"),
                ("stalled_eligible", "stalled, eligible now", "#31a354"),
            )
        ]
    )
    _layout(sb, "Stalled customers by current stage (count)", "current stage", "customers")
    sb.update_layout(barmode="group")
    dur = _durations_figure(durations)
    table = Table(
        "Stalls by stage",
        stall.rename(columns={"stall_threshold_days": "stalled after (days)"}),
        {"stalled after (days)": days},
    )
    return View(
        "funnel",
        "Funnel and drop-off",
        insights.funnel(stages, stall),
        [
            ("reached awareness", count(stages["reached"].iloc[0])),
            ("reached purchase", count(stages.loc[stages["stage"] == "purchase", "reached"].sum())),
            ("stalled now", count(stall["stalled"].sum())),
            ("stalled and eligible", count(stall["stalled_eligible"].sum())),
            (
                "mean stay (completed)",
                days(
                    (durations["mean_days"] * durations["completed_stays"]).sum()
                    / max(durations["completed_stays"].sum(), 1)
                ),
            ),
        ],
        [
            Chart(
                "funnel",
                fun,
                "Width is customers who reached the stage or a later one; the % is how many of the "
                "previous stage made it. Click a stage to see who is in it now.",
                clickable=True,
            ),
            Chart(
                "stalls",
                sb,
                "Customers stuck in their current stage for longer than most of their persona took "
                "(the stall threshold); reachable = consent, eligible = the decision ledger. Click a bar.",
                clickable=True,
            ),
            Chart("durations", dur, "Each bar splits the completed stays in a stage by how long they lasted."),
        ],
        [table],
        _not_applied(c1, c2),
    )


# ------------------------------------------------------------------ journeys


def journeys(con, f: q.Filters) -> View:
    moves = q.transitions(con, f)
    nodes = list(dict.fromkeys([*q.FUNNEL_STAGES, "lapsed", *moves["from_stage"], *moves["to_stage"]]))
    nodes = [n for n in nodes if n in set(moves["from_stage"]) | set(moves["to_stage"])]
    idx = {n: i for i, n in enumerate(nodes)}
    link_colors = [
        "rgba(222,45,38,0.45)" if (t == "lapsed" or b) else "rgba(49,130,189,0.35)"
        for t, b in zip(moves["to_stage"], moves["is_backward"], strict=True)
    ]
    fig = _fig(
        go.Sankey(
            arrangement="snap",
            node={
                "label": nodes,
                "color": [STAGE_COLORS.get(n, "#bdbdbd") for n in nodes],
                "pad": 18,
                "customdata": [group(current_stage=n) for n in nodes],
                "hovertemplate": "%{label}: %{value:,} moves<extra>click: who is there now</extra>",
            },
            link={
                "source": [idx[s] for s in moves["from_stage"]],
                "target": [idx[t] for t in moves["to_stage"]],
                "value": moves["moves"],
                "color": link_colors,
                "hovertemplate": "%{source.label} → %{target.label}: %{value:,} moves<extra></extra>",
            },
        )
    )
    _layout(fig, "Journeys: moves between stages (count of moves)", height=480)
    top = moves.head(12).assign(share=lambda d: d["moves"] / max(moves["moves"].sum(), 1))
    return View(
        "journeys",
        "Journeys",
        insights.journeys(moves),
        [
            ("moves", count(moves["moves"].sum())),
            (
                "customers who entered the journey",
                count(moves.loc[moves["from_stage"] == "(entered)", "customers"].sum()),
            ),
            ("moves into lapsed", count(moves.loc[moves["to_stage"] == "lapsed", "moves"].sum())),
        ],
        [
            Chart(
                "sankey",
                fig,
                "Bands run from a stage to the next one a customer entered; width is the number of "
                "moves. Red bands go backward or to lapsed. Click a stage to see who is in it now.",
                clickable=True,
            )
        ],
        [
            Table(
                "Most common moves",
                top[["from_stage", "to_stage", "moves", "customers", "share"]],
                {"moves": count, "customers": count, "share": pct},
            )
        ],
    )


# ------------------------------------------------------------------ cohorts


def cohorts(con, f: q.Filters) -> View:
    cells = q.cohorts(con, f)
    grid = (
        cells.pivot(index="cohort_month", columns="months_since", values="retention_rate")
        if len(cells)
        else pd.DataFrame()
    )
    sizes = cells.pivot(index="cohort_month", columns="months_since", values="cohort_customers") if len(cells) else grid
    ylabels = [pd.Timestamp(m).strftime("%b %Y") for m in grid.index]
    custom = [[group(cohort_month=pd.Timestamp(m).date().isoformat()) for _ in grid.columns] for m in grid.index]
    fig = _fig(
        go.Heatmap(
            z=grid.values,
            x=[int(c) for c in grid.columns],
            y=ylabels,
            colorscale="Blues",
            zmin=0,
            zmax=1,
            customdata=custom,
            text=sizes.values,
            texttemplate="%{z:.0%}",
            colorbar={"title": "live", "tickformat": ".0%"},
            hovertemplate="cohort %{y}, month %{x}: %{z:.1%} live of %{text:,}"
            "<extra>click: who is in this cohort</extra>",
        )
    )
    _layout(
        fig,
        "Retention by first-purchase cohort (% of the cohort still live)",
        "months since first purchase",
        "cohort (month of first purchase)",
        height=max(360, 28 * len(ylabels) + 140),
    )
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(dtick=1)
    first = cells[cells["months_since"] == 0]
    return View(
        "cohorts",
        "Retention cohorts",
        insights.cohorts(cells),
        [
            ("cohorts", count(len(grid))),
            ("buyers in them", count(first["cohort_customers"].sum())),
            (
                "live after 3 months",
                pct(
                    cells.loc[cells["months_since"] == 3, "live_customers"].sum()
                    / max(cells.loc[cells["months_since"] == 3, "cohort_customers"].sum(), 1)
                ),
            ),
        ],
        [
            Chart(
                "heatmap",
                fig,
                "Each row is the buyers of one month; each cell the share of them still live that "
                "many months later. Read across a row for decay, down a column to compare cohorts. Click a cell.",
                clickable=True,
            )
        ],
    )


# ------------------------------------------------------------------ CLV and tiers

TIER_ORDER = ["platinum", "gold", "silver", "bronze", "prospect"]


def _validation_chart(val) -> Chart:
    v = _fig(
        [
            go.Bar(x=val["decile"], y=val["predicted_purchases"], name="predicted"),
            go.Bar(x=val["decile"], y=val["actual_purchases"], name="actual"),
        ]
    )
    _layout(
        v,
        "CLV model check: mean purchase days per customer in the hold-out period, by decile (count)",
        "decile of predicted purchases",
        "purchase days per customer",
    )
    v.update_layout(barmode="group")
    v.update_xaxes(dtick=1)
    return Chart(
        "validation",
        v,
        "Customers ranked by predicted purchases; bars close together in every "
        "decile mean the model ranks and sizes customers well.",
    )


def clv(con, f: q.Filters) -> View:
    tiers = q.people_by(con, f, "value_tier")
    tiers = (
        tiers.set_index("value")
        .reindex(
            [t for t in TIER_ORDER if t in set(tiers["value"])] + [t for t in tiers["value"] if t not in TIER_ORDER]
        )
        .reset_index()
    )
    risk = q.valuable_at_risk(con, f)
    val = q.clv_validation(con)
    custom = [group(value_tier=t) for t in tiers["value"]]
    fig = _fig(
        [
            go.Bar(
                x=tiers["value"],
                y=tiers["predicted_clv"],
                name="predicted CLV (USD)",
                customdata=custom,
                hovertemplate="%{x}: $%{y:,.0f} predicted<extra>click: who are they</extra>",
            ),
            go.Bar(
                x=tiers["value"],
                y=tiers["historical_value"],
                name="historical value (USD)",
                customdata=custom,
                hovertemplate="%{x}: $%{y:,.0f} to date<extra>click: who are they</extra>",
            ),
        ]
    )
    _layout(fig, "Value by tier (USD): predicted CLV and purchases to date", "value tier", "USD")
    fig.update_layout(barmode="group", yaxis=MONEY_AXIS)
    n = _fig(
        go.Bar(
            x=tiers["value"],
            y=tiers["customers"],
            customdata=custom,
            text=[count(v) for v in tiers["customers"]],
            textposition="outside",
            hovertemplate="%{x}: %{y:,} customers<extra>click: who are they</extra>",
        )
    )
    _layout(n, "Customers by value tier (count)", "value tier", "customers")
    charts = [
        Chart(
            "tier_value",
            fig,
            "Bars compare what each tier is expected to buy over the next year "
            "(BG/NBD x Gamma-Gamma) with what it bought so far. Click a tier.",
            clickable=True,
        ),
        Chart("tier_size", n, "How many customers each tier holds; prospects have not bought yet.", clickable=True),
    ]
    if not val.empty:
        charts.append(_validation_chart(val))
    buyers = tiers[tiers["value"] != "prospect"]
    return View(
        "clv",
        "CLV and tiers",
        insights.clv(risk, tiers),
        [
            ("buyers", count(buyers["customers"].sum())),
            ("predicted CLV", money(tiers["predicted_clv"].sum())),
            ("purchases to date", money(tiers["historical_value"].sum())),
            ("top tiers slipping (p alive < 50%)", count(risk["customers"].sum())),
        ],
        charts,
        not_applied=_dated(f),
        why_not_applied="CLV and value tiers are predictions as of now",
    )


# ------------------------------------------------------------------ money flows


def _flow_figures(flows, bystage) -> tuple[go.Figure, go.Figure]:
    moved = flows[flows["to_product_name"] != "(none yet)"]
    left = list(dict.fromkeys(moved["from_product_name"]))
    right = list(dict.fromkeys(moved["to_product_name"]))
    x = _fig(
        go.Sankey(
            node={"label": left + right, "pad": 10},
            link={
                "source": [left.index(a) for a in moved["from_product_name"]],
                "target": [len(left) + right.index(b) for b in moved["to_product_name"]],
                "value": moved["customers"],
                "hovertemplate": "%{source.label} → %{target.label}: %{value:,} customers<extra></extra>",
            },
        )
    )
    _layout(x, "Cross-sell: from a first product to the next (customers)", height=440)
    st = _fig(
        [
            go.Bar(
                x=g["month_start"],
                y=g["revenue"],
                name=stage,
                marker_color=STAGE_COLORS.get(stage),
                hovertemplate=stage + " %{x|%b %Y}: $%{y:,.0f}<extra></extra>",
            )
            for stage, g in sorted(bystage.groupby("stage"), key=lambda t: _stage_rank(t[0]))
        ]
    )
    _layout(st, "Revenue by the stage customers were in when buying (USD per month)", "month", "USD")
    st.update_layout(barmode="stack", yaxis=MONEY_AXIS)
    st.update_xaxes(dtick="M1", tickformat="%b %Y")
    return x, st


def money_flows(con, f: q.Filters) -> View:
    origin, c1 = q.revenue_by_origin(con, f)
    steps, c2 = q.improvement_value(con, f)
    flows, c3 = q.cross_sell(con, f)
    bystage, c4 = q.revenue_by_stage(con, f)
    o = _fig(
        go.Bar(
            x=origin["value"],
            y=origin["revenue"],
            customdata=[group(acquisition_channel=v) for v in origin["value"]],
            text=[money(v) for v in origin["revenue"]],
            textposition="outside",
            hovertemplate="%{x}: $%{y:,.0f}<extra>click: who came this way</extra>",
        )
    )
    _layout(
        o,
        "Revenue by acquisition channel (USD, all purchases of the customers it brought)",
        "first-touch channel",
        "USD",
    )
    o.update_yaxes(**MONEY_AXIS)
    s = _fig(
        go.Bar(
            x=steps["step"],
            y=steps["value_of_one_point"],
            customdata=[group(current_stage=v) for v in steps["from_stage"]],
            text=[money(v) for v in steps["value_of_one_point"]],
            textposition="outside",
            hovertemplate="%{x}: $%{y:,.0f} per point<extra>click: who is at this step now</extra>",
        )
    )
    _layout(s, "Value of +1 point of conversion per funnel step (USD)", "funnel step", "USD per point")
    s.update_yaxes(**MONEY_AXIS)
    x, st = _flow_figures(flows, bystage)
    return View(
        "money",
        "Where the money flows",
        insights.money_flows(steps),
        [
            ("revenue", money(origin["revenue"].sum())),
            ("buyers", count(origin["customers"].sum())),
            ("best step to improve", money(steps["value_of_one_point"].max()) + " per point" if len(steps) else "n/a"),
        ],
        [
            Chart(
                "origin",
                o,
                "Which first-touch channel brought the customers whose purchases add up to each bar. Click a bar.",
                clickable=True,
            ),
            Chart(
                "improvement",
                s,
                "Extra conversions from one more point of conversion, times the value gap between "
                "those who moved on and those who stopped (an upper bound). Click a bar.",
                clickable=True,
            ),
            Chart(
                "cross_sell",
                x,
                "Bands go from a product (left) to the next product the same customers bought "
                f"(right); {count(flows.loc[flows['to_product_name'] == '(none yet)', 'customers'].sum())} "
                "customers have not bought a second product yet and are left out.",
            ),
            Chart("by_stage", st, "Stacks split each month's purchases by the journey stage of the buyer at the time."),
        ],
        [
            Table(
                "Value of improving each step",
                steps[["step", "reached_from", "conversion_rate", "extra_conversions_per_point", "value_of_one_point"]],
                {
                    "reached_from": count,
                    "conversion_rate": pct,
                    "extra_conversions_per_point": count,
                    "value_of_one_point": money,
                },
            )
        ],
        _not_applied(c1, c2, c3, c4),
    )


# ------------------------------------------------------------------ attribution


def attribution(con, f: q.Filters) -> View:
    credits = q.attribution(con, f)
    share = credits.assign(share=credits["revenue"] / credits.groupby("model")["revenue"].transform("sum"))
    fig = _fig(
        [
            go.Bar(
                x=g["channel"],
                y=g["share"],
                name=m,
                customdata=g["revenue"],
                hovertemplate=m + ", %{x}: %{y:.1%} of revenue ($%{customdata:,.0f})<extra></extra>",
            )
            for m, g in share.groupby("model", sort=False)
        ]
    )
    _layout(
        fig,
        "Attribution: share of revenue credited to each channel, by model (% of revenue)",
        "touch channel",
        "% of attributed revenue",
    )
    fig.update_layout(barmode="group")
    fig.update_yaxes(tickformat=".0%")
    conv = credits.pivot_table(index="channel", columns="model", values="conversions", aggfunc="sum").fillna(0)
    conv = conv[[m for m in q.ATTRIBUTION_MODELS if m in conv.columns]].reset_index()
    return View(
        "attribution",
        "Attribution",
        insights.attribution(credits),
        [
            ("conversions", count(credits.loc[credits["model"] == "linear", "conversions"].sum())),
            ("attributed revenue", money(credits.loc[credits["model"] == "linear", "revenue"].sum())),
        ],
        [
            Chart(
                "models",
                fig,
                "For each channel, one bar per model: the share of all purchase revenue it is credited "
                "with. Where the bars disagree, the choice of model changes the budget.",
            )
        ],
        [
            Table(
                "Credited conversions by channel and model",
                conv,
                {m: lambda v: f"{v:,.1f}" for m in q.ATTRIBUTION_MODELS},
            )
        ],
    )


# ------------------------------------------------------------------ segments and personas


def _segment_figures(matrix, per) -> tuple[go.Figure, go.Figure]:
    heat = (
        matrix.pivot(index="segment_name", columns="persona", values="customer_value").fillna(0)
        if len(matrix)
        else pd.DataFrame()
    )
    custom = [[group(segment_name=r, persona=c) for c in heat.columns] for r in heat.index]
    h = _fig(
        go.Heatmap(
            z=heat.values,
            x=list(heat.columns),
            y=list(heat.index),
            colorscale="Greens",
            customdata=custom,
            colorbar={"title": "USD", "tickprefix": "$", "exponentformat": "B"},
            hovertemplate="%{y} x %{x}: $%{z:,.0f}<extra>click: who are they</extra>",
        )
    )
    _layout(h, "Customer value by segment and persona (USD, to date plus predicted)", "persona", "segment")
    p = _fig(
        go.Bar(
            x=per["value"],
            y=per["customer_value"],
            customdata=[group(persona=v) for v in per["value"]],
            text=[money(v) for v in per["customer_value"]],
            textposition="outside",
            hovertemplate="%{x}: $%{y:,.0f}<extra>click: who are they</extra>",
        )
    )
    _layout(p, "Customer value by persona (USD)", "persona", "USD")
    p.update_yaxes(**MONEY_AXIS)
    return h, p


def segments(con, f: q.Filters) -> View:
    matrix = q.segment_persona_matrix(con, f)
    seg = q.people_by(con, f, "segment_name")
    per = q.people_by(con, f, "persona")
    s = _fig(
        [
            go.Bar(
                x=seg["value"],
                y=seg["customers"],
                name="customers",
                customdata=[group(segment_name=v) for v in seg["value"]],
                hovertemplate="%{x}: %{y:,} customers<extra>click: who are they</extra>",
            ),
            go.Bar(
                x=seg["value"],
                y=seg["at_risk"],
                name="at risk",
                customdata=[group(segment_name=v, status="at_risk") for v in seg["value"]],
                hovertemplate="%{x}: %{y:,} at risk<extra>click: who are they</extra>",
            ),
        ]
    )
    _layout(s, "Segments: customers and customers at risk (count)", "segment", "customers")
    s.update_layout(barmode="group")
    h, p = _segment_figures(matrix, per)
    prof = q.segment_profiles(con)
    tables = (
        [
            Table(
                "Segment profiles (from the segmentation model)",
                prof,
                {"customer_share": pct, "median_purchase_amount_365d": money},
            )
        ]
        if len(prof)
        else []
    )
    return View(
        "segments",
        "Segments and personas",
        insights.segments(matrix),
        [
            ("segments", count(seg["value"].nunique())),
            ("personas", count(per["value"].nunique())),
            ("customers", count(seg["customers"].sum())),
            ("at risk", count(seg["at_risk"].sum())),
        ],
        [
            Chart(
                "segments",
                s,
                "Customers per behavioural segment, beside how many of them are at risk. Click a bar.",
                True,
            ),
            Chart("value_matrix", h, "Darker cells hold more customer value; click a cell for its customers.", True),
            Chart(
                "personas", p, "Customer value (purchases to date plus predicted CLV) per persona. Click a bar.", True
            ),
        ],
        tables,
        _dated(f),
        why_not_applied="segments and customer value are as of now",
    )


# ------------------------------------------------------------------ experiments


def _forest_figure(res, money_axis: bool = False) -> go.Figure:
    label = row_labels(res)
    colors = [
        "#31a354" if (sig and lift > 0) else "#de2d26" if sig else "#6baed6"
        for sig, lift in zip(res.get("is_significant", []), res.get("lift", []), strict=True)
    ]
    fig = _fig(
        go.Scatter(
            x=res.get("lift", []),
            y=label,
            mode="markers",
            marker={"size": 10, "color": colors},
            error_x={
                "type": "data",
                "symmetric": False,
                "array": (res["lift_ci_high"] - res["lift"]) if len(res) else [],
                "arrayminus": (res["lift"] - res["lift_ci_low"]) if len(res) else [],
            },
            customdata=res[["n_treatment", "n_control"]].values if len(res) else None,
            hovertemplate="%{y}: %{x:" + ("+$,.2f" if money_axis else "+.2%")
            + "} (n %{customdata[0]:,} vs %{customdata[1]:,})<extra></extra>",
        )
    )
    fig.add_vline(x=0, line_dash="dash", line_color="#666")
    _layout(
        fig,
        "Experiments: revenue per customer over the holdout with 95% intervals (USD)" if money_axis
        else "Experiments: lift over the holdout with 95% intervals (percentage points)",
        "lift (treatment - control)" + (", USD per customer" if money_axis else ""),
        None,
        height=max(320, 34 * len(res) + 140),
    )
    fig.update_xaxes(tickformat="+$,.0f" if money_axis else "+.1%")
    return fig


EXPERIMENT_COLUMNS = ["experiment_name", "arm", "metric", "is_primary_outcome", "n_treatment", "n_control",
                      "rate_treatment", "rate_control", "lift", "lift_ci_low", "lift_ci_high", "is_significant"]


def experiments(con, f: q.Filters) -> View:
    """Rates (purchase, visit, click, goal) in percentage points; revenue per customer in dollars, in a
    chart and a table of its own: one axis never mixes the two units. Every filter applies: the customer
    filters pick the slices whose parts make up each arm (agg_experiment_slices), the dates the experiments
    whose window overlaps them."""
    res, c = q.experiments(con, f)
    is_money = res["metric"].isin(MONEY_METRICS)
    rates, revenue = res[~is_money], res[is_money]
    pts = lambda v: pct(v, points=True)  # noqa: E731
    usd = lambda v: ("+" if not pd.isna(v) and v >= 0 else "") + money(v)  # noqa: E731
    count_cols = {"n_treatment": count, "n_control": count}
    charts = [Chart("lift", _forest_figure(rates), "Each dot is an experiment's lift on one rate with its 95% "
                    "interval; green intervals clear zero upward, red downward, blue are not significant.")]
    tables = [Table("Results: rates", rates[EXPERIMENT_COLUMNS], {
        **count_cols, "rate_treatment": pct, "rate_control": pct, "lift": pts, "lift_ci_low": pts,
        "lift_ci_high": pts})]
    if len(revenue):
        charts.append(Chart("revenue_lift", _forest_figure(revenue, money_axis=True), "Revenue per customer in "
                            "the treated arm minus the control, with its 95% (Welch) interval, in dollars."))
        tables.append(Table("Results: revenue per customer", revenue[EXPERIMENT_COLUMNS], {
            **count_cols, "rate_treatment": money, "rate_control": money, "lift": usd, "lift_ci_low": usd,
            "lift_ci_high": usd}))
    return View(
        "experiments",
        "Experiments",
        insights.experiments(res),
        [
            ("experiment results", count(len(res))),
            ("significant", count(int(res["is_significant"].sum()) if len(res) else 0)),
        ],
        charts,
        tables,
        c.not_applied,
    )


# ------------------------------------------------------------------ wholesalers


def wholesalers(con, f: q.Filters) -> View:
    eff, c = q.wholesaler_effects(con, f)
    books = q.people_by(con, f, "wholesaler_id")  # every covered customer, fitted effect or not
    eff = eff.sort_values("effect")
    colors = [
        "#31a354" if a else "#de2d26" if b else "#6baed6"
        for a, b in zip(eff["is_above_average"].fillna(False), eff["is_below_average"].fillna(False), strict=True)
    ]
    fig = _fig(
        go.Scatter(
            x=eff["effect_pct"],
            y=eff["wholesaler_name"],
            mode="markers",
            marker={"size": 9, "color": colors},
            error_x={
                "type": "data",
                "symmetric": False,
                "array": (eff["ci_upper"].map(_expm1) - eff["effect_pct"]),
                "arrayminus": (eff["effect_pct"] - eff["ci_lower"].map(_expm1)),
            },
            customdata=[group(wholesaler_id=w) for w in eff["wholesaler_id"]],
            hovertemplate="%{y}: %{x:+.1%}<extra>click: their book</extra>",
        )
    )
    fig.add_vline(x=0, line_dash="dash", line_color="#666")
    _layout(
        fig,
        "Wholesaler effect net of territory and book (% purchases per advisor vs average)",
        "effect (%)",
        None,
        height=max(360, 16 * len(eff) + 140),
    )
    fig.update_xaxes(tickformat="+.0%")
    top = eff.sort_values("effect", ascending=False)[
        ["wholesaler_name", "region", "effect_pct", "territories", "book", "book_at_risk"]
    ]
    return View(
        "wholesalers",
        "Wholesaler effects",
        insights.wholesalers(eff),
        [
            ("wholesalers", count(len(eff))),
            ("clearly above average", count(int(eff["is_above_average"].fillna(False).sum()))),
            ("clearly below average", count(int(eff["is_below_average"].fillna(False).sum()))),
            ("customers with a wholesaler (filters)", count(int(books.loc[books["value"].notna(), "customers"].sum()))),
            ("of them at risk", count(int(books.loc[books["value"].notna(), "at_risk"].sum()))),
        ],
        [
            Chart(
                "effects",
                fig,
                "Each dot is a wholesaler's estimated effect with its 95% interval, after territory "
                "potential and book mix; green/red intervals clear zero. Click a dot for their book.",
                clickable=True,
            )
        ],
        [
            Table(
                "Wholesalers by effect",
                top,
                {"effect_pct": lambda v: pct(v, points=False), "book": count, "book_at_risk": count},
            )
        ],
        c.not_applied,
        why_not_applied="the whole history's effects are shown",
    )


def _expm1(v):
    import math

    return math.expm1(v) if v is not None and not pd.isna(v) else v


# ------------------------------------------------------------------ audiences


def audiences(con, f: q.Filters, audience: str | None = None) -> View:
    sizes = q.audience_sizes_over_time(con, f)
    summary = q.audience_summary(con, f)
    status, errors = q.sync_status(con), q.sync_errors(con)
    line = _fig(
        [
            go.Scatter(
                x=g["day"],
                y=g["members"],
                name=a,
                mode="lines+markers",
                hovertemplate=a + " %{x|%Y-%m-%d}: %{y:,}<extra></extra>",
            )
            for a, g in sizes.groupby("audience")
        ]
    )
    _layout(line, "Audience size over time (members)", "day", "members")
    line.update_xaxes(tickformat="%Y-%m-%d")
    bar = _fig(
        [
            go.Bar(
                x=summary["audience"],
                y=summary["members"],
                name="members",
                customdata=[group(audience=a) for a in summary["audience"]],
                hovertemplate="%{x}: %{y:,} members<extra>click: who are they</extra>",
            ),
            go.Bar(
                x=summary["audience"],
                y=summary["reachable"],
                name="reachable",
                customdata=[group(audience=a) for a in summary["audience"]],
                hovertemplate="%{x}: %{y:,} reachable<extra>click: who are they</extra>",
            ),
        ]
    )
    _layout(bar, "Audiences now (members in these filters)", "audience", "members")
    bar.update_layout(barmode="group")
    names = list(summary.sort_values("members", ascending=False)["audience"])
    chosen = audience if audience in names else (names[0] if names else None)
    tables = []
    if chosen:
        tables.append(Table(f"Preview: {chosen} (first 20 rows)", q.audience_rows(con, chosen, 20)))
    tables.append(Table("Sync status: last run of each sync", status))
    tables.append(Table("Last errors and open rejections", errors, {"rows": count}))
    return View(
        "audiences",
        "Audiences",
        insights.audiences(summary, errors, status),
        [
            ("audiences", count(len(summary))),
            ("members (filters)", count(summary["members"].sum())),
            ("syncs", count(len(status))),
            ("open problems", count(len(errors))),
        ],
        [
            Chart("sizes", line, "Members of each audience on each day it changed, from the membership history."),
            Chart("now", bar, "Members now and how many of them have consent to be contacted. Click a bar.", True),
        ],
        tables,
        not_applied=_dated(f),
        why_not_applied="it applies to the size-over-time chart; the other counts are members now",
        selected=chosen,
    )


PAGES: list[tuple[str, str, Callable]] = [
    ("overview", "Overview", overview),
    ("funnel", "Funnel and drop-off", funnel),
    ("journeys", "Journeys", journeys),
    ("cohorts", "Retention cohorts", cohorts),
    ("clv", "CLV and tiers", clv),
    ("money", "Where the money flows", money_flows),
    ("attribution", "Attribution", attribution),
    ("segments", "Segments and personas", segments),
    ("experiments", "Experiments", experiments),
    ("wholesalers", "Wholesaler effects", wholesalers),
    ("audiences", "Audiences", audiences),
]


def build(con, key: str, f: q.Filters, **kwargs) -> View:
    for k, _, fn in PAGES:
        if k == key:
            return fn(con, f, **kwargs)
    raise KeyError(f"no page {key!r}; pages: {', '.join(k for k, _, _ in PAGES)}")
