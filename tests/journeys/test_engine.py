"""The journey engine on small, hand-written event streams: expected vs actual state."""

from __future__ import annotations

import json
from datetime import timedelta

from journey_support import ABANDONMENT, T0, FakeLookups, ev, hours, run, spec_of

from orchestration.journeys.memory import MemoryState
from orchestration.journeys.model import stable_id


def _abandon():
    return {"abandon": spec_of(ABANDONMENT)}


def test_absence_fires_when_the_window_closes_without_the_absent_event():
    specs, state = _abandon(), MemoryState()
    started = ev("application_started", "c1", T0, "APP1", "2")
    assert run(specs, state, [started], T0 + hours(47)).occurrences == []
    ch = run(specs, state, [], T0 + hours(48))
    [occ] = ch.occurrences
    assert (occ.customer_id, occ.occurrence_key, occ.occurred_at, occ.outcome) == (
        "c1", "APP1", T0 + hours(48), "enrolled")
    [step] = [s for s in ch.steps.values()]
    assert (step.step_id, step.status, step.action, step.channel, step.channel_source) == (
        "nudge", "due", "nudge", "email", "journey_order")
    message = json.loads(step.message)
    # a missing first name gets its fallback; the occurrence's own fields fill the rest
    assert message["subject"] == "there, finish APP1"
    assert "Stopped at step 2." in message["text"] and "https://x/APP1" in message["text"]
    assert step.send_id == stable_id(occ.occurrence_id, "nudge")
    # evaluating again (same clock, same events re-delivered) changes nothing
    again = run(specs, state, [started], T0 + hours(49))
    assert again.occurrences == [] and not [s for s in again.steps.values() if s.status != "due"]


def test_submit_inside_the_window_prevents_the_trigger_even_out_of_order():
    specs, state = _abandon(), MemoryState()
    submitted = ev("application_submitted", "c1", T0 + hours(30), "APP1")
    run(specs, state, [submitted], T0 + hours(30))  # the submit is seen first
    run(specs, state, [ev("application_started", "c1", T0, "APP1")], T0 + hours(100))
    assert state.occurrence_rows == {}


def test_a_late_submit_inside_the_window_retracts_the_enrollment_and_cancels_its_step():
    specs, state = _abandon(), MemoryState()
    run(specs, state, [ev("application_started", "c1", T0, "APP1")], T0 + hours(49))
    [e] = state.enrollment_rows.values()
    ch = run(specs, state, [ev("application_submitted", "c1", T0 + hours(40), "APP1")], T0 + hours(50))
    assert ch.occurrences == []
    e = state.enrollment_rows[e.enrollment_id]
    # it ends at the submit's time, or its own entry when the submit came first (here): never at the clock
    # of the evaluation that saw it, which a killed and re-run evaluation would move
    assert (e.exit_reason, e.exited_at) == ("trigger_retracted", T0 + hours(48))
    assert [s.status for s in state.step_rows.values()] == ["cancelled"]


def test_submit_after_the_window_is_the_goal_and_ends_the_journey_before_the_reminder():
    specs, state = _abandon(), MemoryState()
    run(specs, state, [ev("application_started", "c1", T0, "APP1")], T0 + hours(48))
    run(specs, state, [ev("application_submitted", "c1", T0 + hours(60), "APP1")], T0 + hours(200))
    [e] = state.enrollment_rows.values()
    assert (e.converted_at, e.exit_reason) == (T0 + hours(60), "converted")
    assert {s.step_id for s in state.step_rows.values()} == {"nudge"}  # the reminder never fell due


def test_goal_with_another_subject_does_not_count():
    specs, state = _abandon(), MemoryState()
    run(specs, state, [ev("application_started", "c1", T0, "APP1")], T0 + hours(48))
    run(specs, state, [ev("application_submitted", "c1", T0 + hours(60), "APP2")], T0 + hours(61))
    [e] = state.enrollment_rows.values()
    assert e.converted_at is None and e.is_active


