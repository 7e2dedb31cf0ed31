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
# Who a campaign moves (the planted heterogeneous purchase effect): a treated member's daily purchase lift
# is the campaign's buy_lift x the channel's factor for their persona, so an uplift model has something
# to find that a propensity model does not. Digital campaigns (email, webinar, paid social) move the
# digital-first newcomers and barely move seasoned advisors; wholesaler campaigns are the reverse (a
# seasoned advisor answers to a meeting). Rows: CAMPAIGN_CHANNELS; columns: world.persona (NEWCOMER,
# SEASONED). Written to the ground truth (campaign_member_effects.csv); 1.0 everywhere would make the
# effect the same for everyone (no uplift model could beat random).
PURCHASE_LIFT_BY_PERSONA = np.zeros((len(CAMPAIGN_CHANNELS), 2), np.float32)
PURCHASE_LIFT_BY_PERSONA[:, NEWCOMER] = (2.0, 2.0, 2.0, 0.5)
PURCHASE_LIFT_BY_PERSONA[:, SEASONED] = (0.3, 0.3, 0.3, 1.8)
WEBINAR_DELAY_DAYS = 10  # the webinar takes place this many days after the invitation
# Daily multipliers by phase (0 unaware, 1 aware, 2 engaged, 3 customer; +4 dormant)
WEB_MULT = np.array([0.2, 1.0, 2.0, 2.5, 0.07, 0.2, 0.4, 0.5], np.float32)  # web visits
CONTACT_MULT = np.array([0.25, 0.5, 1.5, 1.2, 0.12, 0.25, 0.75, 0.6], np.float32)  # wholesaler contacts
BUY_MULT = np.array([0, 0, 1, 1, 0, 0, 0, 0.03], np.float32)  # purchases (dormant customers rarely buy)
# How purchase frequency follows territory potential (sales ~ potential ** this; tickets ~ potential):
# 0 would leave purchase counts blind to the territory, so counting sales per advisor would rank the
# wholesalers' skill without any need to separate it from the territory (issue 14).
TERRITORY_FREQUENCY_ELASTICITY = 1.0
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
    buy_lift: np.ndarray  # planted: the campaign's daily purchase lift (treated, engaged), before the
    # member's persona factor (PURCHASE_LIFT_BY_PERSONA)
    members: list[np.ndarray] = field(default_factory=list)  # person ids, filled at the start day
    treated: list[np.ndarray] = field(default_factory=list)  # bool per member
    member_buy_lift: list[np.ndarray] = field(default_factory=list)  # per member: the planted daily lift

    def purchase_lift(self, c: int, persona: np.ndarray) -> np.ndarray:
        """The daily purchase lift campaign ``c`` plants in treated members of these personas."""
        return (self.buy_lift[c] * PURCHASE_LIFT_BY_PERSONA[self.channel[c]][persona]).astype(np.float32)

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


@dataclass
class Traits:
    """Fixed per-person propensities.

    The personas are behavioural archetypes, so that segmentation has something to rediscover:
    newcomers are digital-first (browse, open, click, register for webinars; small multi-asset
    tickets), seasoned advisors are relationship-led (wholesaler meetings, large tickets). Each trait
    keeps a wide spread inside the persona, so the two overlap on every single feature."""

    newcomer: np.ndarray
    seasoned: np.ndarray
    web_base: np.ndarray
    open_p: np.ndarray
    click_p: np.ndarray
    identify_p: np.ndarray  # a session ends with a login or a form (email known)
    webinar_p: np.ndarray  # registration given an opened invitation
    buy_base: np.ndarray
    repeat_base: np.ndarray
    ticket: np.ndarray
    churn_h: np.ndarray
    churn_hmax: float
    prod_pref: np.ndarray
    contact_base: np.ndarray  # wholesaler contact rate


