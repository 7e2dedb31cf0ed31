"""The journey simulation: one vectorized step per day over all people.

Each person carries a small latent state (aware, engaged, customer, dormant, an interest score that
decays, a purchase boost after a good meeting). Every day, numpy draws who receives campaign emails
and opens or clicks them, who visits the website (on which cookie, how many pages, whether they log in
or fill a form), whom the territory's wholesaler meets or calls and how that goes, who registers for
and attends webinars, and who buys or redeems. The draws depend on persona, seasonality, wholesaler
skill, territory potential and the campaigns' planted effects. The output is clean, true event arrays
(with the true person on every row); dirt is added when the files are written.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from cjo_data.generate.calendar import DAY, Calendar, time_of_day
from cjo_data.generate.world import NEWCOMER, SEASONED, World

# codes: positions in the contract's enumerations
SEND, DELIVER, OPEN, CLICK, BOUNCE, UNSUB = range(6)
PAGE_VIEW, FORM_SUBMIT, LOGIN = range(3)
REGISTER, ATTEND = range(2)
MEETING, CALL, EMAIL_1TO1 = range(3)
POSITIVE, NEUTRAL, NEGATIVE, NO_ANSWER = range(4)
CH_EMAIL, CH_PHONE, CH_ADS = range(3)
OPT_IN, OPT_OUT = range(2)
PURCHASE, REDEMPTION = range(2)
UTM_SOURCES = ("", "google", "bing", "email", "linkedin", "newsletter")
UTM_NONE, UTM_GOOGLE, UTM_BING, UTM_EMAIL, UTM_LINKEDIN, UTM_NEWSLETTER = range(6)
CAMPAIGN_CHANNELS = ("email", "webinar", "paid_social", "wholesaler")
C_EMAIL, C_WEBINAR, C_SOCIAL, C_WHOLESALER = range(4)
OBJECTIVES = ("awareness", "nurture", "conversion", "retention")
O_AWARE, O_NURTURE, O_CONVERT, O_RETAIN = range(4)
EFFECT_TAIL_DAYS = 14  # the planted effect lasts from the campaign start to 14 days after its end
WEBINAR_DELAY_DAYS = 10  # the webinar takes place this many days after the invitation
# Daily multipliers by phase (0 unaware, 1 aware, 2 engaged, 3 customer; +4 dormant)
WEB_MULT = np.array([0.2, 1.0, 2.0, 2.5, 0.07, 0.2, 0.4, 0.5], np.float32)  # web visits
CONTACT_MULT = np.array([0.25, 0.5, 1.5, 1.2, 0.12, 0.25, 0.75, 0.6], np.float32)  # wholesaler contacts
BUY_MULT = np.array([0, 0, 1, 1, 0, 0, 0, 0.03], np.float32)  # purchases (dormant customers rarely buy)
REACTIVATION = 1 / 300  # daily chance that a dormant person comes back (x25 after a positive contact)
MONTHLY_WEBINAR = 10_000  # webinar ids of the newsletter's monthly webinar: MONTHLY_WEBINAR + send day


class Buf:
    """Collects column arrays per table, concatenated once at the end."""

    def __init__(self, *cols: str) -> None:
        self.cols = cols
        self.parts: dict[str, list[np.ndarray]] = {c: [] for c in cols}

    def add(self, **arrays: np.ndarray | int | float) -> None:
        sizes = [np.size(a) for a in arrays.values() if np.ndim(a) > 0]
        size = max(sizes) if sizes else 0
        if size == 0:
            return
        for c in self.cols:
            a = arrays[c]
            self.parts[c].append(np.broadcast_to(a, (size,)) if np.ndim(a) == 0 else np.asarray(a))

    def finish(self) -> dict[str, np.ndarray]:
        return {c: (np.concatenate(v) if v else np.zeros(0, np.int64)) for c, v in self.parts.items()}


@dataclass
class Campaigns:
    channel: np.ndarray
    objective: np.ndarray
    start_day: np.ndarray
    end_day: np.ndarray
    control_share: np.ndarray
    visit_lift: np.ndarray  # planted: absolute lift of the daily web-visit probability of treated members
    buy_lift: np.ndarray  # planted: absolute lift of the daily purchase probability (treated, engaged)
    members: list[np.ndarray] = field(default_factory=list)  # person ids, filled at the start day
    treated: list[np.ndarray] = field(default_factory=list)  # bool per member

    @property
    def n(self) -> int:
        return len(self.channel)


def plan_campaigns(rng: np.random.Generator, days: int) -> Campaigns:
    k = max(3, round(days / 18))
    starts = np.sort(rng.integers(2, max(3, days - 14), k))
    objective = rng.choice(4, k, p=[0.25, 0.25, 0.25, 0.25])
    # there are no customers to retain at first: early retention campaigns become awareness campaigns
    objective = np.where((objective == O_RETAIN) & (starts < days // 4), O_AWARE, objective)
    by_obj = {O_AWARE: ([C_EMAIL, C_SOCIAL], [0.6, 0.4]), O_NURTURE: ([C_WEBINAR, C_EMAIL], [0.6, 0.4]),
              O_CONVERT: ([C_EMAIL, C_WHOLESALER, C_WEBINAR], [0.45, 0.35, 0.2]),
              O_RETAIN: ([C_EMAIL, C_WHOLESALER, C_WEBINAR], [0.5, 0.3, 0.2])}
    channel = np.array([rng.choice(by_obj[o][0], p=by_obj[o][1]) for o in objective])
    end = np.minimum(starts + rng.integers(14, 36, k), days - 1)
    null_effect = rng.random(k) < 0.2  # some campaigns do nothing: the pipeline must not find an effect
    visit_lift = np.where(null_effect, 0.0, np.round(rng.uniform(0.004, 0.02, k), 4))
    buy_lift = np.where(null_effect, 0.0, np.round(rng.uniform(0.0008, 0.004, k), 4))
    return Campaigns(channel=channel, objective=objective, start_day=starts, end_day=end,
                     control_share=np.round(rng.uniform(0.10, 0.20, k), 3),
                     visit_lift=visit_lift, buy_lift=buy_lift)


@dataclass
class Simulation:
    email: dict[str, np.ndarray]
    web: dict[str, np.ndarray]
    webinar: dict[str, np.ndarray]
    interactions: dict[str, np.ndarray]
    sales: dict[str, np.ndarray]
    consent: dict[str, np.ndarray]
    members: dict[str, np.ndarray]
    deletions: dict[str, np.ndarray]
    campaigns: Campaigns
    forgotten_ts: np.ndarray  # per person, int64 max when never forgotten
    noise_visits: int


def _sparse(rng: np.random.Generator, n: int, hazard: float) -> np.ndarray:
    """People hit by a small constant daily hazard, drawn in O(hits) instead of one draw per person."""
    k = int(rng.binomial(n, hazard))
    return np.unique(rng.integers(0, n, k))


def _pick_cookie(rng: np.random.Generator, w: World, people: np.ndarray) -> np.ndarray:
    """The device a visit comes from: the main browser most of the time (85% with two cookies; 80/15/5%
    with three)."""
    u = rng.random(len(people))
    cnt = w.person_cookie_count[people]
    k = np.where(cnt == 1, 0, np.where(cnt == 2, (u > 0.85).astype(np.int64),
                                        (u > 0.80).astype(np.int64) + (u > 0.95)))
    return w.person_cookie_start[people] + k


def simulate(rng: np.random.Generator, w: World, cal: Calendar) -> Simulation:
    n, D = w.n, cal.days
    newcomer = w.persona == NEWCOMER
    seasoned = w.persona == SEASONED

    # ---- per-person propensities (fixed traits)
    # The personas are behavioural archetypes, so that segmentation has something to rediscover:
    # newcomers are digital-first (browse, open, click, register for webinars; small multi-asset
    # tickets), seasoned advisors are relationship-led (wholesaler meetings, large tickets). Each trait
    # keeps a wide spread inside the persona, so the two overlap on every single feature.
    web_base = (rng.lognormal(np.log(0.008), 0.8, n) * np.where(newcomer, 1.8, 0.75)).astype(np.float32)
    open_p = np.clip(rng.beta(2, 6, n) * np.where(newcomer, 1.4, 0.8), 0.01, 0.9)
    click_p = np.where(newcomer, 0.20, 0.08) * rng.uniform(0.5, 1.5, n)
    # chance that a session ends with a login or a form (email known); 3% of advisors never identify
    identify_p = np.where(rng.random(n) < 0.03, 0.0, rng.uniform(0.3, 0.6, n)) * w.has_email
    webinar_p = np.where(newcomer, 0.40, 0.06)  # registration given an opened invitation
    buy_base = (np.where(newcomer, 0.0025, 0.005) * rng.lognormal(0, 0.5, n)).astype(np.float32)
    repeat_base = (np.where(newcomer, 0.007, 0.014) * rng.lognormal(0, 0.5, n)).astype(np.float32)
    ticket = np.where(newcomer, 25_000.0, 120_000.0) * rng.lognormal(0, 0.5, n) * w.terr_potential[w.terr]
    churn_h = np.where(newcomer, 1 / 180, 1 / 260) * rng.lognormal(0, 0.3, n)
    churn_hmax = float(churn_h.max())
    prod_pref = np.where(newcomer[:, None], [0.15, 0.1, 0.6, 0.15], [0.35, 0.3, 0.12, 0.23])
    # wholesaler contact rate: fewer advisors per wholesaler -> more contacts each
    per_terr = np.bincount(w.terr, minlength=w.n_terr).astype(float)
    contact_base = (np.clip(6.0 / np.maximum(per_terr[w.terr], 1.0), 0.001, 0.05)
                    * np.where(seasoned, 2.2, 0.8)).astype(np.float32)

    # ---- latent state
    aware_day = np.full(n, -1, np.int32)
    engaged_day = np.full(n, -1, np.int32)
    first_buy_day = np.full(n, -1, np.int32)
    dormant = np.zeros(n, bool)
    interest = np.zeros(n, np.float32)
    boost = np.ones(n, np.float32)
    boost_until = np.full(n, -1, np.int32)
    holdings = np.zeros(n)
    email_ok = w.has_email.copy()
    visit_lift = np.zeros(n, np.float32)
    buy_lift = np.zeros(n, np.float32)
    social_campaign = np.full(n, -1, np.int32)
    ws_campaign = np.full(n, -1, np.int32)
    # B2B email in the US is opt-out: everyone with an address is mailed until they unsubscribe. 60% also
    # gave an explicit opt-in (a consent event) when their CRM record was created.
    consent_email = np.ones(n, bool)
    explicit_opt_in = rng.random(n) < 0.6
    forgotten_day = np.full(n, np.iinfo(np.int32).max, np.int32)
    fg = np.flatnonzero(rng.random(n) < 0.005)
    forgotten_day[fg] = rng.integers(D // 3, D, len(fg))

    email = Buf("person", "rec", "campaign", "type", "ts")
    web = Buf("cookie", "type", "page", "utm", "campaign", "ts")
    webinar = Buf("person", "webinar", "campaign", "type", "ts")
    inter = Buf("person", "rec", "terr", "type", "outcome", "duration", "ts")
    sales = Buf("person", "rec", "product", "type", "amount", "ts")
    consent = Buf("person", "rec", "channel", "status", "ts")
    members = Buf("person", "rec", "campaign", "treated", "ts")

    def record_for(people: np.ndarray) -> np.ndarray:
        """Which CRM record a source system uses for a person: mostly the primary, sometimes the
        duplicate (a list synced from the other record)."""
        dup = w.person_dup_rec[people]
        use_dup = (dup >= 0) & (rng.random(len(people)) < 0.3)
        return np.where(use_dup, dup, people)

    # ---- initial consent (given when the CRM record was created, before the window)
    created_ts = cal.start_ts - w.created_days.astype(np.int64) * DAY + time_of_day(rng, n)
    for ch, share in ((CH_EMAIL, None), (CH_PHONE, 0.35), (CH_ADS, 0.45)):
        who = np.flatnonzero(explicit_opt_in & w.has_email) if share is None else \
            np.flatnonzero(rng.random(n) < share)
        consent.add(person=who, rec=who, channel=ch, status=OPT_IN, ts=created_ts[who] + 60)

    camp = plan_campaigns(rng, D)
    starts_on: dict[int, list[int]] = {}
    for c in range(camp.n):
        starts_on.setdefault(int(camp.start_day[c]), []).append(c)
    lift_changes: dict[int, list[tuple[int, np.ndarray, float]]] = {}
    sends: dict[int, list[tuple[int, np.ndarray]]] = {}
    webinar_day: dict[int, list[tuple[int, int]]] = {}  # day -> [(webinar, campaign)]
    registered: dict[int, list[np.ndarray]] = {}  # webinar -> registrants
    opened_by: dict[int, list[np.ndarray]] = {}  # campaign -> who opened its first mail
    noise_visits = 0

    for d in range(D):
        t0 = int(cal.day_ts[d])
        alive = forgotten_day > d
        act = cal.activity[d]

        # ---------------------------------------------------------------- campaigns starting today
        for c in starts_on.get(d, []):
            obj = camp.objective[c]
            base = alive & email_ok & consent_email
            if obj == O_AWARE:
                pool = base & (engaged_day < 0)
            elif obj == O_NURTURE:
                pool = base & newcomer & (first_buy_day < 0)
            elif obj == O_CONVERT:
                pool = base & (engaged_day >= 0) & (first_buy_day < 0)
            else:
                pool = base & (first_buy_day >= 0)
            cand = np.flatnonzero(pool)
            m = cand[rng.random(len(cand)) < rng.uniform(0.4, 0.8)]
            treated = rng.random(len(m)) >= camp.control_share[c]
            camp.members.append(m)
            camp.treated.append(treated)
            members.add(person=m, rec=record_for(m), campaign=c, treated=treated,
                        ts=t0 - DAY + time_of_day(rng, len(m)))  # lists are built the day before
            tm = m[treated]
            eff_end = min(int(camp.end_day[c]) + EFFECT_TAIL_DAYS, D)
            lift_changes.setdefault(d, []).append((c, tm, 1.0))
            lift_changes.setdefault(eff_end, []).append((c, tm, -1.0))
            ch = camp.channel[c]
            if ch in (C_EMAIL, C_WEBINAR):
                sends.setdefault(d, []).append((c, tm))
                if d + 7 <= camp.end_day[c]:
                    sends.setdefault(d + 7, []).append((c, tm))  # reminder (skips clickers below)
            if ch == C_WEBINAR:
                wd = min(d + WEBINAR_DELAY_DAYS, D - 1)
                webinar_day.setdefault(wd, []).append((c, c))
        for c, tm, sign in lift_changes.pop(d, []):
            visit_lift[tm] += sign * camp.visit_lift[c]
            buy_lift[tm] += sign * camp.buy_lift[c]
            if camp.channel[c] == C_SOCIAL:
                social_campaign[tm] = c if sign > 0 else -1
            if camp.channel[c] == C_WHOLESALER:
                ws_campaign[tm] = c if sign > 0 else -1
        np.clip(visit_lift, 0, None, out=visit_lift)
        np.clip(buy_lift, 0, None, out=buy_lift)

        touched = np.zeros(n, bool)
        engaged_today = np.zeros(n, bool)
        positive_today = np.zeros(n, bool)

        # ---------------------------------------------------------------- emails
        batches = list(sends.pop(d, []))
        if cal.weekday[d] == 1 and cal.dom[d] <= 7:  # first Tuesday of the month
            # the newsletter: monthly for explicit opt-ins, quarterly for everyone else not opted out
            quarterly = cal.month[d] in (1, 4, 7, 10)
            batches.append((-1, np.flatnonzero(alive & email_ok & consent_email & (explicit_opt_in | quarterly))))
        for c, rcpt in batches:
            rcpt = rcpt[alive[rcpt] & email_ok[rcpt] & consent_email[rcpt]]
            if c >= 0 and d > camp.start_day[c]:  # the reminder skips those who opened the first mail
                rcpt = rcpt[~np.isin(rcpt, np.concatenate(opened_by.pop(c, [np.zeros(0, np.int64)])))]
            k = len(rcpt)
            if k == 0:
                continue
            rec = record_for(rcpt)
            ts_send = t0 + 13 * 3600 + rng.integers(0, 4 * 3600, k)
            email.add(person=rcpt, rec=rec, campaign=c, type=SEND, ts=ts_send)
            bounced = rng.random(k) < 0.012
            hard = bounced & (rng.random(k) < 0.5)
            email_ok[rcpt[hard]] = False
            email.add(person=rcpt[bounced], rec=rec[bounced], campaign=c, type=BOUNCE,
                      ts=ts_send[bounced] + rng.integers(5, 600, bounced.sum()))
            ok = ~bounced
            p, r, ts = rcpt[ok], rec[ok], ts_send[ok] + rng.integers(1, 90, ok.sum())
            email.add(person=p, rec=r, campaign=c, type=DELIVER, ts=ts)
            touched[p] = True
            po = open_p[p] * np.where(dormant[p], 0.15, 1.0) * (1 + interest[p]) * act
            opened = rng.random(len(p)) < np.clip(po, 0, 0.95)
            p, r = p[opened], r[opened]
            ts = ts[opened] + np.minimum(rng.exponential(5 * 3600, len(p)).astype(np.int64), 3 * DAY)
            email.add(person=p, rec=r, campaign=c, type=OPEN, ts=ts)
            if c >= 0:
                opened_by.setdefault(c, []).append(p)
            unsub = rng.random(len(p)) < 0.004
            if unsub.any():
                up, ur, uts = p[unsub], r[unsub], ts[unsub] + rng.integers(20, 300, unsub.sum())
                email.add(person=up, rec=ur, campaign=c, type=UNSUB, ts=uts)
                consent.add(person=up, rec=ur, channel=CH_EMAIL, status=OPT_OUT, ts=uts + 2)
                consent_email[up] = False
            clicked = (rng.random(len(p)) < click_p[p]) & ~unsub
            cp, cr, cts = p[clicked], r[clicked], ts[clicked] + rng.integers(5, 900, clicked.sum())
            email.add(person=cp, rec=cr, campaign=c, type=CLICK, ts=cts)
            engaged_today[cp] = True
            interest[cp] += 0.3
            # a click opens the website on one of the person's cookies
            _session(rng, w, web, cp, cts, UTM_EMAIL if c >= 0 else UTM_NEWSLETTER, c,
                     identify_p, first_buy_day, engaged_today, touched)
            # webinar invitations: a campaign's own webinar, or the monthly webinar the newsletter promotes
            if c >= 0 and camp.channel[c] == C_WEBINAR:
                wid, share = c, 1.0
            elif c < 0:
                wid, share = MONTHLY_WEBINAR + d, 0.2
                if d + WEBINAR_DELAY_DAYS < D:
                    webinar_day.setdefault(d + WEBINAR_DELAY_DAYS, []).append((wid, -1))
            else:
                wid = -1
            if wid >= 0:
                reg = rng.random(len(p)) < webinar_p[p] * share * (1 + interest[p])
                reg &= ~np.isin(p, np.concatenate(registered.get(wid, [np.zeros(0, np.int64)])))
                rp, rts = p[reg], ts[reg] + rng.integers(30, 1800, reg.sum())
                webinar.add(person=rp, webinar=wid, campaign=c, type=REGISTER, ts=rts)
                registered.setdefault(wid, []).append(rp)
                engaged_today[rp] = True
                interest[rp] += 0.5

        # ---------------------------------------------------------------- webinars taking place today
        for wid, c in webinar_day.pop(d, []):
            regs = np.unique(np.concatenate(registered.pop(wid, [np.zeros(0, np.int64)])))
            regs = regs[alive[regs]]
            att = regs[rng.random(len(regs)) < 0.55]
            webinar.add(person=att, webinar=wid, campaign=c, type=ATTEND,
                        ts=t0 + 16 * 3600 + rng.integers(0, 900, len(att)))
            touched[att] = True
            engaged_today[att] = True
            interest[att] += 0.5

        # ---------------------------------------------------------------- web visits
        # phase: 0 unaware, 1 aware, 2 engaged, 3 customer; +4 when dormant (lookups beat nested wheres)
        phase = ((aware_day >= 0).view(np.int8) + (engaged_day >= 0).view(np.int8)
                 + (first_buy_day >= 0).view(np.int8) + 4 * dormant.view(np.int8))
        pv = (web_base * WEB_MULT[phase] * (1 + interest) + visit_lift) * np.float32(act)
        visitors = np.flatnonzero((rng.random(n, dtype=np.float32) < pv) & alive)
        if len(visitors):
            vts = t0 + time_of_day(rng, len(visitors))
            from_social = social_campaign[visitors] >= 0
            from_social &= rng.random(len(visitors)) < 0.5
            utm = np.where(from_social, UTM_LINKEDIN,
                           rng.choice([UTM_NONE, UTM_GOOGLE, UTM_BING], len(visitors), p=[0.5, 0.4, 0.1]))
            cid = np.where(from_social, social_campaign[visitors], -1)
            _session(rng, w, web, visitors, vts, utm, cid, identify_p, first_buy_day, engaged_today, touched)
        # visitors who are not our advisors (never identified)
        n_noise = int(rng.poisson(0.004 * n * act))
        if n_noise:
            ncook = len(w.person_cookie_start) and rng.integers(
                int(w.person_cookie_start[-1] + w.person_cookie_count[-1]), len(w.cookie_person), n_noise)
            _pages(rng, web, ncook, t0 + time_of_day(rng, n_noise), UTM_GOOGLE, -1)
            noise_visits += n_noise

        # ---------------------------------------------------------------- wholesaler interactions
        if cal.workday[d]:
            # wholesalers favour engaged prospects, new customers (onboarding), seasoned advisors and the
            # members of a wholesaler campaign
            onboarding = (first_buy_day >= 0) & (d - first_buy_day <= 60)
            pc = contact_base * CONTACT_MULT[phase] * np.float32(cal.activity[d])
            pc[onboarding] *= 3.0
            pc[ws_campaign >= 0] *= 4.0
            who = np.flatnonzero((rng.random(n, dtype=np.float32) < pc) & alive)
            k = len(who)
            if k:
                itype = np.where(rng.random(k) < np.where(seasoned[who], 0.45, 0.15), MEETING,
                                 np.where(rng.random(k) < 0.72, CALL, EMAIL_1TO1))
                skill = w.ws_skill[w.terr[who]]
                u = rng.random(k)
                p_pos = np.clip(0.22 * skill * np.where((itype == MEETING) & seasoned[who], 1.4, 1.0)
                                * (1 + interest[who]) * np.where(dormant[who], 0.5, 1.0), 0, 0.85)
                outcome = np.where(u < p_pos, POSITIVE, np.where(u < p_pos + 0.1, NEGATIVE, NEUTRAL))
                outcome = np.where((itype == CALL) & (rng.random(k) < 0.35), NO_ANSWER, outcome)
                outcome = np.where((itype == EMAIL_1TO1) & (outcome == NEGATIVE), NEUTRAL, outcome)
                # dormant (churned) advisors mostly do not pick up or reply
                outcome = np.where(dormant[who] & (rng.random(k) < 0.85), NO_ANSWER, outcome)
                duration = np.where(itype == MEETING, rng.integers(20, 91, k),
                                    np.where(itype == CALL, rng.integers(2, 31, k), -1))
                duration = np.where(outcome == NO_ANSWER, 0, duration)
                its = t0 + time_of_day(rng, k)
                inter.add(person=who, rec=record_for(who), terr=w.terr[who], type=itype, outcome=outcome,
                          duration=duration, ts=its)
                touched[who] = True
                answered = who[(outcome == POSITIVE) | (outcome == NEUTRAL)]
                engaged_today[answered] = True
                pos = outcome == POSITIVE
                pw = who[pos]
                positive_today[pw] = True
                interest[pw] += 0.5
                # a good meeting by a skilled wholesaler lifts purchases for a month
                lift = 1 + np.where(itype[pos] == MEETING, 2.5, 0.8) * skill[pos]
                boost[pw] = np.maximum(np.where(boost_until[pw] >= d, boost[pw], 1.0), lift)
                boost_until[pw] = d + 30

        # ---------------------------------------------------------------- sales
        boost[boost_until < d] = 1.0
        season = np.float32(cal.sales[d])
        # prospects (engaged before today, not dormant) buy a first time; customers buy again
        prospect = phase == 2
        h = BUY_MULT[phase] * np.where(phase >= 3, repeat_base, buy_base * (1 + interest)) * boost * season
        h[prospect] += buy_lift[prospect]
        cust = phase % 4 == 3
        h[cust] += buy_lift[cust]
        buyers = np.flatnonzero((rng.random(n, dtype=np.float32) < h) & alive)
        k = len(buyers)
        if k:
            amount = np.round(ticket[buyers] * rng.lognormal(0, 0.6, k), 2)
            cls = (rng.random(k)[:, None] < np.cumsum(prod_pref[buyers], axis=1)).argmax(axis=1)
            product = cls * 3 + rng.integers(0, 3, k)
            sts = t0 + time_of_day(rng, k)
            sales.add(person=buyers, rec=record_for(buyers), product=product, type=PURCHASE, amount=amount,
                      ts=sts)
            holdings[buyers] += amount
            first = buyers[first_buy_day[buyers] < 0]
            first_buy_day[first] = d
            touched[buyers] = True
        # redemptions: occasional rebalancing; churned advisors pull money out in bigger chunks
        red = _sparse(rng, n, 0.002 * cal.activity[d])
        red = red[(holdings[red] > 1000) & alive[red]]
        if len(red):
            amt = np.round(holdings[red] * np.where(dormant[red], rng.uniform(0.4, 1.0, len(red)),
                                                    rng.uniform(0.05, 0.4, len(red))), 2)
            holdings[red] -= amt
            sales.add(person=red, rec=record_for(red), product=rng.integers(0, 12, len(red)),
                      type=REDEMPTION, amount=amt, ts=t0 + time_of_day(rng, len(red)))

        # ---------------------------------------------------------------- consent changes
        for ch, haz in ((CH_PHONE, 0.0002), (CH_ADS, 0.0003)):
            who = _sparse(rng, n, haz)
            who = who[alive[who]]
            status = np.where(rng.random(len(who)) < 0.7, OPT_OUT, OPT_IN)
            consent.add(person=who, rec=record_for(who), channel=ch, status=status,
                        ts=t0 + time_of_day(rng, len(who)))
        back = np.flatnonzero(engaged_today)
        back = back[~consent_email[back] & email_ok[back] & alive[back] & (rng.random(len(back)) < 0.15)]
        consent.add(person=back, rec=record_for(back), channel=CH_EMAIL, status=OPT_IN,
                    ts=t0 + time_of_day(rng, len(back)))
        consent_email[back] = True

        # ---------------------------------------------------------------- state updates
        newly_aware = touched & (aware_day < 0)
        aware_day[newly_aware] = d
        became = engaged_today & (engaged_day < 0) & (aware_day >= 0) & (aware_day < d)
        engaged_day[became] = d
        # churn: customers (and, a little less, engaged prospects) go dormant; dormant people come back
        # slowly, much faster after a good wholesaler contact
        cand = _sparse(rng, n, churn_hmax)
        f = np.where((first_buy_day[cand] >= 0) & (first_buy_day[cand] < d), 1.0,
                     np.where(engaged_day[cand] >= 0, 0.7, 0.0))
        churn = cand[(rng.random(len(cand)) * churn_hmax < churn_h[cand] * f) & ~dormant[cand]]
        react = _sparse(rng, n, REACTIVATION)
        pos = np.flatnonzero(positive_today)
        react = np.concatenate([react, pos[rng.random(len(pos)) < 25 * REACTIVATION]])
        react = react[dormant[react]]
        dormant[churn] = True
        dormant[react] = False
        interest *= 0.97

    deletions = {"person": fg, "ts": cal.day_ts[np.minimum(forgotten_day[fg], D - 1)] + time_of_day(rng, len(fg))}
    forgotten_ts = np.full(n, np.iinfo(np.int64).max, np.int64)
    forgotten_ts[fg] = deletions["ts"]
    return Simulation(
        email=email.finish(), web=web.finish(), webinar=webinar.finish(), interactions=inter.finish(),
        sales=sales.finish(), consent=consent.finish(), members=members.finish(), deletions=deletions,
        campaigns=camp, forgotten_ts=forgotten_ts, noise_visits=noise_visits,
    )


def _pages(rng: np.random.Generator, web: Buf, cookies: np.ndarray, ts: np.ndarray,
           utm: np.ndarray | int, campaign: np.ndarray | int) -> tuple[np.ndarray, np.ndarray]:
    """Page views of one session per cookie; returns (session index per page, page timestamps)."""
    k = len(cookies)
    npages = 1 + rng.geometric(0.45, k) - 1
    npages = np.minimum(npages, 12)
    sess = np.repeat(np.arange(k), npages)
    first = np.r_[0, np.cumsum(npages)[:-1]]
    gaps = rng.integers(8, 240, len(sess))
    gaps[first] = 0
    cum = np.cumsum(gaps)
    offs = cum - np.repeat(cum[first], npages)
    pts = np.repeat(ts, npages) + offs
    page = rng.integers(0, 17, len(sess))
    page[first] = np.where(rng.random(k) < 0.4, 0, page[first])
    u = np.broadcast_to(utm, (k,))[sess] if np.ndim(utm) else utm
    # only the landing page view carries the UTM parameters
    u = np.where(np.isin(np.arange(len(sess)), first), u, UTM_NONE)
    cam = np.broadcast_to(campaign, (k,))[sess] if np.ndim(campaign) else np.full(len(sess), campaign)
    cam = np.where(np.isin(np.arange(len(sess)), first), cam, -1)
    web.add(cookie=np.asarray(cookies)[sess], type=PAGE_VIEW, page=page, utm=u, campaign=cam, ts=pts)
    return sess, pts


def _session(rng: np.random.Generator, w: World, web: Buf, people: np.ndarray, ts: np.ndarray,
             utm: np.ndarray | int, campaign: np.ndarray | int, identify_p: np.ndarray,
             first_buy_day: np.ndarray, engaged_today: np.ndarray, touched: np.ndarray) -> None:
    if len(people) == 0:
        return
    cookies = _pick_cookie(rng, w, people)
    sess, pts = _pages(rng, web, cookies, ts, utm, campaign)
    touched[people] = True
    ident = rng.random(len(people)) < identify_p[people]
    if ident.any():
        idx = np.flatnonzero(ident)
        # the login / form submit happens right after the session's last page view
        last_ts = np.zeros(len(people), np.int64)
        np.maximum.at(last_ts, sess, pts)
        etype = np.where((first_buy_day[people[idx]] >= 0) | (rng.random(len(idx)) < 0.3), LOGIN, FORM_SUBMIT)
        web.add(cookie=cookies[idx], type=etype, page=np.where(etype == LOGIN, 13, 14), utm=UTM_NONE,
                campaign=-1, ts=last_ts[idx] + rng.integers(5, 60, len(idx)))
        engaged_today[people[idx]] = True
