"""The Dash app behind `cjo dashboard`: layout and callbacks only. Data comes from ``queries`` (through
``views``), over read-only connections to the published copy.

Every page shares one filter bar (date range, persona, segment, tier, channel). A click on a chart point
that stands for a group of customers opens the "who are they" panel: size, reachable, eligible, the
audiences that already hold them, the first rows, and a CSV export of those the ledger lets us act on.
"""

from __future__ import annotations

import json
import threading
from datetime import date
from pathlib import Path

import dash
from dash import ALL, Input, Output, State, ctx, dcc, html

from orchestration.dashboard import queries as q
from orchestration.dashboard import views
from orchestration.dashboard.numbers import count, pct
from orchestration.dashboard.style import CSS

INDEX = (
    """<!DOCTYPE html>
<html lang="en"><head>{%metas%}<title>cjo dashboard</title>{%favicon%}{%css%}<style>"""
    + CSS
    + """</style></head>
<body>{%app_entry%}<footer>{%config%}{%scripts%}{%renderer%}</footer></body></html>"""
)
FILTER_IDS = ("f-persona", "f-segment", "f-tier", "f-channel")


def filters_from(start, end, persona, segment, tier, channel) -> q.Filters:
    def d(v):
        return date.fromisoformat(v[:10]) if v else None

    return q.Filters(d(start), d(end), *(tuple(v or ()) for v in (persona, segment, tier, channel)))


FILTER_STATE = [State("f-date", "start_date"), State("f-date", "end_date")] + [State(i, "value") for i in FILTER_IDS]


def page_key(pathname: str | None) -> str:
    key = (pathname or "/").strip("/") or "overview"
    return key if key in {k for k, _, _ in views.PAGES} else "overview"


def render_table(t: views.Table) -> html.Div:
    if t.frame.empty:
        return html.Div([html.H4(t.title), html.P("(nothing yet)", className="howto")], className="card")
    numeric = {c for c in t.frame.columns if t.frame[c].dtype.kind in "iuf"}
    head = html.Tr([html.Th(c.replace("_", " ")) for c in t.frame.columns])
    body = [
        html.Tr(
            [html.Td(v, className="num" if c in numeric else None) for c, v in zip(t.frame.columns, row, strict=True)]
        )
        for row in t.cells()
    ]
    return html.Div(
        [html.H4(t.title), html.Table([html.Thead(head), html.Tbody(body)], className="data")],
        className="card",
        style={"overflowX": "auto"},
    )


def render_view(v: views.View, audience_names: list[str] | None = None) -> list:
    out = [
        html.H2(v.title),
        # beside the filter bar: the filters in use this page cannot apply, and why
        html.P(v.not_applied_note(), className="note", id="not-applied", hidden=not v.not_applied),
        html.Div([html.B("Suggested next step: "), v.suggestion], className="suggestion", id="suggestion"),
        html.Div(
            [html.Div([html.B(val), html.Small(label)], className="kpi") for label, val in v.kpis],
            className="kpis",
            id="kpis",
        ),
    ]

    if audience_names is not None:
        out.append(
            html.Div(
                [
                    html.Label("Audience to preview or export"),
                    dcc.Dropdown(
                        id="aud-choose",
                        options=audience_names,
                        value=v.selected,
                        clearable=False,
                        style={"maxWidth": "420px"},
                    ),
                    html.Button("Export audience (CSV)", id="aud-export", style={"marginTop": "6px"}),
                ],
                className="card",
            )
        )
    for c in v.charts:
        out.append(
            html.Div(
                [
                    dcc.Graph(
                        id={"type": "chart", "key": f"{v.key}-{c.key}"},
                        figure=c.figure,
                        config={"displaylogo": False, "responsive": True},
                    ),
                    html.P(("How to read: " + c.how_to_read), className="howto"),
                ],
                className="card chart",
            )
        )
    tables = [render_table(t) for t in v.tables]
    if audience_names and tables:  # the preview, replaced when another audience is chosen
        tables[0] = html.Div(tables[0], id="aud-preview")
    return out + tables


