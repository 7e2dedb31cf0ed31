"""The journey event vocabulary and the event source interface.

Every event a journey can react to is a row of the dbt model ``int_journey_events`` (one normalized
stream: customer, event name, time, subject). Its names are listed here once; the model's
accepted_values test and the spec validation read this list (tests/journeys/test_event_vocabulary.py
checks the model's YAML against it).

A source hands the engine the events it has not seen yet and is told, in the same transaction as the
journey state, which ones were processed (:class:`EventSource`). The warehouse source reads the dbt
model; a streaming source (Kafka, Kinesis) would implement the same two methods with offsets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

# event name -> the attribute its subject_id holds (what `match_on` may name), or None.
EVENTS: dict[str, str | None] = {
    "application_started": "application_id",
    "application_step_completed": "application_id",
    "application_submitted": "application_id",
    "webinar_registered": "webinar_id",
    "webinar_attended": "webinar_id",
    "stage_entered": "stage",
    "purchase": "sale_id",
}


@dataclass(frozen=True, order=True)
class Event:
    occurred_at: datetime
    event_key: str
    customer_id: str
    event_name: str
    subject_id: str | None = None
    detail: str | None = None  # e.g. the application step number


class EventBatch(Protocol):
    events: Sequence[Event]


class EventSource(Protocol):
    """Where new events come from. ``read`` returns the events not acknowledged yet (any order, possibly
    late, possibly already seen: the engine is idempotent); ``ack`` records them as processed and is
    called inside the transaction that stores the journey state, so a crash loses or repeats nothing."""

    name: str

    def read(self, con) -> list[Event]: ...

    def ack(self, con, events: Sequence[Event], at: datetime | None = None) -> None: ...