def draw_traits(rng: np.random.Generator, w: World) -> Traits:
    n = w.n
    newcomer = w.persona == NEWCOMER
    seasoned = w.persona == SEASONED
    web_base = (rng.lognormal(np.log(0.008), 0.8, n) * np.where(newcomer, 1.8, 0.75)).astype(np.float32)
    open_p = np.clip(rng.beta(2, 6, n) * np.where(newcomer, 1.4, 0.8), 0.01, 0.9)
    click_p = np.where(newcomer, 0.20, 0.08) * rng.uniform(0.5, 1.5, n)
    # 3% of advisors never identify
    identify_p = np.where(rng.random(n) < 0.03, 0.0, rng.uniform(0.3, 0.6, n)) * w.has_email
    webinar_p = np.where(newcomer, 0.40, 0.06)
    # territory potential scales how often its advisors buy (elasticity TERRITORY_FREQUENCY_ELASTICITY) as
    # well as how much (ticket): raw sales per advisor then mix the wholesaler's skill with the territory
    frequency = w.terr_potential[w.terr] ** TERRITORY_FREQUENCY_ELASTICITY
    buy_base = (np.where(newcomer, 0.0025, 0.005) * rng.lognormal(0, 0.5, n) * frequency).astype(np.float32)
    repeat_base = (np.where(newcomer, 0.007, 0.014) * rng.lognormal(0, 0.5, n) * frequency).astype(np.float32)
    ticket = np.where(newcomer, 25_000.0, 120_000.0) * rng.lognormal(0, 0.5, n) * w.terr_potential[w.terr]
    churn_h = np.where(newcomer, 1 / 180, 1 / 260) * rng.lognormal(0, 0.3, n)
    prod_pref = np.where(newcomer[:, None], [0.15, 0.1, 0.6, 0.15], [0.35, 0.3, 0.12, 0.23])
    # fewer advisors per wholesaler -> more contacts each
    per_terr = np.bincount(w.terr, minlength=w.n_terr).astype(float)
    contact_base = (np.clip(6.0 / np.maximum(per_terr[w.terr], 1.0), 0.001, 0.05)
                    * np.where(seasoned, 2.2, 0.8)).astype(np.float32)
    return Traits(newcomer=newcomer, seasoned=seasoned, web_base=web_base, open_p=open_p, click_p=click_p,
                  identify_p=identify_p, webinar_p=webinar_p, buy_base=buy_base, repeat_base=repeat_base,
                  ticket=ticket, churn_h=churn_h, churn_hmax=float(churn_h.max()), prod_pref=prod_pref,
                  contact_base=contact_base)


@dataclass
class State:
    """The latent state of every person, updated day by day."""

    aware_day: np.ndarray
    engaged_day: np.ndarray
    first_buy_day: np.ndarray
    dormant: np.ndarray
    interest: np.ndarray  # decays 3% a day
    boost: np.ndarray  # purchase multiplier after a good wholesaler contact ...
    boost_until: np.ndarray  # ... until this day
    holdings: np.ndarray
    email_ok: np.ndarray  # no hard bounce yet
    visit_lift: np.ndarray  # planted campaign effects currently active
    buy_lift: np.ndarray
    social_campaign: np.ndarray  # the paid-social campaign a person is in, or -1
    ws_campaign: np.ndarray  # the wholesaler campaign a person is in, or -1
    consent_email: np.ndarray
    explicit_opt_in: np.ndarray
    forgotten_day: np.ndarray  # the day a deletion request arrives (int32 max: never)
    forgotten: np.ndarray  # who asks to be forgotten

    def phase(self) -> np.ndarray:
        """0 unaware, 1 aware, 2 engaged, 3 customer; +4 when dormant (lookups beat nested wheres)."""
        return ((self.aware_day >= 0).view(np.int8) + (self.engaged_day >= 0).view(np.int8)
                + (self.first_buy_day >= 0).view(np.int8) + 4 * self.dormant.view(np.int8))


