"""A world that reacts to the journeys' own sends: the next raw delivery of portal application events,
drawn from what the `application_abandonment` journey did (issue 15).

The generator plants the effect of a timely nudge on the simulated history only (applications.py: an
abandoned application is finished late with RESUME_P["none"], or RESUME_P["nudged"] after a timely
contact). Here the same planted probabilities answer the journey's real sends:

- read, from the PUBLISHED copy (never the live warehouse), every enrollment of the journey with its
  arm (marts.fct_journey_enrollments), its application (marts.fct_applications: device, last step) and
  the customer's advisor id (marts.dim_customers), and whether the destination acknowledged its nudge
  (the sync engine's record, ops.sync_state, keyed by the step's send_id: marts.fct_journey_steps);
- treated = not in the control group and the nudge acknowledged by the destination. A nudge step only
  reaches the destination within its window (journeys/application_abandonment.yml: expires_after 24h
  after the 48 h window closed, the generator's NUDGE_WITHIN), so acknowledged means in time;
- each application whose goal window is still open, not converted yet and not answered by an earlier
  response is submitted late with
  RESUME_P["nudged"] when treated, else RESUME_P["none"] (the control group, and the treated arms' members
  the gate held back or whose nudge was not acknowledged): the remaining steps, then `submitted`, at a
  time after the window closed and within the generator's RESUME_WITHIN of the start;
- the answer is written as one new raw delivery of advisor.application_events (the raw contract's own
  columns and values) and, per application, a row of ``_ground_truth/journey_responses.csv`` (arm,
  treated, planted probability, submitted); ``journey_response_effects.csv`` holds the planted
  probabilities and the expected intention-to-treat lift of the journey's treated arms over its control.

Deterministic given the seed: each application's draws are a hash of (seed, application id), so they do
not depend on the order or on which other applications are in the delivery.

A nudge still waiting for its window when the response is drawn counts as not sent: draw the response
after the run that had the chance to send it (the step expires 24 h after it is due).
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from cjo_data.generate.applications import RESUME_P, RESUME_WITHIN, STEPS, WINDOW

JOURNEY = "application_abandonment"
NUDGE_STEP = "nudge"
RAW_TABLE = Path("advisor") / "application_events"
RAW_COLUMNS = ("event_id", "application_id", "advisor_id", "event_type", "step_number", "device", "occurred_at")
TRUTH_FILE = "journey_responses.csv"
EFFECTS_FILE = "journey_response_effects.csv"
TRUTH_COLUMNS = ("delivery", "application_id", "customer_id", "enrollment_id", "arm", "nudge_send_id",
                 "nudge_acked_at", "treated", "p_submit", "submitted", "submitted_at")
# What the response needs from each published table (a missing one is named in the error).
NEEDED = {"marts.fct_journey_enrollments": ("enrollment_id", "journey", "customer_id", "subject_id", "arm",
                                            "entered_at", "trigger_at", "is_converted", "is_goal_window_closed"),
          "marts.fct_journey_steps": ("send_id", "enrollment_id", "step_id"),
          "marts.fct_applications": ("application_id", "started_on_device", "last_step"),
          "marts.dim_customers": ("customer_id", "advisor_id"),
          "ops.sync_state": ("primary_key", "acked_at"),
          "marts.fct_action_eligibility": ("decided_at",)}


class SendRecordError(ValueError):
    """The published send records are missing or unusable (the message names the file)."""


@dataclass(frozen=True)
class Enrolled:
    """One abandoned application in the journey, as the published copy shows it."""

    application_id: str
    customer_id: str
    enrollment_id: str
    advisor_id: str
    arm: str
    entered_at: datetime  # the 48 h window closed (the trigger fired)
    started_at: datetime
    last_step: int
    device: str | None
    nudge_send_id: str | None
    nudge_acked_at: datetime | None  # the destination acknowledged the nudge (sync engine record)

    @property
    def treated(self) -> bool:
        return self.arm != "control" and self.nudge_acked_at is not None


@dataclass(frozen=True)
class Response:
    enrolled: Enrolled
    p_submit: float
    submitted_at: datetime | None


def _uniform(seed: int, key: str, what: str) -> float:
    """A uniform draw in [0, 1) fixed by (seed, key, what): order-independent and reproducible."""
    digest = hashlib.sha256(f"{seed}:{what}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def respond(enrolled: list[Enrolled], seed: int, resume_p: dict[str, float] | None = None,
            now: datetime | None = None) -> list[Response]:
    """The response rule (pure): treated -> submitted late with resume_p['nudged'], anyone else with
    resume_p['none']; the submit falls at least an hour after the window closed (the nudge is due then)
    and after ``now`` (the journey clock of the run whose sends are answered: the world cannot answer in
    the past), within RESUME_WITHIN of the start (or right after ``now`` when that has passed). Sorted by
    application id."""
    p = resume_p or RESUME_P
    out = []
    for e in sorted(enrolled, key=lambda r: r.application_id):
        p_submit = p["nudged"] if e.treated else p["none"]
        submitted_at = None
        if _uniform(seed, e.application_id, "submit") < p_submit:
            # the nudge goes out within a day of the window closing (journey time; acked_at is wall time)
            earliest = max(e.entered_at, e.started_at + timedelta(seconds=WINDOW), now or e.entered_at)
            earliest += timedelta(hours=1)
            latest = e.started_at + timedelta(seconds=RESUME_WITHIN) - timedelta(hours=1)
            span = max((latest - earliest).total_seconds(), 0)
            submitted_at = earliest + timedelta(seconds=int(span * _uniform(seed, e.application_id, "delay")))
        out.append(Response(e, p_submit, submitted_at))
    return out


def event_rows(responses: list[Response], delivery: str) -> list[dict[str, object]]:
    """Raw application_events rows of the late finishers: the steps not reached yet (two minutes apart),
    then `submitted`. Event ids are unique per delivery and application."""
    rows = []
    for r in responses:
        if r.submitted_at is None:
            continue
        e = r.enrolled
        steps = range(max(e.last_step, 1) + 1, STEPS + 1)
        for k, s in enumerate(steps):
            at = r.submitted_at - timedelta(minutes=2 * (len(steps) - k))
            rows.append(_row(f"{delivery}-{e.application_id}-{s}", e, "step_completed", s, at))
        rows.append(_row(f"{delivery}-{e.application_id}-submit", e, "submitted", None, r.submitted_at))
    return rows


def _row(event_id: str, e: Enrolled, kind: str, step: int | None, at: datetime) -> dict[str, object]:
    return {"event_id": event_id, "application_id": e.application_id, "advisor_id": e.advisor_id,
            "event_type": kind, "step_number": step, "device": e.device,
            "occurred_at": at.strftime("%Y-%m-%dT%H:%M:%SZ")}


def expected_lift(responses: list[Response], resume_p: dict[str, float] | None = None
                  ) -> dict[str, float | None]:
    """The planted intention-to-treat effect on the journey's goal rate: the mean planted probability of
    the treated arms' enrollments minus the control's (resume_p['none']), and the share reached."""
    p = resume_p or RESUME_P
    arms = [r for r in responses if r.enrolled.arm != "control"]
    if not arms:
        return {"expected_lift": None, "reached_share": None}
    reached = sum(r.enrolled.treated for r in arms) / len(arms)
    return {"expected_lift": sum(r.p_submit for r in arms) / len(arms) - p["none"], "reached_share": reached}


# ------------------------------------------------------------------ reading the sends, writing the delivery

_ENROLLED_SQL = f"""
    with nudges as (
        select enrollment_id, min(send_id) as send_id
        from marts.fct_journey_steps where step_id = '{NUDGE_STEP}' group by enrollment_id
    ),
    acked as (
        select primary_key, min(acked_at at time zone 'UTC') as acked_at from ops.sync_state group by primary_key
    )
    select e.subject_id, e.customer_id, e.enrollment_id, c.advisor_id, e.arm, e.entered_at,
           a.started_at, coalesce(a.last_step, 1), a.started_on_device, n.send_id, k.acked_at
    from marts.fct_journey_enrollments as e
    inner join marts.fct_applications as a on e.subject_id = a.application_id
    inner join marts.dim_customers as c on e.customer_id = c.customer_id
    left join nudges as n on e.enrollment_id = n.enrollment_id
    left join acked as k on n.send_id = k.primary_key
    where e.journey = '{JOURNEY}' and not e.is_converted and not e.is_goal_window_closed
      and c.advisor_id is not null
    order by e.subject_id
