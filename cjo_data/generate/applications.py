"""Account applications on the advisor portal (raw table advisor.application_events), with planted
abandonment and a planted effect of a timely nudge, both written to the ground truth.

- Who starts: an identified portal visit (a login or a form submit, from the simulation's web events)
  starts an application with probability START_P.
- Abandonment is planted: P(abandon) = sigmoid(ABANDON_LOGIT), from what is known when the application
  starts (device, evening hours, persona, already a customer, an earlier abandoned application, a
  positive wholesaler contact in the 14 days before). A submitted application completes its five steps
  within the hour and is submitted; an abandoned one stops after step 1 to 4.
- The nudge effect is planted: an abandoned application is finished late (after the 48 h window, within
  14 days) with probability RESUME_P["none"], or RESUME_P["nudged"] when the advisor had a wholesaler
  contact in the 24 hours after the window closed (a timely nudge).
Draws come from their own random stream, so every other generated file stays byte-identical.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cjo_data.generate.calendar import DAY

START_P = 0.35  # per identified portal visit (a portal visit is often to open an account)
STEPS = 5
WINDOW = 2 * DAY  # no submit within 48 h: abandoned (journeys/application_abandonment.yml)
NUDGE_WITHIN = DAY  # a contact within 24 h after the window closed is a timely nudge
RESUME_WITHIN = 14 * DAY
# Planted log-odds of abandonment: intercept and one coefficient per feature (ground truth).
ABANDON_LOGIT = {"intercept": -0.4, "mobile": 1.1, "evening": 0.7, "seasoned": -0.9, "customer": -0.8,
                 "abandoned_before": 0.9, "recent_positive_contact": -0.8}
RESUME_P = {"none": 0.10, "nudged": 0.40}
DEVICES_P = (0.55, 0.35, 0.10)  # desktop, mobile, tablet (contract order)
EVENT_STARTED, EVENT_STEP, EVENT_SUBMITTED = range(3)  # contract order of event_type


@dataclass
class Applications:
    events: dict[str, np.ndarray]  # person, app, type, step, device, ts
    truth: dict[str, np.ndarray]  # one row per application


def _features(w, sim, person: np.ndarray, ts: np.ndarray, device: np.ndarray, positive_contact: np.ndarray,
              first_buy_ts: np.ndarray) -> dict[str, np.ndarray]:
    hour = (ts % DAY) // 3600
    return {
        "mobile": (device == 1).astype(float),
        "evening": ((hour >= 19) | (hour < 7)).astype(float),
        "seasoned": (w.persona[person] == 1).astype(float),
        "customer": (first_buy_ts[person] < ts).astype(float),
        "recent_positive_contact": positive_contact.astype(float),
    }


def _had_event(keys: np.ndarray, person: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Whether the person has an event time in [lo, hi) (keys: sorted person * 2**34 + offset time)."""
    big = np.int64(1 << 34)
    a = np.searchsorted(keys, person.astype(np.int64) * big + lo)
    b = np.searchsorted(keys, person.astype(np.int64) * big + hi)
    return b > a


