"""Sync bookkeeping in the warehouse (schema ``ops``), kept without limit.

- ``ops.sync_state``: the last ACKNOWLEDGED record per sync and key (hash, customer, payload for
  destinations that remove by payload). Written only after the destination acknowledged.
- ``ops.sync_inflight``: records handed to the destination whose acknowledgement is not committed yet.
  Written (committed) BEFORE each send, cleared in the same transaction as the state commit. After a
  crash, a key found here may or may not be at the destination, so the next run treats its state as
  unknown: re-sent if still wanted, deleted if not. Without it, a record applied at the destination
  just before a SIGKILL, whose person then left the audience, would stay there forever.
- ``ops.sync_runs``: one row per run (counts, duration, errors, dry_run, status).
- ``ops.sync_row_results``: one row per record sent (acked/rejected), per run.
- ``ops.sync_rejected_rows``: rejected records with the reason; resolved when a later run acks them.
- ``ops.sync_planned_diffs``: the diff a ``--dry-run`` planned.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

DDL = [
    "create schema if not exists ops",
    """create table if not exists ops.sync_state (
        sync_name varchar not null, primary_key varchar not null, row_hash varchar not null,
        customer_id varchar, payload varchar, acked_at timestamptz not null)""",
    """create table if not exists ops.sync_inflight (
        sync_name varchar not null, primary_key varchar not null, customer_id varchar, payload varchar,
        run_id varchar not null, batch_no integer not null, sent_at timestamptz not null)""",
    """create table if not exists ops.sync_runs (
        run_id varchar not null, sync_name varchar not null, audience varchar, destination varchar,
        mode varchar, started_at timestamptz not null, finished_at timestamptz, duration_s double,
        dry_run boolean not null, forced boolean not null, status varchar not null,
        audience_rows bigint, privacy_blocked bigint, planned_added bigint, planned_changed bigint,
        planned_removed bigint, planned_privacy_removed bigint, sent bigint, acked bigint,
        rejected bigint, batches bigint, error varchar)""",
    """create table if not exists ops.sync_row_results (
        run_id varchar not null, sync_name varchar not null, batch_no integer not null,
        primary_key varchar not null, op varchar not null, status varchar not null, reason varchar,
        recorded_at timestamptz not null)""",
    """create table if not exists ops.sync_rejected_rows (
        run_id varchar not null, sync_name varchar not null, primary_key varchar not null,
        op varchar not null, reason varchar not null, rejected_at timestamptz not null,
        resolved_at timestamptz)""",
    """create table if not exists ops.sync_planned_diffs (
        run_id varchar not null, sync_name varchar not null, op varchar not null,
        primary_key varchar not null, row_hash varchar, reason varchar, planned_at timestamptz not null)""",
]


def ensure_ops_tables(con: duckdb.DuckDBPyConnection) -> None:
    for stmt in DDL:
        con.execute(stmt)


@dataclass
class StateRow:
    row_hash: str
    customer_id: str | None
    payload: str | None


UNKNOWN_HASH = "?in-flight"


class StateIndex(Mapping[str, StateRow]):
    """Acknowledged state as plain dicts built at C speed (``dict(zip(...))``); a :class:`StateRow` is
    only made when one key is looked up. 1M keys load in about a second instead of tens."""

    def __init__(self, keys: list[str], hashes: list[str], cids: pa.Array, payloads: list[str | None]):
        self.hashes: dict[str, str] = dict(zip(keys, hashes, strict=True))
        self.cid_array = cids
        self._keys = keys
        self._cids: dict[str, str | None] | None = None
        self.payloads = {k: p for k, p in zip(keys, payloads, strict=True) if p is not None}

    @property
    def cids(self) -> dict[str, str | None]:
        if self._cids is None:
            self._cids = dict(zip(self._keys, self.cid_array.to_pylist(), strict=True))
        return self._cids

    def __getitem__(self, key: str) -> StateRow:
        return StateRow(self.hashes[key], self.cids.get(key), self.payloads.get(key))

    def keys_of_customers(self, customer_ids: set[str]) -> dict[str, str]:
        """``{key: customer_id}`` of the state rows belonging to ``customer_ids`` (vectorized)."""
        if not customer_ids or not len(self._keys):
            return {}
        mask = pc.is_in(self.cid_array.cast(pa.string()), value_set=pa.array(sorted(customer_ids), pa.string()))
        idx = pc.indices_nonzero(pc.fill_null(mask, False)).to_pylist()
        cids = self.cid_array
        return {self._keys[i]: cids[i].as_py() for i in idx}

    def __iter__(self) -> Iterator[str]:
        return iter(self.hashes)

    def __len__(self) -> int:
        return len(self.hashes)

    def __contains__(self, key: object) -> bool:
        return key in self.hashes


def load_state(con: duckdb.DuckDBPyConnection, sync_name: str) -> StateIndex:
    """Acknowledged state, plus in-flight keys from crashed runs with an unknown hash."""
    tbl = con.sql(
        """
        select primary_key, row_hash, customer_id, payload from ops.sync_state
        where sync_name = $s and primary_key not in (select primary_key from ops.sync_inflight where sync_name = $s)
        union all
        select primary_key, any_value(?), any_value(customer_id), any_value(payload) from ops.sync_inflight
        where sync_name = $s group by primary_key
        """.replace("?", f"'{UNKNOWN_HASH}'"),
        params={"s": sync_name},
    ).to_arrow_table()
    payload_col = tbl.column(3)
    payloads = payload_col.to_pylist() if payload_col.null_count < len(payload_col) else [None] * len(payload_col)
    return StateIndex(tbl.column(0).to_pylist(), tbl.column(1).to_pylist(), tbl.column(2).combine_chunks(), payloads)


def mark_inflight(
    con: duckdb.DuckDBPyConnection,
    *,
    sync_name: str,
    run_id: str,
    batch_no: int,
    rows: list[tuple[str, str | None, str | None]],  # key, customer_id, payload
) -> None:
    if not rows:
        return
    k, c, p = (list(x) for x in zip(*rows, strict=True))
    con.register(
        "_inf",
        pa.table({"k": pa.array(k, pa.string()), "c": pa.array(c, pa.string()), "p": pa.array(p, pa.string())}),
    )
    con.execute(
        "insert into ops.sync_inflight select ?, k, c, p, ?, ?, current_timestamp from _inf",
        [sync_name, run_id, batch_no],
    )
    con.unregister("_inf")


@contextmanager
def _strings(con: duckdb.DuckDBPyConnection, name: str, **columns: list) -> Iterator[None]:
    """Register string columns as a view `name` for the block."""
    con.register(name, pa.table({c: pa.array(v, pa.string()) for c, v in columns.items()}))
    try:
        yield
    finally:
        con.unregister(name)


def commit_batch(
    con: duckdb.DuckDBPyConnection,
    *,
    sync_name: str,
    run_id: str,
    batch_no: int,
    upserted: list[tuple[str, str, str | None, str | None]],  # key, hash, customer_id, payload
    deleted: list[str],
    rejected: list[tuple[str, str, str]],  # key, op, reason
    ops_by_key: dict[str, str],
) -> None:
    """One transaction: state for acknowledged keys, rejects, per-row results."""
    acked_keys = [u[0] for u in upserted] + deleted
    con.execute("begin transaction")
    try:
        _commit_acked(con, sync_name, acked_keys, upserted)
        if rejected:
            rk, rop, rr = (list(x) for x in zip(*rejected, strict=True))
            with _strings(con, "_rej", k=rk, o=rop, r=rr):
                con.execute("insert into ops.sync_rejected_rows select ?, ?, k, o, r, current_timestamp, null "
                            "from _rej", [run_id, sync_name])
        _commit_results(con, sync_name, run_id, batch_no, acked_keys, rejected, ops_by_key)
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise


def _commit_acked(con: duckdb.DuckDBPyConnection, sync_name: str, acked_keys: list[str],
                  upserted: list[tuple[str, str, str | None, str | None]]) -> None:
    """Acknowledged keys replace their state row (deletes leave none) and resolve their old rejects."""
    if acked_keys:
        with _strings(con, "_acked", k=acked_keys):
            con.execute("delete from ops.sync_state where sync_name = ? and primary_key in (select k from _acked)",
                        [sync_name])
            con.execute("update ops.sync_rejected_rows set resolved_at = current_timestamp where sync_name = ? "
                        "and resolved_at is null and primary_key in (select k from _acked)", [sync_name])
    if upserted:
        k, h, c, p = (list(x) for x in zip(*upserted, strict=True))
        with _strings(con, "_up", k=k, h=h, c=c, p=p):
            con.execute("insert into ops.sync_state select ?, k, h, c, p, current_timestamp from _up", [sync_name])


def _commit_results(con: duckdb.DuckDBPyConnection, sync_name: str, run_id: str, batch_no: int,
                    acked_keys: list[str], rejected: list[tuple[str, str, str]], ops_by_key: dict[str, str]
                    ) -> None:
    """The destination answered for these keys: they are no longer in doubt; one result row each."""
    keys = acked_keys + [r[0] for r in rejected]
    if not keys:
        return
    with _strings(con, "_done", k=keys):
        con.execute("delete from ops.sync_inflight where sync_name = ? and primary_key in (select k from _done)",
                    [sync_name])
    status = ["acked"] * len(acked_keys) + ["rejected"] * len(rejected)
    reasons: list[str | None] = [None] * len(acked_keys) + [r[2] for r in rejected]
    with _strings(con, "_res", k=keys, o=[ops_by_key.get(x, "?") for x in keys], s=status, r=reasons):
        con.execute("insert into ops.sync_row_results select ?, ?, ?, k, o, s, r, current_timestamp from _res",
                    [run_id, sync_name, batch_no])


def start_run(con: duckdb.DuckDBPyConnection, run_id: str, sync_name: str, **cols: object) -> None:
    names = ["run_id", "sync_name", "started_at", *cols]
    values = ", ".join(["?", "?", "current_timestamp", *(["?"] * len(cols))])
    con.execute(
        f"insert into ops.sync_runs ({', '.join(names)}) values ({values})",
        [run_id, sync_name, *cols.values()],
    )


def finish_run(con: duckdb.DuckDBPyConnection, run_id: str, **cols: object) -> None:
    sets = ", ".join(f"{c} = ?" for c in cols)
    con.execute(
        f"update ops.sync_runs set {sets}, finished_at = current_timestamp, "
        "duration_s = epoch(current_timestamp) - epoch(started_at) where run_id = ?",
        [*cols.values(), run_id],
    )


def store_planned_diff(
    con: duckdb.DuckDBPyConnection, run_id: str, sync_name: str, rows: list[tuple[str, str, str | None, str | None]]
) -> None:
    """rows: (op, key, row_hash, reason)."""
    if not rows:
        return
    o, k, h, r = (list(x) for x in zip(*rows, strict=True))
    con.register(
        "_plan",
        pa.table(
            {
                "o": pa.array(o, pa.string()),
                "k": pa.array(k, pa.string()),
                "h": pa.array(h, pa.string()),
                "r": pa.array(r, pa.string()),
            }
        ),
    )
    con.execute(
        "insert into ops.sync_planned_diffs select ?, ?, o, k, h, r, current_timestamp from _plan",
        [run_id, sync_name],
    )
    con.unregister("_plan")
