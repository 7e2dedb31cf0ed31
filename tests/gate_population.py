"""A generated population for the gate property test, and an oracle written from the raw events alone.

Every combination of the rules' dimensions is a person (consent per channel, including flips and an ESP
unsubscribe; journey stage; persona; compliance hold; deletion request); each person's contact history
(email sends in the cap window, the last wholesaler contact, calls that use the wholesaler's weekly
slots) is drawn by Hypothesis, so the histories reach the edges (0 days, exactly the cap) that a
hand-written fixture misses. The oracle re-derives, from these raw events only, what may be sent; it
shares no code with the dbt models it checks.
"""

from __future__ import annotations

import csv
import hashlib
import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

AS_OF = datetime(2026, 6, 30, 12, 0, 0)  # a Tuesday; the week's slots count from Monday 2026-06-29
WEEK_START = datetime(2026, 6, 29)
SALT = "cjo-holdout-v1"
GLOBAL_SHARE, ACTION_SHARE = 0.05, 0.10
CONSENT_DEFAULTS = {"email": True, "phone": True, "ads": False}
WHOLESALERS = ["W0", "W1", "W2", "W3"]
CALLS_PER_WEEK, MEETINGS_PER_WEEK = 40, 20

EMAIL_CONSENT = ["none", "opt_in", "opt_out", "in_then_out", "out_then_in", "unsubscribed"]
PHONE_CONSENT = ["none", "opt_out", "out_then_in"]
ADS_CONSENT = ["none", "opt_in", "in_then_out"]
STAGES = ["aware", "prospect", "customer"]
PERSONAS = ["newcomer", "seasoned"]
SUPPRESSION = ["none", "active", "expired"]
DELETED = [False, True]


@dataclass
class History:
    """Contact history in days before AS_OF (0 = the decision day itself)."""

    send_days: list[int]  # email sends (count against the email cap: 3 in 7 days; a contact)
    call_day: int | None  # a wholesaler call (a contact; counts against the call cap: 1 in 14 days)
    meeting_day: int | None  # a wholesaler meeting (counts against calls and meetings)


@dataclass
class Person:
    i: int
    email_consent: str
    phone_consent: str
    ads_consent: str
    stage: str
    persona: str
    suppression: str
    deleted: bool
    history: History
    customer_id: str | None = None
    events: dict[str, list[dict]] = field(default_factory=dict)

    @property
    def advisor_id(self) -> str:
        return f"A{self.i:05d}"

    @property
    def email(self) -> str:
        return f"person{self.i}@example.com"

    @property
    def wholesaler(self) -> str:
        return WHOLESALERS[self.i % len(WHOLESALERS)]


histories = st.builds(
    History,
    send_days=st.lists(st.integers(0, 9), max_size=5),
    call_day=st.none() | st.integers(0, 20),
    meeting_day=st.none() | st.integers(0, 40),
)


def draw_histories(n: int) -> list[History]:
    """n contact histories drawn by Hypothesis (derandomized: the same population on every run)."""
    out: list[History] = []

    @settings(max_examples=n, database=None, derandomize=True, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck), deadline=None)
    @given(histories)
    def collect(history: History) -> None:
        out.append(history)

    collect()
    while len(out) < n:  # Hypothesis may stop early once it has seen every distinct example
        out.extend(out[: n - len(out)])
    return out[:n]


def population() -> list[Person]:
    combos = list(itertools.product(EMAIL_CONSENT, PHONE_CONSENT, ADS_CONSENT, STAGES, PERSONAS, SUPPRESSION,
                                    DELETED))
    return [Person(i, *combo, history=h) for i, (combo, h) in enumerate(zip(combos, draw_histories(len(combos)),
                                                                             strict=True))]


# ------------------------------------------------------------------------------------- raw files


