"""`cjo report --out report.html`: every dashboard page as one self-contained HTML file.

The same ``views`` as the live app, for the whole period and every customer (no filters), with plotly.js
inlined once: the file opens with no network and no server, and can be mailed around. Written to a
temporary name and renamed, so a reader never sees half a report.
"""

from __future__ import annotations

import html
import os
import time
from datetime import UTC, datetime
from pathlib import Path

from plotly.offline import get_plotlyjs

from orchestration.dashboard import queries as q
from orchestration.dashboard import views
from orchestration.dashboard.style import CSS


def _table(t: views.Table) -> str:
    if t.frame.empty:
        return f"<div class='card'><h4>{html.escape(t.title)}</h4><p class='howto'>(nothing yet)</p></div>"
    numeric = {c for c in t.frame.columns if t.frame[c].dtype.kind in "iuf"}
    head = "".join(f"<th>{html.escape(c.replace('_', ' '))}</th>" for c in t.frame.columns)
    rows = "".join(
        "<tr>"
        + "".join(
            f"<td{' class=num' if c in numeric else ''}>{html.escape(v)}</td>"
            for c, v in zip(t.frame.columns, r, strict=True)
        )
        + "</tr>"
        for r in t.cells()
    )
    return (
        f"<div class='card' style='overflow-x:auto'><h4>{html.escape(t.title)}</h4>"
        f"<table class='data'><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div>"
    )


def render_section(v: views.View) -> str:
    kpis = "".join(
        f"<div class='kpi'><b>{html.escape(val)}</b><small>{html.escape(label)}</small></div>" for label, val in v.kpis
    )
    charts = "".join(
        "<div class='card chart'>"
        + c.figure.to_html(full_html=False, include_plotlyjs=False, config={"displaylogo": False, "responsive": True})
        + f"<p class='howto'>How to read: {html.escape(c.how_to_read)}</p></div>"
        for c in v.charts
    )
    return (
        f"<section id='{v.key}'><h2>{html.escape(v.title)}</h2>"
        f"<div class='suggestion'><b>Suggested next step: </b>{html.escape(v.suggestion)}</div>"
        f"<div class='kpis'>{kpis}</div>{charts}{''.join(_table(t) for t in v.tables)}</section>"
    )


def render(con, published_at: str = "?") -> str:
    """The whole report as one HTML string (pure: reads through ``con`` only)."""
    sections = [render_section(views.build(con, key, q.Filters())) for key, _, _ in views.PAGES]
    nav = "".join(f"<a href='#{key}'>{html.escape(title)}</a>" for key, title, _ in views.PAGES)
    made = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>cjo report</title>"
        f"<style>{CSS} section {{ margin-bottom: 30px; }}</style>"
        f"<script type='text/javascript'>{get_plotlyjs()}</script></head><body>"
        f"<header><h1>Customer journey report</h1><span>published copy of {html.escape(published_at)}; "
        f"made {made}; all customers, whole period</span></header><nav>{nav}</nav><main>{''.join(sections)}</main>"
        "</body></html>"
    )


def write_report(out: Path, publish_dir: Path | None = None) -> dict:
    """Build the report from the published copy into `out` (atomically). Returns what was written."""
    from orchestration.publish import read_manifest

    started = time.perf_counter()
    reader = q.Reader(publish_dir)
    with reader.connect() as con:
        text = render(con, (read_manifest(publish_dir) or {}).get("published_at", "?"))
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, out)
    return {
        "path": str(out),
        "bytes": out.stat().st_size,
        "pages": len(views.PAGES),
        "seconds": round(time.perf_counter() - started, 2),
    }
