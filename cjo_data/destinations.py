"""Local stand-ins for the systems the syncs send to, so the demo (and benchmarks) show audiences
leaving the warehouse without any outside account.

- :class:`WebhookReceiver`: an HTTP endpoint that checks each batch's HMAC signature (the webhook
  destination's ``X-CJO-Signature``), applies its records (upsert, insert, delete) and appends every
  accepted record with its receipt time to ``<folder>/webhook.jsonl``; a bad signature gets a 401.
- :func:`postgres`: a throwaway PostgreSQL server (``scripts/pg_test_server.py``) when Debian's
  PostgreSQL is installed (``make system-deps``), else None.
- ``python -m cjo_data.destinations`` starts both, exports the environment variables the repo's sync
  declarations name (``CJO_ESP_WEBHOOK_URL``, ``CJO_ESP_WEBHOOK_SECRET``, the journey channels'
  ``CJO_JOURNEY_{EMAIL,SMS,IN_APP}_URL``/``_SECRET``, ``CJO_CRM_PG_DSN``), runs every
  declared sync through Dagster (``cjo run --job activate``: recorded in the run history, then published
  so ``cjo status`` shows what was sent and rejected), and stops them. Without PostgreSQL the syncs to it
  are left out, and it says so. ``... -- COMMAND`` runs COMMAND instead (benchmarks).

Not part of the runtime: the pipeline never imports this package.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import hmac
import json
import os
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

SIGNATURE_HEADER = "X-CJO-Signature"
# The journey syncs' webhook destinations (models/activation: aud_journey_*): the receiver stands in for each.
JOURNEY_WEBHOOKS = ("EMAIL", "SMS", "IN_APP")
ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Received:
    """What the receiver holds: the current records by key, and counters."""

    records: dict[str, dict] = field(default_factory=dict)
    batches: int = 0
    bad_signatures: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class WebhookReceiver:
    """An HMAC-checking webhook endpoint on 127.0.0.1 that logs every record it accepts."""

    def __init__(self, folder: Path, secret: str):
        self.folder, self.secret, self.rx = folder, secret, Received()
        folder.mkdir(parents=True, exist_ok=True)
        self.log_path = folder / "webhook.jsonl"
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def accept(self, body: bytes, signature: str) -> tuple[int, dict]:
        """Apply one batch (pure enough to test without HTTP): (status, response body)."""
        expected = "sha256=" + hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            with self.rx.lock:
                self.rx.bad_signatures += 1
            return 401, {"error": "bad signature"}
        payload = json.loads(body)
        received_at = time.time()
        with self.rx.lock, self.log_path.open("a") as log:
            self.rx.batches += 1
            for rec in payload.get("records", []):
                if rec["op"] == "delete":
                    self.rx.records.pop(rec["key"], None)
                elif rec["op"] == "insert":
                    self.rx.records.setdefault(rec["key"], rec.get("data"))
                else:
                    self.rx.records[rec["key"]] = rec.get("data")
                log.write(json.dumps({"received_at": received_at, **rec}) + "\n")
        return 200, {"errors": []}

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # quiet
                return

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                status, reply = receiver.accept(body, self.headers.get(SIGNATURE_HEADER, ""))
                data = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler


@contextlib.contextmanager
def postgres() -> Iterator[str | None]:
    """A throwaway PostgreSQL DSN, or None when the server binaries are not installed."""
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import pg_test_server
    finally:
        sys.path.pop(0)
    if pg_test_server._bin_dir() is None:
        yield None
        return
    server = pg_test_server.start()
    try:
        yield server.dsn
    finally:
        server.stop()


def webhook_env(url: str, secret: str) -> dict[str, str]:
    """The environment pointing every journey webhook destination at one receiver."""
    return {f"CJO_JOURNEY_{ch}_{part}": value for ch in JOURNEY_WEBHOOKS
            for part, value in (("URL", url), ("SECRET", secret))}


def sync_selection(have_postgres: bool) -> list[str]:
    """``cjo run`` arguments selecting every declared sync this machine can reach."""
    from orchestration.activation.spec import load_specs

    specs = load_specs().values()
    keep = [s for s in specs if have_postgres or s.destination.type != "postgres"]
    left_out = sorted(s.name for s in specs if s not in keep)
    if left_out:
        print(f"left out (no PostgreSQL here): {', '.join(left_out)}", flush=True)
    return [arg for s in keep for arg in ("--select", f"key:activation/sync_{s.name}")]


def _run(command: list[str] | None, folder: Path) -> int:
    secret = secrets.token_hex(16)
    with WebhookReceiver(folder / "webhook", secret) as hook, postgres() as dsn:
        env = {**os.environ, "CJO_ESP_WEBHOOK_URL": hook.url, "CJO_ESP_WEBHOOK_SECRET": secret,
               **webhook_env(hook.url, secret)}
        if dsn:
            env["CJO_CRM_PG_DSN"] = dsn
        print(f"local destinations: webhook {hook.url}, PostgreSQL {dsn or 'not installed (make system-deps)'}",
              flush=True)
        if command is None:
            cjo = str(Path(sys.executable).with_name("cjo"))
            command = [cjo, "run", "--job", "activate", *sync_selection(dsn is not None)]
        code = subprocess.call(command, env=env)
        print(f"webhook receiver: {hook.rx.batches} batches, {len(hook.rx.records):,} records held, "
              f"{hook.rx.bad_signatures} bad signatures; log {hook.log_path}", flush=True)
    return code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folder", type=Path, default=ROOT / "warehouse" / "demo_destinations",
                        help="where the receiver logs what it received")
    parser.add_argument("command", nargs=argparse.REMAINDER,
                        help="-- COMMAND to run with the destinations up (default: every sync through cjo run)")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    return _run(command or None, args.folder)


if __name__ == "__main__":
    raise SystemExit(main())
