"""The one interface every destination implements.

The engine hands a destination batches of operations; the destination applies each batch and answers
which keys it acknowledged and which it rejected (with a reason). The engine commits its state only for
acknowledged keys, so a destination must make re-applying a batch harmless (idempotent upserts and
deletes, or an idempotency key derived from the batch content).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, NamedTuple

Op = Literal["upsert", "insert", "delete"]


class Record(NamedTuple):  # a NamedTuple: built once per record sent, ~3x cheaper than a dataclass
    op: Op
    key: str
    data: dict[str, object] | None  # None for deletes of rows the destination can find by key


@dataclass
class BatchResult:
    acked: list[str] = field(default_factory=list)
    rejected: dict[str, str] = field(default_factory=dict)  # key -> reason


class DestinationError(RuntimeError):
    """The destination failed as a whole (unreachable after retries, auth, misconfiguration)."""


class Destination:
    """Base class: override :meth:`send`; the rest are optional hooks."""

    #: When True the engine commits state only after :meth:`finalize` (files appear atomically at the
    #: end of a run, so a batch is not delivered until then).
    ack_on_finalize: bool = False
    #: When True the engine keeps each acknowledged record's payload in its state, because removing a
    #: record later needs more than its key (ad platforms remove by hashed identifiers).
    needs_payload_for_delete: bool = False

    def open(self) -> None:  # connect, create tables
        return None

    def transform(self, data: dict[str, object]) -> dict[str, object]:
        """Per-record transformation applied before hashing and diffing (e.g. ad identifier hashing)."""
        return data

    def validate(self, data: dict[str, object]) -> str | None:
        """Reason to reject a record before sending it, or None."""
        return None

    def send(self, records: list[Record], batch_key: str) -> BatchResult:
        raise NotImplementedError

    def finalize(self) -> dict[str, object]:
        """End of run (files: rename + manifest). Returns metadata for the run log."""
        return {}

    def close(self) -> None:
        return None
