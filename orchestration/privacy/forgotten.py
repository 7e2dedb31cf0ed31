"""THE forgotten set of a run: the one definition every erasure step and the last-mile check read.

A person is forgotten when their identity component (``intermediate.int_identity_graph``: every advisor
record, email, phone and cookie resolved to one person) contains a node that
- is named in a deletion request (``is_forgotten``, computed by the graph from
  ``stg_privacy__deletion_requests``), or
- is in the erasure ledger (its salted hash, or the salted hash of the component's customer_id): they
  were forgotten before, and a new delivery named them again.

Shared identifiers (a switchboard phone, info@ mailboxes: ``is_shared_identifier``) are not merged into
anyone's component and are not erased: they are not the person's data, and erasing them would delete
other people's rows. Rows that name the person AND a shared identifier go, through the person's own
identifiers.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from orchestration.activation import hashing
from orchestration.contract import Table
from orchestration.privacy import ledger

GRAPH = "intermediate.int_identity_graph"
REQUESTS = "staging.stg_privacy__deletion_requests"
# Raw columns that hold an identity node's value, by node type (the prefixes int_identity_mentions_unioned
# gives them: advisor:<advisor_id>, anon:<anonymous_id>); columns the contract normalizes as email or phone
# hold email: and phone: nodes. A new identifier column in the contract needs its node type here.
ID_COLUMNS = {"advisor_id": "advisor", "anonymous_id": "anon"}
NORMALIZED = {"email": "email", "phone": "phone"}


@dataclass
class ForgottenSet:
    """The nodes (node_id, node_type, node_value) and customer ids of every forgotten person this run."""

    nodes: list[tuple[str, str, str]] = field(default_factory=list)
    customer_ids: set[str] = field(default_factory=set)
    request_ids: set[str] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.nodes or self.customer_ids)

    def node_values(self, node_type: str) -> set[str]:
        return {v.strip().lower() for _, t, v in self.nodes if t == node_type and v}

    def values(self) -> set[str]:
        """Every string that identifies a forgotten person (lower-cased): node values and ids, customer
        ids, and the SHA-256 forms the ad destinations upload (Google and Meta normalizations)."""
        out = {v.strip().lower() for _, _, v in self.nodes if v} | {n.lower() for n, _, _ in self.nodes}
        out |= {c.lower() for c in self.customer_ids}
        for platform in ("google", "meta"):
            out |= {h for e in self.node_values("email") if (h := hashing.hash_email(e, platform))}
            out |= {h for p in self.node_values("phone") if (h := hashing.hash_phone(p, platform))}
        return out

    def ledger_identifiers(self) -> list[tuple[str, str]]:
        """(identifier, kind) to remember: every node id, every customer id, and the customer id each
        advisor/email node would get as the anchor of a new component (md5 of the node id, dbt.hash), so
        the last-mile check recognizes the person under an id they never had yet."""
        out = [(n, "node") for n, _, _ in self.nodes] + [(c, "customer") for c in self.customer_ids]
        out += [(hashlib.md5(n.encode()).hexdigest(), "customer") for n, t, _ in self.nodes
                if t in ("advisor", "email")]
        return out


def identifier_columns(t: Table) -> dict[str, str]:
    """{staged column of the base model: node type} for a raw table."""
    out = {}
    for c in t.columns:
        if c.normalize in NORMALIZED:
            out[c.staged_name] = NORMALIZED[c.normalize]
        elif c.name in ID_COLUMNS:
            out[c.name] = ID_COLUMNS[c.name]
    return out


def _exists(con: duckdb.DuckDBPyConnection, qualified: str) -> bool:
    schema, name = qualified.split(".")
    return bool(con.execute("select 1 from information_schema.tables where table_schema = ? and table_name = ?",
                            [schema, name]).fetchall())


def forgotten_components_sql() -> str:
    """SQL: the ``anchor_node_id`` of every forgotten identity component. THE rule; it needs the ledger
    registered as ``_erasure_ledger`` (ledger.register) and the salt as parameter ``$salt``."""
    hashed = ledger.SALTED_HASH_SQL
    return f"""
        select distinct anchor_node_id from {GRAPH}
        where is_forgotten
           or {hashed.format(expr='node_id')} in (select identifier_hash from _erasure_ledger)
           or (customer_id is not null
               and {hashed.format(expr='customer_id')} in (select identifier_hash from _erasure_ledger))
    """


def forgotten_set(con: duckdb.DuckDBPyConnection, state_dir: Path) -> ForgottenSet:
    """Read the forgotten set from the live warehouse (the graph) and the ledger."""
    if not _exists(con, GRAPH):
        raise RuntimeError(f"{GRAPH} is missing: the forgotten set cannot be computed (run dbt first)")
    ledger.register(con, state_dir)
    try:
        rows = con.execute(
            f"""
            select node_id, node_type, node_value, customer_id from {GRAPH}
            where anchor_node_id in ({forgotten_components_sql()})
              and not coalesce(is_shared_identifier, false)
            """, {"salt": ledger.salt(state_dir)}).fetchall()
    finally:
        con.unregister("_erasure_ledger")
    found = ForgottenSet(nodes=[(n, t, v) for n, t, v, _ in rows],
                         customer_ids={c for *_, c in rows if c is not None})
    found.request_ids = _request_ids(con, found)
    return found


def _request_ids(con: duckdb.DuckDBPyConnection, found: ForgottenSet) -> set[str]:
    if not found or not _exists(con, REQUESTS):
        return set()
    rows = con.execute(
        f"select distinct request_id from {REQUESTS} where lower(trim(advisor_id)) in (select unnest($a)) "
        f"or lower(trim(email)) in (select unnest($e))",
        {"a": sorted(found.node_values("advisor")), "e": sorted(found.node_values("email"))}).fetchall()
    return {r[0] for r in rows}
