"""Journey stages from the true event stream: the rules the ground truth is made of.

The rules only use what the raw data shows (once records are linked to the person), so a pipeline can
reproduce them. Times are event timestamps; "after" means strictly later.

- awareness: the first touch on any channel: email deliver/open/click, any web event, any webinar
  event, any wholesaler interaction, any sale.
- consideration: the first engagement after awareness: email click, web login or form_submit, webinar
  register or attend, or a wholesaler interaction with outcome positive or neutral.
- purchase: the first purchase (transaction_type purchase), from awareness or consideration.
- onboarding: 7 days after the first purchase.
- retention: the first purchase at least 60 days after the first purchase (onboarding done); and, from
  lapsed, any purchase (reactivation).
- advocacy: while in retention, the first later sale or interaction at which the person has made >= 4
  purchases in >= 3 distinct calendar months, for >= 250,000 USD in total, and had >= 1 positive
  interaction (all counted since the start).
- lapsed: from purchase, onboarding, retention or advocacy, 120 days after the last activity (any sale
  or engagement event) when nothing happened in between (and before the end of the window).
"""

from __future__ import annotations

import numpy as np

from cjo_data.generate.calendar import DAY

STAGES = ("awareness", "consideration", "purchase", "onboarding", "retention", "advocacy", "lapsed")
NONE, AWARE, CONS, PUR, ONB, RET, ADV, LAP = -1, 0, 1, 2, 3, 4, 5, 6
ONBOARDING_AFTER = 7 * DAY
RETENTION_AFTER = 60 * DAY
LAPSE_AFTER = 120 * DAY
ADVOCACY_PURCHASES = 4
ADVOCACY_MONTHS = 3
ADVOCACY_AMOUNT = 250_000.0
ADVOCACY_POSITIVE = 1
FLAG_ENGAGE, FLAG_PURCHASE, FLAG_SALE, FLAG_POSITIVE = 1, 2, 4, 8


def stage_history(n: int, touch_person: np.ndarray, touch_ts: np.ndarray, ev_person: np.ndarray,
                  ev_ts: np.ndarray, ev_flags: np.ndarray, ev_amount: np.ndarray, end_ts: int,
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Returns (person, stage, entered_at) of every stage entry, and the stage at the end per person.

    Vectorized across people: the k-th relevant event of every person is processed at once."""
    first_touch = np.full(n, np.iinfo(np.int64).max, np.int64)
    np.minimum.at(first_touch, touch_person, touch_ts)
    has = first_touch < np.iinfo(np.int64).max
    state = np.where(has, AWARE, NONE).astype(np.int8)
    entered = np.where(has, first_touch, 0)
    hp, hs, ht = [np.flatnonzero(has)], [np.full(has.sum(), AWARE, np.int8)], [first_touch[has]]

    order = np.lexsort((ev_ts, ev_person))
    p_s, t_s, f_s, a_s = ev_person[order], ev_ts[order], ev_flags[order], ev_amount[order]
    counts = np.bincount(p_s, minlength=n)
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    by_count = np.argsort(-counts, kind="stable")
    sorted_counts = counts[by_count]

    t1 = np.zeros(n, np.int64)
    last_act = np.zeros(n, np.int64)
    n_buy = np.zeros(n, np.int32)
    n_months = np.zeros(n, np.int32)
    last_month = np.full(n, -1, np.int64)
    n_pos = np.zeros(n, np.int32)
    amount = np.zeros(n)

    def enter(p: np.ndarray, stage: int, at: np.ndarray) -> None:
        if len(p):
            state[p] = stage
            entered[p] = at
            hp.append(p)
            hs.append(np.full(len(p), stage, np.int8))
            ht.append(np.asarray(at, np.int64))

    k = 0
    while len(sorted_counts) and sorted_counts[0] > k:
        m = int(np.searchsorted(-sorted_counts, -k, side="left"))  # people with more than k events
        p = by_count[:m]
        i = starts[p] + k
        t, f, a = t_s[i], f_s[i], a_s[i]
        # timers that expired before this event
        st = state[p]
        x = (st == PUR) & (t >= t1[p] + ONBOARDING_AFTER)
        enter(p[x], ONB, t1[p[x]] + ONBOARDING_AFTER)
        st = state[p]
        x = ((st == PUR) | (st == ONB) | (st == RET) | (st == ADV)) & (t > last_act[p] + LAPSE_AFTER)
        enter(p[x], LAP, last_act[p[x]] + LAPSE_AFTER)
        # counters (they include this event)
        purchase = (f & FLAG_PURCHASE) > 0
        month = _month_index(t)
        pp = p[purchase]
        n_buy[pp] += 1
        amount[pp] += a[purchase]
        newm = purchase & (month != last_month[p])
        n_months[p[newm]] += 1
        last_month[p[newm]] = month[newm]
        n_pos[p[(f & FLAG_POSITIVE) > 0]] += 1
        # one event-driven transition at most, and only strictly after the current stage began
        st = state[p]
        ok = t > entered[p]
        engage = (f & FLAG_ENGAGE) > 0
        x = ok & (st == AWARE) & engage & ~purchase
        enter(p[x], CONS, t[x])
        x = ok & ((st == AWARE) | (st == CONS)) & purchase
        t1[p[x]] = t[x]
        enter(p[x], PUR, t[x])
        x = ok & (st == ONB) & purchase & (t >= t1[p] + RETENTION_AFTER)
        enter(p[x], RET, t[x])
        x = ok & (st == LAP) & purchase
        enter(p[x], RET, t[x])
        adv = (n_buy[p] >= ADVOCACY_PURCHASES) & (n_months[p] >= ADVOCACY_MONTHS) & \
            (amount[p] >= ADVOCACY_AMOUNT) & (n_pos[p] >= ADVOCACY_POSITIVE)
        x = ok & (st == RET) & adv
        enter(p[x], ADV, t[x])
        active = engage | ((f & FLAG_SALE) > 0)
        last_act[p[active]] = np.maximum(last_act[p[active]], t[active])
        k += 1

    # timers that expire before the end of the window
    p = np.flatnonzero((state == PUR) & (t1 + ONBOARDING_AFTER < end_ts))
    enter(p, ONB, t1[p] + ONBOARDING_AFTER)
    p = np.flatnonzero(np.isin(state, (PUR, ONB, RET, ADV)) & (last_act + LAPSE_AFTER < end_ts))
    enter(p, LAP, last_act[p] + LAPSE_AFTER)
    return np.concatenate(hp), np.concatenate(hs), np.concatenate(ht), state


def _month_index(ts: np.ndarray) -> np.ndarray:
    """Calendar month number (year * 12 + month) of epoch seconds."""
    d = ts.astype("datetime64[s]").astype("datetime64[M]").astype(np.int64)
    return d
