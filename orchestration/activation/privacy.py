"""Last-mile privacy re-check, from the warehouse, whatever the audience SQL says.

A person may be activated on a channel only if ALL hold:
- they are in ``marts.dim_customers`` (an unknown person cannot be checked, so is blocked);
- their consent for the destination's channel is TRUE (``consent_email`` / ``consent_phone`` /
  ``consent_ads``; NULL counts as no consent: opt-in is required);
- they are not forgotten: not ``is_forgotten`` in ``intermediate.int_identity_graph`` and no
  right-to-be-forgotten request in ``staging.stg_privacy__deletion_requests`` matching their id
  (``advisor_id``) or their email (trimmed, lower-cased).
Any of these tables missing is an explicit :class:`PrivacyCheckError`: no check, no sync.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

CONSENT_COLUMN = {"email": "consent_email", "phone": "consent_phone", "ads": "consent_ads"}
REQUIRED = {
    ("marts", "dim_customers"): {"customer_id", "email", "consent_email", "consent_phone", "consent_ads"},
    ("intermediate", "int_identity_graph"): {"customer_id", "is_forgotten"},
    ("staging", "stg_privacy__deletion_requests"): {"advisor_id", "email"},
}


class PrivacyCheckError(RuntimeError):
    """The privacy re-check cannot run (a table or column it needs is missing)."""


def _check_tables(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute(
        "select table_schema, table_name, column_name from information_schema.columns "
        "where (table_schema, table_name) in (('marts','dim_customers'), ('intermediate','int_identity_graph'),"
        " ('staging','stg_privacy__deletion_requests'))"
    ).fetchall()
    have: dict[tuple[str, str], set[str]] = {}
    for schema, table, column in rows:
        have.setdefault((schema, table), set()).add(column)
    problems = []
    for tbl, cols in REQUIRED.items():
        if tbl not in have:
            problems.append(f"table {tbl[0]}.{tbl[1]} is missing")
        elif missing := cols - have[tbl]:
            problems.append(f"{tbl[0]}.{tbl[1]} lacks column(s) {sorted(missing)}")
    if problems:
        raise PrivacyCheckError("last-mile privacy check cannot run, so nothing is sent: " + "; ".join(problems))


def blocked_customers(
    con: duckdb.DuckDBPyConnection, customer_ids: list[str] | pa.Array | pa.ChunkedArray, channel: str
) -> dict[str, str]:
    """``{customer_id: reason}`` for every id that must NOT reach a destination on ``channel``.

    Ids may be a Python list or an Arrow array (1M ids stay in Arrow: no Python object per id)."""
    _check_tables(con)
    consent = CONSENT_COLUMN[channel]
    if isinstance(customer_ids, list):
        ids = pa.array([str(c) for c in customer_ids if c is not None], pa.string())
    else:
        ids = customer_ids.cast(pa.string())
    if not len(ids):
        return {}
    con.register("_privacy_ids", pa.table({"customer_id": ids}))
    try:
        rows = con.execute(
            f"""
            with ids as (select distinct customer_id from _privacy_ids where customer_id is not null),
            customers as (
                select cast(customer_id as varchar) as customer_id, {consent} as consent,
                       lower(trim(email)) as email
                from marts.dim_customers
            ),
            forgotten_graph as (
                select distinct cast(customer_id as varchar) as customer_id
                from intermediate.int_identity_graph where is_forgotten
            ),
            requests as (
                select cast(advisor_id as varchar) as advisor_id, lower(trim(email)) as email
                from staging.stg_privacy__deletion_requests
            ),
            checked as (
                select
                    ids.customer_id,
                    c.customer_id is not null as known,
                    coalesce(c.consent, false) as consented,
                    g.customer_id is not null as graph_forgotten,
                    exists (
                        select 1 from requests r
                        where r.advisor_id = ids.customer_id
                           or (r.email is not null and r.email = c.email)
                    ) as requested_deletion
                from ids
                left join customers c on c.customer_id = ids.customer_id
                left join forgotten_graph g on g.customer_id = ids.customer_id
            )
            select customer_id,
                case
                    when graph_forgotten then 'forgotten (identity graph)'
                    when requested_deletion then 'deletion request'
                    when not known then 'not in marts.dim_customers'
                    when not consented then 'no {channel} consent'
                end as reason
            from checked
            where graph_forgotten or requested_deletion or not known or not consented
            """
        ).fetchall()
    finally:
        con.unregister("_privacy_ids")
    return dict(rows)