def simulate_applications(rng: np.random.Generator, w, sim, end_ts: int, purchase: int, positive: int
                          ) -> Applications:
    web = sim.web
    ident = np.flatnonzero((web["person"] >= 0) & (web["type"] > 0))
    start = ident[rng.random(len(ident)) < START_P]
    order = np.argsort(web["ts"][start], kind="stable")
    person, ts = web["person"][start][order].astype(np.int64), web["ts"][start][order].astype(np.int64)
    keep = ts + 60 * 60 < end_ts
    person, ts = person[keep], ts[keep]
    k = len(person)
    device = rng.choice(3, k, p=DEVICES_P)
    off = int(ts.min()) - 400 * DAY if k else 0
    it = sim.interactions
    contact_keys = np.sort(it["person"].astype(np.int64) * (1 << 34) + (it["ts"] - off))
    pos = it["outcome"] == positive
    pos_keys = np.sort(it["person"][pos].astype(np.int64) * (1 << 34) + (it["ts"][pos] - off))
    recent_pos = _had_event(pos_keys, person, ts - off - 14 * DAY, ts - off)
    sa = sim.sales
    buy = sa["type"] == purchase
    first_buy = np.full(w.n, np.iinfo(np.int64).max, np.int64)
    np.minimum.at(first_buy, sa["person"][buy], sa["ts"][buy].astype(np.int64))
    feats = _features(w, sim, person, ts, device, recent_pos, first_buy)
    # an earlier abandoned application of the same person: decided in time order
    logit_base = ABANDON_LOGIT["intercept"] + sum(ABANDON_LOGIT[f] * v for f, v in feats.items())
    abandoned, p_abandon = np.zeros(k, bool), np.zeros(k)
    prior = np.zeros(w.n, bool)
    u = rng.random(k)
    for i in range(k):  # sequential by design: the feature depends on earlier outcomes (k is small)
        z = logit_base[i] + ABANDON_LOGIT["abandoned_before"] * prior[person[i]]
        p_abandon[i] = 1 / (1 + np.exp(-z))
        abandoned[i] = u[i] < p_abandon[i]
        prior[person[i]] |= abandoned[i]
    feats["abandoned_before"] = np.zeros(k)  # recomputed for the truth below
    last_step = np.where(abandoned, rng.integers(1, STEPS, k), STEPS)
    nudged = abandoned & _had_event(contact_keys, person, ts - off + WINDOW, ts - off + WINDOW + NUDGE_WITHIN)
    resume_p = np.where(nudged, RESUME_P["nudged"], RESUME_P["none"])
    resumed = abandoned & (rng.random(k) < resume_p)
    resumed_at = ts + WINDOW + rng.integers(3600, RESUME_WITHIN - WINDOW, k)
    submit_at = np.where(resumed, resumed_at, ts + rng.integers(5, 50, k) * 60 + last_step * 60)
    submitted = (~abandoned | resumed) & (submit_at < end_ts)
    events = _event_rows(rng, person, ts, device, last_step, submitted, submit_at, resumed)
    truth = {"app": np.arange(k), "person": person, "ts": ts, "device": device, "p_abandon": np.round(p_abandon, 5),
             "abandoned": abandoned, "last_step": last_step, "nudged": nudged, "resume_p": resume_p,
             "resumed": resumed & submitted, "submitted": submitted, "submitted_ts": np.where(submitted, submit_at, 0),
             **{f: feats[f].astype(bool) for f in ("mobile", "evening", "seasoned", "customer",
                                                    "recent_positive_contact")}}
    return Applications(events, truth)


def _event_rows(rng: np.random.Generator, person, ts, device, last_step, submitted, submit_at, resumed
                ) -> dict[str, np.ndarray]:
    """started (with step 1), one step_completed per further step reached, submitted; a late finisher
    completes the remaining steps just before submitting."""
    k = len(person)
    apps = np.arange(k)
    cols: dict[str, list[np.ndarray]] = {c: [] for c in ("person", "app", "type", "step", "device", "ts")}

    def add(sel: np.ndarray, kind: int, step: np.ndarray | int, at: np.ndarray) -> None:
        for c, v in (("person", person[sel]), ("app", apps[sel]), ("type", np.full(sel.sum(), kind)),
                     ("step", np.broadcast_to(step, sel.shape)[sel] if np.ndim(step) else np.full(sel.sum(), step)),
                     ("device", device[sel]), ("ts", at[sel] if np.ndim(at) else np.full(sel.sum(), at))):
            cols[c].append(np.asarray(v))

    everyone = np.ones(k, bool)
    add(everyone, EVENT_STARTED, 1, ts)
    for s in range(2, STEPS + 1):
        reached = last_step >= s
        add(reached, EVENT_STEP, s, ts + (s - 1) * rng.integers(60, 600, k))
        late = resumed & submitted & (last_step < s)
        add(late, EVENT_STEP, s, submit_at - (STEPS + 1 - s) * 120)
    add(submitted, EVENT_SUBMITTED, -1, submit_at)
    return {c: np.concatenate(v) for c, v in cols.items()}
