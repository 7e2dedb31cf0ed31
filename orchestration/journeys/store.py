"""The journey state in the warehouse (schema ``journeys``), and the customer facts the engine needs.

Tables (declared as dbt sources in models/staging/journeys/_journeys__sources.yml with the same columns):
definitions, arms, definition_steps (what is running), watches (open absence windows, score episodes),
occurrences (every trigger, evaluated once), enrollments, steps (every scheduled message), events_seen
(the warehouse event source's acknowledgements) and evaluations (one row per run). Rows are keyed by
content hashes (model.py) and written with delete-then-insert by key inside the caller's transaction.

:class:`WarehouseState` is the engine's :class:`StateView`; :class:`WarehouseLookups` its
:class:`Lookups`, read from the marts: dim_customers (entry and branch conditions, personal fields,
inactivity), dim_customer_channels (channel of choice, opt-out), ml scores, ops.sync_state (what the
destinations acknowledged) and the decision ledger (why a step was not sent).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

import duckdb
import pyarrow as pa

from orchestration.journeys.channels import ChannelOption
from orchestration.journeys.events import Event
from orchestration.journeys.model import Changes, Enrollment, Occurrence, StepRow, Watch

SCHEMA = "journeys"
_TS, _S = "timestamp", "varchar"

COLUMNS: dict[str, list[tuple[str, str]]] = {
    "definitions": [("journey", _S), ("enabled", "boolean"), ("owner", _S), ("description", _S),
                    ("source_file", _S), ("trigger_type", _S), ("control_share", "double"), ("split_unit", _S),
                    ("goal_event", _S), ("goal_within_hours", "double"), ("loaded_at", _TS)],
    "arms": [("journey", _S), ("arm", _S), ("share_from", "double"), ("share_to", "double")],
    "definition_steps": [("journey", _S), ("step_index", "integer"), ("step_id", _S), ("actions", _S),
                         ("wait_hours", "double"), ("arms", _S)],
    "spec_errors": [("file", _S), ("line", "integer"), ("field", _S), ("reason", _S), ("loaded_at", _TS)],
    "watches": [("journey", _S), ("customer_id", _S), ("match_key", _S), ("started_at", _TS),
                ("deadline_at", _TS), ("subject_id", _S), ("detail", _S), ("absent_at", _TS),
                ("fired_at", _TS), ("matched", "boolean")],
    "occurrences": [("occurrence_id", _S), ("journey", _S), ("customer_id", _S), ("occurrence_key", _S),
                    ("occurred_at", _TS), ("outcome", _S), ("reason", _S), ("noticed_at", _TS),
                    ("evaluated_at", _TS)],
    "enrollments": [("enrollment_id", _S), ("journey", _S), ("customer_id", _S), ("occurrence_key", _S),
                    ("entered_at", _TS), ("subject_id", _S), ("detail", _S), ("trigger_at", _TS),
                    ("step_index", "integer"), ("next_due_at", _TS), ("converted_at", _TS), ("exited_at", _TS),
                    ("exit_reason", _S), ("updated_at", _TS)],
    "steps": [("send_id", _S), ("enrollment_id", _S), ("journey", _S), ("customer_id", _S), ("step_id", _S),
              ("step_index", "integer"), ("due_at", _TS), ("expires_at", _TS), ("status", _S),
              ("status_reason", _S), ("action", _S), ("branch", _S), ("arms", _S), ("channel", _S),
              ("channel_source", _S), ("headline", _S), ("body", _S), ("html", _S), ("cta_label", _S), ("cta_url", _S),
              ("message", _S), ("sent_at", _TS), ("updated_at", _TS)],
    "events_seen": [("event_key", _S), ("seen_at", _TS)],
    "evaluations": [("evaluated_at", _TS), ("clock", _TS), ("new_events", "bigint"), ("journeys", "bigint"),
                    ("spec_errors", "bigint"), ("occurrences", "bigint"), ("enrolled", "bigint"),
                    ("skipped", "bigint"), ("steps_due", "bigint"), ("steps_sent", "bigint"),
                    ("steps_expired", "bigint"), ("exits", "bigint"), ("duration_s", "double")],
}
KEYS = {"watches": ("journey", "customer_id", "match_key"), "occurrences": ("occurrence_id",),
        "enrollments": ("enrollment_id",), "steps": ("send_id",), "events_seen": ("event_key",)}
# Tables holding a customer id: what a deletion request removes.
PERSONAL = ("watches", "occurrences", "enrollments", "steps")


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the tables, and add the columns a newer version declares to tables an older one made."""
    con.execute(f"create schema if not exists {SCHEMA}")
    for table, cols in COLUMNS.items():
        con.execute(f"create table if not exists {SCHEMA}.{table} ({', '.join(f'{c} {t}' for c, t in cols)})")
        have = {r[0] for r in con.execute("select column_name from information_schema.columns where "
                                          "table_schema = ? and table_name = ?", [SCHEMA, table]).fetchall()}
        for c, t in cols:
            if c not in have:
                con.execute(f"alter table {SCHEMA}.{table} add column {c} {t}")


