"""Ad audiences (Google Customer Match, Meta Custom Audiences): hashed identifiers only.

:meth:`AdsSink.transform` runs before diffing, so the engine's state (and anything this destination
writes) only ever holds SHA-256 digests, never a raw email or phone. Normalization rules and their
sources are in :mod:`orchestration.activation.hashing`. Removal needs the hashed identifiers, not just
the key, so the engine keeps the (hashed) payload in its state for this destination.

Sinks: ``file`` (one CSV/Parquet per run + manifest, like a bulk upload) or ``http`` (signed JSON
batches shaped like the platform API: Google ``operations: [{create|remove: {userIdentifiers}}]``,
Meta ``{schema, data}`` for additions and removals).
"""

from __future__ import annotations

import json

from orchestration.activation.destinations.base import BatchResult, Destination, Record
from orchestration.activation.destinations.files import FileWriter, resolve_folder
from orchestration.activation.destinations.webhook import HttpBatchSender, interpret
from orchestration.activation.hashing import hash_email, hash_phone
from orchestration.activation.spec import AdsDestination, SyncSpec, resolve_secret


class AdsSink(Destination):
    needs_payload_for_delete = True

    def __init__(self, spec: SyncSpec, run_id: str):
        cfg = spec.destination
        assert isinstance(cfg, AdsDestination)
        self.spec, self.cfg = spec, cfg
        self.hashed_fields = [f for f in (cfg.email_field, cfg.phone_field) if f]
        self.writer: FileWriter | None = None
        self.sender: HttpBatchSender | None = None
        if cfg.sink == "file":
            self.ack_on_finalize = True
            self.writer = FileWriter(
                resolve_folder(cfg.path or ""), spec.name, run_id, "csv", [spec.key_field, *self.hashed_fields]
            )
        else:
            self.sender = HttpBatchSender(
                name=spec.name,
                url=cfg.url or resolve_secret(cfg.url_env or "", f"sync {spec.name}"),
                secret=resolve_secret(cfg.secret_env or "", f"sync {spec.name}"),
                timeout_s=cfg.timeout_s,
                max_retries=cfg.max_retries,
                rate_limit=spec.rate_limit,
            )

    def transform(self, data: dict[str, object]) -> dict[str, object]:
        out = {self.spec.key_field: data.get(self.spec.key_field)}
        if self.cfg.email_field:
            out[self.cfg.email_field] = hash_email(data.get(self.cfg.email_field), self.cfg.platform)  # type: ignore[arg-type]
        if self.cfg.phone_field:
            out[self.cfg.phone_field] = hash_phone(data.get(self.cfg.phone_field), self.cfg.platform)  # type: ignore[arg-type]
        return out

    def validate(self, data: dict[str, object]) -> str | None:
        if not any(data.get(f) for f in self.hashed_fields):
            return "no usable email or phone identifier after normalization"
        return None

    def _body(self, records: list[Record], batch_key: str) -> bytes:
        e, p = self.cfg.email_field, self.cfg.phone_field
        if self.cfg.platform == "google":
            ops = []
            for r in records:
                data = r.data or {}
                ids = []
                if e and data.get(e):
                    ids.append({"hashedEmail": data[e]})
                if p and data.get(p):
                    ids.append({"hashedPhoneNumber": data[p]})
                verb = "remove" if r.op == "delete" else "create"
                ops.append({verb: {"userIdentifiers": ids}, "key": r.key})
            body: dict[str, object] = {"batch_id": batch_key, "operations": ops}
        else:
            schema = [s for s, f in (("EMAIL_SHA256", e), ("PHONE_SHA256", p)) if f]
            fields = [f for f in (e, p) if f]

            def rows(op: bool) -> dict[str, object]:
                sel = [r for r in records if (r.op == "delete") == op]
                return {
                    "schema": schema,
                    "keys": [r.key for r in sel],
                    "data": [[(r.data or {}).get(f) or "" for f in fields] for r in sel],
                }

            body = {"batch_id": batch_key, "add": rows(False), "remove": rows(True)}
        return json.dumps(body, separators=(",", ":")).encode()

    def send(self, records: list[Record], batch_key: str) -> BatchResult:
        if self.writer is not None:
            self.writer.add(records)
            return BatchResult(acked=[r.key for r in records])
        assert self.sender is not None
        resp = self.sender.post(self._body(records, batch_key), batch_key)
        return interpret(resp, [r.key for r in records], self.spec.name)

    def finalize(self) -> dict[str, object]:
        return self.writer.write() if self.writer is not None else {}

    def close(self) -> None:
        if self.sender is not None:
            self.sender.close()