def _layout_for(reader: q.Reader):
    def layout():
        from orchestration.publish import read_manifest

        try:
            with reader.connect() as con:
                opts = q.filter_options(con)
        except FileNotFoundError as exc:
            return html.Div([html.Header(html.H1("cjo dashboard")), html.Main(html.P(str(exc), className="note"))])
        manifest = read_manifest(reader.publish_dir) or {}
        first, last = opts["months"]
        dropdowns = [
            html.Div(
                [html.Label(label), dcc.Dropdown(id=i, options=opts[dim], multi=True, placeholder="all")],
                className="filter",
            )
            for i, dim, label in zip(
                FILTER_IDS, q.DIMENSIONS, ("persona", "segment", "value tier", "acquisition channel"), strict=True
            )
        ]
        return html.Div(
            [
                dcc.Location(id="url"),
                html.Header(
                    [
                        html.H1("Customer journey dashboard"),
                        html.Span(f"published copy of {manifest.get('published_at', '?')}"),
                    ]
                ),
                html.Nav([dcc.Link(title, href=f"/{key}", id=f"nav-{key}") for key, title, _ in views.PAGES]),
                html.Div(
                    [
                        html.Div(
                            [
                                html.Label("dates"),
                                dcc.DatePickerRange(
                                    id="f-date",
                                    min_date_allowed=first,
                                    max_date_allowed=last,
                                    start_date_placeholder_text="from",
                                    end_date_placeholder_text="to",
                                    clearable=True,
                                    display_format="YYYY-MM-DD",
                                ),
                            ],
                            className="filter",
                        ),
                        *dropdowns,
                    ],
                    className="filters",
                ),
                html.Main([html.Div(id="group-panel"), dcc.Loading(html.Div(id="page"), delay_show=400)]),
                dcc.Store(id="group-spec"),
                dcc.Download(id="download-group"),
                dcc.Download(id="download-audience"),
            ]
        )

    return layout


def group_panel(con, f: q.Filters, spec: dict) -> html.Div:
    s = q.group_summary(con, f, spec)
    members = q.group_members(con, f, spec, limit=10)
    label = ", ".join(f"{k.replace('_', ' ')} = {v}" for k, v in spec.items())
    if s["audiences"]:
        name, n, share = s["audiences"][0]
        covered = f"Already covered: {name} holds {count(n)} of them ({pct(share)})" + (
            "; also " + ", ".join(f"{a} ({count(m)})" for a, m, _ in s["audiences"][1:3])
            if len(s["audiences"]) > 1
            else ""
        )
    else:
        covered = "No audience holds them yet: export them, or declare an audience for them."
    table = views.Table(
        "Who they are (most valuable first)",
        members,
        {"customer_value": lambda v: f"${v:,.0f}" if v == v and v is not None else ""},
    )
    return html.Div(
        [
            html.H3(f"Who are they: {label}"),
            html.Div(
                [
                    html.Div([html.B(count(s["size"])), html.Small("customers in the filters")], className="kpi"),
                    html.Div([html.B(count(s["reachable"])), html.Small("reachable (consent)")], className="kpi"),
                    html.Div(
                        [html.B(count(s["eligible"])), html.Small("eligible now (decision ledger)")], className="kpi"
                    ),
                ],
                className="kpis",
                id="group-kpis",
            ),
            html.P(covered, id="group-covered"),
            html.Button(f"Export the {count(s['eligible'])} eligible (CSV)", id="group-export"),
            html.Button("Close", id="group-close"),
            render_table(table),
        ],
        className="panel",
    )


