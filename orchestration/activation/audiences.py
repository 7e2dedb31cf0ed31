"""What the marketer commands read: audiences from the PUBLISHED warehouse copy, docs from dbt.

Never the live file: an open DuckDB reader blocks the pipeline's writer.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from orchestration.activation.manifest import model_node, node_meta
from orchestration.settings import publish_dir

SCHEMA = "activation"
MEMBERSHIP = "fct_audience_membership"
EVALUATION = "fct_audience_evaluation"


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


def _filters(name: str) -> dict[str, str]:
    """The audience's declared filters {clause name: SQL} (config.meta.audience.where)."""
    return (node_meta(model_node(name)).get("audience") or {}).get("where") or {}


def show(name: str, specs: dict) -> dict[str, object]:
    node = model_node(name)
    meta = node_meta(node)
    declared = meta.get("audience") or {}
    with reader() as con:
        _require(con, name)
        size = con.execute(f'select count(*) from {SCHEMA}."{name}"').fetchone()[0]
    dests = [
        f"{s.name} -> {s.destination.type} ({s.mode}, {s.schedule or 'unscheduled'})"
        for s in specs.values()
        if s.audience == name
    ]
    filters = "; ".join(f"{k}: {v}" for k, v in (declared.get("where") or {}).items())
    return {
        "audience": name,
        "description": node.get("description") or "(dbt manifest not built: run `dbt parse`)",
        "serves": ", ".join(declared.get("serves") or []) or "(not declared)",
        "filters": filters or "(none: every customer eligible for the actions)",
        "gate": "members come only from eligible rows of marts.fct_action_eligibility",
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


# ------------------------------------------------------------------------------------------ why


@dataclass(frozen=True)
class Verdict:
    """One audience (or one action) for one customer: in or out, and every clause that keeps them out."""

    audience: str | None
    action: str
    is_member: bool
    blocked_reasons: tuple[str, ...]
    failed_filters: tuple[str, ...]


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(v for v in (value or "").split("|") if v)


def verdicts(con: duckdb.DuckDBPyConnection, customer_id: str, audience: str | None = None,
             action: str | None = None) -> list[Verdict]:
    """Every clause that keeps the customer out, per audience and served action (fct_audience_evaluation),
    or per action from the ledger when the action is served by no audience (or none is asked for)."""
    out: list[Verdict] = []
    if has_table(con, SCHEMA, EVALUATION):
        sql = (f"select audience, action, is_member, blocked_reasons, failed_filters from {SCHEMA}.{EVALUATION} "
               "where customer_id = ?")
        params: list[object] = [customer_id]
        for column, value in (("audience", audience), ("action", action)):
            if value:
                sql, params = sql + f" and {column} = ?", [*params, value]
        for aud_name, act, member, reasons, failed in con.execute(sql + " order by 1, 2", params).fetchall():
            out.append(Verdict(aud_name, act, bool(member), _split(reasons), _split(failed)))
    if action and not out and has_table(con, "marts", "fct_action_eligibility"):
        row = con.execute("select is_eligible, blocked_reasons from marts.fct_action_eligibility "
                          "where customer_id = ? and action = ?", [customer_id, action]).fetchall()
        if row:
            out.append(Verdict(None, action, bool(row[0][0]), _split(row[0][1]), ()))
    return out


def _is_in(con: duckdb.DuckDBPyConnection, audience: str, customer_id: str) -> bool:
    return bool(con.execute(f'select count(*) from {SCHEMA}."{audience}" where customer_id = ?',
                            [customer_id]).fetchone()[0])


def _facts(con: duckdb.DuckDBPyConnection, customer_id: str) -> str | None:
    if not has_table(con, "marts", "dim_customers"):
        return None
    cur = con.execute("select * from marts.dim_customers where customer_id = ?", [customer_id])
    cols = [d[0] for d in cur.description]
    row = cur.fetchone()
    if row is None:
        return None
    facts = dict(zip(cols, row, strict=True))
    keep = ["persona", "current_stage", "current_stage_since", "engagement_score", "wholesaler_id",
            "consent_email", "consent_phone", "consent_ads", "preferred_channel"]
    return ", ".join(f"{k}={facts[k]}" for k in keep if k in facts)


def _describe(v: Verdict, membership: bool | None, filters: dict[str, str]) -> list[str]:
    where = v.audience or "(no audience serves it)"
    state = "IN" if (membership if membership is not None else v.is_member) else "NOT in"
    lines = [f"{where}: {state} (action {v.action})"]
    if v.blocked_reasons:
        lines.append(f"  the ledger blocks {v.action}: {', '.join(v.blocked_reasons)}")
    for clause in v.failed_filters:
        lines.append(f"  filter fails: {clause}" + (f" ({filters[clause]})" if clause in filters else ""))
    if membership is not None and membership != v.is_member:
        lines.append("  WARNING: the audience table and its evaluation disagree; rebuild the activation models")
    return lines


def why(customer_id: str, audience: str | None = None, action: str | None = None) -> list[str]:
    """Why a customer is or is not in each audience (or the one asked for), naming EVERY clause that
    keeps them out: the ledger's rules for each served action and the audience's failing filters."""
    lines: list[str] = []
    with reader() as con:
        if audience:
            _require(con, audience)
        facts = _facts(con, customer_id)
        unknown = "not in marts.dim_customers (unknown or forgotten): never contacted"
        lines.append(f"{customer_id}: {facts or unknown}")
        found = verdicts(con, customer_id, audience, action)
        if not found:
            lines.append("no ledger or audience row matches (is the customer known? is the name right?)")
        for v in found:
            member = _is_in(con, v.audience, customer_id) if v.audience else None
            lines.extend(_describe(v, member, _filters(v.audience) if v.audience else {}))
        if audience and has_table(con, SCHEMA, MEMBERSHIP):
            for entered, exited in con.execute(
                f"select entered_at, exited_at from {SCHEMA}.{MEMBERSHIP} where audience = ? "
                "and customer_id = ? order by entered_at", [audience, customer_id]).fetchall():
                lines.append(f"member from {entered} to {exited or 'now'}")
    return lines
