"""generate(): world -> simulation -> raw files with dirt + ground truth."""

from __future__ import annotations

import logging
import shutil
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa

from cjo_data.generate import names
from cjo_data.generate import stages as st
from cjo_data.generate.applications import ABANDON_LOGIT, RESUME_P, simulate_applications
from cjo_data.generate.calendar import DAY, Calendar, build_calendar, time_of_day
from cjo_data.generate.config import GenerateConfig
from cjo_data.generate.dirt import (
    BAD_AMOUNT_NEGATIVE,
    BAD_AMOUNT_TEXT,
    BAD_DATE,
    BAD_ENUM,
    apply_event_dirt,
    take,
)
from cjo_data.generate.simulate import (
    CAMPAIGN_CHANNELS,
    CLICK,
    DELIVER,
    EFFECT_TAIL_DAYS,
    MONTHLY_WEBINAR,
    NEUTRAL,
    OBJECTIVES,
    OPEN,
    POSITIVE,
    PURCHASE,
    UTM_SOURCES,
    Simulation,
    simulate,
)
from cjo_data.generate.world import NEWCOMER, PERSONAS, World, build_world
from cjo_data.generate.write import (
    amount_sql,
    connect,
    copy_to,
    email_sql,
    enum_sql,
    nullable,
    phone_sql,
    to_arrow,
    ts_sql,
    write_deliveries,
)
from orchestration.contract import (
    APPLICATION_EVENT_TYPES,
    ASSET_CLASSES,
    ASSIGNMENTS,
    CONSENT_CHANNELS,
    CONSENT_STATUSES,
    DEVICES,
    EMAIL_EVENT_TYPES,
    FIRM_TYPES,
    INTERACTION_OUTCOMES,
    INTERACTION_TYPES,
    OPPORTUNITY_STAGES,
    TABLES,
    TRANSACTION_TYPES,
    VEHICLES,
    WEB_EVENT_TYPES,
    WEBINAR_EVENT_TYPES,
)

GROUND_TRUTH = "_ground_truth"
log = logging.getLogger(__name__)
INT64_MAX = np.iinfo(np.int64).max


# Seed offset of the customer-attribute stream (a stream of its own: the other files do not change).
ATTRIBUTE_STREAM = 12


