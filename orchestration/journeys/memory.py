"""The journey state in memory: the same :class:`StateView` as the warehouse store, for tests and for
trying a journey on a list of events (``apply`` is what the warehouse store does in one transaction)."""

from __future__ import annotations

import copy
from collections.abc import Iterable

from orchestration.journeys.model import Changes, Enrollment, Occurrence, StepRow, Watch


class MemoryState:
    def __init__(self) -> None:
        self.watch_rows: dict[tuple[str, str, str], Watch] = {}
        self.occurrence_rows: dict[str, Occurrence] = {}
        self.enrollment_rows: dict[str, Enrollment] = {}
        self.step_rows: dict[str, StepRow] = {}

    # -- StateView (copies: the engine mutates what it is given, like rows read from a table)
    def watches(self, journey: str, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str, str], Watch]:
        wanted = {(journey, c, k) for c, k in keys}
        return {k: copy.copy(w) for k, w in self.watch_rows.items() if k in wanted}

    def open_watches(self, journey: str) -> list[Watch]:
        return [copy.copy(w) for w in self.watch_rows.values() if w.journey == journey and w.is_open]

    def seen(self, occurrence_ids: Iterable[str]) -> set[str]:
        return {i for i in occurrence_ids if i in self.occurrence_rows}

    def enrollments_of(self, journey: str, customer_ids: Iterable[str]) -> list[Enrollment]:
        cids = set(customer_ids)
        return [copy.copy(e) for e in self.enrollment_rows.values() if e.journey == journey and e.customer_id in cids]

    def active(self, journey: str) -> list[Enrollment]:
        return [copy.copy(e) for e in self.enrollment_rows.values() if e.journey == journey and e.is_active]

    def due_steps(self, journey: str) -> list[StepRow]:
        return [copy.copy(s) for s in self.step_rows.values() if s.journey == journey and s.status == "due"]

    # -- writes
    def apply(self, ch: Changes) -> None:
        self.watch_rows.update({k: copy.copy(w) for k, w in ch.watches.items()})
        for o in ch.occurrences:
            if o.occurrence_id in self.occurrence_rows:
                raise AssertionError(f"occurrence {o.occurrence_id} evaluated twice")
            self.occurrence_rows[o.occurrence_id] = o
        self.enrollment_rows.update({k: copy.copy(e) for k, e in ch.enrollments.items()})
        self.step_rows.update({k: copy.copy(s) for k, s in ch.steps.items()})