def test_sent_expired_and_verdicts_settle_due_steps():
    specs, state = _abandon(), MemoryState()
    run(specs, state, [ev("application_started", "c1", T0, "A"), ev("application_started", "c2", T0, "B")],
        T0 + hours(48))
    ids = {s.customer_id: s.send_id for s in state.step_rows.values()}
    lookups = FakeLookups(acked={ids["c1"]: T0 + hours(48.1)}, verdict={ids["c2"]: "quiet_period|frequency_cap"})
    run(specs, state, [], T0 + hours(60), lookups)
    assert state.step_rows[ids["c1"]].status == "sent" and state.step_rows[ids["c2"]].status == "due"
    run(specs, state, [], T0 + hours(73), lookups)  # the nudge's 24 h window has passed
    c2 = state.step_rows[ids["c2"]]
    assert (c2.status, c2.status_reason) == ("expired", "quiet_period|frequency_cap")


def test_steps_that_fell_due_long_ago_are_expired_not_sent():
    specs, state = _abandon(), MemoryState()
    run(specs, state, [ev("application_started", "c1", T0, "APP1")], T0 + timedelta(days=30))
    [e] = state.enrollment_rows.values()
    assert {(s.step_id, s.status, s.status_reason) for s in state.step_rows.values()} == {
        ("nudge", "expired", "missed"), ("reminder", "expired", "missed")}
    assert e.exit_reason == "completed" and e.exited_at == T0 + hours(48 + 72)


def test_reentry_rules():
    once = {"x": spec_of(ABANDONMENT, name="x", entry={"reentry": "once"})}
    after_exit = {"x": spec_of(ABANDONMENT, name="x", entry={"reentry": "after_exit"})}
    cooldown = {"x": spec_of(ABANDONMENT, name="x", entry={"reentry": "per_occurrence", "cooldown": "7d"})}
    evs = [ev("application_started", "c1", T0, "A"), ev("application_started", "c1", T0 + hours(10), "B"),
           ev("application_started", "c1", T0 + timedelta(days=20), "C")]
    outcomes = {}
    for name, specs in (("once", once), ("after_exit", after_exit), ("cooldown", cooldown)):
        state = MemoryState()
        run(specs, state, evs, T0 + timedelta(days=40))
        outcomes[name] = [(o.occurrence_key, o.reason) for o in sorted(state.occurrence_rows.values(),
                                                                        key=lambda o: o.occurred_at)]
    assert outcomes["once"] == [("A", None), ("B", "once"), ("C", "once")]
    # A completes at 48 h + 72 h (its last step), so B (entering at 58 h) finds it active; C is later
    assert outcomes["after_exit"] == [("A", None), ("B", "already_active"), ("C", None)]
    assert outcomes["cooldown"] == [("A", None), ("B", "cooldown"), ("C", None)]


def test_entry_conditions_stale_occurrences_and_opt_out():
    spec = spec_of(ABANDONMENT, entry={"where": {"is_prospect": "current_stage = 'awareness'"},
                                       "max_delay": "7d"})
    specs, state = {"abandon": spec}, MemoryState()
    lookups = FakeLookups(failing_by_clause={"is_prospect": {"c2"}})
    evs = [ev("application_started", c, T0, f"A{c}") for c in ("c1", "c2")]
    evs.append(ev("application_started", "c3", T0 - timedelta(days=30), "Ac3"))
    run(specs, state, evs, T0 + hours(48), lookups)
    reasons = {o.customer_id: o.reason for o in state.occurrence_rows.values()}
    assert reasons == {"c1": None, "c2": "entry_condition:is_prospect", "c3": "stale"}
    run(specs, state, [], T0 + hours(50), FakeLookups(opted={"c1"}))
    [e] = state.enrollment_rows.values()
    assert e.exit_reason == "opted_out"
    assert [s.status for s in state.step_rows.values()] == ["cancelled"]


def test_channel_of_choice_falls_back_when_nobody_is_reachable():
    specs, state = _abandon(), MemoryState()
    run(specs, state, [ev("application_started", "c9", T0, "A")], T0 + hours(48), FakeLookups(unreachable={"c9"}))
    [step] = state.step_rows.values()
    assert (step.channel, step.channel_source, step.status) == ("email", "none_usable", "due")