"""


def read_enrolled(publish_dir: Path) -> tuple[datetime | None, list[Enrolled]]:
    """The journey clock of the published run (the decision ledger's decided_at) and every enrollment of
    the journey still open to a response, with whether its nudge was acknowledged, from the published
    copy. A missing copy, table or column raises SendRecordError naming the file."""
    from orchestration.publish import NothingPublishedError, published_path, reader_connection

    path = published_path(publish_dir)
    try:
        con = reader_connection(publish_dir)
    except NothingPublishedError as exc:
        raise SendRecordError(f"{path}: no published copy to read the journey's sends from ({exc})") from exc
    except Exception as exc:  # a file that is not a DuckDB database
        raise SendRecordError(f"{path}: cannot open the published copy: {exc}") from exc
    try:
        have = {(s, t, c) for s, t, c in con.execute(
            "select table_schema, table_name, column_name from information_schema.columns").fetchall()}
        for table, cols in NEEDED.items():
            schema, name = table.split(".")
            missing = [c for c in cols if (schema, name, c) not in have]
            if missing:
                raise SendRecordError(f"{path}: table {table} lacks {', '.join(missing)} (the send records the "
                                      "response needs; run the pipeline with the journeys once)")
        rows = con.execute(_ENROLLED_SQL).fetchall()
        clock = con.execute("select max(decided_at) from marts.fct_action_eligibility").fetchall()[0][0]
    finally:
        con.close()
    return clock, [Enrolled(r[0], r[1], r[2], r[3], r[4], r[5], r[6], int(r[7]), r[8], r[9], r[10]) for r in rows]


def _answered(truth: Path) -> set[str]:
    if not truth.exists():
        return set()
    with truth.open(newline="") as f:
        reader = csv.DictReader(f)
        if not reader.fieldnames or "application_id" not in reader.fieldnames:
            raise SendRecordError(f"{truth}: not a response ground truth (no application_id column)")
        return {row["application_id"] for row in reader}


def write_response(publish_dir: Path, raw_dir: Path, seed: int,
                   resume_p: dict[str, float] | None = None) -> dict[str, object]:
    """Write the next raw delivery answering the journey's sends (see the module docstring) and its
    ground truth. Applications answered by an earlier response are left out. Returns a summary."""
    p = resume_p or RESUME_P
    truth_dir = raw_dir / "_ground_truth"
    truth = truth_dir / TRUTH_FILE
    answered = _answered(truth)
    clock, published = read_enrolled(publish_dir)
    enrolled = [e for e in published if e.application_id not in answered]
    folder = raw_dir / RAW_TABLE
    delivery = f"response_{len(list(folder.glob('delivery_response_*.csv'))) + 1:03d}"
    responses = respond(enrolled, seed, p, now=clock)
    rows = event_rows(responses, delivery)
    path = folder / f"delivery_{delivery}.csv"
    if rows:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        with tmp.open("w", newline="") as f:
            w = csv.DictWriter(f, RAW_COLUMNS)
            w.writeheader()
            w.writerows(rows)
        tmp.rename(path)  # lands whole: the raw-file sensor never sees half a file
    truth_dir.mkdir(parents=True, exist_ok=True)
    new = not truth.exists()
    with truth.open("a", newline="") as f:
        w = csv.writer(f)
        if new:
            w.writerow(TRUTH_COLUMNS)
        for r in responses:
            e = r.enrolled
            w.writerow([delivery, e.application_id, e.customer_id, e.enrollment_id, e.arm, e.nudge_send_id or "",
                        e.nudge_acked_at.isoformat() if e.nudge_acked_at else "", e.treated, r.p_submit,
                        r.submitted_at is not None, r.submitted_at.isoformat() if r.submitted_at else ""])
    lift = expected_lift(responses, p)
    summary = {"delivery": str(path) if rows else None, "clock": clock.isoformat() if clock else None,
               "applications": len(responses),
               "treated": sum(r.enrolled.treated for r in responses),
               "control": sum(r.enrolled.arm == "control" for r in responses),
               "submitted": sum(r.submitted_at is not None for r in responses),
               "events": len(rows), "resume_p_nudged": p["nudged"], "resume_p_none": p["none"], **lift}
    with (truth_dir / EFFECTS_FILE).open("a", newline="") as f:
        w = csv.writer(f)
        if f.tell() == 0:
            w.writerow(["delivery", "parameter", "value"])
        w.writerows([delivery, k, v] for k, v in summary.items() if k != "delivery")
    return summary