def _arrow(table: str, rows: Sequence[Mapping[str, object]]) -> pa.Table:
    names = [c for c, _ in COLUMNS[table]]
    return pa.table({n: [r.get(n) for r in rows] for n in names}) if rows else pa.table(
        {n: pa.array([], pa.string()) for n in names})


def upsert(con: duckdb.DuckDBPyConnection, table: str, rows: Sequence[Mapping[str, object]]) -> None:
    """Replace the rows with the same key (or all rows, for tables without a key), in the caller's
    transaction."""
    if not rows and table in KEYS:
        return
    con.register("_rows", _arrow(table, rows))
    try:
        if table in KEYS:
            on = " and ".join(f"t.{k} = r.{k}" for k in KEYS[table])
            con.execute(f"delete from {SCHEMA}.{table} t where exists (select 1 from _rows r where {on})")
        else:
            con.execute(f"delete from {SCHEMA}.{table}")
        names = ", ".join(c for c, _ in COLUMNS[table])
        casts = ", ".join(f"cast({c} as {t}) as {c}" for c, t in COLUMNS[table])
        con.execute(f"insert into {SCHEMA}.{table} ({names}) select {casts} from _rows")
    finally:
        con.unregister("_rows")


def append(con: duckdb.DuckDBPyConnection, table: str, rows: Sequence[Mapping[str, object]]) -> None:
    con.register("_rows", _arrow(table, rows))
    try:
        names = ", ".join(c for c, _ in COLUMNS[table])
        casts = ", ".join(f"cast({c} as {t}) as {c}" for c, t in COLUMNS[table])
        con.execute(f"insert into {SCHEMA}.{table} ({names}) select {casts} from _rows")
    finally:
        con.unregister("_rows")


def apply_changes(con: duckdb.DuckDBPyConnection, ch: Changes, evaluated_at: datetime) -> None:
    upsert(con, "watches", [dataclasses.asdict(w) for w in ch.watches.values()])
    upsert(con, "occurrences", [{**dataclasses.asdict(o), "evaluated_at": evaluated_at} for o in ch.occurrences])
    upsert(con, "enrollments", [{**dataclasses.asdict(e), "updated_at": evaluated_at} for e in ch.enrollments.values()])
    upsert(con, "steps", [{**_step_columns(s), "updated_at": evaluated_at} for s in ch.steps.values()])


def _step_columns(s: StepRow) -> dict[str, object]:
    import json

    from orchestration.journeys.content import body_text, headline

    row = dataclasses.asdict(s)
    rendered = json.loads(s.message) if s.message else {}
    row.update(headline=headline(rendered) or None, body=body_text(rendered) or None, html=rendered.get("html"),
               cta_label=rendered.get("cta_label"), cta_url=rendered.get("cta_url"))
    return row


def forget(con: duckdb.DuckDBPyConnection) -> int:
    """Remove the journey state of forgotten people (a deletion request): their data is gone."""
    if not _exists(con, "intermediate", "int_identity_graph"):
        return 0
    removed = 0
    for table in PERSONAL:
        removed += con.execute(
            f"delete from {SCHEMA}.{table} where customer_id in "
            "(select customer_id from intermediate.int_identity_graph where is_forgotten)").fetchall()[0][0]
    return removed


