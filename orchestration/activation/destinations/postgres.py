"""PostgreSQL destination (psycopg 3).

Per batch, in ONE transaction: COPY the upserts into a temporary staging table, then
``INSERT ... SELECT ... ON CONFLICT (key) DO UPDATE`` (``DO NOTHING`` for insert mode), then
``DELETE ... WHERE key = ANY(...)`` for removals, then COMMIT. Re-applying a batch after a crash
(destination committed, engine state not yet) leaves the same table: no duplicates.
"""

from __future__ import annotations

import io

import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from psycopg import sql

from orchestration.activation.destinations.base import BatchResult, Destination, DestinationError, Record
from orchestration.activation.spec import PostgresDestination, SyncSpec, resolve_secret


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _text_column(values: list[object]) -> pa.Array:
    """One field of a batch as Arrow strings, rendered as ``_text`` renders each value. Audience columns
    come from SQL with one type each, so Arrow converts and casts the whole column at once; a column
    of mixed Python types falls back to ``_text`` per value."""
    try:
        arr = pa.array(values)
        if pa.types.is_string(arr.type) or pa.types.is_null(arr.type):
            return arr.cast(pa.string())
        if pa.types.is_integer(arr.type) or pa.types.is_boolean(arr.type):
            return pc.cast(arr, pa.string())  # bool -> 'true'/'false', like _text
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        pass
    return pa.array([_text(v) for v in values], pa.string())


def copy_payload(records: list[Record], fields: list[str]) -> bytes:
    """The batch as CSV for ``COPY ... (format csv)``: strings always quoted, NULL as an unquoted empty
    field, so PostgreSQL reads '' as an empty string and nothing as NULL. One Arrow CSV write per
    batch instead of a Python ``write_row`` per record (about 2x cheaper at 50k-row batches)."""
    columns = [_text_column([r.data.get(f) for r in records]) for f in fields]  # type: ignore[union-attr]
    buf = io.BytesIO()
    pacsv.write_csv(pa.table(columns, names=[f"c{i}" for i in range(len(fields))]), buf,
                    pacsv.WriteOptions(include_header=False, quoting_style="needed"))
    return buf.getvalue()


class PostgresSink(Destination):
    def __init__(self, spec: SyncSpec, dsn: str | None = None):
        cfg = spec.destination
        assert isinstance(cfg, PostgresDestination)
        self.spec, self.cfg = spec, cfg
        self.dsn = dsn or resolve_secret(cfg.dsn_env, f"sync {spec.name}")
        self.fields = list(spec.mapping)
        self.key = spec.key_field
        schema, _, name = cfg.table.rpartition(".")
        self.table = sql.Identifier(schema, name) if schema else sql.Identifier(name)
        self.schema = schema or None
        self.conn: psycopg.Connection | None = None

    def open(self) -> None:
        try:
            self.conn = psycopg.connect(self.dsn, autocommit=False)
        except psycopg.OperationalError as exc:
            raise DestinationError(f"sync {self.spec.name}: cannot connect to PostgreSQL: {exc}") from exc
        cols = sql.SQL(", ").join(sql.SQL("{} text").format(sql.Identifier(f)) for f in self.fields)
        with self.conn.cursor() as cur:
            if self.cfg.create_table:
                if self.schema:
                    cur.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(self.schema)))
                cur.execute(
                    sql.SQL("create table if not exists {} ({}, primary key ({}))").format(
                        self.table, cols, sql.Identifier(self.key)
                    )
                )
            # Staging lives for the session and is emptied at each commit: nothing survives a crash.
            cur.execute(sql.SQL("create temp table if not exists _cjo_stage ({}) on commit delete rows").format(cols))
        self.conn.commit()

    def send(self, records: list[Record], batch_key: str) -> BatchResult:
        assert self.conn is not None, "open() first"
        ups = [r for r in records if r.op != "delete"]
        dels = [r.key for r in records if r.op == "delete"]
        ident = sql.SQL(", ").join(sql.Identifier(f) for f in self.fields)
        try:
            with self.conn.cursor() as cur:
                if ups:
                    copy_sql = sql.SQL("copy _cjo_stage ({}) from stdin (format csv)").format(ident)
                    with cur.copy(copy_sql) as copy:
                        copy.write(copy_payload(ups, self.fields))
                    if ups[0].op == "insert":
                        action = sql.SQL("do nothing")
                    else:
                        others = [f for f in self.fields if f != self.key]
                        sets = sql.SQL(", ").join(
                            sql.SQL("{0} = excluded.{0}").format(sql.Identifier(f)) for f in others
                        )
                        action = sql.SQL("do update set {}").format(sets) if others else sql.SQL("do nothing")
                    cur.execute(
                        sql.SQL("insert into {t} ({c}) select {c} from _cjo_stage on conflict ({k}) {a}").format(
                            t=self.table, c=ident, k=sql.Identifier(self.key), a=action
                        )
                    )
                if dels:
                    cur.execute(
                        sql.SQL("delete from {} where {} = any(%s)").format(self.table, sql.Identifier(self.key)),
                        (dels,),
                    )
            self.conn.commit()
        except psycopg.errors.DataError as exc:
            # Bad values: the whole batch rolled back; reject it so the rows are kept with the reason.
            self.conn.rollback()
            return BatchResult(rejected={r.key: f"postgres data error: {exc}" for r in records})
        except psycopg.Error as exc:
            self.conn.rollback()
            raise DestinationError(f"sync {self.spec.name}: PostgreSQL batch failed: {exc}") from exc
        return BatchResult(acked=[r.key for r in records])

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None
