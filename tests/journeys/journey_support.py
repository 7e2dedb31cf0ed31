"""Helpers for the journey tests: a journey spec from a dict, events, and fake customer lookups."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import yaml

from orchestration.journeys.channels import ChannelOption
from orchestration.journeys.engine import evaluate
from orchestration.journeys.events import Event
from orchestration.journeys.memory import MemoryState
from orchestration.journeys.model import Changes
from orchestration.journeys.spec import JourneySpec, parse_journey

T0 = datetime(2026, 6, 1, 9, 0, 0)


def hours(h: float) -> timedelta:
    return timedelta(hours=h)


ABANDONMENT = {
    "name": "abandon", "description": "d", "owner": "o",
    "trigger": {"type": "absence", "event": "application_started", "absent": "application_submitted",
                "match_on": "application_id", "within": "48h"},
    "entry": {"reentry": "per_occurrence"},
    "split": {"control": 0.1},
    "goal": {"event": "application_submitted", "within": "14d", "match_trigger": True},
    "steps": [{"id": "nudge", "action": "nudge", "expires_after": "24h"},
              {"id": "reminder", "wait": "72h", "action": "reminder"}],
    "actions": {
        "nudge": {"channels": ["email", "sms"], "title": "{first_name}, finish {application_id}",
                  "body": "Stopped at step {application_step}.", "cta": {"label": "Go", "url": "https://x/{application_id}"}},
        "reminder": {"channels": ["email"], "title": "Still there?", "body": "b", "cta": {"label": "Go", "url": "https://x"}},
    },
}


def spec_of(data: dict, **changes) -> JourneySpec:
    merged = {**data, **changes}
    return parse_journey(yaml.safe_dump(merged), "test.yml")


def ev(name: str, cid: str, at: datetime, subject: str | None = None, detail: str | None = None,
       key: str | None = None) -> Event:
    return Event(at, key or f"{name}:{cid}:{subject}:{at.isoformat()}", cid, name, subject, detail)


@dataclass
class FakeLookups:
    """Everyone reachable on email and sms unless listed; clauses fail for the listed customers."""

    unreachable: set[str] = field(default_factory=set)
    opted: set[str] = field(default_factory=set)
    failing_by_clause: dict[str, set[str]] = field(default_factory=dict)
    acked: dict[str, datetime] = field(default_factory=dict)
    verdict: dict[str, str] = field(default_factory=dict)
    score_by_customer: dict[str, float] = field(default_factory=dict)
    touches: dict[str, datetime] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)

    def failing(self, clauses: Mapping[str, str], customer_ids: set[str]) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for name in clauses:
            for cid in self.failing_by_clause.get(name, set()) & set(customer_ids):
                out.setdefault(cid, []).append(name)
        return out

    def channels(self, customer_ids):
        return {c: {"email": ChannelOption("email", c not in self.unreachable),
                    "sms": ChannelOption("sms", c not in self.unreachable)} for c in customer_ids}

    def fields(self, customer_ids):
        return {c: {"first_name": self.names.get(c)} for c in customer_ids}

    def opted_out(self, customer_ids, channels):
        return set(customer_ids) & self.opted

    def scores(self, model):
        return dict(self.score_by_customer)

    def last_touch(self):
        return dict(self.touches)

    def sent(self, send_ids):
        return {k: v for k, v in self.acked.items() if k in send_ids}

    def verdicts(self, send_ids):
        return {k: v for k, v in self.verdict.items() if k in send_ids}


def run(specs: dict[str, JourneySpec], state: MemoryState, events: list[Event], clock: datetime,
        lookups: FakeLookups | None = None) -> Changes:
    ch = evaluate(specs, state, events, clock, lookups or FakeLookups())
    state.apply(ch)
    return ch
