"""The journey engine: one evaluation = new events + the clock -> state changes. Pure: the stored state
comes in through a :class:`StateView`, facts about customers through :class:`Lookups`, and the result is
a :class:`Changes` the store applies in one transaction.

Per journey, in this order:
1. triggers: each new trigger event is an occurrence (event, stage entry); an absence trigger opens a
   window per subject and fires when the clock passes its end without the absent event; a score trigger
   fires when a score crosses the threshold (again only after falling back); inactivity fires once per
   silence;
2. entry: an occurrence is evaluated ONCE (its id is a hash of journey, customer and occurrence key):
   enrolled, or skipped with the reason (stale, once, already_active, cooldown, entry conditions);
3. goals and exits from the new events (the goal event, entering an exit stage, the absent event turning
   up late for a window that already fired) and from consent (no usable channel left: opted_out);
4. steps: each step that falls due is scheduled once (send_id = hash(enrollment, step)): expired when
   its window already passed, skipped when its guard or every branch fails, else due with the channel of
   choice and the rendered message. A due step is a candidate row of the decision ledger, the one gate;
5. settling: a due step the destination acknowledged is sent; one whose window passed is expired with the
   ledger's last verdict; one whose enrollment exited before the window closed is cancelled.
Replaying the same events (a re-delivered file, a lost cursor, a crash before the commit) changes
nothing: every record is keyed by content.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

from orchestration.journeys import content
from orchestration.journeys.channels import choose_channel
from orchestration.journeys.events import EVENTS, Event
from orchestration.journeys.model import (
    Changes,
    Enrollment,
    Lookups,
    Occurrence,
    StateView,
    StepRow,
    Watch,
    stable_id,
)
from orchestration.journeys.spec import (
    AbsenceTrigger,
    EventTrigger,
    InactivityTrigger,
    JourneySpec,
    ScoreTrigger,
    StageEntryTrigger,
)

Candidate = tuple[str, str, datetime, dict]  # customer, occurrence key, occurred_at, context
RETRACTED = "trigger_retracted"


def evaluate(specs: dict[str, JourneySpec], view: StateView, events: Sequence[Event], clock: datetime,
             lookups: Lookups) -> Changes:
    """Every enabled journey against the new ``events`` at ``clock``."""
    ch = Changes()
    unique = {e.event_key: e for e in events}
    ordered = sorted(unique.values())
    for spec in specs.values():
        if spec.enabled:
            evaluate_journey(spec, view, ordered, clock, lookups, ch)
    return ch


def evaluate_journey(spec: JourneySpec, view: StateView, events: Sequence[Event], clock: datetime,
                     lookups: Lookups, ch: Changes) -> None:
    candidates = _trigger_candidates(spec, view, events, clock, lookups, ch)
    enrollments = _enroll(spec, view, candidates, events, clock, lookups, ch)
    _goals_and_exits(spec, view, enrollments, events, clock, lookups, ch)
    _schedule_steps(spec, enrollments, clock, lookups, ch)
    _settle(spec, view, enrollments, clock, lookups, ch)


# ----------------------------------------------------------------------------------------- triggers


def _trigger_candidates(spec: JourneySpec, view: StateView, events: Sequence[Event], clock: datetime,
                        lookups: Lookups, ch: Changes) -> list[Candidate]:
    t = spec.trigger
    if isinstance(t, EventTrigger | StageEntryTrigger):
        name = t.event if isinstance(t, EventTrigger) else "stage_entered"
        subject = t.subject if isinstance(t, EventTrigger) else t.stage
        return [(e.customer_id, e.event_key, e.occurred_at, _context(e, e.occurred_at)) for e in events
                if e.event_name == name and (subject is None or e.subject_id == subject)]
    if isinstance(t, AbsenceTrigger):
        return _absence(spec, t, view, events, clock, ch)
    if isinstance(t, ScoreTrigger):
        return _score(spec, t, view, clock, lookups, ch)
    if isinstance(t, InactivityTrigger):
        out = []
        for cid, last in lookups.last_touch().items():
            if last + t.for_ <= clock:
                out.append((cid, f"inactive_since:{last.isoformat()}", last + t.for_, {"trigger_at": last}))
        return out
    raise TypeError(f"unknown trigger {t!r}")


def _context(e: Event, trigger_at: datetime) -> dict:
    return {"subject_id": e.subject_id, "detail": e.detail, "trigger_at": trigger_at}


def _absence(spec: JourneySpec, t: AbsenceTrigger, view: StateView, events: Sequence[Event],
             clock: datetime, ch: Changes) -> list[Candidate]:
    """Absence windows: one per subject (``match_on``) or per trigger event. The window fires when the
    clock passes its end and no absent event fell inside it."""
    relevant = [e for e in events if e.event_name in (t.event, t.absent)]
    keys = {(e.customer_id, e.subject_id) for e in relevant} if t.match_on else set()
    watches = {**{w.key: w for w in view.open_watches(spec.name)}, **view.watches(spec.name, keys)}

    def put(w: Watch) -> None:
        watches[w.key] = ch.watches[w.key] = w

    for e in relevant:
        if e.event_name == t.event:
            key = (spec.name, e.customer_id, e.subject_id if t.match_on else e.event_key)
            w = watches.get(key) or Watch(*key, matched=t.match_on is not None)
            if w.started_at is None or e.occurred_at < w.started_at:
                w.started_at, w.deadline_at = e.occurred_at, e.occurred_at + t.within
                w.subject_id, w.detail = e.subject_id, e.detail
                put(w)
        elif t.match_on:
            key = (spec.name, e.customer_id, e.subject_id)
            w = watches.get(key) or Watch(*key)
            if w.absent_at is None or e.occurred_at < w.absent_at:
                w.absent_at = e.occurred_at
                put(w)
        else:  # any window of the customer that the absent event falls inside
            for w in [w for w in watches.values() if w.customer_id == e.customer_id and w.started_at]:
                inside = w.started_at <= e.occurred_at <= w.deadline_at
                if inside and (w.absent_at is None or e.occurred_at < w.absent_at):
                    w.absent_at = e.occurred_at
                    put(w)
    out = []
    for w in sorted(watches.values(), key=lambda w: (w.deadline_at or clock, w.key)):
        if w.is_open and w.deadline_at <= clock:
            w.fired_at = w.deadline_at
            ch.watches[w.key] = w
            out.append((w.customer_id, w.match_key, w.deadline_at,
                        {"subject_id": w.subject_id, "detail": w.detail, "trigger_at": w.started_at}))
    return out


def _score(spec: JourneySpec, t: ScoreTrigger, view: StateView, clock: datetime, lookups: Lookups,
           ch: Changes) -> list[Candidate]:
    """One episode watch per customer: opened (and fired) when the score crosses the threshold, closed
    (absent_at) when it falls back; a new crossing after that is a new occurrence."""
    scores = lookups.scores(t.model)
    known = view.watches(spec.name, {(cid, "score") for cid in scores})
    out = []
    for cid, score in sorted(scores.items()):
        crossed = score >= t.threshold if t.direction == "above" else score <= t.threshold
        w = known.get((spec.name, cid, "score"))
        in_episode = w is not None and w.absent_at is None
        if crossed and not in_episode:
            w = Watch(spec.name, cid, "score", started_at=clock, deadline_at=clock, fired_at=clock,
                      detail=f"{score:.4f}", matched=False)
            ch.watches[w.key] = w
            out.append((cid, f"{t.model}:{t.direction}:{t.threshold}:{clock.isoformat()}", clock,
                        {"trigger_at": clock, "detail": w.detail}))
        elif not crossed and in_episode:
            w.absent_at = clock
            ch.watches[w.key] = w
    return out


# -------------------------------------------------------------------------------------------- entry


def _enroll(spec: JourneySpec, view: StateView, candidates: list[Candidate], events: Sequence[Event],
            clock: datetime, lookups: Lookups, ch: Changes) -> dict[str, Enrollment]:
    """Evaluate each new occurrence once, in time order; returns every enrollment the later phases look
    at (the active ones and the new ones)."""
    by_id: dict[str, Candidate] = {}
    for cand in sorted(candidates, key=lambda c: (c[2], c[0], c[1])):
        by_id.setdefault(stable_id(spec.name, cand[0], cand[1]), cand)
    seen = view.seen(by_id)
    new_ids = [i for i in by_id if i not in seen]
    cids = {by_id[i][0] for i in new_ids}
    history: dict[str, list[Enrollment]] = defaultdict(list)
    for e in view.enrollments_of(spec.name, cids):
        history[e.customer_id].append(e)
    events_of: dict[str, list[Event]] = defaultdict(list)
    for ev in events:
        if ev.customer_id in cids:
            events_of[ev.customer_id].append(ev)
    failing = lookups.failing(spec.entry.where, cids) if spec.entry.where and cids else {}
    entered: dict[str, Enrollment] = {}
    for occ_id in new_ids:
        cid, key, at, ctx = by_id[occ_id]
        spans = [(e.entered_at, _exit_bound(spec, e, events_of[cid])) for e in history[cid]]
        reason = _entry_block(spec, spans, at, clock, failing.get(cid))
        ch.occurrences.append(Occurrence(occ_id, spec.name, cid, key, at, "skipped" if reason else "enrolled",
                                         reason, clock))
        if reason:
            continue
        e = Enrollment(occ_id, spec.name, cid, key, at, ctx.get("subject_id"), ctx.get("detail"),
                       ctx.get("trigger_at"), 0, at + spec.steps[0].wait)
        history[cid].append(e)
        entered[occ_id] = ch.enrollments[occ_id] = e
    return {**{e.enrollment_id: e for e in view.active(spec.name)}, **entered}


def _exit_bound(spec: JourneySpec, e: Enrollment, customer_events: list[Event]) -> datetime:
    """When the enrollment ends, as far as this evaluation can tell: its recorded exit, the first goal
    (when the goal ends it) or exit-stage event after its entry, or the fall of its last step."""
    bounds = [e.exited_at] if e.exited_at is not None else []
    bounds.append(e.entered_at + sum((s.wait for s in spec.steps), start=timedelta(0)))
    for ev in customer_events:
        if ev.occurred_at > e.entered_at and (_ends_by_goal(spec, e, ev) or _ends_by_stage(spec, ev)):
            bounds.append(ev.occurred_at)
            break
    return min(bounds)


def _is_goal(spec: JourneySpec, e: Enrollment, ev: Event) -> bool:
    g = spec.goal
    return (ev.event_name == g.event and e.entered_at < ev.occurred_at <= e.entered_at + g.within
            and (not g.match_trigger or ev.subject_id == e.subject_id))


def _ends_by_goal(spec: JourneySpec, e: Enrollment, ev: Event) -> bool:
    return spec.goal.exit and _is_goal(spec, e, ev)


def _ends_by_stage(spec: JourneySpec, ev: Event) -> bool:
    return ev.event_name == "stage_entered" and ev.subject_id in spec.exit.on_stages


def _entry_block(spec: JourneySpec, spans: list[tuple[datetime, datetime]], at: datetime, clock: datetime,
                 failed_clauses: list[str] | None) -> str | None:
    """Why the occurrence at ``at`` does not enter (None: it does); ``spans`` are the customer's other
    enrollments in this journey as (entered, ended)."""
    entry = spec.entry
    if entry.max_delay is not None and clock - at > entry.max_delay:
        return "stale"
    if entry.reentry == "once" and spans:
        return "once"
    if entry.reentry == "after_exit" and any(start <= at < end for start, end in spans):
        return "already_active"
    if entry.cooldown is not None and any(abs(at - start) < entry.cooldown for start, _ in spans):
        return "cooldown"
    if failed_clauses:
        return "entry_condition:" + "|".join(failed_clauses)
    return None


# ------------------------------------------------------------------------------------ goals and exits


def _exit(e: Enrollment, at: datetime, reason: str, ch: Changes) -> None:
    """The first way out wins; a retracted enrollment (its trigger was wrong) stays retracted."""
    if e.exit_reason == RETRACTED:
        return
    if e.exited_at is None or at < e.exited_at:
        e.exited_at, e.exit_reason = at, reason
        ch.enrollments[e.enrollment_id] = e


def _goals_and_exits(spec: JourneySpec, view: StateView, enrollments: dict[str, Enrollment],
                     events: Sequence[Event], clock: datetime, lookups: Lookups, ch: Changes) -> None:
    goal, stages = spec.goal, set(spec.exit.on_stages)
    relevant = [e for e in events if e.event_name == goal.event
                or (e.event_name == "stage_entered" and e.subject_id in stages)]
    cids = {e.customer_id for e in relevant}
    by_customer: dict[str, list[Enrollment]] = defaultdict(list)
    for e in view.enrollments_of(spec.name, cids):
        by_customer[e.customer_id].append(enrollments.get(e.enrollment_id) or e)
    for e in enrollments.values():
        if e.customer_id in cids and e not in by_customer[e.customer_id]:
            by_customer[e.customer_id].append(e)
    for ev in relevant:
        for e in by_customer[ev.customer_id]:
            if ev.occurred_at <= e.entered_at:
                continue
            if e.converted_at is None and _is_goal(spec, e, ev):
                e.converted_at = ev.occurred_at
                ch.enrollments[e.enrollment_id] = e
                if goal.exit:
                    _exit(e, ev.occurred_at, "converted", ch)
            if _ends_by_stage(spec, ev) and e.exited_at is None:
                _exit(e, ev.occurred_at, "entered_stage", ch)
    _retract(spec, view, enrollments, clock, ch)
    if spec.exit.on_opt_out:
        active = {e.customer_id for e in enrollments.values() if e.is_active}
        gone = lookups.opted_out(active, spec.channels) if active else set()
        for e in enrollments.values():
            if e.is_active and e.customer_id in gone:
                _exit(e, max(clock, e.entered_at), "opted_out", ch)


def _retract(spec: JourneySpec, view: StateView, enrollments: dict[str, Enrollment], clock: datetime,
             ch: Changes) -> None:
    """The absent event turned up late, inside a window that already fired: the trigger was wrong. The
    enrollment ends (trigger_retracted) whatever its state, at the absent event's time (its entry, when
    that came first), and its due steps are cancelled."""
    late = [w for w in ch.watches.values() if w.journey == spec.name and w.fired_at is not None and w.is_closed]
    if not late:
        return
    stored = {e.enrollment_id: e for e in view.enrollments_of(spec.name, {w.customer_id for w in late})}
    for w in late:
        eid = stable_id(spec.name, w.customer_id, w.match_key)
        e = ch.enrollments.get(eid) or enrollments.get(eid) or stored.get(eid)
        if e is not None and e.exit_reason != RETRACTED:
            # when the absent event happened (never before the entry), not when this evaluation saw it:
            # a run killed and re-run later must end up with the same row as one that never stopped
            proven_wrong = max(w.absent_at, e.entered_at) if w.absent_at is not None else max(clock, e.entered_at)
            e.exited_at, e.exit_reason = e.exited_at or proven_wrong, RETRACTED
            ch.enrollments[eid] = e


# -------------------------------------------------------------------------------------------- steps


def _due(spec: JourneySpec, enrollments: dict[str, Enrollment], clock: datetime, ch: Changes
         ) -> list[tuple[Enrollment, int, datetime]]:
    """Advance every enrollment past the steps that fell due by ``clock`` (before its exit)."""
    steps, out = spec.steps, []
    for e in enrollments.values():
        last = None
        while (e.exit_reason != RETRACTED and e.step_index < len(steps) and e.next_due_at is not None
               and e.next_due_at <= clock and (e.exited_at is None or e.next_due_at < e.exited_at)):
            out.append((e, e.step_index, e.next_due_at))
            last = e.next_due_at
            e.step_index += 1
            e.next_due_at = e.next_due_at + steps[e.step_index].wait if e.step_index < len(steps) else None
            ch.enrollments[e.enrollment_id] = e
        if e.step_index >= len(steps) and last is not None:
            _exit(e, last, "completed", ch)  # kept only when it is the first way out
    return out


def _schedule_steps(spec: JourneySpec, enrollments: dict[str, Enrollment], clock: datetime, lookups: Lookups,
                    ch: Changes) -> None:
    due = _due(spec, enrollments, clock, ch)
    live = [(e, i, at) for e, i, at in due if clock < at + spec.steps[i].expires_after]
    cids = {e.customer_id for e, _, _ in live}
    clause_sets = {json.dumps(c, sort_keys=True) for e, i, _ in live for c in _conditions(spec.steps[i])}
    failing = {cs: lookups.failing(json.loads(cs), cids) for cs in clause_sets} if cids else {}
    channels = lookups.channels(cids) if cids else {}
    fields = lookups.fields(cids) if cids else {}
    for e, i, at in due:
        step = spec.steps[i]
        row = StepRow(stable_id(e.enrollment_id, step.id), e.enrollment_id, spec.name, e.customer_id, step.id, i,
                      at, at + step.expires_after, "due", arms="|".join(step.arms) if step.arms else None)
        if clock >= row.expires_at:
            row.status, row.status_reason = "expired", "missed"  # fell due before the journey could act
        else:
            _decide_step(spec, step, e, row, failing, channels.get(e.customer_id, {}),
                         fields.get(e.customer_id, {}))
        ch.steps[row.send_id] = row


def _conditions(step) -> list[dict[str, str]]:
    return [c for c in [step.when, *[b.when for b in step.branch or []]] if c]


def _failed(failing: dict[str, dict[str, list[str]]], clauses: dict[str, str] | None, cid: str) -> list[str]:
    if not clauses:
        return []
    return failing.get(json.dumps(clauses, sort_keys=True), {}).get(cid, [])


def _decide_step(spec: JourneySpec, step, e: Enrollment, row: StepRow, failing, options, fields) -> None:
    if bad := _failed(failing, step.when, e.customer_id):
        row.status, row.status_reason = "skipped", "guard:" + "|".join(bad)
        return
    action, branch = step.action, None
    for b in step.branch or []:
        if not _failed(failing, b.when, e.customer_id):
            action, branch = b.action, ("|".join(b.when) if b.when else "otherwise")
            break
    if action is None:
        row.status, row.status_reason = "skipped", "no_branch"
        return
    declared = spec.actions[action]
    channel, source = choose_channel(declared.channels, options)
    rendered = content.render(declared.message(), channel, {**fields, **_context_fields(spec, e)})
    row.action, row.branch, row.channel, row.channel_source = action, branch, channel, source
    row.message = json.dumps({"channel": channel, **rendered}, sort_keys=True)


def _context_fields(spec: JourneySpec, e: Enrollment) -> dict[str, object]:
    """Personal fields that come from the occurrence itself (what the trigger event was about)."""
    t = spec.trigger
    out: dict[str, object] = {"entered_on": f"{e.entered_at:%B} {e.entered_at.day}"}
    if e.trigger_at is not None:
        out["started_on"] = f"{e.trigger_at:%B} {e.trigger_at.day}"
    subject_field = EVENTS.get(t.event) if isinstance(t, AbsenceTrigger | EventTrigger) else None
    if isinstance(t, StageEntryTrigger):
        subject_field = "stage"
    if subject_field and e.subject_id:
        out[subject_field] = e.subject_id
    if subject_field == "application_id" and e.detail:
        out["application_step"] = e.detail
    return out


# ------------------------------------------------------------------------------------------ settling


def _settle(spec: JourneySpec, view: StateView, enrollments: dict[str, Enrollment], clock: datetime,
            lookups: Lookups, ch: Changes) -> None:
    due = {s.send_id: s for s in view.due_steps(spec.name)}
    due.update({k: s for k, s in ch.steps.items() if s.journey == spec.name and s.status == "due"})
    if not due:
        return
    sent = lookups.sent(set(due))
    verdicts = lookups.verdicts({k for k, s in due.items() if k not in sent and clock >= s.expires_at})
    for send_id, s in due.items():
        e = ch.enrollments.get(s.enrollment_id) or enrollments.get(s.enrollment_id)
        if send_id in sent:
            s.status, s.sent_at, s.status_reason = "sent", sent[send_id], None
        elif (e is not None and e.exited_at is not None and e.exit_reason != "completed"
              and e.exited_at < s.expires_at):
            # cancelled only when the exit came before the step's window closed; after it, the step had
            # already expired, whenever this evaluation runs (a killed run's next one sees both at once)
            s.status, s.status_reason = "cancelled", e.exit_reason
        elif clock >= s.expires_at:
            s.status, s.status_reason = "expired", verdicts.get(send_id) or "not_sent"
        else:
            continue
        ch.steps[send_id] = s