def _iso(ts: int) -> str:
    return datetime.fromtimestamp(int(ts), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class _Gen:
    def __init__(self, cfg: GenerateConfig) -> None:
        self.cfg = cfg
        seeds = np.random.SeedSequence(cfg.seed).spawn(4)
        self.rng_world, self.rng_sim, self.rng_dirt, self.rng_misc = (np.random.default_rng(s) for s in seeds)
        # A fifth stream for the portal applications: the first four draw exactly as before.
        self.rng_apps = np.random.default_rng(np.random.SeedSequence(cfg.seed).spawn(5)[4])
        self.cal: Calendar = build_calendar(cfg.last_day, cfg.days)
        self.K = cfg.n_deliveries
        ends = [((k + 1) * cfg.days) // self.K - 1 for k in range(self.K)]
        self.labels = [(self.cal.start + timedelta(days=e)).isoformat() for e in ends]
        self.con = connect()
        self.rows: dict[str, int] = {}
        self.files: list[Path] = []
        self.dirt_counts: dict[tuple[str, str], int] = {}

    # ------------------------------------------------------------------ helpers
    def delivery_of(self, ts: np.ndarray) -> np.ndarray:
        day = np.clip((np.asarray(ts) - self.cal.start_ts) // DAY, 0, self.cfg.days - 1)
        return (day * self.K // self.cfg.days).astype(np.int32)

    def folder(self, fqn: str) -> Path:
        src, name = fqn.split(".")
        return self.cfg.out / src / name

    def emit(self, fqn: str, frame: dict, sql: str, bad_kinds: tuple[int, ...] = (), *, dirt: bool = True,
             late: bool = True) -> None:
        """Add _id/_delivery, apply dirt, write one file per delivery."""
        order = np.argsort(frame["ts"], kind="stable")
        frame = take(frame, order)
        frame["_id"] = np.arange(1, len(order) + 1, dtype=np.int64)
        if "_delivery" not in frame:
            frame["_delivery"] = self.delivery_of(frame["ts"])
        rate = self.cfg.dirt_rate if dirt else 0.0
        frame = apply_event_dirt(self.rng_dirt, frame, rate, self.K, bad_kinds, late=late)
        for kind in ("_dup", "_late"):
            self.dirt_counts[(fqn, kind[1:])] = int(frame[kind].sum())
        bad = frame["_bad"]
        for code, label in ((BAD_DATE, "bad_date"), (BAD_ENUM, "unknown_enum"),
                            (BAD_AMOUNT_TEXT, "non_numeric_amount"), (BAD_AMOUNT_NEGATIVE, "negative_amount")):
            if code in bad_kinds:
                self.dirt_counts[(fqn, label)] = int((bad == code).sum())
        self.dirt_counts[(fqn, "rows")] = len(bad)
        # keep only what dirt_rows.csv needs (the full frame holds millions of strings)
        self._dirt_keys.append((fqn, {k: frame[k][(frame["_dup"] | frame["_late"] | (frame["_bad"] > 0))]
                                      for k in ("_id", "_dup", "_late", "_bad")}))
        paths = write_deliveries(self.con, frame, sql, self.folder(fqn), self.cfg.fmt, self.labels)
        self.files += paths
        self.rows[fqn] = len(frame["ts"])

    # ------------------------------------------------------------------ run
    def run(self) -> dict:
        cfg = self.cfg
        self._dirt_keys: list[tuple[str, dict]] = []
        phases: dict[str, float] = {}
        t = time.perf_counter()

        def lap(name: str) -> None:
            nonlocal t
            now = time.perf_counter()
            phases[name] = round(now - t, 2)
            log.info("generate: %s took %.1f s", name, now - t)
            t = now

        w = build_world(self.rng_world, cfg.advisors, cfg.dirt_rate)
        self.w = w
        lap("world")
        sim = simulate(self.rng_sim, w, self.cal)
        self.sim = sim
        self._filter(sim)
        lap("simulate")
        self._lookups(w)
        self._crm(w)
        self._attributes(w)
        lap("write_crm")
        self._marketing(w, sim)
        lap("write_marketing")
        self._interactions_sales(w, sim)
        self._privacy(w, sim)
        self._applications(w, sim)  # last writer of rng_dirt: the files before it are unchanged
        lap("write_other")
        self._ground_truth(w, sim)
        lap("ground_truth")
        self.con.close()
        return {"rows": dict(sorted(self.rows.items())), "files": len(self.files), "phases": phases}

    def _filter(self, sim: Simulation) -> None:
        """Drop what happens after the window or after a person's deletion request (the company stops
        processing them; their earlier records stay in the raw data)."""
        end = self.cal.end_ts
        ft = sim.forgotten_ts
        for name in ("email", "webinar", "interactions", "sales", "consent", "members"):
            f = getattr(sim, name)
            keep = (f["ts"] < end) & (f["ts"] < ft[f["person"]])
            setattr(sim, name, take(f, keep))
        person = self.w.cookie_person[sim.web["cookie"]]
        keep = (sim.web["ts"] < end) & ((person < 0) | (sim.web["ts"] < ft[np.maximum(person, 0)]))
        sim.web = take(sim.web, keep)
        sim.web["person"] = person[keep]

    def _lookups(self, w: World) -> None:
        n = w.n
        dup = np.flatnonzero(w.rec_kind > 0)
        person = w.rec_person[dup]
        personal = pa.array([f"{names.FIRST_NAMES[w.first[p]].lower()}{names.LAST_NAMES[w.last[p]].lower()}"
                             f"{p + 1}@gmail.com" for p in person], pa.string())
        work = w.email.take(pa.array(person))
        dup_email = pa.array(np.where(w.rec_kind[dup] == 1, np.asarray(work.to_pylist(), dtype=object),
                                      np.asarray(personal.to_pylist(), dtype=object)), pa.string())
        self.rec_email = pa.concat_arrays([w.email, dup_email])
        rec_has_email = np.concatenate([w.has_email, w.has_email[person] | (w.rec_kind[dup] == 2)])
        self.rec_has_email = rec_has_email
        self.rec_phone = pa.array(np.where(w.rec_phone > 0, w.rec_phone, 0)).cast(pa.string())
        self.personal_dup = dup[w.rec_kind[dup] == 2]
        assert len(self.rec_email) == len(w.rec_person) and n <= len(w.rec_person)

    def _rec_cols(self, rec: np.ndarray) -> dict:
        return {"rec_num": self.w.rec_num[rec], "rec_email": self.rec_email.take(pa.array(rec)),
                "rec_has_email": self.rec_has_email[rec]}

    # ------------------------------------------------------------------ crm
    def _crm(self, w: World) -> None:
        cal, rng, D = self.cal, self.rng_misc, self.cfg.days
        start = cal.start_ts
        # --- wholesalers / territories: one row per wholesaler with the territory it covers at the end
        # (incumbents that swapped carry their new territory; sharing wholesalers their shared one)
        cov = w.coverage
        NW = cov.n_ws
        ws = {"ts": start - w.ws_hired_days.astype(np.int64) * DAY + 14 * 3600, "i": np.arange(NW),
              "terr": cov.ws_terr_end,
              "first": pa.array(np.asarray(names.FIRST_NAMES, dtype=object)[w.ws_first].tolist()),
              "last": pa.array(np.asarray(names.LAST_NAMES, dtype=object)[w.ws_last].tolist()),
              "region": w.terr_region[cov.ws_terr_end], "_delivery": np.zeros(NW, np.int32)}
        regions = enum_sql("region", names.REGIONS)
        self.emit("crm.wholesalers", ws, f"""
            select 'WS' || lpad((i + 1)::varchar, 4, '0') as wholesaler_id, first || ' ' || last as full_name,
                   {nullable("lower(first) || '.' || lower(last) || (i + 1)::varchar || '@summitam.com'")} as email,
                   'TER' || lpad((terr + 1)::varchar, 4, '0') as territory_id,
                   {regions} || ' ' || (terr + 1)::varchar as territory_name, {regions} as region,
                   {ts_sql(bad=None)} as hired_at from t""", dirt=False)
        # --- firms
        F = len(w.firm_type)
        firms = {"ts": start - w.firm_created_days.astype(np.int64) * DAY + 15 * 3600, "i": np.arange(F),
                 "name": pa.array(w.firm_name), "ftype": w.firm_type, "state": w.firm_state, "terr": w.firm_terr,
                 "_delivery": np.zeros(F, np.int32)}
        self.emit("crm.firms", firms, f"""
            select 'FRM' || lpad((i + 1)::varchar, 6, '0') as firm_id, name as firm_name,
                   {enum_sql("ftype", FIRM_TYPES)} as firm_type, {nullable(enum_sql("state", names.STATES))} as state,
                   'TER' || lpad((terr + 1)::varchar, 4, '0') as territory_id, {ts_sql(bad=None)} as created_at
            from t""", dirt=False)
        # --- products
        P = len(w.prod_asset)
        prods = {"ts": start - w.prod_launch_days.astype(np.int64) * DAY + 13 * 3600, "i": np.arange(P),
                 "name": pa.array(w.prod_name), "ac": w.prod_asset, "veh": w.prod_vehicle,
                 "_delivery": np.zeros(P, np.int32)}
        self.emit("crm.products", prods, f"""
            select 'PRD' || lpad((i + 1)::varchar, 3, '0') as product_id, name as product_name,
                   {enum_sql("ac", ASSET_CLASSES)} as asset_class, {enum_sql("veh", VEHICLES)} as vehicle,
                   {ts_sql(bad=None)} as launched_at from t""", dirt=False)
        # --- advisors: a full export first, then partial exports with changed records
        R = len(w.rec_person)
        person = w.rec_person
        created = start - w.created_days[person].astype(np.int64) * DAY + time_of_day(rng, R)
        dup = w.rec_kind > 0  # duplicate records are created later, some during the window
        created = np.where(dup, start + rng.integers(-300, D, R).astype(np.int64) * DAY + time_of_day(rng, R),
                           created)
        updated = np.where(created < start, np.minimum(created + rng.integers(0, 400, R) * DAY, start - 3600),
                           created)
        base = {"rec": np.arange(R), "ts": updated, "created": created,
                "_delivery": self.delivery_of(np.maximum(created, start)) * (created >= start),
                "years": w.years[person], "title_upd": np.zeros(R, bool)}
        parts = [base]
        for k in range(1, self.K):
            lo = start + (k * D // self.K) * DAY
            hi = start + ((k + 1) * D // self.K) * DAY
            cand = np.flatnonzero((created < lo) & (rng.random(R) < 0.04))
            if len(cand) == 0:
                continue
            upd = take(base, cand)
            upd["ts"] = rng.integers(lo, hi, len(cand))
            upd["_delivery"] = np.full(len(cand), k, np.int32)
            upd["title_upd"] = rng.random(len(cand)) < 0.3
            parts.append(upd)
        recs = {key: np.concatenate([p[key] for p in parts]) for key in base}
        recs.update(self._rec_cols(recs["rec"]))
        recs["first"] = pa.array(np.asarray(names.FIRST_NAMES, dtype=object)[w.first[person[recs["rec"]]]].tolist())
        recs["last"] = pa.array(np.asarray(names.LAST_NAMES, dtype=object)[w.last[person[recs["rec"]]]].tolist())
        recs["title"] = pa.array(w.title[person[recs["rec"]]].tolist())
        recs["phone10"] = self.rec_phone.take(pa.array(recs["rec"]))
        recs["phone_fmt"] = self.rng_dirt.integers(0, 5, len(recs["rec"])).astype(np.int8)
        recs["firm"] = w.firm[person[recs["rec"]]]
        order = np.lexsort((recs["rec_num"], recs["ts"], recs["_delivery"]))
        recs = {k: (v.take(pa.array(order)) if isinstance(v, pa.Array) else v[order]) for k, v in recs.items()}
        recs["_rn"] = np.arange(len(order))
        m = len(order)
        recs["_null"] = self.rng_dirt.random(m) < self.cfg.dirt_rate
        recs["_emailvar"] = np.where(self.rng_dirt.random(m) < min(0.5, 5 * self.cfg.dirt_rate),
                                     self.rng_dirt.integers(1, 5, m), 0).astype(np.int8)
        recs["_tsfmt"] = self.rng_dirt.choice(4, m, p=(0.45, 0.15, 0.2, 0.2)).astype(np.int8)
        recs["_tsfmt2"] = self.rng_dirt.choice(4, m, p=(0.45, 0.15, 0.2, 0.2)).astype(np.int8)
        self.dirt_counts[("crm.advisors", "duplicate_person_records")] = int(dup.sum())
        self.dirt_counts[("crm.advisors", "email_variants")] = int((recs["_emailvar"] > 0).sum())
        self.dirt_counts[("crm.advisors", "rows")] = m
        sql = f"""
            select 'ADV' || rec_num::varchar as advisor_id, first as first_name, last as last_name,
                   case when rec_has_email then {email_sql("rec_email")} end as email,
                   case when phone10 = '0' then null else {phone_sql("phone10", "phone_fmt")} end as phone,
                   'FRM' || lpad((firm + 1)::varchar, 6, '0') as firm_id,
                   {nullable("case when title_upd then 'Senior ' || replace(title, 'Senior ', '') else title end")}
                       as title,
                   years::int as years_experience,
                   {ts_sql("created", "_tsfmt2", None)} as created_at, {ts_sql(bad=None)} as updated_at
            from t"""
        self.files += write_deliveries(self.con, recs, sql, self.folder("crm.advisors"), self.cfg.fmt, self.labels)
        self.rows["crm.advisors"] = m

    def _attributes(self, w: World) -> None:
        """crm.customer_attributes of every person's primary record, known from the start (valid_from
        empty): practice assets and team size grow with experience and are higher for seasoned advisors
        (the persona that converts and churns differently), region is the territory's. Drawn from their
        own random stream, so every other file stays byte-identical for a given seed."""
        n, rng = w.n, np.random.default_rng([self.cfg.seed, ATTRIBUTE_STREAM])
        seasoned = (w.persona != NEWCOMER).astype(np.float64)
        aum = np.exp(rng.normal(np.log(15.0) + 0.04 * w.years + 0.6 * seasoned, 0.7))
        team = 1 + rng.poisson(0.5 + w.years / 8.0)
        region = np.asarray(names.REGIONS, dtype=object)[w.terr_region[w.terr]]
        rec = np.arange(n)
        frame = {"rec_num": np.tile(w.rec_num[rec], 3), "_rn": np.arange(3 * n),
                 "attr": pa.array(["practice_aum_musd"] * n + ["team_size"] * n + ["region"] * n),
                 "kind": pa.array(["numeric"] * (2 * n) + ["categorical"] * n),
                 "value": pa.array([f"{a:.1f}" for a in aum] + [str(t) for t in team] + list(region)),
                 "_delivery": np.zeros(3 * n, np.int32)}
        sql = """
            select 'ADV' || rec_num::varchar || '-' || attr as attribute_record_id,
                   'ADV' || rec_num::varchar as advisor_id, attr as attribute, kind as attribute_type,
                   value, null::varchar as valid_from
            from t"""
        self.files += write_deliveries(self.con, frame, sql, self.folder("crm.customer_attributes"),
                                       self.cfg.fmt, self.labels)
        self.rows["crm.customer_attributes"] = 3 * n

    # ------------------------------------------------------------------ marketing
    def _campaign_id(self, col: str = "campaign") -> str:
        return f"case when {col} < 0 then null else 'CMP' || lpad(({col} + 1)::varchar, 4, '0') end"

    def _marketing(self, w: World, sim: Simulation) -> None:
        c = sim.campaigns
        ts = self.cal.day_ts[c.start_day] + 9 * 3600
        frame = {"ts": ts, "i": np.arange(c.n), "ch": c.channel, "obj": c.objective,
                 "end_ts": self.cal.day_ts[c.end_day] + 23 * 3600}
        names_sql = ("['Market Outlook', 'Retirement Income', 'Model Portfolios', 'Tax Season', "
                     "'Fixed Income Focus', 'ETF Education', 'Next Gen Advisors', 'Client Conversations']"
                     "[1 + (i % 8)::int]")
        self.emit("marketing.campaigns", frame, f"""
            select {self._campaign_id("i")} as campaign_id,
                   {names_sql} || ' ' || strftime(make_timestamp(ts * 1000000), '%Y-%m') as campaign_name,
                   {enum_sql("ch", CAMPAIGN_CHANNELS)} as channel, {nullable(enum_sql("obj", OBJECTIVES))} as objective,
                   {ts_sql(bad=None)} as start_at, {ts_sql("end_ts", bad=None)} as end_at from t""", dirt=False)

        mem = sim.members
        frame = {"ts": mem["ts"], "campaign": mem["campaign"], "treated": mem["treated"], **self._rec_cols(mem["rec"])}
        self.emit("marketing.campaign_members", frame, f"""
            select 'CM' || lpad(_id::varchar, 9, '0') as member_id, {self._campaign_id()} as campaign_id,
                   'ADV' || rec_num::varchar as advisor_id,
                   case when rec_has_email and not _null then {email_sql("rec_email")} end as email,
                   {enum_sql("(not treated)::int", ASSIGNMENTS)} as assignment, {ts_sql()} as assigned_at
            from t""", (BAD_DATE,), late=False)

        em = sim.email
        frame = {"ts": em["ts"], "campaign": em["campaign"], "type": em["type"], **self._rec_cols(em["rec"])}
        self.emit("marketing.email_events", frame, f"""
            select 'EM' || lpad(_id::varchar, 10, '0') as event_id, {self._campaign_id()} as campaign_id,
                   {nullable("'ADV' || rec_num::varchar")} as advisor_id, {email_sql("rec_email")} as email,
                   {enum_sql("type", EMAIL_EVENT_TYPES, "opend")} as event_type, {ts_sql()} as occurred_at
            from t""", (BAD_DATE, BAD_ENUM))

        web = sim.web
        person = web["person"]
        frame = {"ts": web["ts"], "cookie_num": w.cookie_num[web["cookie"]], "type": web["type"],
                 "page": web["page"], "utm": web["utm"], "campaign": web["campaign"],
                 "email": w.email.take(pa.array(np.maximum(person, 0)))}
        self.emit("marketing.web_events", frame, f"""
            select 'WEB' || lpad(_id::varchar, 11, '0') as event_id,
                   'anon-' || lpad(lower(to_hex(cookie_num)), 16, '0') as anonymous_id,
                   case when type > 0 then {email_sql("email")} end as email,
                   {enum_sql("type", WEB_EVENT_TYPES, "pageview")} as event_type,
                   {nullable(enum_sql("page", names.PAGES))} as page_url,
                   case when utm = 0 or _null then null else {enum_sql("utm", UTM_SOURCES)} end as utm_source,
                   {self._campaign_id()} as utm_campaign, {ts_sql()} as occurred_at
            from t""", (BAD_DATE, BAD_ENUM))

        wb = sim.webinar
        p = wb["person"]
        dup = w.person_dup_rec[p]
        use_personal = (dup >= 0) & np.isin(dup, self.personal_dup) & (self.rng_misc.random(len(p)) < 0.3)
        rec = np.where(use_personal, dup, p)
        frame = {"ts": wb["ts"], "campaign": wb["campaign"], "webinar": wb["webinar"], "type": wb["type"],
                 "email": self.rec_email.take(pa.array(rec))}
        self.emit("marketing.webinar_events", frame, f"""
            select 'WBE' || lpad(_id::varchar, 9, '0') as event_id,
                   case when webinar >= {MONTHLY_WEBINAR}
                        then 'WBN-M' || lpad((webinar - {MONTHLY_WEBINAR})::varchar, 4, '0')
                        else 'WBN' || lpad((webinar + 1)::varchar, 4, '0') end as webinar_id,
                   {self._campaign_id()} as campaign_id, {email_sql("email")} as email,
                   {enum_sql("type", WEBINAR_EVENT_TYPES, "attnd")} as event_type, {ts_sql()} as occurred_at
            from t""", (BAD_DATE, BAD_ENUM))

    # ------------------------------------------------------------------ interactions, sales, opportunities
    def _interactions_sales(self, w: World, sim: Simulation) -> None:
        it = sim.interactions
        frame = {"ts": it["ts"], "ws": it["ws"], "type": it["type"], "outcome": it["outcome"],
                 "duration": it["duration"], "rec_num": w.rec_num[it["rec"]]}
        self.emit("advisor.interactions", frame, f"""
            select 'INT' || lpad(_id::varchar, 9, '0') as interaction_id, 'ADV' || rec_num::varchar as advisor_id,
                   'WS' || lpad((ws + 1)::varchar, 4, '0') as wholesaler_id,
                   {enum_sql("type", INTERACTION_TYPES, "meating")} as interaction_type,
                   case when outcome < 0 or _null then null else {enum_sql("outcome", INTERACTION_OUTCOMES)} end
                       as outcome,
                   case when duration < 0 or _null then null else duration::int end as duration_minutes,
                   {ts_sql()} as occurred_at
            from t""", (BAD_DATE, BAD_ENUM))

        sa = sim.sales
        frame = {"ts": sa["ts"], "product": sa["product"], "type": sa["type"], "amount": sa["amount"],
                 "rec_num": w.rec_num[sa["rec"]]}
        self.emit("crm.sales", frame, f"""
            select 'S' || lpad(_id::varchar, 10, '0') as sale_id, 'ADV' || rec_num::varchar as advisor_id,
                   {nullable("'PRD' || lpad((product + 1)::varchar, 3, '0')")} as product_id,
                   {enum_sql("type", TRANSACTION_TYPES, "purchse")} as transaction_type,
                   {amount_sql()} as amount, {ts_sql()} as traded_at
            from t""", (BAD_DATE, BAD_ENUM, BAD_AMOUNT_TEXT, BAD_AMOUNT_NEGATIVE))

        # opportunities: a share of positive meetings opens one; won when the advisor buys within 90 days
        rng = self.rng_misc
        pos = np.flatnonzero((it["outcome"] == POSITIVE) & (rng.random(len(it["ts"])) < 0.4))
        op_person, op_ts, op_ws, op_rec = it["person"][pos], it["ts"][pos] + 3600, it["ws"][pos], it["rec"][pos]
        buy = sa["type"] == PURCHASE
        key = sa["person"][buy].astype(np.int64) * (1 << 34) + (sa["ts"][buy] - self.cal.start_ts + DAY * 400)
        order = np.argsort(key)
        key, bts, bprod, bamt = key[order], sa["ts"][buy][order], sa["product"][buy][order], sa["amount"][buy][order]
        q = op_person.astype(np.int64) * (1 << 34) + (op_ts - self.cal.start_ts + DAY * 400)
        j = np.searchsorted(key, q)
        j_ok = j < len(key)
        jj = np.minimum(j, max(len(key) - 1, 0))
        won = j_ok & (len(key) > 0) & (key[jj] // (1 << 34) == op_person) & (bts[jj] - op_ts <= 90 * DAY) \
            if len(key) else np.zeros(len(pos), bool)
        lost_at = op_ts + rng.integers(30, 120, len(pos)) * DAY
        stage = np.where(won, 1, np.where(lost_at < self.cal.end_ts, 2, 0))
        closed = np.where(won, bts[jj] if len(key) else 0, np.where(stage == 2, lost_at, -1))
        product = np.where(won, bprod[jj] if len(key) else 0, rng.integers(0, len(w.prod_asset), len(pos)))
        amount = np.where(won, bamt[jj] if len(key) else 0, np.round(rng.lognormal(11, 0.8, len(pos)), -2))
        frame = {"ts": op_ts, "rec_num": w.rec_num[op_rec], "ws": op_ws, "product": product,
                 "stage": stage, "amount": amount, "closed": closed, "_tsfmt2": rng.integers(0, 4, len(pos))}
        self.emit("crm.opportunities", frame, f"""
            select 'OPP' || lpad(_id::varchar, 8, '0') as opportunity_id, 'ADV' || rec_num::varchar as advisor_id,
                   'WS' || lpad((ws + 1)::varchar, 4, '0') as wholesaler_id,
                   {nullable("'PRD' || lpad((product + 1)::varchar, 3, '0')")} as product_id,
                   {enum_sql("stage", OPPORTUNITY_STAGES, "closed_won")} as stage, {amount_sql()} as amount,
                   {ts_sql()} as created_at,
                   case when closed < 0 then null else {ts_sql("closed", "_tsfmt2", None)} end as closed_at
            from t""", (BAD_DATE, BAD_ENUM, BAD_AMOUNT_NEGATIVE), late=False)
        self.opp = {"person": op_person, "ts": op_ts}

    # ------------------------------------------------------------------ privacy
    def _privacy(self, w: World, sim: Simulation) -> None:
        rng = self.rng_misc
        ce = sim.consent
        m = len(ce["ts"])
        mode = rng.choice(3, m, p=[0.5, 0.3, 0.2])  # 0 both ids, 1 email only, 2 advisor_id only
        frame = {"ts": ce["ts"], "channel": ce["channel"], "status": ce["status"], "mode": mode,
                 **self._rec_cols(ce["rec"])}
        self.emit("privacy.consent_events", frame, f"""
            select 'CE' || lpad(_id::varchar, 9, '0') as consent_event_id,
                   case when mode = 1 and rec_has_email then null else 'ADV' || rec_num::varchar end as advisor_id,
                   case when mode = 2 or not rec_has_email then null else {email_sql("rec_email")} end as email,
                   {enum_sql("channel", CONSENT_CHANNELS, "e-mail")} as channel,
                   {enum_sql("status", CONSENT_STATUSES)} as status, {ts_sql()} as occurred_at
            from t""", (BAD_DATE, BAD_ENUM))

        de = sim.deletions
        p = de["person"]
        mode = rng.random(len(p)) < 0.6
        frame = {"ts": de["ts"], "with_id": mode | ~w.has_email[p], **self._rec_cols(p)}
        self.emit("privacy.deletion_requests", frame, f"""
            select 'DR' || lpad(_id::varchar, 7, '0') as request_id,
                   case when with_id then 'ADV' || rec_num::varchar end as advisor_id,
                   case when rec_has_email then {email_sql("rec_email")} end as email,
                   {ts_sql(bad=None)} as requested_at
            from t""", (), late=False)

    # ------------------------------------------------------------------ portal applications
    def _applications(self, w: World, sim: Simulation) -> None:
        apps = simulate_applications(self.rng_apps, w, sim, self.cal.end_ts, PURCHASE, POSITIVE)
        ev = apps.events
        frame = {"ts": ev["ts"], "app": ev["app"], "type": ev["type"], "step": ev["step"], "device": ev["device"],
                 "rec_num": w.rec_num[ev["person"]]}
        self.emit("advisor.application_events", frame, f"""
            select 'AE' || lpad(_id::varchar, 9, '0') as event_id,
                   'APP' || lpad((app + 1)::varchar, 8, '0') as application_id,
                   'ADV' || rec_num::varchar as advisor_id,
                   {enum_sql("type", APPLICATION_EVENT_TYPES, "start")} as event_type,
                   case when step < 0 then null else step::int end as step_number,
                   case when _null then null else {enum_sql("device", DEVICES)} end as device,
                   {ts_sql()} as occurred_at
            from t""", (BAD_DATE, BAD_ENUM))
        gt = self.cfg.out / GROUND_TRUTH
        gt.mkdir(parents=True, exist_ok=True)
        pid = "'P' || lpad((person + 1)::varchar, 8, '0')"
        copy_to(self.con, to_arrow(apps.truth), f"""
            select 'APP' || lpad((app + 1)::varchar, 8, '0') as application_id, {pid} as person_id,
                   {ts_sql(bad=None, fmt="0")} as started_at, {enum_sql("device", DEVICES)} as device,
                   mobile, evening, seasoned, customer, recent_positive_contact, p_abandon, abandoned,
                   last_step, nudged, resume_p, resumed, submitted,
                   case when submitted then {ts_sql("submitted_ts", "0", None)} end as submitted_at
            from t order by app""", gt / "applications.csv", "csv")
        t = apps.truth
        ab = t["abandoned"]
        effect = [{"parameter": f"abandon_logit_{k}", "value": v} for k, v in ABANDON_LOGIT.items()] + [
            {"parameter": f"resume_p_{k}", "value": v} for k, v in RESUME_P.items()] + [
            {"parameter": "applications", "value": float(len(ab))},
            {"parameter": "abandon_rate", "value": round(float(ab.mean()), 5) if len(ab) else None},
            {"parameter": "resume_rate_nudged",
             "value": round(float(t["resumed"][ab & t["nudged"]].mean()), 5) if (ab & t["nudged"]).any() else None},
            {"parameter": "resume_rate_not_nudged",
             "value": round(float(t["resumed"][ab & ~t["nudged"]].mean()), 5) if (ab & ~t["nudged"]).any() else None}]
        copy_to(self.con, pa.Table.from_pylist(effect), "select * from t", gt / "application_effects.csv", "csv")

    # ------------------------------------------------------------------ ground truth
    def _ground_truth(self, w: World, sim: Simulation) -> None:
        gt = self.cfg.out / GROUND_TRUTH
        gt.mkdir(parents=True, exist_ok=True)
        n = w.n
        pid = "'P' || lpad((person + 1)::varchar, 8, '0')"

        # stage rules over the true events
        em, web, wb, it, sa = sim.email, sim.web, sim.webinar, sim.interactions, sim.sales
        etouch = np.isin(em["type"], (DELIVER, OPEN, CLICK))
        wp = web["person"] >= 0
        touch_p = np.concatenate([em["person"][etouch], web["person"][wp], wb["person"], it["person"], sa["person"]])
        touch_t = np.concatenate([em["ts"][etouch], web["ts"][wp], wb["ts"], it["ts"], sa["ts"]])
        eclick = em["type"] == CLICK
        wid = wp & (web["type"] > 0)
        iengage = (it["outcome"] == POSITIVE) | (it["outcome"] == NEUTRAL)
        ev_p = np.concatenate([em["person"][eclick], web["person"][wid], wb["person"], it["person"][iengage],
                               sa["person"]])
        ev_t = np.concatenate([em["ts"][eclick], web["ts"][wid], wb["ts"], it["ts"][iengage], sa["ts"]])
        ipos = it["outcome"][iengage] == POSITIVE
        ev_f = np.concatenate([
            np.full(eclick.sum() + wid.sum() + len(wb["ts"]), st.FLAG_ENGAGE, np.int8),
            np.where(ipos, st.FLAG_ENGAGE | st.FLAG_POSITIVE, st.FLAG_ENGAGE).astype(np.int8),
            np.where(sa["type"] == PURCHASE, st.FLAG_SALE | st.FLAG_PURCHASE, st.FLAG_SALE).astype(np.int8)])
        ev_a = np.concatenate([np.zeros(len(ev_t) - len(sa["ts"])), sa["amount"]])
        hp, hs, ht, final = st.stage_history(n, touch_p, touch_t, ev_p, ev_t, ev_f, ev_a, self.cal.end_ts)
        self.final_stage = final

        stages_sql = enum_sql("stage", st.STAGES)
        forgotten = sim.forgotten_ts < INT64_MAX
        people = {"person": np.arange(n), "persona": w.persona, "stage": final, "forgotten": forgotten}
        copy_to(self.con, to_arrow(people), f"""
            select {pid} as person_id, {enum_sql("persona", PERSONAS)} as persona,
                   case when stage < 0 then null else {stages_sql} end as true_stage_at_end,
                   forgotten as is_forgotten
            from t order by person""", gt / "people.csv", "csv")
        order = np.lexsort((hs, ht, hp))
        hist = {"person": hp[order], "stage": hs[order], "ts": ht[order], "_tsfmt": np.zeros(len(hp), np.int8)}
        copy_to(self.con, to_arrow(hist), f"""
            select {pid} as person_id, {stages_sql} as stage, {ts_sql(bad=None)} as entered_at from t""",
                gt / "stage_history.csv", "csv")
        recs = {"person": w.rec_person, "rec_num": w.rec_num, "kind": w.rec_kind}
        copy_to(self.con, to_arrow(recs), f"""
            select 'ADV' || rec_num::varchar as advisor_id, {pid} as person_id,
                   ['primary', 'duplicate_same_email', 'duplicate_same_phone'][kind::int + 1] as record_kind
            from t order by rec_num""", gt / "advisor_records.csv", "csv")
        used = np.unique(web["cookie"])
        identified = np.isin(used, web["cookie"][web["type"] > 0])  # a login or form_submit on that cookie
        cook = {"cookie_num": w.cookie_num[used], "person": w.cookie_person[used], "identified": identified}
        copy_to(self.con, to_arrow(cook), f"""
            select 'anon-' || lpad(lower(to_hex(cookie_num)), 16, '0') as anonymous_id,
                   case when person >= 0 then {pid} end as person_id, identified as ever_identified
            from t order by anonymous_id""", gt / "anonymous_ids.csv", "csv")
        has = np.flatnonzero(self.rec_has_email)
        ems = {"person": w.rec_person[has], "email": self.rec_email.take(pa.array(has))}
        copy_to(self.con, to_arrow(ems), f"""
            select distinct email, {pid} as person_id from t order by email""", gt / "email_addresses.csv", "csv")
        # the planted skill of every wholesaler, with the territory it covers at the start and at the end,
        # the day it moved (swapped incumbents) and the advisors it covers at the start
        cov = w.coverage
        covered = np.bincount(cov.person_ws_before, minlength=cov.n_ws)
        moved_day = np.where(np.isfinite(cov.ws_switch_frac),
                             np.floor(np.nan_to_num(cov.ws_switch_frac, posinf=0.0) * self.cfg.days), -1)
        ws = {"i": np.arange(cov.n_ws), "skill": w.ws_skill, "terr": cov.ws_terr_start, "end_terr": cov.ws_terr_end,
              "pot": w.terr_potential[cov.ws_terr_start], "advisors": covered,
              "shares": cov.ws_terr_start != np.arange(cov.n_ws),
              "moved": moved_day.astype(np.int64), "_tsfmt": np.zeros(cov.n_ws, np.int8),
              "ts": self.cal.start_ts + np.maximum(moved_day, 0).astype(np.int64) * DAY}
        copy_to(self.con, to_arrow(ws), f"""
            select 'WS' || lpad((i + 1)::varchar, 4, '0') as wholesaler_id,
                   'TER' || lpad((terr + 1)::varchar, 4, '0') as territory_id, skill,
                   pot as territory_potential, advisors,
                   'TER' || lpad((end_terr + 1)::varchar, 4, '0') as end_territory_id,
                   case when moved >= 0 then {ts_sql(bad=None)} end as moved_at,
                   shares as shares_territory
            from t order by i""", gt / "wholesaler_skill.csv", "csv")
        self._campaign_truth(gt, sim)
        dirt = [{"table": k[0], "kind": k[1], "rows": v} for k, v in sorted(self.dirt_counts.items())]
        copy_to(self.con, pa.Table.from_pylist(dirt), "select * from t", gt / "dirt_summary.csv", "csv")
        keys = []
        for fqn, frame in self._dirt_keys:
            for flag, kind in (("_dup", "duplicate"), ("_late", "late")):
                sel = frame[flag]
                keys.append(pa.table({"table": pa.array([fqn] * int(sel.sum()), pa.string()),
                                      "row_id": frame["_id"][sel],
                                      "kind": pa.array([kind] * int(sel.sum()), pa.string())}))
            sel = frame["_bad"] > 0
            kinds = np.asarray(["", "bad_date", "unknown_enum", "non_numeric_amount", "negative_amount"],
                               dtype=object)[frame["_bad"][sel]]
            keys.append(pa.table({"table": pa.array([fqn] * int(sel.sum()), pa.string()),
                                  "row_id": frame["_id"][sel],
                                  "kind": pa.array(kinds.tolist(), pa.string())}))
        copy_to(self.con, pa.concat_tables(keys), "select * from t order by \"table\", kind, row_id",
                gt / "dirt_rows.csv", "csv")

    def _campaign_truth(self, gt: Path, sim: Simulation) -> None:
        """The planted effects, and the outcome rates they produced among treatment and control."""
        c, cal = sim.campaigns, self.cal
        web, sa = sim.web, sim.sales
        wp = web["person"] >= 0
        big = np.int64(1 << 34)
        off = cal.start_ts - 400 * DAY
        vkey = np.sort(web["person"][wp].astype(np.int64) * big + (web["ts"][wp] - off))
        buy = sa["type"] == PURCHASE
        pkey = np.sort(sa["person"][buy].astype(np.int64) * big + (sa["ts"][buy] - off))
        rows = []
        for i in range(c.n):
            m, tr = c.members[i], c.treated[i]
            ws = int(cal.day_ts[c.start_day[i]])
            we = cal.start_ts + min(int(c.end_day[i]) + EFFECT_TAIL_DAYS, cal.days) * DAY  # exclusive
            lo, hi = m.astype(np.int64) * big + (ws - off), m.astype(np.int64) * big + (we - off)
            visited = np.searchsorted(vkey, hi) > np.searchsorted(vkey, lo)
            bought = np.searchsorted(pkey, hi) > np.searchsorted(pkey, lo)

            def rate(x: np.ndarray, g: np.ndarray) -> float | None:
                return round(float(x[g].mean()), 5) if g.any() else None

            rows.append({
                "campaign_id": f"CMP{i + 1:04d}", "channel": CAMPAIGN_CHANNELS[c.channel[i]],
                "objective": OBJECTIVES[c.objective[i]], "control_share": float(c.control_share[i]),
                "visit_lift_daily": float(c.visit_lift[i]), "purchase_lift_daily": float(c.buy_lift[i]),
                "effect_start": _iso(ws), "effect_end": _iso(we),
                "n_treatment": int(tr.sum()), "n_control": int((~tr).sum()),
                "visit_rate_treatment": rate(visited, tr), "visit_rate_control": rate(visited, ~tr),
                "purchase_rate_treatment": rate(bought, tr), "purchase_rate_control": rate(bought, ~tr),
            })
        copy_to(self.con, pa.Table.from_pylist(rows), "select * from t", gt / "campaign_effects.csv", "csv")
        self._member_truth(gt, c)

    def _member_truth(self, gt: Path, c) -> None:
        """Per campaign member, the planted daily purchase lift they would get when treated (the campaign's
        lift x their persona's factor for its channel, simulate.PURCHASE_LIFT_BY_PERSONA): what an uplift
        model should rank. The lift is active from the campaign start to its end + EFFECT_TAIL_DAYS."""
        sizes = [len(m) for m in c.members]
        frame = {"campaign": np.repeat(np.arange(c.n), sizes).astype(np.int64),
                 "person": np.concatenate(c.members or [np.zeros(0, np.int64)]).astype(np.int64),
                 "treated": np.concatenate(c.treated or [np.zeros(0, bool)]),
                 "lift": np.concatenate(c.member_buy_lift or [np.zeros(0, np.float32)]).astype(np.float64)}
        pid = "'P' || lpad((person + 1)::varchar, 8, '0')"
        copy_to(self.con, to_arrow(frame), f"""
            select 'CMP' || lpad((campaign + 1)::varchar, 4, '0') as campaign_id, {pid} as person_id,
                   treated as is_treated, round(lift, 6) as purchase_lift_daily
            from t order by campaign, person""", gt / "campaign_member_effects.csv", "csv")


def generate(cfg: GenerateConfig) -> dict:
    """Generate the demo raw data (and the ground truth under ``<out>/_ground_truth``). Returns a summary:
    rows per table, files written, seconds."""
    t0 = time.perf_counter()
    out = cfg.out
    for t in TABLES:  # a re-run replaces the tables it owns, nothing else in the folder
        shutil.rmtree(out / t.source / t.name, ignore_errors=True)
    shutil.rmtree(out / GROUND_TRUTH, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    summary = _Gen(cfg).run()
    summary["seconds"] = round(time.perf_counter() - t0, 2)
    summary["events"] = sum(v for k, v in summary["rows"].items()
                            if k in {"marketing.email_events", "marketing.web_events", "marketing.webinar_events",
                                     "advisor.interactions", "crm.sales"})
    return summary