def initial_state(rng: np.random.Generator, w: World, days: int) -> State:
    n = w.n
    # B2B email in the US is opt-out: everyone with an address is mailed until they unsubscribe. 60% also
    # gave an explicit opt-in (a consent event) when their CRM record was created.
    explicit_opt_in = rng.random(n) < 0.6
    forgotten_day = np.full(n, np.iinfo(np.int32).max, np.int32)
    fg = np.flatnonzero(rng.random(n) < 0.005)
    forgotten_day[fg] = rng.integers(days // 3, days, len(fg))
    return State(
        aware_day=np.full(n, -1, np.int32), engaged_day=np.full(n, -1, np.int32),
        first_buy_day=np.full(n, -1, np.int32), dormant=np.zeros(n, bool), interest=np.zeros(n, np.float32),
        boost=np.ones(n, np.float32), boost_until=np.full(n, -1, np.int32), holdings=np.zeros(n),
        email_ok=w.has_email.copy(), visit_lift=np.zeros(n, np.float32), buy_lift=np.zeros(n, np.float32),
        social_campaign=np.full(n, -1, np.int32), ws_campaign=np.full(n, -1, np.int32),
        consent_email=np.ones(n, bool), explicit_opt_in=explicit_opt_in, forgotten_day=forgotten_day,
        forgotten=fg,
    )


@dataclass
class Events:
    """The true event columns of every table, as they are drawn."""

    email: Buf = field(default_factory=lambda: Buf("person", "rec", "campaign", "type", "ts"))
    web: Buf = field(default_factory=lambda: Buf("cookie", "type", "page", "utm", "campaign", "ts"))
    webinar: Buf = field(default_factory=lambda: Buf("person", "webinar", "campaign", "type", "ts"))
    inter: Buf = field(default_factory=lambda: Buf("person", "rec", "ws", "type", "outcome", "duration", "ts"))
    sales: Buf = field(default_factory=lambda: Buf("person", "rec", "product", "type", "amount", "ts"))
    consent: Buf = field(default_factory=lambda: Buf("person", "rec", "channel", "status", "ts"))
    members: Buf = field(default_factory=lambda: Buf("person", "rec", "campaign", "treated", "ts"))
    noise_visits: int = 0


@dataclass
class Agenda:
    """What is planned for later days: lift changes, sends, webinars and who registered or opened."""

    starts_on: dict[int, list[int]] = field(default_factory=dict)
    lift_changes: dict[int, list[tuple[int, np.ndarray, np.ndarray, float]]] = field(default_factory=dict)
    sends: dict[int, list[tuple[int, np.ndarray]]] = field(default_factory=dict)
    webinar_day: dict[int, list[tuple[int, int]]] = field(default_factory=dict)  # day -> [(webinar, campaign)]
    registered: dict[int, list[np.ndarray]] = field(default_factory=dict)  # webinar -> registrants
    opened_by: dict[int, list[np.ndarray]] = field(default_factory=dict)  # campaign -> opened the first mail


@dataclass
class Day:
    """One simulated day: its index, start timestamp, activity level, and who did what today."""

    d: int
    t0: int
    act: float
    alive: np.ndarray
    phase: np.ndarray | None = None
    touched: np.ndarray | None = None
    engaged_today: np.ndarray | None = None
    positive_today: np.ndarray | None = None


_EMPTY = np.zeros(0, np.int64)


class _Journey:
    """The daily step, split into named phases that run in a fixed order (the random draws, and so the
    generated files, depend on that order)."""

    def __init__(self, rng: np.random.Generator, w: World, cal: Calendar):
        self.rng, self.w, self.cal, self.n, self.D = rng, w, cal, w.n, cal.days
        self.all_people = np.arange(w.n)
        self.tr = draw_traits(rng, w)
        self.st = initial_state(rng, w, cal.days)
        self.ev = Events()
        self._initial_consent()
        self.camp = plan_campaigns(rng, cal.days)
        self.agenda = Agenda()
        for c in range(self.camp.n):
            self.agenda.starts_on.setdefault(int(self.camp.start_day[c]), []).append(c)

    def record_for(self, people: np.ndarray) -> np.ndarray:
        """Which CRM record a source system uses for a person: mostly the primary, sometimes the
        duplicate (a list synced from the other record)."""
        dup = self.w.person_dup_rec[people]
        use_dup = (dup >= 0) & (self.rng.random(len(people)) < 0.3)
        return np.where(use_dup, dup, people)

    def _initial_consent(self) -> None:
        """Consent given when the CRM record was created, before the window."""
        rng, w, n = self.rng, self.w, self.n
        created_ts = self.cal.start_ts - w.created_days.astype(np.int64) * DAY + time_of_day(rng, n)
        for ch, share in ((CH_EMAIL, None), (CH_PHONE, 0.35), (CH_ADS, 0.45)):
            who = np.flatnonzero(self.st.explicit_opt_in & w.has_email) if share is None else \
                np.flatnonzero(rng.random(n) < share)
            self.ev.consent.add(person=who, rec=who, channel=ch, status=OPT_IN, ts=created_ts[who] + 60)

    def run(self) -> Simulation:
        for d in range(self.D):
            day = Day(d=d, t0=int(self.cal.day_ts[d]), act=self.cal.activity[d], alive=self.st.forgotten_day > d)
            self.start_campaigns(day)
            self.apply_lift_changes(day)
            day.touched = np.zeros(self.n, bool)
            day.engaged_today = np.zeros(self.n, bool)
            day.positive_today = np.zeros(self.n, bool)
            self.send_emails(day)
            self.hold_webinars(day)
            day.phase = self.st.phase()
            self.web_visits(day)
            if self.cal.workday[d]:
                self.wholesaler_contacts(day)
            self.sales(day)
            self.consent_changes(day)
            self.update_state(day)
        return self.result()

    # ------------------------------------------------------------------ campaigns
    def start_campaigns(self, day: Day) -> None:
        rng, st, camp, agenda, d = self.rng, self.st, self.camp, self.agenda, day.d
        for c in agenda.starts_on.get(d, []):
            obj = camp.objective[c]
            base = day.alive & st.email_ok & st.consent_email
            if obj == O_AWARE:
                pool = base & (st.engaged_day < 0)
            elif obj == O_NURTURE:
                pool = base & self.tr.newcomer & (st.first_buy_day < 0)
            elif obj == O_CONVERT:
                pool = base & (st.engaged_day >= 0) & (st.first_buy_day < 0)
            else:
                pool = base & (st.first_buy_day >= 0)
            cand = np.flatnonzero(pool)
            m = cand[rng.random(len(cand)) < rng.uniform(0.4, 0.8)]
            treated = rng.random(len(m)) >= camp.control_share[c]
            camp.members.append(m)
            camp.treated.append(treated)
            camp.member_buy_lift.append(camp.purchase_lift(c, self.w.persona[m]))
            self.ev.members.add(person=m, rec=self.record_for(m), campaign=c, treated=treated,
                                ts=day.t0 - DAY + time_of_day(rng, len(m)))  # lists are built the day before
            tm = m[treated]
            eff_end = min(int(camp.end_day[c]) + EFFECT_TAIL_DAYS, self.D)
            lift = camp.member_buy_lift[-1][treated]
            agenda.lift_changes.setdefault(d, []).append((c, tm, lift, 1.0))
            agenda.lift_changes.setdefault(eff_end, []).append((c, tm, lift, -1.0))
            ch = camp.channel[c]
            if ch in (C_EMAIL, C_WEBINAR):
                agenda.sends.setdefault(d, []).append((c, tm))
                if d + 7 <= camp.end_day[c]:
                    agenda.sends.setdefault(d + 7, []).append((c, tm))  # reminder (skips clickers below)
            if ch == C_WEBINAR:
                wd = min(d + WEBINAR_DELAY_DAYS, self.D - 1)
                agenda.webinar_day.setdefault(wd, []).append((c, c))

    def apply_lift_changes(self, day: Day) -> None:
        st, camp = self.st, self.camp
        for c, tm, lift, sign in self.agenda.lift_changes.pop(day.d, []):
            st.visit_lift[tm] += sign * camp.visit_lift[c]
            st.buy_lift[tm] += sign * lift
            if camp.channel[c] == C_SOCIAL:
                st.social_campaign[tm] = c if sign > 0 else -1
            if camp.channel[c] == C_WHOLESALER:
                st.ws_campaign[tm] = c if sign > 0 else -1
        np.clip(st.visit_lift, 0, None, out=st.visit_lift)
        np.clip(st.buy_lift, 0, None, out=st.buy_lift)

    # ------------------------------------------------------------------ emails and webinars
    def send_emails(self, day: Day) -> None:
        st, cal, d = self.st, self.cal, day.d
        batches = list(self.agenda.sends.pop(d, []))
        if cal.weekday[d] == 1 and cal.dom[d] <= 7:  # first Tuesday of the month
            # the newsletter: monthly for explicit opt-ins, quarterly for everyone else not opted out
            quarterly = cal.month[d] in (1, 4, 7, 10)
            batches.append((-1, np.flatnonzero(day.alive & st.email_ok & st.consent_email
                                               & (st.explicit_opt_in | quarterly))))
        for c, rcpt in batches:
            rcpt = rcpt[day.alive[rcpt] & st.email_ok[rcpt] & st.consent_email[rcpt]]
            if c >= 0 and d > self.camp.start_day[c]:  # the reminder skips those who opened the first mail
                rcpt = rcpt[~np.isin(rcpt, np.concatenate(self.agenda.opened_by.pop(c, [_EMPTY])))]
            if len(rcpt):
                self._send_one(day, c, rcpt)

    def _send_one(self, day: Day, c: int, rcpt: np.ndarray) -> None:
        """One mailing (campaign `c`, or the newsletter when c < 0): send, bounce, deliver, open,
        unsubscribe, click; a click starts a web session and an invitation may bring a registration."""
        rng, st, tr, ev = self.rng, self.st, self.tr, self.ev
        k = len(rcpt)
        rec = self.record_for(rcpt)
        ts_send = day.t0 + 13 * 3600 + rng.integers(0, 4 * 3600, k)
        ev.email.add(person=rcpt, rec=rec, campaign=c, type=SEND, ts=ts_send)
        bounced = rng.random(k) < 0.012
        hard = bounced & (rng.random(k) < 0.5)
        st.email_ok[rcpt[hard]] = False
        ev.email.add(person=rcpt[bounced], rec=rec[bounced], campaign=c, type=BOUNCE,
                     ts=ts_send[bounced] + rng.integers(5, 600, bounced.sum()))
        ok = ~bounced
        p, r, ts = rcpt[ok], rec[ok], ts_send[ok] + rng.integers(1, 90, ok.sum())
        ev.email.add(person=p, rec=r, campaign=c, type=DELIVER, ts=ts)
        day.touched[p] = True
        po = tr.open_p[p] * np.where(st.dormant[p], 0.15, 1.0) * (1 + st.interest[p]) * day.act
        opened = rng.random(len(p)) < np.clip(po, 0, 0.95)
        p, r = p[opened], r[opened]
        ts = ts[opened] + np.minimum(rng.exponential(5 * 3600, len(p)).astype(np.int64), 3 * DAY)
        ev.email.add(person=p, rec=r, campaign=c, type=OPEN, ts=ts)
        if c >= 0:
            self.agenda.opened_by.setdefault(c, []).append(p)
        unsub = rng.random(len(p)) < 0.004
        if unsub.any():
            up, ur, uts = p[unsub], r[unsub], ts[unsub] + rng.integers(20, 300, unsub.sum())
            ev.email.add(person=up, rec=ur, campaign=c, type=UNSUB, ts=uts)
            ev.consent.add(person=up, rec=ur, channel=CH_EMAIL, status=OPT_OUT, ts=uts + 2)
            st.consent_email[up] = False
        clicked = (rng.random(len(p)) < tr.click_p[p]) & ~unsub
        cp, cr, cts = p[clicked], r[clicked], ts[clicked] + rng.integers(5, 900, clicked.sum())
        ev.email.add(person=cp, rec=cr, campaign=c, type=CLICK, ts=cts)
        day.engaged_today[cp] = True
        st.interest[cp] += 0.3
        # a click opens the website on one of the person's cookies
        _session(rng, self.w, ev.web, cp, cts, UTM_EMAIL if c >= 0 else UTM_NEWSLETTER, c,
                 tr.identify_p, st.first_buy_day, day.engaged_today, day.touched)
        self._invite(day, c, p, ts)

    def _invite(self, day: Day, c: int, opened: np.ndarray, ts: np.ndarray) -> None:
        """Webinar invitations: a campaign's own webinar, or the monthly webinar the newsletter promotes."""
        rng, st, agenda, d = self.rng, self.st, self.agenda, day.d
        if c >= 0 and self.camp.channel[c] == C_WEBINAR:
            wid, share = c, 1.0
        elif c < 0:
            wid, share = MONTHLY_WEBINAR + d, 0.2
            if d + WEBINAR_DELAY_DAYS < self.D:
                agenda.webinar_day.setdefault(d + WEBINAR_DELAY_DAYS, []).append((wid, -1))
        else:
            return
        p = opened
        reg = rng.random(len(p)) < self.tr.webinar_p[p] * share * (1 + st.interest[p])
        reg &= ~np.isin(p, np.concatenate(agenda.registered.get(wid, [_EMPTY])))
        rp, rts = p[reg], ts[reg] + rng.integers(30, 1800, reg.sum())
        self.ev.webinar.add(person=rp, webinar=wid, campaign=c, type=REGISTER, ts=rts)
        agenda.registered.setdefault(wid, []).append(rp)
        day.engaged_today[rp] = True
        st.interest[rp] += 0.5

    def hold_webinars(self, day: Day) -> None:
        rng = self.rng
        for wid, c in self.agenda.webinar_day.pop(day.d, []):
            regs = np.unique(np.concatenate(self.agenda.registered.pop(wid, [_EMPTY])))
            regs = regs[day.alive[regs]]
            att = regs[rng.random(len(regs)) < 0.55]
            self.ev.webinar.add(person=att, webinar=wid, campaign=c, type=ATTEND,
                                ts=day.t0 + 16 * 3600 + rng.integers(0, 900, len(att)))
            day.touched[att] = True
            day.engaged_today[att] = True
            self.st.interest[att] += 0.5

    # ------------------------------------------------------------------ web
    def web_visits(self, day: Day) -> None:
        rng, w, st, tr, n = self.rng, self.w, self.st, self.tr, self.n
        pv = (tr.web_base * WEB_MULT[day.phase] * (1 + st.interest) + st.visit_lift) * np.float32(day.act)
        visitors = np.flatnonzero((rng.random(n, dtype=np.float32) < pv) & day.alive)
        if len(visitors):
            vts = day.t0 + time_of_day(rng, len(visitors))
            from_social = st.social_campaign[visitors] >= 0
            from_social &= rng.random(len(visitors)) < 0.5
            utm = np.where(from_social, UTM_LINKEDIN,
                           rng.choice([UTM_NONE, UTM_GOOGLE, UTM_BING], len(visitors), p=[0.5, 0.4, 0.1]))
            cid = np.where(from_social, st.social_campaign[visitors], -1)
            _session(rng, w, self.ev.web, visitors, vts, utm, cid, tr.identify_p, st.first_buy_day,
                     day.engaged_today, day.touched)
        # visitors who are not our advisors (never identified)
        n_noise = int(rng.poisson(0.004 * n * day.act))
        if n_noise:
            ncook = len(w.person_cookie_start) and rng.integers(
                int(w.person_cookie_start[-1] + w.person_cookie_count[-1]), len(w.cookie_person), n_noise)
            _pages(rng, self.ev.web, ncook, day.t0 + time_of_day(rng, n_noise), UTM_GOOGLE, -1)
            self.ev.noise_visits += n_noise

    # ------------------------------------------------------------------ wholesalers
    def wholesaler_contacts(self, day: Day) -> None:
        """Wholesalers favour engaged prospects, new customers (onboarding), seasoned advisors and the
        members of a wholesaler campaign."""
        rng, w, st, tr, d = self.rng, self.w, self.st, self.tr, day.d
        onboarding = (st.first_buy_day >= 0) & (d - st.first_buy_day <= 60)
        pc = tr.contact_base * CONTACT_MULT[day.phase] * np.float32(self.cal.activity[d])
        # a skilled wholesaler also gets more meetings and calls with the advisors they cover
        pc *= w.ws_skill[w.coverage.wholesaler_on(self.all_people, d, self.D)].astype(np.float32)
        pc[onboarding] *= 3.0
        pc[st.ws_campaign >= 0] *= 4.0
        who = np.flatnonzero((rng.random(self.n, dtype=np.float32) < pc) & day.alive)
        k = len(who)
        if not k:
            return
        seasoned, dormant = tr.seasoned[who], st.dormant[who]
        itype = np.where(rng.random(k) < np.where(seasoned, 0.45, 0.15), MEETING,
                         np.where(rng.random(k) < 0.72, CALL, EMAIL_1TO1))
        ws = w.coverage.wholesaler_on(who, d, self.D)
        skill = w.ws_skill[ws]
        u = rng.random(k)
        p_pos = np.clip(0.22 * skill * np.where((itype == MEETING) & seasoned, 1.4, 1.0)
                        * (1 + st.interest[who]) * np.where(dormant, 0.5, 1.0), 0, 0.85)
        outcome = np.where(u < p_pos, POSITIVE, np.where(u < p_pos + 0.1, NEGATIVE, NEUTRAL))
        outcome = np.where((itype == CALL) & (rng.random(k) < 0.35), NO_ANSWER, outcome)
        outcome = np.where((itype == EMAIL_1TO1) & (outcome == NEGATIVE), NEUTRAL, outcome)
        # dormant (churned) advisors mostly do not pick up or reply
        outcome = np.where(dormant & (rng.random(k) < 0.85), NO_ANSWER, outcome)
        duration = np.where(itype == MEETING, rng.integers(20, 91, k),
                            np.where(itype == CALL, rng.integers(2, 31, k), -1))
        duration = np.where(outcome == NO_ANSWER, 0, duration)
        its = day.t0 + time_of_day(rng, k)
        self.ev.inter.add(person=who, rec=self.record_for(who), ws=ws, type=itype, outcome=outcome,
                          duration=duration, ts=its)
        day.touched[who] = True
        day.engaged_today[who[(outcome == POSITIVE) | (outcome == NEUTRAL)]] = True
        pos = outcome == POSITIVE
        pw = who[pos]
        day.positive_today[pw] = True
        st.interest[pw] += 0.5
        # a good meeting by a skilled wholesaler lifts purchases for a month
        lift = 1 + np.where(itype[pos] == MEETING, 2.5, 0.8) * skill[pos]
        st.boost[pw] = np.maximum(np.where(st.boost_until[pw] >= d, st.boost[pw], 1.0), lift)
        st.boost_until[pw] = d + 30

    # ------------------------------------------------------------------ sales
    def sales(self, day: Day) -> None:
        rng, st, tr, d, phase = self.rng, self.st, self.tr, day.d, day.phase
        st.boost[st.boost_until < d] = 1.0
        season = np.float32(self.cal.sales[d])
        # prospects (engaged before today, not dormant) buy a first time; customers buy again
        prospect = phase == 2
        h = BUY_MULT[phase] * np.where(phase >= 3, tr.repeat_base, tr.buy_base * (1 + st.interest)) \
            * st.boost * season
        # the covering wholesaler's skill also scales how much its advisors buy (service, follow-up)
        h *= self.w.ws_skill[self.w.coverage.wholesaler_on(self.all_people, d, self.D)].astype(np.float32)
        h[prospect] += st.buy_lift[prospect]
        cust = phase % 4 == 3
        h[cust] += st.buy_lift[cust]
        buyers = np.flatnonzero((rng.random(self.n, dtype=np.float32) < h) & day.alive)
        k = len(buyers)
        if k:
            amount = np.round(tr.ticket[buyers] * rng.lognormal(0, 0.6, k), 2)
            cls = (rng.random(k)[:, None] < np.cumsum(tr.prod_pref[buyers], axis=1)).argmax(axis=1)
            product = cls * 3 + rng.integers(0, 3, k)
            sts = day.t0 + time_of_day(rng, k)
            self.ev.sales.add(person=buyers, rec=self.record_for(buyers), product=product, type=PURCHASE,
                              amount=amount, ts=sts)
            st.holdings[buyers] += amount
            first = buyers[st.first_buy_day[buyers] < 0]
            st.first_buy_day[first] = d
            day.touched[buyers] = True
        self._redemptions(day)

    def _redemptions(self, day: Day) -> None:
        """Occasional rebalancing; churned advisors pull money out in bigger chunks."""
        rng, st = self.rng, self.st
        red = _sparse(rng, self.n, 0.002 * self.cal.activity[day.d])
        red = red[(st.holdings[red] > 1000) & day.alive[red]]
        if len(red):
            amt = np.round(st.holdings[red] * np.where(st.dormant[red], rng.uniform(0.4, 1.0, len(red)),
                                                       rng.uniform(0.05, 0.4, len(red))), 2)
            st.holdings[red] -= amt
            self.ev.sales.add(person=red, rec=self.record_for(red), product=rng.integers(0, 12, len(red)),
                              type=REDEMPTION, amount=amt, ts=day.t0 + time_of_day(rng, len(red)))

    # ------------------------------------------------------------------ consent and state
    def consent_changes(self, day: Day) -> None:
        rng, st = self.rng, self.st
        for ch, haz in ((CH_PHONE, 0.0002), (CH_ADS, 0.0003)):
            who = _sparse(rng, self.n, haz)
            who = who[day.alive[who]]
            status = np.where(rng.random(len(who)) < 0.7, OPT_OUT, OPT_IN)
            self.ev.consent.add(person=who, rec=self.record_for(who), channel=ch, status=status,
                                ts=day.t0 + time_of_day(rng, len(who)))
        back = np.flatnonzero(day.engaged_today)
        back = back[~st.consent_email[back] & st.email_ok[back] & day.alive[back] & (rng.random(len(back)) < 0.15)]
        self.ev.consent.add(person=back, rec=self.record_for(back), channel=CH_EMAIL, status=OPT_IN,
                            ts=day.t0 + time_of_day(rng, len(back)))
        st.consent_email[back] = True

    def update_state(self, day: Day) -> None:
        """Awareness and engagement from today's touches; churn: customers (and, a little less, engaged
        prospects) go dormant; dormant people come back slowly, much faster after a good contact."""
        rng, st, tr, d, n = self.rng, self.st, self.tr, day.d, self.n
        newly_aware = day.touched & (st.aware_day < 0)
        st.aware_day[newly_aware] = d
        became = day.engaged_today & (st.engaged_day < 0) & (st.aware_day >= 0) & (st.aware_day < d)
        st.engaged_day[became] = d
        cand = _sparse(rng, n, tr.churn_hmax)
        f = np.where((st.first_buy_day[cand] >= 0) & (st.first_buy_day[cand] < d), 1.0,
                     np.where(st.engaged_day[cand] >= 0, 0.7, 0.0))
        churn = cand[(rng.random(len(cand)) * tr.churn_hmax < tr.churn_h[cand] * f) & ~st.dormant[cand]]
        react = _sparse(rng, n, REACTIVATION)
        pos = np.flatnonzero(day.positive_today)
        react = np.concatenate([react, pos[rng.random(len(pos)) < 25 * REACTIVATION]])
        react = react[st.dormant[react]]
        st.dormant[churn] = True
        st.dormant[react] = False
        st.interest *= 0.97

    def result(self) -> Simulation:
        fg, D, ev = self.st.forgotten, self.D, self.ev
        deletions = {"person": fg, "ts": self.cal.day_ts[np.minimum(self.st.forgotten_day[fg], D - 1)]
                     + time_of_day(self.rng, len(fg))}
        forgotten_ts = np.full(self.n, np.iinfo(np.int64).max, np.int64)
        forgotten_ts[fg] = deletions["ts"]
        return Simulation(
            email=ev.email.finish(), web=ev.web.finish(), webinar=ev.webinar.finish(),
            interactions=ev.inter.finish(), sales=ev.sales.finish(), consent=ev.consent.finish(),
            members=ev.members.finish(), deletions=deletions, campaigns=self.camp, forgotten_ts=forgotten_ts,
            noise_visits=ev.noise_visits,
        )


def simulate(rng: np.random.Generator, w: World, cal: Calendar) -> Simulation:
    """Every person's journey over the window, one vectorized day at a time (see _Journey)."""
    return _Journey(rng, w, cal).run()


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