def test_stage_entry_series_with_a_branch_and_a_guard():
    data = {
        "name": "onb", "description": "d", "owner": "o", "trigger": {"type": "stage_entry", "stage": "purchase"},
        "entry": {"reentry": "once"}, "goal": {"event": "purchase", "within": "90d", "exit": False},
        "exit": {"on_stages": ["lapsed"]},
        "steps": [
            {"id": "welcome", "action": "welcome"},
            {"id": "d30", "wait": "30d", "expires_after": "3d",
             "branch": [{"when": {"traded_again": "frequency >= 2"}, "action": "models"}, {"action": "first_steps"}]},
            {"id": "d90", "wait": "60d", "action": "welcome", "when": {"still_here": "true"}},
        ],
        "actions": {a: {"channels": ["email"], "title": "t {stage}", "body": "b", "cta": {"label": "l", "url": "u"}}
                    for a in ("welcome", "models", "first_steps")},
    }
    specs, state = {"onb": spec_of(data)}, MemoryState()
    entered = ev("stage_entered", "c1", T0, "purchase")
    run(specs, state, [entered, ev("stage_entered", "c2", T0, "purchase")], T0)
    assert json.loads(next(iter(state.step_rows.values())).message)["subject"] == "t purchase"
    lookups = FakeLookups(failing_by_clause={"traded_again": {"c2"}, "still_here": {"c1"}})
    # c1 trades again on day 10: the goal (the series goes on); c2 lapses on day 60: the series ends there
    run(specs, state, [ev("purchase", "c1", T0 + timedelta(days=10), "S1")], T0 + timedelta(days=31), lookups)
    run(specs, state, [ev("stage_entered", "c2", T0 + timedelta(days=60), "lapsed")], T0 + timedelta(days=61), lookups)
    run(specs, state, [], T0 + timedelta(days=90.5), lookups)
    rows = {(s.customer_id, s.step_id): s for s in state.step_rows.values()}
    assert (rows[("c1", "d30")].action, rows[("c1", "d30")].branch) == ("models", "traded_again")
    assert (rows[("c2", "d30")].action, rows[("c2", "d30")].branch) == ("first_steps", "otherwise")
    assert (rows[("c1", "d90")].status, rows[("c1", "d90")].status_reason) == ("skipped", "guard:still_here")
    assert ("c2", "d90") not in rows
    e1, e2 = sorted(state.enrollment_rows.values(), key=lambda e: e.customer_id)
    assert (e1.converted_at, e1.exit_reason) == (T0 + timedelta(days=10), "completed")
    assert (e2.converted_at, e2.exit_reason) == (None, "entered_stage")
    # entering the stage again later is not a second onboarding
    run(specs, state, [ev("stage_entered", "c1", T0 + timedelta(days=200), "purchase")], T0 + timedelta(days=200))
    assert [o.reason for o in state.occurrence_rows.values() if o.customer_id == "c1"] == [None, "once"]


def test_score_crossings_and_inactivity_fire_once_per_episode():
    score = {"name": "s", "description": "d", "owner": "o",
             "trigger": {"type": "score_threshold", "model": "churn", "threshold": 0.7},
             "entry": {"reentry": "per_occurrence"}, "goal": {"event": "purchase", "within": "30d"},
             "steps": [{"id": "a", "action": "a"}],
             "actions": {"a": {"channels": ["email"], "title": "t", "body": "b", "cta": {"label": "l", "url": "u"}}}}
    idle = {**score, "name": "i", "trigger": {"type": "inactivity", "for": "30d"}}
    specs, state = {"s": spec_of(score), "i": spec_of(idle)}, MemoryState()
    seq = [({"c1": 0.8}, T0), ({"c1": 0.9}, T0 + hours(1)), ({"c1": 0.5}, T0 + hours(2)), ({"c1": 0.75}, T0 + hours(3))]
    for scores, clock in seq:
        run(specs, state, [], clock, FakeLookups(score_by_customer=scores, touches={"c2": T0 - timedelta(days=40)}))
    fired = sorted((o.journey, o.occurred_at) for o in state.occurrence_rows.values())
    assert fired == [("i", T0 - timedelta(days=10)), ("s", T0), ("s", T0 + hours(3))]
