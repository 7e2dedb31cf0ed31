"""A journey evaluation for real against a DuckDB warehouse (store.py + run.py, no fakes): incremental on
new events only, waits kept in the warehouse across runs (a new process picks them up), the channel of
choice from marts.dim_customer_channels (a stated preference wins, else the learned response rate) and
the message rendered for that channel with fallbacks for missing personal fields."""

from __future__ import annotations

import json
from datetime import timedelta

import duckdb
import warehouse_support as ws

from orchestration.journeys import run


def _evaluate(db, journeys, monkeypatch):
    from orchestration.warehouse_lock import connect_live

    monkeypatch.setenv("CJO_JOURNEYS_DIR", str(journeys))
    with connect_live(db) as con:
        return run.evaluate(con)


def _abandon(cid: str, app: str, at) -> list[tuple]:
    return [(at, f"s:{app}", cid, "application_started", app, "1"),
            (at + timedelta(minutes=5), f"p:{app}", cid, "application_step_completed", app, "2")]


def test_waits_survive_runs_and_only_new_events_are_read(tmp_path, monkeypatch):
    journeys = ws.journeys_dir(tmp_path, "application_abandonment")
    db = tmp_path / "w.duckdb"
    ws.create(db)
    ws.deliver(db, _abandon("c001", "A1", ws.T0), ws.T0 + timedelta(hours=1))
    first = _evaluate(db, journeys, monkeypatch)
    assert first.new_events == 2 and first.per_journey == {}  # the 48 h window is open: nothing fires yet
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("select count(*) from journeys.watches where fired_at is null").fetchall() == [(1,)]
    con.close()
    # A later run (a new connection, as after a restart) with no new events fires the stored window.
    ws.deliver(db, [], ws.T0 + timedelta(hours=49))
    second = _evaluate(db, journeys, monkeypatch)
    assert second.new_events == 0 and second.per_journey["application_abandonment"]["fired"] == 1
    # Re-delivering the same events changes nothing: they are acknowledged already.
    ws.deliver(db, _abandon("c001", "A1", ws.T0), ws.T0 + timedelta(hours=50))
    third = _evaluate(db, journeys, monkeypatch)
    assert third.new_events == 0 and "fired" not in third.per_journey.get("application_abandonment", {})


def test_channel_of_choice_and_content_for_the_chosen_channel(tmp_path, monkeypatch):
    journeys = ws.journeys_dir(tmp_path, "application_abandonment")
    db = tmp_path / "w.duckdb"
    ids = ws.create(db)
    # c000: stated sms (ws.create: every 4th customer), no first name (every 7th) -> sms, "there".
    # c001: email only (odd customers have no sms), with a response history -> email, learned.
    # c002: sms usable, not stated; learned sms rate 0.05 beats its email rate 0.04 -> sms, learned.
    rows = [r for i, cid in enumerate(ids[:3]) for r in _abandon(cid, f"A{i}", ws.T0)]
    ws.deliver(db, rows, ws.T0 + timedelta(hours=49))
    _evaluate(db, journeys, monkeypatch)
    con = duckdb.connect(str(db), read_only=True)
    steps = {r[0]: r[1:] for r in con.execute(
        "select customer_id, channel, channel_source, message, status from journeys.steps "
        "where step_id = 'nudge'").fetchall()}
    arms = dict(con.execute("select customer_id, outcome from journeys.occurrences").fetchall())
    con.close()
    assert set(arms) == set(ids[:3])
    treated = {c: s for c, s in steps.items() if s[3] != "not_in_arm"}
    expected = {"c000": ("sms", "stated"), "c001": ("email", "learned"), "c002": ("sms", "learned")}
    for cid, (channel, source, message, _status) in treated.items():
        assert (channel, source) == expected[cid]
        rendered = json.loads(message)
        text = json.dumps(rendered)
        assert "{" not in "".join(str(v) for v in rendered.values())  # no placeholder left
        if channel == "sms":
            assert len(rendered["text"]) <= 160 and "STOP" in rendered["text"]
        else:
            assert rendered["subject"] and "A1" in text  # the application id is filled in
        if cid == "c000":
            assert "there" in text  # no first name: the fallback, never a blank


def test_cjo_status_lists_each_journey_with_its_counts_and_lift():
    from orchestration.cli import _status_journeys

    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute("create table marts.agg_journey_performance as select * from (values "
                "('webinar_no_show', 'all', 40, 10, 12, 30, 36), ('webinar_no_show', 'control', 4, 1, 1, 3, 0), "
                "('application_abandonment', 'all', 9, 9, 0, 0, 8)) "
                "t(journey, arm, enrolled, active, converted, exited, steps_sent)")
    con.execute("create table marts.agg_experiment_results as select * from (values "
                "('journey_holdout', 'webinar_no_show', 'all', 'goal_rate', "
                "0.05::double, -0.01::double, 0.11::double), "
                "('journey_holdout', 'webinar_no_show', 'treatment', 'goal_rate', 0.04, -0.02, 0.10), "
                "('campaign', 'webinar_no_show', 'treatment', 'purchase_rate', 0.5, 0.4, 0.6)) "
                "t(experiment_type, experiment_name, arm, metric, lift, lift_ci_low, lift_ci_high)")
    [section] = _status_journeys(con)
    assert section.rows == [("application_abandonment", 9, 9, 0, 0, 8, None, None, None),
                            ("webinar_no_show", 40, 10, 12, 30, 36, 0.05, -0.01, 0.11)]