def _exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    # fetchall, not fetchone: a result left half-read blocks register() on the same connection (DuckDB 1.4).
    return bool(con.execute("select count(*) from information_schema.tables where table_schema = ? "
                            "and table_name = ?", [schema, table]).fetchall()[0][0])


def _records(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _fields(cls, row: dict) -> dict:
    names = {f.name for f in dataclasses.fields(cls)}
    return {k: v for k, v in row.items() if k in names}


class WarehouseState:
    """The stored state, read from ``journeys.*`` (the engine's StateView)."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con

    def _with_ids(self, name: str, values: Iterable) -> None:
        rows = [v if isinstance(v, tuple) else (v,) for v in values]
        width = len(rows[0]) if rows else 1
        self.con.register(name, pa.table({f"k{i}": [r[i] for r in rows] if rows else pa.array([], pa.string())
                                          for i in range(width)}))

    def watches(self, journey: str, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str, str], Watch]:
        keys = list(keys)
        if not keys:
            return {}
        self._with_ids("_keys", keys)
        try:
            rows = _records(self.con, f"select w.* from {SCHEMA}.watches w join _keys k on w.customer_id = k.k0 "
                            "and w.match_key = k.k1 where w.journey = ?", [journey])
        finally:
            self.con.unregister("_keys")
        return {(r["journey"], r["customer_id"], r["match_key"]): Watch(**r) for r in rows}

    def open_watches(self, journey: str) -> list[Watch]:
        rows = _records(self.con, f"select * from {SCHEMA}.watches where journey = ? and started_at is not null "
                        "and fired_at is null", [journey])
        return [w for w in (Watch(**r) for r in rows) if w.is_open]

    def seen(self, occurrence_ids: Iterable[str]) -> set[str]:
        ids = list(occurrence_ids)
        if not ids:
            return set()
        self._with_ids("_ids", ids)
        try:
            return {r[0] for r in self.con.execute(
                f"select o.occurrence_id from {SCHEMA}.occurrences o join _ids i on o.occurrence_id = i.k0").fetchall()}
        finally:
            self.con.unregister("_ids")

    def enrollments_of(self, journey: str, customer_ids: Iterable[str]) -> list[Enrollment]:
        ids = list(customer_ids)
        if not ids:
            return []
        self._with_ids("_ids", ids)
        try:
            rows = _records(self.con, f"select e.* from {SCHEMA}.enrollments e join _ids i on e.customer_id = i.k0 "
                            "where e.journey = ?", [journey])
        finally:
            self.con.unregister("_ids")
        return [Enrollment(**_fields(Enrollment, r)) for r in rows]

    def active(self, journey: str) -> list[Enrollment]:
        rows = _records(self.con, f"select * from {SCHEMA}.enrollments where journey = ? and exited_at is null",
                        [journey])
        return [Enrollment(**_fields(Enrollment, r)) for r in rows]

    def due_steps(self, journey: str) -> list[StepRow]:
        rows = _records(self.con, f"select * from {SCHEMA}.steps where journey = ? and status = 'due'", [journey])
        return [StepRow(**_fields(StepRow, r)) for r in rows]


class WarehouseEventSource:
    """New events = rows of marts.fct_journey_events whose key was not acknowledged yet."""

    name = "warehouse:marts.fct_journey_events"

    def read(self, con: duckdb.DuckDBPyConnection) -> list[Event]:
        if not _exists(con, "marts", "fct_journey_events"):
            return []
        rows = con.execute(
            f"""select e.occurred_at, e.event_key, e.customer_id, e.event_name, e.subject_id, e.detail
                from marts.fct_journey_events e
                where e.customer_id is not null and e.occurred_at is not null
                  and not exists (select 1 from {SCHEMA}.events_seen s where s.event_key = e.event_key)""").fetchall()
        return [Event(*r) for r in rows]

    def ack(self, con: duckdb.DuckDBPyConnection, events: Sequence[Event], at: datetime | None = None) -> None:
        upsert(con, "events_seen", [{"event_key": e.event_key, "seen_at": at} for e in events])


class WarehouseLookups:
    """Customer facts from the marts, batched by customer (the engine's Lookups)."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con

    def _query(self, sql: str, ids: Iterable[str], params: list | None = None) -> list[tuple]:
        self.con.register("_ids", pa.table({"customer_id": pa.array(sorted(ids), pa.string())}))
        try:
            return self.con.execute(sql, params or []).fetchall()
        finally:
            self.con.unregister("_ids")

    def failing(self, clauses: Mapping[str, str], customer_ids: set[str]) -> dict[str, list[str]]:
        checks = ", ".join(f"case when not coalesce(({sql}), false) then '{name}' end"
                           for name, sql in clauses.items())
        rows = self._query(f"select _ids.customer_id, c.customer_id is not null, concat_ws('|', {checks}) "
                           "from _ids left join marts.dim_customers c on c.customer_id = _ids.customer_id",
                           customer_ids)
        out = {}
        for cid, known, failed in rows:
            names = list(clauses) if not known else [n for n in (failed or "").split("|") if n]
            if names:
                out[cid] = names
        return out

    def channels(self, customer_ids: set[str]) -> dict[str, dict[str, ChannelOption]]:
        out: dict[str, dict[str, ChannelOption]] = {}
        for cid, channel, usable, stated, rate in self._query(
                "select c.customer_id, c.channel, c.is_usable, c.is_stated_preference, c.response_rate "
                "from marts.dim_customer_channels c join _ids using (customer_id)", customer_ids):
            out.setdefault(cid, {})[channel] = ChannelOption(channel, bool(usable), bool(stated), rate)
        return out

    def fields(self, customer_ids: set[str]) -> dict[str, dict[str, object]]:
        rows = self._query("select c.customer_id, split_part(trim(c.full_name), ' ', 1), c.full_name, c.firm_name, "
                           "c.phone_e164 from marts.dim_customers c join _ids using (customer_id)", customer_ids)
        return {r[0]: {"first_name": r[1], "full_name": r[2], "firm_name": r[3], "phone": r[4]} for r in rows}

    def opted_out(self, customer_ids: set[str], channels: list[str]) -> set[str]:
        """Customers with consent on none of the journey's channels (or no longer known at all)."""
        rows = self._query(
            "select _ids.customer_id, coalesce(bool_or(c.has_consent), false) from _ids "
            "left join marts.dim_customer_channels c on c.customer_id = _ids.customer_id "
            f"and c.channel in ({', '.join('?' for _ in channels)}) group by _ids.customer_id",
            customer_ids, list(channels))
        return {cid for cid, consented in rows if not consented}

    def scores(self, model: str) -> dict[str, float]:
        if not _exists(self.con, "ml", "fct_propensity_scores"):
            return {}
        return dict(self.con.execute("select customer_id, score from ml.fct_propensity_scores where model = ?",
                                     [model]).fetchall())

    def last_touch(self) -> dict[str, datetime]:
        return dict(self.con.execute("select customer_id, last_touch_at from marts.dim_customers "
                                     "where last_touch_at is not null").fetchall())

    def sent(self, send_ids: set[str]) -> dict[str, datetime]:
        if not send_ids or not _exists(self.con, "ops", "sync_state"):
            return {}
        rows = self._query("select s.primary_key, min(s.acked_at at time zone 'UTC') from ops.sync_state s "
                           "join _ids on s.primary_key = _ids.customer_id group by s.primary_key", send_ids)
        return dict(rows)

    def verdicts(self, send_ids: set[str]) -> dict[str, str]:
        if not send_ids or not _exists(self.con, "marts", "fct_action_eligibility"):
            return {}
        rows = self._query("select e.send_id, coalesce(e.blocked_reasons, 'eligible_not_sent') "
                           "from marts.fct_action_eligibility e join _ids on e.send_id = _ids.customer_id",
                           send_ids)
        return dict(rows)


def occurrence_rows(con: duckdb.DuckDBPyConnection) -> list[Occurrence]:
    return [Occurrence(**_fields(Occurrence, r)) for r in _records(con, f"select * from {SCHEMA}.occurrences")]
