"""What the marketer commands read: audiences from the PUBLISHED warehouse copy, docs from dbt.

Never the live file: an open DuckDB reader blocks the pipeline's writer.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from orchestration.settings import publish_dir

SCHEMA = "activation"
MEMBERSHIP = "fct_audience_membership"


class AudienceLookupError(LookupError):
    """Unknown audience, or no published warehouse to read."""


@contextlib.contextmanager
def reader() -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the published copy, closed on exit."""
    try:
        from orchestration.publish import reader_connection  # written by the Dagster helper
    except ImportError:
        reader_connection = None
    if reader_connection is not None:
        try:
            con = reader_connection()
        except FileNotFoundError as exc:  # publish.NothingPublishedError
            raise AudienceLookupError(str(exc)) from None
    else:
        path = publish_dir() / "cjo.duckdb"
        if not path.exists():
            raise AudienceLookupError(f"no published warehouse at {path}: run the pipeline (or publish) first")
        con = duckdb.connect(str(path), read_only=True)
    try:
        yield con
    finally:
        con.close()


def has_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchone()[0]
    )


def audience_names(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "select table_name from information_schema.tables where table_schema = ? and table_name like 'aud\\_%' "
        "escape '\\' order by 1",
        [SCHEMA],
    ).fetchall()
    return [r[0] for r in rows]


def _require(con: duckdb.DuckDBPyConnection, name: str) -> None:
    if name not in audience_names(con):
        known = ", ".join(audience_names(con)) or "(none published)"
        raise AudienceLookupError(f"unknown audience {name!r}; known: {known}")


def list_audiences() -> list[tuple]:
    """(audience, size, entered at the last run, exited at the last run, as of)."""
    with reader() as con:
        names = audience_names(con)
        hist = has_table(con, SCHEMA, MEMBERSHIP)
        out = []
        for name in names:
            size = con.execute(f'select count(*) from {SCHEMA}."{name}"').fetchone()[0]
            entered = exited = as_of = None
            if hist:
                as_of, entered, exited = con.execute(
                    f"""
                    with h as (select * from {SCHEMA}.{MEMBERSHIP} where audience = ?),
                    last as (select max(greatest(entered_at, coalesce(exited_at, entered_at))) as ts from h)
                    select last.ts,
                           count(*) filter (where h.entered_at = last.ts),
                           count(*) filter (where h.exited_at = last.ts)
                    from h, last group by last.ts
                    """,
                    [name],
                ).fetchone() or (None, 0, 0)
            out.append((name, size, entered, exited, as_of))
        return out


def manifest_node(name: str) -> dict:
    from orchestration import settings

    path = settings.get().dbt_manifest
    if not path.exists():
        return {}
    nodes = json.loads(path.read_text()).get("nodes", {})
    return next((n for n in nodes.values() if n.get("resource_type") == "model" and n.get("name") == name), {})


def show(name: str, specs: dict) -> dict[str, object]:
    node = manifest_node(name)
    meta = (node.get("config") or {}).get("meta") or node.get("meta") or {}
    with reader() as con:
        _require(con, name)
        size = con.execute(f'select count(*) from {SCHEMA}."{name}"').fetchone()[0]
    dests = [
        f"{s.name} -> {s.destination.type} ({s.mode}, {s.schedule or 'unscheduled'})"
        for s in specs.values()
        if s.audience == name
    ]
    return {
        "audience": name,
        "description": node.get("description") or "(dbt manifest not built: run `dbt parse`)",
        "rule": meta.get("rule", "(see the model SQL)"),
        "owner": meta.get("owner", "(unknown)"),
        "size": size,
        "destinations": "; ".join(dests) or "(no sync)",
        "sql": node.get("original_file_path", f"models/activation/{name}.sql"),
    }


def preview(name: str, limit: int = 20) -> tuple[list[str], list[tuple]]:
    with reader() as con:
        _require(con, name)
        cur = con.execute(f'select * from {SCHEMA}."{name}" order by 1 limit ?', [limit])
        cols = [d[0] for d in cur.description]
        return cols, cur.fetchall()


def export(name: str, out: Path, fmt: str) -> int:
    with reader() as con:
        _require(con, name)
        table = con.sql(f'select * from {SCHEMA}."{name}" order by 1').to_arrow_table()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    if fmt == "csv":
        pacsv.write_csv(table, tmp)
    else:
        pq.write_table(table, tmp)
    os.replace(tmp, out)  # a half-written export is never seen under the final name
    return table.num_rows


def why(name: str, customer_id: str) -> list[str]:
    node = manifest_node(name)
    meta = (node.get("config") or {}).get("meta") or {}
    lines: list[str] = []
    with reader() as con:
        _require(con, name)
        member = con.execute(
            f'select count(*) from {SCHEMA}."{name}" where cast(customer_id as varchar) = ?', [customer_id]
        ).fetchone()[0]
        lines.append(f"{customer_id} is {'IN' if member else 'NOT in'} {name}")
        lines.append(f"rule: {meta.get('rule', '(see ' + node.get('original_file_path', 'the model SQL') + ')')}")
        if has_table(con, "marts", "dim_customers"):
            cur = con.execute("select * from marts.dim_customers where cast(customer_id as varchar) = ?", [customer_id])
            cols = [d[0] for d in cur.description]
            row = cur.fetchone()
            if row is None:
                lines.append("not in marts.dim_customers (unknown or forgotten person): never activated")
            else:
                facts = dict(zip(cols, row, strict=True))
                keep = [
                    "persona",
                    "current_stage",
                    "current_stage_since",
                    "engagement_score",
                    "wholesaler_id",
                    "consent_email",
                    "consent_phone",
                    "consent_ads",
                    "preferred_channel",
                ]
                lines.append("facts: " + ", ".join(f"{k}={facts[k]}" for k in keep if k in facts))
        if has_table(con, "marts", "fct_action_eligibility"):
            rows = con.execute(
                "select * from marts.fct_action_eligibility where cast(customer_id as varchar) = ? order by 1",
                [customer_id],
            )
            cols = [d[0] for d in rows.description]
            for r in rows.fetchall():
                d = dict(zip(cols, r, strict=True))
                ok = d.get("is_eligible", d.get("eligible"))
                state = "eligible" if ok else f"blocked: {d.get('blocked_reason')}"
                lines.append(f"eligibility {d.get('action')} / {d.get('channel')}: {state}")
        else:
            lines.append("eligibility ledger (marts.fct_action_eligibility) not published yet")
        if has_table(con, SCHEMA, MEMBERSHIP):
            for entered, exited in con.execute(
                f"select entered_at, exited_at from {SCHEMA}.{MEMBERSHIP} where audience = ? "
                "and cast(customer_id as varchar) = ? order by entered_at",
                [name, customer_id],
            ).fetchall():
                lines.append(f"member from {entered} to {exited or 'now'}")
    return lines
