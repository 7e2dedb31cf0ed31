"""The journey state's records (what ``journeys.*`` tables hold) and the views the engine reads them
through. Plain dataclasses: the engine (engine.py) is pure and the store (store.py) persists them.

Keys are content hashes, so the same occurrence, enrollment or step always gets the same id, whichever
run, batch or replay produces it (exactly once by construction):
- occurrence_id = enrollment_id = hash(journey, customer, occurrence key), the occurrence key being the
  trigger's subject (an application id) or the triggering event's key;
- send_id = hash(enrollment_id, step id): the key of the message at every destination.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from orchestration.journeys.channels import ChannelOption


def stable_id(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:32]


@dataclass
class Watch:
    """An absence window (trigger event seen, waiting for the absent one) or a score episode."""

    journey: str
    customer_id: str
    match_key: str
    started_at: datetime | None = None  # None: the absent event was seen before the trigger event
    deadline_at: datetime | None = None
    subject_id: str | None = None
    detail: str | None = None
    absent_at: datetime | None = None  # the earliest absent event seen / when the score fell back
    fired_at: datetime | None = None  # when the engine fired it (the window's end)
    matched: bool = True  # the absent event is of the same subject (match_on)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.journey, self.customer_id, self.match_key)

    @property
    def is_closed(self) -> bool:
        """The absent event fell inside the window (for a matched subject, also before its start: the
        same application cannot be submitted before it was started)."""
        if self.started_at is None or self.absent_at is None or self.deadline_at is None:
            return False
        return self.absent_at <= self.deadline_at and (self.matched or self.absent_at >= self.started_at)

    @property
    def is_open(self) -> bool:
        return self.started_at is not None and self.fired_at is None and not self.is_closed


@dataclass(frozen=True)
class Occurrence:
    """A trigger that fired, once: enrolled, or skipped with the reason (stale, cooldown, ...)."""

    occurrence_id: str
    journey: str
    customer_id: str
    occurrence_key: str
    occurred_at: datetime
    outcome: str  # enrolled | skipped
    reason: str | None
    noticed_at: datetime  # the journey clock when it was evaluated


@dataclass
class Enrollment:
    enrollment_id: str
    journey: str
    customer_id: str
    occurrence_key: str
    entered_at: datetime
    subject_id: str | None = None
    detail: str | None = None
    trigger_at: datetime | None = None  # the triggering event's own time (an absence: the start)
    step_index: int = 0  # the next step to schedule
    next_due_at: datetime | None = None
    converted_at: datetime | None = None
    exited_at: datetime | None = None
    exit_reason: str | None = None

    @property
    def is_active(self) -> bool:
        return self.exited_at is None


@dataclass
class StepRow:
    send_id: str
    enrollment_id: str
    journey: str
    customer_id: str
    step_id: str
    step_index: int
    due_at: datetime
    expires_at: datetime
    status: str  # due | sent | expired | skipped | cancelled
    status_reason: str | None = None
    action: str | None = None
    branch: str | None = None
    arms: str | None = None  # `|`-separated arms that get the step; None = every arm
    channel: str | None = None
    channel_source: str | None = None
    message: str | None = None  # JSON of the rendered message for its channel
    sent_at: datetime | None = None


@dataclass
class Changes:
    """What one evaluation writes; applied in one transaction."""

    watches: dict[tuple[str, str, str], Watch] = field(default_factory=dict)
    occurrences: list[Occurrence] = field(default_factory=list)
    enrollments: dict[str, Enrollment] = field(default_factory=dict)
    steps: dict[str, StepRow] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        fired = sum(o.outcome == "enrolled" for o in self.occurrences)
        return {
            "occurrences": len(self.occurrences), "enrolled": fired,
            "skipped": len(self.occurrences) - fired,
            "steps_due": sum(s.status == "due" for s in self.steps.values()),
            "steps_sent": sum(s.status == "sent" for s in self.steps.values()),
            "steps_expired": sum(s.status == "expired" for s in self.steps.values()),
            "exits": sum(e.exited_at is not None for e in self.enrollments.values()),
        }


class StateView(Protocol):
    """The stored journey state, as the engine needs it (store.py: DuckDB; tests: memory)."""

    def watches(self, journey: str, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str, str], Watch]: ...
    def open_watches(self, journey: str) -> list[Watch]: ...
    def seen(self, occurrence_ids: Iterable[str]) -> set[str]: ...
    def enrollments_of(self, journey: str, customer_ids: Iterable[str]) -> list[Enrollment]: ...
    def active(self, journey: str) -> list[Enrollment]: ...
    def due_steps(self, journey: str) -> list[StepRow]: ...


class Lookups(Protocol):
    """Facts about customers from the warehouse (store.py), batched by customer."""

    def failing(self, clauses: Mapping[str, str], customer_ids: set[str]) -> dict[str, list[str]]: ...
    def channels(self, customer_ids: set[str]) -> dict[str, dict[str, ChannelOption]]: ...
    def fields(self, customer_ids: set[str]) -> dict[str, dict[str, object]]: ...
    def opted_out(self, customer_ids: set[str], channels: list[str]) -> set[str]: ...
    def scores(self, model: str) -> dict[str, float]: ...
    def last_touch(self) -> dict[str, datetime]: ...
    def sent(self, send_ids: set[str]) -> dict[str, datetime]: ...
    def verdicts(self, send_ids: set[str]) -> dict[str, str]: ...
