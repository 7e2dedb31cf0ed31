"""Real parts for the activation tests: a small DuckDB warehouse and a fault-injecting HTTP server.

The warehouse holds only the tables and columns the engine reads (``marts.dim_customers``, consent per
channel in ``marts.dim_customer_consent``, the ledger's verdict in ``marts.fct_action_eligibility``, the
identity graph's forgotten flag, deletion requests, one ``activation.aud_*`` table), so these tests do
not depend on the rest of the dbt project.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import pyarrow as pa

AUDIENCE = "aud_test"
ACTION = "test_action"


@dataclass
class Person:
    customer_id: str
    email: str
    phone: str | None = None
    score: int = 0
    consent_email: bool | None = True
    consent_phone: bool | None = True
    consent_ads: bool | None = True
    forgotten: bool = False
    deletion_requested: bool = False
    in_audience: bool = True
    eligible: bool = True  # the decision ledger's verdict for ACTION


def people(n: int, start: int = 0) -> list[Person]:
    return [
        Person(f"c{i:05d}", f"Person.{i}@Example.com", f"+1 (555) {i:03d}-{i % 10000:04d}", score=i % 7)
        for i in range(start, start + n)
    ]


def write_warehouse(path: Path, persons: list[Person], audience: str = AUDIENCE) -> None:
    """(Re)write the fixture tables; keeps ops.* (the engine's state) untouched."""
    con = duckdb.connect(str(path))
    try:
        for schema in ("marts", "intermediate", "staging", "activation"):
            con.execute(f"create schema if not exists {schema}")
        known = [p for p in persons if not p.forgotten]
        dim = pa.table(
            {
                "customer_id": [p.customer_id for p in known],
                "email": [p.email for p in known],
                "phone_e164": [p.phone for p in known],
            }
        )
        channels = ("email", "phone", "ads")
        consent = pa.table(
            {
                "customer_id": [p.customer_id for p in known for _ in channels],
                "channel": [c for _ in known for c in channels],
                "has_consent": pa.array([getattr(p, f"consent_{c}") for p in known for c in channels], pa.bool_()),
            }
        )
        ledger = pa.table(
            {
                "customer_id": [p.customer_id for p in persons],
                "action": [ACTION for _ in persons],
                "is_eligible": [p.eligible for p in persons],
                "blocked_reasons": [None if p.eligible else "frequency_cap" for p in persons],
            }
        )
        # One identity node per person, its own component (the forgotten rule reads the component).
        graph = pa.table(
            {
                "node_id": [f"advisor:{p.customer_id}" for p in persons],
                "anchor_node_id": [f"advisor:{p.customer_id}" for p in persons],
                "customer_id": [p.customer_id for p in persons],
                "is_forgotten": [p.forgotten for p in persons],
            }
        )
        requests = pa.table(
            {
                "request_id": pa.array([f"r{p.customer_id}" for p in persons if p.deletion_requested], pa.string()),
                "advisor_id": pa.array([None for p in persons if p.deletion_requested], pa.string()),
                # Upper-case on purpose: the engine must match on trimmed, lower-cased email.
                "email": pa.array([f" {p.email.upper()} " for p in persons if p.deletion_requested], pa.string()),
            }
        )
        # The audience SQL is deliberately NAIVE: it ignores consent and deletions, so the test proves
        # the engine's last-mile check, not the audience's filters.
        aud = pa.table(
            {
                "customer_id": [p.customer_id for p in persons if p.in_audience],
                "action": [ACTION for p in persons if p.in_audience],
                "email": [p.email for p in persons if p.in_audience],
                "phone": [p.phone for p in persons if p.in_audience],
                "score": pa.array([p.score for p in persons if p.in_audience], pa.int64()),
            }
        )
        for name, tbl in (
            ("marts.dim_customers", dim),
            ("marts.dim_customer_consent", consent),
            ("marts.fct_action_eligibility", ledger),
            ("intermediate.int_identity_graph", graph),
            ("staging.stg_privacy__deletion_requests", requests),
            (f"activation.{audience}", aud),
        ):
            con.register("_t", tbl)
            con.execute(f"create or replace table {name} as select * from _t")
            con.unregister("_t")
    finally:
        con.close()


def allowed(persons: list[Person], channel: str = "email") -> dict[str, Person]:
    """The intended destination content: in the audience, eligible in the ledger, consented, not forgotten."""
    return {
        p.customer_id: p
        for p in persons
        if p.in_audience and p.eligible and getattr(p, f"consent_{channel}") is True
        and not p.forgotten and not p.deletion_requested
    }


def spec_dict(name: str, destination: dict, mode: str = "mirror", **extra: object) -> dict:
    return {
        "name": name,
        "audience": AUDIENCE,
        "destination": destination,
        "mode": mode,
        "primary_key": "customer_id",
        "channel": "email",
        "mapping": {"customer_id": "customer_id", "email": "email", "score": "score"},
        "batch_size": 25,
        **extra,
    }


def write_manifest(folder: Path, data: dict) -> Path:
    """A minimal dbt manifest declaring one audience model with ``data`` as its sync (config.meta.sync),
    the way models/activation/_activation__models.yml declares them. Point CJO_DBT_MANIFEST at it."""
    folder.mkdir(parents=True, exist_ok=True)
    sync = {k: v for k, v in data.items() if k not in ("name", "audience")}
    node = {
        "resource_type": "model",
        "name": f"aud_{data['name']}",
        "original_file_path": "tests/activation/manifest.yml",
        "config": {"meta": {"owner": "tests", "sync": sync}},
    }
    path = folder / "manifest.json"
    path.write_text(json.dumps({"nodes": {f"model.cjo.{node['name']}": node}}))
    return path


def query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


# ----------------------------------------------------------------------------------- HTTP server


@dataclass
class Receiver:
    """What the fake destination holds and saw. Faults are consumed one per request, in order."""

    secret: str
    records: dict[str, dict] = field(default_factory=dict)
    faults: list[str] = field(default_factory=list)
    reject_keys: set[str] = field(default_factory=set)
    seen_batches: dict[str, bytes] = field(default_factory=dict)
    requests: int = 0
    duplicates: int = 0
    bad_signatures: int = 0
    applied_ops: int = 0
    request_times: list[float] = field(default_factory=list)
    bodies: list[dict] = field(default_factory=list)
    keep_bodies: bool = True
    lock: threading.Lock = field(default_factory=threading.Lock)


def _handler(rx: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:  # keep pytest output clean
            return None

        def _reply(self, status: int, body: dict | None = None, headers: dict | None = None) -> bytes:
            data = json.dumps(body or {}).encode()
            self.send_response(status)
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return data

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with rx.lock:
                rx.requests += 1
                rx.request_times.append(time.monotonic())
                fault = rx.faults.pop(0) if rx.faults else None
            if fault == "500":
                self._reply(500, {"error": "injected"})
                return
            if fault and fault.startswith("429"):
                self._reply(429, {"error": "slow down"}, {"Retry-After": fault.split(":")[1]})
                return
            if fault and fault.startswith("timeout"):
                time.sleep(float(fault.split(":")[1]))  # longer than the client's timeout
                self.close_connection = True
                return
            if fault == "reset":
                # SO_LINGER 0 + close = TCP RST: the client sees "connection reset by peer".
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.close_connection = True
                self.connection.close()
                return
            expected = "sha256=" + hmac.new(rx.secret.encode(), body, hashlib.sha256).hexdigest()
            if not hmac.compare_digest(expected, self.headers.get("X-CJO-Signature", "")):
                with rx.lock:
                    rx.bad_signatures += 1
                self._reply(401, {"error": "bad signature"})
                return
            idem = self.headers.get("Idempotency-Key", "")
            with rx.lock:
                if idem in rx.seen_batches:
                    rx.duplicates += 1
                    cached = rx.seen_batches[idem]
                else:
                    cached = None
            if cached is not None:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(cached)))
                self.end_headers()
                self.wfile.write(cached)
                return
            payload = json.loads(body)
            if "operations" in payload:  # Google Customer Match shape (ads destination, http sink)
                payload["records"] = [
                    {
                        "op": "delete" if "remove" in op else "upsert",
                        "key": op["key"],
                        "data": (op.get("create") or op.get("remove")),
                    }
                    for op in payload["operations"]
                ]
            errors = []
            with rx.lock:
                if rx.keep_bodies:
                    rx.bodies.append(payload)
                for rec in payload["records"]:
                    key = rec["key"]
                    if key in rx.reject_keys:
                        errors.append({"key": key, "status": 422, "reason": "invalid email"})
                        continue
                    rx.applied_ops += 1
                    if rec["op"] == "delete":
                        rx.records.pop(key, None)
                    elif rec["op"] == "insert":
                        rx.records.setdefault(key, rec["data"])
                    else:
                        rx.records[key] = rec["data"]
                resp = json.dumps({"errors": errors}).encode()
                rx.seen_batches[idem] = resp
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(resp)))
            self.end_headers()
            self.wfile.write(resp)

    return Handler


class WebhookServer:
    def __init__(self, secret: str = "s3cret"):
        self.rx = Receiver(secret=secret)
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.rx))
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"

    def __enter__(self) -> WebhookServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