def _ts(days_before: float) -> str:
    return (AS_OF - timedelta(days=days_before)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _consent_events(p: Person) -> list[dict]:
    plans = {"opt_in": [("opt_in", 40)], "opt_out": [("opt_out", 40)], "in_then_out": [("opt_in", 50), ("opt_out", 30)],
             "out_then_in": [("opt_out", 50), ("opt_in", 30)]}
    rows = []
    for channel, state in (("email", p.email_consent), ("phone", p.phone_consent), ("ads", p.ads_consent)):
        for k, (status, days) in enumerate(plans.get(state, [])):
            rows.append({"consent_event_id": f"CE{p.i}{channel}{k}", "advisor_id": p.advisor_id, "email": p.email,
                         "channel": channel, "status": status, "occurred_at": _ts(days)})
    return rows


def _email_events(p: Person) -> list[dict]:
    rows = [{"event_type": "send", "days": 60}, {"event_type": "open", "days": 59.9}]  # everyone is aware of us
    if p.stage in ("prospect", "customer"):
        rows.append({"event_type": "click", "days": 20})  # engagement: consideration, or an active buyer
    if p.email_consent == "unsubscribed":
        rows.append({"event_type": "unsubscribe", "days": 30})
    rows += [{"event_type": "send", "days": d + 0.01} for d in p.history.send_days]
    return [{"event_id": f"E{p.i}_{k}", "campaign_id": "C1", "advisor_id": p.advisor_id, "email": p.email,
             "event_type": r["event_type"], "occurred_at": _ts(r["days"])} for k, r in enumerate(rows)]


def _interactions(p: Person) -> list[dict]:
    rows = []
    for kind, day in (("call", p.history.call_day), ("meeting", p.history.meeting_day)):
        if day is not None:
            rows.append({"interaction_id": f"I{p.i}{kind}", "advisor_id": p.advisor_id, "wholesaler_id": p.wholesaler,
                         "interaction_type": kind, "outcome": "no_answer", "duration_minutes": "5",
                         "occurred_at": _ts(day + 0.02)})
    return rows


def _sales(p: Person) -> list[dict]:
    if p.stage != "customer":
        return []
    return [{"sale_id": f"S{p.i}_{d}", "advisor_id": p.advisor_id, "product_id": "P1", "transaction_type": "purchase",
             "amount": "50000", "traded_at": _ts(d)} for d in (200, 100)]


def raw_tables(people: list[Person]) -> dict[tuple[str, str], list[dict]]:
    firms = [{"firm_id": f"F{t}", "firm_name": f"Firm {t}", "firm_type": "ria", "state": "NY",
              "territory_id": f"T{t}", "created_at": _ts(3000)} for t in range(len(WHOLESALERS))]
    wholesalers = [{"wholesaler_id": w, "full_name": f"Wholesaler {w}", "email": f"{w.lower()}@am.example",
                    "territory_id": f"T{t}", "territory_name": f"Territory {t}", "region": "East",
                    "hired_at": _ts(3000)} for t, w in enumerate(WHOLESALERS)]
    advisors = [{"advisor_id": p.advisor_id, "first_name": "Pat", "last_name": f"Person{p.i}", "email": p.email,
                 "phone": f"+1555{p.i:07d}", "firm_id": f"F{p.i % len(WHOLESALERS)}", "title": "Advisor",
                 "years_experience": "2" if p.persona == "newcomer" else "15", "created_at": _ts(400),
                 "updated_at": _ts(400)} for p in people]
    requests = [{"request_id": f"R{p.i}", "advisor_id": p.advisor_id, "email": p.email, "requested_at": _ts(5)}
                for p in people if p.deleted]
    return {
        ("crm", "firms"): firms,
        ("crm", "wholesalers"): wholesalers,
        ("crm", "advisors"): advisors,
        ("crm", "products"): [{"product_id": "P1", "product_name": "Core Bond", "asset_class": "fixed_income",
                               "vehicle": "mutual_fund", "launched_at": _ts(3000)}],
        ("crm", "sales"): [r for p in people for r in _sales(p)],
        ("marketing", "campaigns"): [{"campaign_id": "C1", "campaign_name": "Outlook", "channel": "email",
                                      "objective": "nurture", "start_at": _ts(90), "end_at": _ts(0)}],
        ("marketing", "email_events"): [r for p in people for r in _email_events(p)],
        ("advisor", "interactions"): [r for p in people for r in _interactions(p)],
        ("privacy", "consent_events"): [r for p in people for r in _consent_events(p)],
        ("privacy", "deletion_requests"): requests,
    }


def write_raw(people: list[Person], raw_dir: Path, columns: dict[tuple[str, str], list[str]]) -> None:
    for (source, table), rows in raw_tables(people).items():
        folder = raw_dir / source / table
        folder.mkdir(parents=True, exist_ok=True)
        with (folder / "delivery_001.csv").open("w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=columns[(source, table)])
            writer.writeheader()
            writer.writerows(rows)


def write_suppressions(people: list[Person], seed_csv: Path) -> None:
    windows = {"active": (_ts(10), _ts(-10)), "expired": (_ts(30), _ts(1))}
    with seed_csv.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["advisor_id", "reason", "suppressed_from", "suppressed_until"])
        for p in people:
            if p.suppression in windows:
                start, end = windows[p.suppression]
                writer.writerow([p.advisor_id, "complaint under review", start.replace("T", " ")[:19],
                                 end.replace("T", " ")[:19]])


# ---------------------------------------------------------------------------------------- oracle


def has_consent(p: Person, channel: str) -> bool:
    """Latest event wins, an opt-out wins a tie, an unsubscribe is an email opt-out, else the default."""
    events = [(AS_OF - datetime.fromisoformat(e["occurred_at"].rstrip("Z")), e["status"])
              for e in _consent_events(p) if e["channel"] == channel]
    if channel == "email" and p.email_consent == "unsubscribed":
        events.append((timedelta(days=30), "opt_out"))
    if not events:
        return CONSENT_DEFAULTS[channel]
    latest = min(age for age, _ in events)
    return all(status == "opt_in" for age, status in events if age == latest)


def _bucket(*parts: str) -> str:
    return hashlib.md5(":".join([SALT, *parts]).encode()).hexdigest()[:4]


def _threshold(share: float) -> str:
    return f"{round(share * 65536):04x}"


def global_holdout(customer_id: str) -> bool:
    return _bucket(customer_id) < _threshold(GLOBAL_SHARE)


def action_holdout(action: str, customer_id: str) -> bool:
    return _bucket(action, customer_id) < _threshold(ACTION_SHARE)


def _days_ago(day: float) -> int:
    """Whole calendar days between the contact and the decision (what a date difference counts)."""
    return (AS_OF.date() - (AS_OF - timedelta(days=day)).date()).days


def violations(p: Person, action: str, channel: str, consent: str, arbitration: str) -> list[str]:
    """Every rule sending `action` to `p` today would break (empty: it may be sent)."""
    h, broken = p.history, []
    if p.deleted or p.customer_id is None:
        return ["deletion request" if p.deleted else "unknown person"]
    if p.suppression == "active":
        broken.append("compliance hold")
    if consent != "none" and not has_consent(p, consent):
        broken.append(f"no {consent} consent")
    if global_holdout(p.customer_id):
        broken.append("global holdout")
    if action_holdout(action, p.customer_id):
        broken.append("action holdout")
    sends_7d = sum(1 for d in h.send_days if d + 0.01 < 7)
    if channel in ("email", "webinar_invite") and sends_7d >= 3:
        broken.append("email frequency cap")
    wholesaler_days = [d for d in (h.call_day, h.meeting_day) if d is not None]
    if channel == "wholesaler_call" and any(d + 0.02 < 14 for d in wholesaler_days):
        broken.append("call frequency cap")
    if channel == "wholesaler_meeting" and h.meeting_day is not None and h.meeting_day + 0.02 < 30:
        broken.append("meeting frequency cap")
    contact_days = [d + 0.01 for d in h.send_days] + [60.0] + [d + 0.02 for d in wholesaler_days]
    if arbitration == "exclusive" and min(_days_ago(d) for d in contact_days) < 2:
        broken.append("quiet period")
    return broken


def slots_used(people: list[Person], wholesaler: str) -> tuple[int, int]:
    """(calls, meetings) the wholesaler already had this week, Monday to the decision time."""
    calls = meetings = 0
    for p in people:
        if p.wholesaler != wholesaler:
            continue
        for kind, day in (("call", p.history.call_day), ("meeting", p.history.meeting_day)):
            if day is not None and AS_OF - timedelta(days=day + 0.02) >= WEEK_START:
                calls += kind == "call"
                meetings += kind == "meeting"
    return calls, meetings
