"""The static world: territories and their wholesalers, firms, products, people and their CRM records,
web cookies. Everything is a numpy array indexed by a dense integer id, so the simulation stays
vectorized; strings are only built for the (small) lookup tables."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa

from cjo_data.generate import names
from cjo_data.generate.coverage import Coverage, plan_coverage
from orchestration.contract import ASSET_CLASSES, FIRM_TYPES, VEHICLES

NEWCOMER, SEASONED = 0, 1
# Territory potential multiplier per region (names.REGIONS order: West, Southwest, Central, Midwest,
# Southeast, Mid-Atlantic, Northeast); mean ~1.06. The region is the observable proxy of potential: it
# explains most of it (the rest is lognormal(0, 0.25) per territory), as wealth data would in practice.
REGION_POTENTIAL = np.array([1.5, 0.85, 0.65, 0.75, 0.95, 1.15, 1.6])
PERSONAS = ("newcomer", "seasoned")


@dataclass
class World:
    # territories and wholesalers: wholesaler i is territory i's incumbent; wholesalers n_terr.. share a
    # territory; some incumbents swap territories mid-window (coverage)
    terr_potential: np.ndarray  # float, mean ~1: how much money the territory's advisors place
    ws_skill: np.ndarray  # float, mean ~1, per wholesaler: how much a meeting by this wholesaler lifts purchases
    ws_first: np.ndarray
    ws_last: np.ndarray
    terr_region: np.ndarray
    ws_hired_days: np.ndarray  # days before the window start
    # firms
    firm_type: np.ndarray
    firm_terr: np.ndarray
    firm_state: np.ndarray
    firm_name: list[str]
    firm_domain: list[str]
    firm_created_days: np.ndarray
    # products
    prod_asset: np.ndarray
    prod_vehicle: np.ndarray
    prod_name: list[str]
    prod_launch_days: np.ndarray
    # people
    persona: np.ndarray  # int8
    years: np.ndarray
    firm: np.ndarray
    terr: np.ndarray
    first: np.ndarray  # index into names.FIRST_NAMES
    last: np.ndarray
    email: pa.Array  # canonical (lower-case) work email of every person; has_email says if they have one
    has_email: np.ndarray
    phone: np.ndarray  # int64 10-digit US number, 0 when none
    title: np.ndarray  # object
    created_days: np.ndarray  # CRM record creation, days before the window start
    # CRM records: record r belongs to person rec_person[r]; the first n records are the primaries
    rec_person: np.ndarray
    rec_kind: np.ndarray  # 0 primary, 1 duplicate sharing an email variant, 2 duplicate sharing a phone
    rec_phone: np.ndarray
    rec_num: np.ndarray  # advisor_id is "ADV" + rec_num
    person_dup_rec: np.ndarray  # record index of the person's duplicate, -1 when none
    # web cookies: cookie c belongs to cookie_person[c] (-1: a visitor who is not one of our advisors)
    cookie_person: np.ndarray
    cookie_num: np.ndarray  # anonymous_id is "anon-" + hex(cookie_num)
    person_cookie_start: np.ndarray  # first cookie index of a person (their cookies are contiguous)
    person_cookie_count: np.ndarray
    coverage: Coverage  # who covers whom, when

    @property
    def n(self) -> int:
        return len(self.persona)

    @property
    def n_terr(self) -> int:
        return len(self.terr_potential)


def _unique_emails(first: np.ndarray, last: np.ndarray, firm: np.ndarray, firm_domain: list[str]) -> pa.Array:
    """first.last@domain, with a number appended on collisions, so that no two people share an email."""
    con = duckdb.connect()
    con.execute("set enable_progress_bar = false")
    # rank of each person among people with the same first name, last name and firm (domains are unique
    # per firm), computed with a stable sort instead of a window function (4x faster at 1M people)
    key = (first.astype(np.int64) * len(names.LAST_NAMES) + last) * len(firm_domain) + firm
    order = np.argsort(key, kind="stable")
    sk = key[order]
    new_group = np.r_[True, sk[1:] != sk[:-1]]
    group_start = np.maximum.accumulate(np.where(new_group, np.arange(len(sk)), 0))
    k = np.empty(len(sk), np.int64)
    k[order] = np.arange(len(sk)) - group_start + 1
    con.register("p", pa.table({"i": np.arange(len(first)), "f": first, "l": last, "firm": firm, "k": k}))
    con.register("fn", pa.table({"f": np.arange(len(names.FIRST_NAMES)),
                                 "fname": [x.lower() for x in names.FIRST_NAMES]}))
    con.register("ln", pa.table({"l": np.arange(len(names.LAST_NAMES)),
                                 "lname": [x.lower() for x in names.LAST_NAMES]}))
    con.register("fd", pa.table({"firm": np.arange(len(firm_domain)), "dom": firm_domain}))
    out = con.sql("""
        select i, fname || '.' || lname
               || case when k = 1 then '' else k::varchar end || '@' || dom as email
        from p join fn using (f) join ln using (l) join fd using (firm)
        order by i""").to_arrow_table()
    con.close()
    return out.column("email").combine_chunks()


def build_world(rng: np.random.Generator, n: int, dup_rate: float) -> World:
    # ---- territories and wholesalers: skill and potential vary so a regression can tell them apart
    # ~400 advisors per wholesaler at every scale, so per-advisor behaviour does not change with size
    # (ids are 4 digits: WS0001..WS9999)
    n_terr = int(np.clip(n // 400, 4, 9999))
    terr_potential = np.round(rng.lognormal(0.0, 0.25, n_terr), 3)
    ws_skill = np.round(np.clip(rng.normal(1.0, 0.3, n_terr), 0.3, 1.9), 3)
    ws_first = rng.integers(0, len(names.FIRST_NAMES), n_terr)
    ws_last = rng.integers(0, len(names.LAST_NAMES), n_terr)
    terr_region = rng.integers(0, len(names.REGIONS), n_terr)
    ws_hired_days = rng.integers(30, 3650, n_terr)
    # potential has an observable proxy: the region (crm wholesalers.region) scales it
    terr_potential = np.round(terr_potential * REGION_POTENTIAL[terr_region], 3)

    # ---- firms: many small RIAs, a few large wirehouses
    n_firm = max(8, n // 30)
    firm_type = rng.choice(len(FIRM_TYPES), n_firm, p=[0.08, 0.47, 0.30, 0.15]).astype(np.int8)
    firm_size = rng.pareto(1.3, n_firm) + 1.0
    firm_size *= np.array([8.0, 1.0, 2.5, 2.0])[firm_type]
    firm_terr = rng.integers(0, n_terr, n_firm)
    firm_state = rng.integers(0, len(names.STATES), n_firm)
    fw = rng.integers(0, len(names.FIRM_WORDS), n_firm)
    fs = rng.integers(0, 3, n_firm)
    firm_name, firm_domain = [], []
    for i in range(n_firm):
        ftype = FIRM_TYPES[firm_type[i]]
        suffixes = names.FIRM_SUFFIX[ftype]
        word = names.FIRM_WORDS[fw[i]]
        firm_name.append(f"{word} {suffixes[fs[i] % len(suffixes)]}")
        firm_domain.append(f"{word.lower()}{ftype.replace('_', '')[:3]}{i}.com")  # unique per firm
    firm_created_days = rng.integers(400, 7000, n_firm)

    # ---- products: every asset class x vehicle
    prod_asset = np.repeat(np.arange(len(ASSET_CLASSES)), len(VEHICLES))
    prod_vehicle = np.tile(np.arange(len(VEHICLES)), len(ASSET_CLASSES))
    theme = {"equity": ("Growth", "Equity Income", "Global Equity", "Small Cap Value"),
             "fixed_income": ("Core Bond", "Municipal Income", "Short Duration", "High Yield"),
             "multi_asset": ("Global Allocation", "Target Risk", "Income Builder", "Balanced"),
             "alternatives": ("Real Assets", "Liquid Alternatives", "Private Credit Access", "Macro")}
    vname = {"mutual_fund": "Fund", "etf": "ETF", "sma": "SMA Strategy"}
    prod_name = []
    for a, v in zip(prod_asset, prod_vehicle, strict=True):
        ac = ASSET_CLASSES[a]
        prod_name.append(f"Summit {theme[ac][v % 4]} {vname[VEHICLES[v]]}")
    prod_launch_days = rng.integers(90, 5000, len(prod_asset))

    # ---- people
    persona = (rng.random(n) >= 0.35).astype(np.int8)  # 35% newcomers
    years = np.where(persona == NEWCOMER, rng.integers(0, 5, n), rng.integers(6, 36, n)).astype(np.int16)
    firm = rng.choice(n_firm, n, p=firm_size / firm_size.sum())
    terr = firm_terr[firm]
    first = rng.integers(0, len(names.FIRST_NAMES), n)
    last = rng.integers(0, len(names.LAST_NAMES), n)
    has_email = rng.random(n) < 0.97
    email = _unique_emails(first, last, firm, firm_domain)  # canonical; null-ness comes from has_email
    has_phone = (rng.random(n) < 0.85) | ~has_email  # nobody is unreachable
    # Unique 10-digit numbers: an affine permutation of the person index over the NANP-like space.
    space = 800 * 800 * 10_000
    v = (np.arange(n, dtype=np.int64) * 2_654_435_761 + int(rng.integers(0, space))) % space
    phone = (200 + v // 8_000_000) * 10_000_000 + (200 + (v // 10_000) % 800) * 10_000 + v % 10_000
    phone = np.where(has_phone, phone, 0)
    t_new = np.asarray(names.TITLES_NEW, dtype=object)
    t_old = np.asarray(names.TITLES_SEASONED, dtype=object)
    title = np.where(persona == NEWCOMER, t_new[rng.integers(0, len(t_new), n)],
                     t_old[rng.integers(0, len(t_old), n)])
    created_days = (rng.integers(1, 365, n) + years.astype(np.int64) * rng.integers(0, 200, n) // 10)

    # ---- CRM records: a duplicate record for a share of people (same person, another advisor_id)
    dup_people = np.flatnonzero(rng.random(n) < dup_rate)
    # kind 1: the same email (another case/whitespace at write time); kind 2: another (personal) email
    # and the same phone in another format. Kind 2 needs a phone; kind 1 needs an email.
    want_phone = rng.random(len(dup_people)) < 0.4
    kind = np.where((want_phone & has_phone[dup_people]) | ~has_email[dup_people], 2, 1).astype(np.int8)
    rec_person = np.concatenate([np.arange(n), dup_people])
    rec_kind = np.concatenate([np.zeros(n, np.int8), kind])
    # record email: "same" = the person's work email; kind 2 carries a personal mailbox built at write time
    rec_phone = np.concatenate([phone, np.where(kind == 2, phone[dup_people],
                                                np.where(rng.random(len(dup_people)) < 0.5,
                                                         phone[dup_people], 0))])
    n_rec = len(rec_person)
    rec_num = rng.permutation(n_rec) + 100_001
    person_dup_rec = np.full(n, -1, np.int64)
    person_dup_rec[dup_people] = np.arange(n, n_rec)

    # ---- cookies: 1-3 per person (devices/browsers) plus visitors who are not our advisors
    cnt = rng.choice([1, 2, 3], n, p=[0.5, 0.35, 0.15])
    start = np.concatenate([[0], np.cumsum(cnt)[:-1]])
    n_noise = int(n * 0.25)
    cookie_person = np.concatenate([np.repeat(np.arange(n), cnt), np.full(n_noise, -1)])
    cookie_num = rng.integers(2**40, 2**62, len(cookie_person), dtype=np.int64)

    # ---- coverage changes (shared territories, swaps) and the sharing wholesalers, from a child generator
    # so that everything above is drawn as before
    rng_cov = rng.spawn(1)[0]
    coverage, n_extra = plan_coverage(rng_cov, n_terr, firm_terr, firm)
    ws_skill = np.concatenate([ws_skill, np.round(np.clip(rng_cov.normal(1.0, 0.3, n_extra), 0.3, 1.9), 3)])
    ws_first = np.concatenate([ws_first, rng_cov.integers(0, len(names.FIRST_NAMES), n_extra)])
    ws_last = np.concatenate([ws_last, rng_cov.integers(0, len(names.LAST_NAMES), n_extra)])
    ws_hired_days = np.concatenate([ws_hired_days, rng_cov.integers(30, 400, n_extra)])

    return World(
        terr_potential=terr_potential, ws_skill=ws_skill, ws_first=ws_first, ws_last=ws_last,
        terr_region=terr_region, ws_hired_days=ws_hired_days,
        firm_type=firm_type, firm_terr=firm_terr, firm_state=firm_state, firm_name=firm_name,
        firm_domain=firm_domain, firm_created_days=firm_created_days,
        prod_asset=prod_asset, prod_vehicle=prod_vehicle, prod_name=prod_name,
        prod_launch_days=prod_launch_days,
        persona=persona, years=years, firm=firm, terr=terr, first=first, last=last, email=email,
        has_email=has_email, phone=phone, title=title, created_days=created_days,
        rec_person=rec_person, rec_kind=rec_kind, rec_phone=rec_phone, rec_num=rec_num,
        person_dup_rec=person_dup_rec, cookie_person=cookie_person, cookie_num=cookie_num,
        person_cookie_start=start, person_cookie_count=cnt, coverage=coverage,
    )