def _register_downloads(app: dash.Dash, reader: q.Reader) -> None:
    """The CSV exports (a clicked group, an audience) and the audience preview."""

    @app.callback(
        Output("download-group", "data"),
        Input("group-export", "n_clicks"),
        State("group-spec", "data"),
        *FILTER_STATE,
        prevent_initial_call=True,
    )
    def export_group(n, spec, *filters):
        if not n or not spec:
            return dash.no_update
        with reader.connect() as con:
            frame = q.group_export(con, filters_from(*filters), spec)
        name = "_".join(f"{k}-{v}" for k, v in spec.items()).replace("/", "-")
        return dcc.send_data_frame(frame.to_csv, f"cjo_group_{name}.csv", index=False)

    @app.callback(
        Output("download-audience", "data"),
        Input("aud-export", "n_clicks"),
        State("aud-choose", "value"),
        prevent_initial_call=True,
    )
    def export_audience(n, name):
        if not n or not name:
            return dash.no_update
        with reader.connect() as con:
            frame = q.audience_rows(con, name, limit=None)
        return dcc.send_data_frame(frame.to_csv, f"{name}.csv", index=False)

    @app.callback(Output("aud-preview", "children"), Input("aud-choose", "value"), prevent_initial_call=True)
    def choose_audience(name):
        if not name:
            return dash.no_update
        with reader.connect() as con:
            return render_table(views.Table(f"Preview: {name} (first 20 rows)", q.audience_rows(con, name, 20)))


def create_app(publish_dir: Path | None = None) -> dash.Dash:
    reader = q.Reader(publish_dir)
    app = dash.Dash(
        __name__, title="cjo dashboard", suppress_callback_exceptions=True, update_title=None, serve_locally=True
    )
    app.index_string = INDEX
    app.layout = _layout_for(reader)

    @app.callback(
        Output("page", "children"),
        Output("group-panel", "children"),
        [Output(f"nav-{k}", "className") for k, _, _ in views.PAGES],
        Input("url", "pathname"),
        Input("f-date", "start_date"),
        Input("f-date", "end_date"),
        *[Input(i, "value") for i in FILTER_IDS],
    )
    def render(pathname, *filters):
        key = page_key(pathname)
        f = filters_from(*filters)
        with reader.connect() as con:
            view = views.build(con, key, f)
            names = q.audience_names(con) if key == "audiences" else None
        return (render_view(view, names), None, *["active" if k == key else None for k, _, _ in views.PAGES])

    @app.callback(
        Output("group-panel", "children", allow_duplicate=True),
        Output("group-spec", "data"),
        Input({"type": "chart", "key": ALL}, "clickData"),
        *FILTER_STATE,
        prevent_initial_call=True,
    )
    def on_click(clicks, *filters):
        point = (ctx.triggered[0]["value"] or {}).get("points", [{}])[0] if ctx.triggered else {}
        raw = point.get("customdata")
        if isinstance(raw, list):  # heat maps and some traces nest it
            raw = raw[0] if raw and isinstance(raw[0], str) else None
        if not isinstance(raw, str) or not raw.startswith("{"):
            return dash.no_update, dash.no_update
        spec = json.loads(raw)
        with reader.connect() as con:
            return group_panel(con, filters_from(*filters), spec), spec

    @app.callback(
        Output("group-panel", "children", allow_duplicate=True),
        Input("group-close", "n_clicks"),
        prevent_initial_call=True,
    )
    def close(n):
        return None if n else dash.no_update

    _register_downloads(app, reader)
    return app


def serve(host: str = "127.0.0.1", port: int = 8050, publish_dir: Path | None = None) -> None:
    # The wholesaler page fits its regression on a date range (statsmodels): importing it took 12 s on the
    # shared 2-core machine, a fit under 3 s. Import it while the server starts, not on someone's click.
    threading.Thread(target=_warm_regression, name="warm-statsmodels", daemon=True).start()
    create_app(publish_dir).run(host=host, port=port, debug=False)


def _warm_regression() -> None:
    import statsmodels.regression.mixed_linear_model  # noqa: F401
