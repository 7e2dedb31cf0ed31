"""Last-mile re-check, from the warehouse, whatever the audience SQL says.

A person may be activated on a channel only if ALL hold:
- they are in ``marts.dim_customers`` (an unknown person cannot be checked, so is blocked);
- the one consent rule says yes for the destination's channel (``marts.dim_customer_consent.has_consent``,
  built by ``int_customers_consent_resolved``; the default for a channel without any event is the dbt var
  ``consent_defaults``: email and phone allowed until an opt-out, ads only after an explicit opt-in);
- they are not forgotten: not in a forgotten identity component (the one rule,
  ``orchestration.privacy.forgotten.forgotten_components_sql``: a deletion request or the erasure ledger), no
  right-to-be-forgotten request in ``staging.stg_privacy__deletion_requests`` matching their id
  (``advisor_id``) or their email (trimmed, lower-cased), and their customer_id's salted hash is not in
  the erasure ledger (orchestration/privacy/ledger.py: people erased in an earlier run, whose request
  is gone with the rest of their data);
- the audience row passes the gate: the decision ledger (``marts.fct_action_eligibility``) has an
  eligible row for the same customer and action (:func:`gate_blocked`).
Any table or column missing is an explicit :class:`PrivacyCheckError`: no check, no sync.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa

from orchestration.privacy import ledger
from orchestration.privacy.forgotten import forgotten_components_sql

REQUIRED = {
    ("marts", "dim_customers"): {"customer_id", "email"},
    ("marts", "dim_customer_consent"): {"customer_id", "channel", "has_consent"},
    ("intermediate", "int_identity_graph"): {"customer_id", "is_forgotten", "node_id", "anchor_node_id"},
    ("staging", "stg_privacy__deletion_requests"): {"advisor_id", "email"},
    ("marts", "fct_action_eligibility"): {"customer_id", "action", "is_eligible", "blocked_reasons"},
}


class PrivacyCheckError(RuntimeError):
    """The last-mile check cannot run (a table or column it needs is missing)."""


def _columns(con: duckdb.DuckDBPyConnection, tables: list[tuple[str, str]]) -> dict[tuple[str, str], set[str]]:
    have: dict[tuple[str, str], set[str]] = {}
    for schema, table, column in con.execute(
        "select table_schema, table_name, column_name from information_schema.columns"
    ).fetchall():
        if (schema, table) in tables:
            have.setdefault((schema, table), set()).add(column)
    return have


def _check_tables(con: duckdb.DuckDBPyConnection, required: dict[tuple[str, str], set[str]] = REQUIRED) -> None:
    have = _columns(con, list(required))
    problems = []
    for tbl, cols in required.items():
        if tbl not in have:
            problems.append(f"table {tbl[0]}.{tbl[1]} is missing")
        elif missing := cols - have[tbl]:
            problems.append(f"{tbl[0]}.{tbl[1]} lacks column(s) {sorted(missing)}")
    if problems:
        raise PrivacyCheckError("last-mile check cannot run, so nothing is sent: " + "; ".join(problems))


def _ids(customer_ids: list[str] | pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    if isinstance(customer_ids, list):
        return pa.array([str(c) for c in customer_ids if c is not None], pa.string())
    return customer_ids.cast(pa.string())


def blocked_customers(
    con: duckdb.DuckDBPyConnection, customer_ids: list[str] | pa.Array | pa.ChunkedArray, channel: str,
    state_dir: Path | None = None,
) -> dict[str, str]:
    """``{customer_id: reason}`` for every id that must NOT reach a destination on ``channel``.

    Ids may be a Python list or an Arrow array (1M ids stay in Arrow: no Python object per id)."""
    from orchestration import settings

    _check_tables(con)
    ids = _ids(customer_ids)
    if not len(ids):
        return {}
    state_dir = state_dir or settings.get().state_dir
    con.register("_privacy_ids", pa.table({"customer_id": ids}))
    ledger.register(con, state_dir)
    try:
        rows = con.execute(
            """
            with ids as (select distinct customer_id from _privacy_ids where customer_id is not null),
            customers as (
                select cast(customer_id as varchar) as customer_id, lower(trim(email)) as email
                from marts.dim_customers
            ),
            consent as (
                select cast(customer_id as varchar) as customer_id, has_consent
                from marts.dim_customer_consent where channel = $channel
            ),
            forgotten_graph as (
                select distinct cast(customer_id as varchar) as customer_id
                from intermediate.int_identity_graph
                where customer_id is not null and anchor_node_id in ({forgotten_components})
            ),
            erased as (
                select identifier_hash from _erasure_ledger where kind = 'customer'
            ),
            requests as (
                select cast(advisor_id as varchar) as advisor_id, lower(trim(email)) as email
                from staging.stg_privacy__deletion_requests
            ),
            checked as (
                select
                    ids.customer_id,
                    c.customer_id is not null as known,
                    coalesce(k.has_consent, false) as consented,
                    g.customer_id is not null as graph_forgotten,
                    {erased_hash} in (select identifier_hash from erased) as ledger_forgotten,
                    exists (
                        select 1 from requests r
                        where r.advisor_id = ids.customer_id
                           or (r.email is not null and r.email = c.email)
                    ) as requested_deletion
                from ids
                left join customers c on c.customer_id = ids.customer_id
                left join consent k on k.customer_id = ids.customer_id
                left join forgotten_graph g on g.customer_id = ids.customer_id
            )
            select customer_id,
                case
                    when ledger_forgotten then 'forgotten (erasure ledger)'
                    when graph_forgotten then 'forgotten (identity graph)'
                    when requested_deletion then 'deletion request'
                    when not known then 'not in marts.dim_customers'
                    when not consented then 'no ' || $channel || ' consent'
                end as reason
            from checked
            where ledger_forgotten or graph_forgotten or requested_deletion or not known or not consented
            """.replace("{erased_hash}", ledger.SALTED_HASH_SQL.format(expr="ids.customer_id"))
               .replace("{forgotten_components}", forgotten_components_sql()),
            {"channel": channel, "salt": ledger.salt(state_dir)},
        ).fetchall()
    finally:
        con.unregister("_privacy_ids")
        con.unregister("_erasure_ledger")
    return dict(rows)


def gate_blocked(con: duckdb.DuckDBPyConnection, audience: str, schema: str = "activation",
                 action_column: str = "action", customer_column: str = "customer_id") -> dict[str, str]:
    """``{customer_id: reason}`` for every audience row without an eligible ledger row (same customer and
    action). The dbt test passes_eligibility_gate holds the audience models to the same rule; this is the
    same check at the moment of sending, so a model built around the test still sends nothing it forbids."""
    _check_tables(con, {(schema, audience): {action_column, customer_column}, **REQUIRED})
    rows = con.execute(
        f"""
        select cast(a.{customer_column} as varchar),
               'not eligible in the decision ledger for ' || coalesce(cast(a.{action_column} as varchar), '?')
               || ': ' || coalesce(e.blocked_reasons, 'no ledger row')
        from {schema}."{audience}" a
        left join marts.fct_action_eligibility e
            on cast(a.{customer_column} as varchar) = cast(e.customer_id as varchar)
           and cast(a.{action_column} as varchar) = e.action
        where a.{customer_column} is not null and not coalesce(e.is_eligible, false)
        """
    ).fetchall()
    return dict(rows)
