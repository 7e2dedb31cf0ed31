"""Destinations, one small module each, behind :class:`base.Destination`."""

from __future__ import annotations

from orchestration.activation.destinations.base import (
    BatchResult,
    Destination,
    DestinationError,
    Record,
)
from orchestration.activation.spec import SyncSpec

__all__ = ["BatchResult", "Destination", "DestinationError", "Record", "build_destination"]


def build_destination(spec: SyncSpec, run_id: str) -> Destination:
    """The destination for a spec (imports lazily: psycopg/httpx load only when used)."""
    kind = spec.destination.type
    if kind == "postgres":
        from orchestration.activation.destinations.postgres import PostgresSink

        return PostgresSink(spec)
    if kind == "webhook":
        from orchestration.activation.destinations.webhook import WebhookSink

        return WebhookSink(spec)
    if kind == "files":
        from orchestration.activation.destinations.files import FilesSink

        return FilesSink(spec, run_id)
    if kind == "ads":
        from orchestration.activation.destinations.ads import AdsSink

        return AdsSink(spec, run_id)
    raise ValueError(f"unknown destination type {kind!r}")
