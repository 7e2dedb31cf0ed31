"""The demo data generator: deterministic, contract-shaped, landable, dirty on purpose, and true to its
ground truth. Small sizes only; speed is measured in benchmarks/bench_generate.py."""

from __future__ import annotations

import csv
import hashlib
import itertools
import re
from datetime import date
from pathlib import Path

import duckdb
import pytest

from cjo_data.generate import GROUND_TRUTH, GenerateConfig, generate
from cjo_data.generate.__main__ import main as cli_main
from orchestration.contract import TABLES
from orchestration.landing import land

SMALL = {"advisors": 1200, "days": 365, "seed": 7, "end_date": date(2026, 6, 30)}


@pytest.fixture(scope="module")
def raw(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("raw")
    summary = generate(GenerateConfig(out=out, **SMALL))
    return out, summary


@pytest.fixture(scope="module")
def con(raw: tuple[Path, dict]) -> duckdb.DuckDBPyConnection:
    """Every raw table (all text) and the ground truth, as tables. (Not views: DuckDB 2.0.1 pushes a
    try_cast over a view on read_csv(all_varchar) into the CSV scanner, which then fails on 'n/a'.)"""
    out, _ = raw
    c = duckdb.connect()
    c.execute("set TimeZone = 'UTC'")
    for t in TABLES:
        glob = (out / t.source / t.name / "*.csv").as_posix()
        c.execute(f"create table {t.source}__{t.name} as select * from read_csv('{glob}', all_varchar = true, "
                  f"header = true, filename = true)")
    for f in (out / GROUND_TRUTH).glob("*.csv"):
        c.execute(f"create table gt_{f.stem} as select * from read_csv('{f.as_posix()}', header = true, "
                  f"all_varchar = true)")
    return c


def _digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _q(con: duckdb.DuckDBPyConnection, sql: str):
    return con.execute(sql).fetchall()


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    args = {"advisors": 300, "days": 45, "end_date": date(2026, 3, 31)}
    generate(GenerateConfig(out=tmp_path / "a", seed=1, **args))
    generate(GenerateConfig(out=tmp_path / "b", seed=1, **args))
    generate(GenerateConfig(out=tmp_path / "c", seed=2, **args))
    a, b, c = _digest(tmp_path / "a"), _digest(tmp_path / "b"), _digest(tmp_path / "c")
    assert a == b
    assert a.keys() == c.keys()
    assert sum(a[k] != c[k] for k in a) > len(a) // 2


def test_every_contract_table_has_files_with_exactly_the_contract_columns(raw: tuple[Path, dict]) -> None:
    out, summary = raw
    for t in TABLES:
        files = sorted((out / t.source / t.name).glob("*.csv"))
        assert files, f"no file for {t.fqn}"
        for f in files:
            with f.open(newline="") as fh:
                header = next(csv.reader(fh))
            assert header == [c.name for c in t.columns], f.name
        assert summary["rows"][t.fqn] > 0, t.fqn


def test_output_lands_cleanly(raw: tuple[Path, dict], tmp_path: Path) -> None:
    out, summary = raw
    report = land(out, tmp_path / "landing")
    s = report.summary()
    assert s.get("landed", 0) == len(list(out.rglob("delivery_*.csv")))
    assert s["rows_landed"] == sum(summary["rows"].values())
    assert s["lines_rejected"] == 0


def test_ground_truth_covers_every_identifier(con: duckdb.DuckDBPyConnection) -> None:
    unknown_adv = _q(con, """
        select count(*) from (
            select advisor_id from crm__advisors union select advisor_id from crm__sales
            union select advisor_id from advisor__interactions
            union select advisor_id from marketing__email_events where advisor_id is not null
            union select advisor_id from privacy__consent_events where advisor_id is not null)
        where advisor_id not in (select advisor_id from gt_advisor_records)""")[0][0]
    assert unknown_adv == 0
    linkable = _q(con, """select count(*) filter (where ever_identified::boolean), count(*)
                          from gt_anonymous_ids where person_id is not null""")[0]
    assert 0.5 < linkable[0] / linkable[1] < 1
    unknown_anon = _q(con, """select count(*) from (select distinct anonymous_id from marketing__web_events)
                              where anonymous_id not in (select anonymous_id from gt_anonymous_ids)""")[0][0]
    assert unknown_anon == 0
    people = _q(con, "select count(*), count(distinct person_id) from gt_people")[0]
    assert people[0] == people[1] == SMALL["advisors"]


def test_no_two_people_share_an_email_or_a_phone(con: duckdb.DuckDBPyConnection) -> None:
    rows = _q(con, """
        with a as (
            select r.person_id, lower(trim(a.email)) as email,
                   right(regexp_replace(a.phone, '[^0-9]', '', 'g'), 10) as phone
            from crm__advisors a join gt_advisor_records r using (advisor_id))
        select (select count(*) from (select email from a where email is not null group by email
                                      having count(distinct person_id) > 1)),
               (select count(*) from (select phone from a where phone is not null group by phone
                                      having count(distinct person_id) > 1)),
               (select count(*) from a where email is not null
                  and email not in (select email from gt_email_addresses))""")[0]
    assert rows == (0, 0, 0)


def test_duplicate_crm_records_are_linkable_by_email_or_phone(con: duckdb.DuckDBPyConnection) -> None:
    linked, dups = _q(con, """
        with a as (select r.person_id, r.record_kind, lower(trim(a.email)) as email,
                          right(regexp_replace(a.phone, '[^0-9]', '', 'g'), 10) as phone
                   from crm__advisors a join gt_advisor_records r using (advisor_id)),
        d as (select distinct person_id, email, phone from a where record_kind <> 'primary'),
        p as (select distinct person_id, email, phone from a where record_kind = 'primary')
        select count(distinct d.person_id) filter (where p.email = d.email or p.phone = d.phone),
               count(distinct d.person_id)
        from d left join p using (person_id)""")[0]
    assert dups > 0
    assert linked == dups


def test_dirt_is_planted_at_roughly_the_configured_rate(con: duckdb.DuckDBPyConnection) -> None:
    rate = 0.02
    total, distinct = _q(con, "select count(*), count(distinct event_id) from marketing__email_events")[0]
    # exact duplicates (same id, same values) ~ rate, malformed extra rows ~ rate / 8
    assert 0.5 * rate < (total - distinct) / distinct < 1.6 * rate
    exact = _q(con, """select count(*) from (select event_id, email, event_type, occurred_at, count(*) n
                       from marketing__email_events group by all having n > 1)""")[0][0]
    assert exact > 0
    bad = _q(con, """select count(*) filter (where try_cast(occurred_at as timestamptz) is null),
                            count(*) filter (where event_type not in
                                ('send', 'deliver', 'open', 'click', 'bounce', 'unsubscribe')),
                            count(*) from marketing__email_events""")[0]
    assert 0 < bad[0] < bad[2] * rate / 2 and 0 < bad[1] < bad[2] * rate / 2
    bad_amounts, sales = _q(con, """select count(*) filter (where try_cast(amount as double) is null
                                                            or try_cast(amount as double) < 0), count(*)
                                    from crm__sales""")[0]
    planted = _q(con, """select count(*) from gt_dirt_rows where "table" = 'crm.sales'
                         and kind in ('non_numeric_amount', 'negative_amount')""")[0][0]
    assert bad_amounts == planted < sales * 0.01
    malformed, rows = _q(con, """select count(*) filter (where kind not in ('duplicate', 'late')),
                                        (select sum(rows::int) from gt_dirt_summary where kind = 'rows')
                                 from gt_dirt_rows""")[0]
    assert 0 < malformed < rows * 0.01
    variants = _q(con, """select count(*) filter (where email <> lower(trim(email))), count(email)
                          from marketing__email_events""")[0]
    assert 2 * rate < variants[0] / variants[1] < 8 * rate
    formats = {re.sub(r"\d", "9", p) for (p,) in _q(con, "select phone from crm__advisors where phone is not null")}
    assert formats == {"(999) 999-9999", "999.999.9999", "+9 999 999 9999", "9999999999", "9-999-999-9999"}
    offsets = {re.sub(r"[\d]", "9", ts)[10:] for (ts,) in _q(con, "select occurred_at from advisor__interactions")}
    assert {"T99:99:99Z", "T99:99:99+99:99", "T99:99:99-99:99", " 99:99:99"} <= offsets
    nulls = _q(con, "select count(*) filter (where page_url is null) / count(*) from marketing__web_events")[0][0]
    assert 0.3 * rate < nulls < 2 * rate


def test_mixed_offsets_denote_the_same_instant(con: duckdb.DuckDBPyConnection) -> None:
    """Redelivered duplicates of one event carry the same instant whatever offset each copy is written
    with."""
    spread = _q(con, """select max(n) from (
        select event_id, count(distinct (try_cast(occurred_at as timestamptz) at time zone 'UTC')) n
        from marketing__web_events where try_cast(occurred_at as timestamptz) is not null
        group by event_id, event_type, anonymous_id having count(*) > 1)""")[0][0]
    assert spread == 1


def test_late_arrivals_land_in_a_later_delivery(con: duckdb.DuckDBPyConnection) -> None:
    late = _q(con, """
        with f as (select filename, max(try_cast(occurred_at as timestamptz)) filter (where true) as newest,
                          regexp_extract(filename, 'delivery_(\\d+)_', 1)::int as k
                   from advisor__interactions group by filename),
        prev as (select k + 1 as k, newest as prev_newest from f)
        select count(*) from advisor__interactions i join f using (filename) join prev using (k)
        where try_cast(i.occurred_at as timestamptz) < (select min(newest) from f f2 where f2.k = f.k - 1)
          and try_cast(i.occurred_at as timestamptz) < prev_newest - interval 5 day""")[0][0]
    assert late > 0


def test_control_groups_receive_no_campaign_emails(con: duckdb.DuckDBPyConnection) -> None:
    leaked, control, treated_mails = _q(con, """
        with m as (select cm.campaign_id, r.person_id, cm.assignment
                   from marketing__campaign_members cm join gt_advisor_records r using (advisor_id)),
        e as (select distinct e.campaign_id, r.person_id from marketing__email_events e
              join gt_email_addresses r on r.email = lower(trim(e.email)) where e.campaign_id is not null)
        select count(*) filter (where assignment = 'control' and e.person_id is not null),
               count(*) filter (where assignment = 'control'),
               count(*) filter (where assignment = 'treatment' and e.person_id is not null)
        from m left join e using (campaign_id, person_id)""")[0]
    assert control > 0 and treated_mails > 0
    assert leaked == 0


def test_control_share_and_planted_effects_are_recorded(con: duckdb.DuckDBPyConnection) -> None:
    rows = _q(con, """select campaign_id, visit_lift_daily::double, purchase_lift_daily::double
                      from gt_campaign_effects""")
    assert {r[0] for r in rows} == {r[0] for r in _q(con, "select campaign_id from marketing__campaigns")}
    share = _q(con, """select count(*) filter (where assignment = 'control') / count(*)
                       from (select distinct member_id, assignment from marketing__campaign_members)""")[0][0]
    assert 0.08 < share < 0.22


def test_planted_purchase_effect_depends_on_persona_and_channel(con: duckdb.DuckDBPyConnection) -> None:
    """The ground truth holds every member's planted lift: the campaign's lift x the persona's factor for
    its channel (digital campaigns move newcomers, wholesaler campaigns seasoned advisors)."""
    from cjo_data.generate.simulate import CAMPAIGN_CHANNELS, PURCHASE_LIFT_BY_PERSONA
    from cjo_data.generate.world import NEWCOMER, SEASONED

    rows = _q(con, """
        select c.campaign_id, c.channel, c.purchase_lift_daily::double, p.persona,
               min(m.purchase_lift_daily::double), max(m.purchase_lift_daily::double)
        from gt_campaign_member_effects m join gt_campaign_effects c using (campaign_id)
        join gt_people p using (person_id) group by all""")
    assert rows
    column = {"newcomer": NEWCOMER, "seasoned": SEASONED}
    for campaign, channel, lift, persona, low, high in rows:
        expected = lift * float(PURCHASE_LIFT_BY_PERSONA[CAMPAIGN_CHANNELS.index(channel), column[persona]])
        assert low == pytest.approx(expected, abs=2e-6) and high == pytest.approx(expected, abs=2e-6), campaign
    # the effect differs between the personas of the same campaign (heterogeneous, not one number; a
    # nurture campaign reaches newcomers only)
    by_campaign: dict[str, set[float]] = {}
    for campaign, _, lift, _, low, _ in rows:
        if lift > 0:
            by_campaign.setdefault(campaign, set()).add(round(low, 6))
    assert sum(len(v) == 2 for v in by_campaign.values()) >= 3, by_campaign


def test_funnel_has_drop_off_and_history_is_consistent(con: duckdb.DuckDBPyConnection) -> None:
    reached = dict(_q(con, "select stage, count(distinct person_id) from gt_stage_history group by stage"))
    order = ["awareness", "consideration", "purchase", "onboarding", "retention", "advocacy"]
    counts = [reached.get(s, 0) for s in order]
    assert all(a > b for a, b in itertools.pairwise(counts)), counts
    assert counts[-1] > 0 and reached.get("lapsed", 0) > 0
    bad_order = _q(con, """select count(*) from (
        select entered_at::timestamptz t, lag(entered_at::timestamptz) over (partition by person_id
               order by entered_at::timestamptz) prev from gt_stage_history) where t <= prev""")[0][0]
    assert bad_order == 0
    mismatched = _q(con, """select count(*) from gt_people p left join (
        select person_id, arg_max(stage, entered_at::timestamptz) s from gt_stage_history group by person_id) h
        using (person_id) where p.true_stage_at_end is distinct from h.s""")[0][0]
    assert mismatched == 0


def test_personas_behave_differently(con: duckdb.DuckDBPyConnection) -> None:
    by = dict((p, (float(a), float(m))) for p, a, m in _q(con, """
        select p.persona, median(try_cast(s.amount as double)),
               avg((i.interaction_type = 'meeting')::int)
        from gt_people p join gt_advisor_records r using (person_id)
        left join crm__sales s on s.advisor_id = r.advisor_id and s.transaction_type = 'purchase'
        left join advisor__interactions i on i.advisor_id = r.advisor_id
        group by p.persona"""))
    assert by["seasoned"][0] > 2 * by["newcomer"][0]  # larger tickets
    assert by["seasoned"][1] > by["newcomer"][1]  # more meetings


def test_zero_dirt_gives_clean_unique_rows(tmp_path: Path) -> None:
    generate(GenerateConfig(out=tmp_path, advisors=300, days=45, seed=3, dirt_rate=0.0))
    c = duckdb.connect()
    glob = (tmp_path / "marketing" / "email_events" / "*.csv").as_posix()
    total, distinct, bad = c.execute(f"""select count(*), count(distinct event_id),
        count(*) filter (where try_cast(occurred_at as timestamptz) is null)
        from read_csv('{glob}', all_varchar = true)""").fetchone()
    assert total == distinct and bad == 0
    adv = (tmp_path / "_ground_truth" / "advisor_records.csv").read_text().count("duplicate")
    assert adv == 0


def test_cli_writes_parquet_and_gzip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["--advisors", "200", "--days", "30", "--seed", "5", "--out", str(tmp_path / "p"),
                     "--format", "parquet", "--deliveries", "2", "--end-date", "2026-01-31"]) == 0
    assert '"files"' in capsys.readouterr().out
    assert list((tmp_path / "p" / "marketing" / "web_events").glob("*.parquet"))
    report = land(tmp_path / "p", tmp_path / "landing")
    assert report.summary()["rows_landed"] > 0
    generate(GenerateConfig(out=tmp_path / "g", advisors=200, days=30, seed=5, file_format="csv.gz"))
    assert list((tmp_path / "g" / "crm" / "sales").glob("*.csv.gz"))


def test_bad_config_is_rejected() -> None:
    with pytest.raises(ValueError, match="dirt_rate"):
        GenerateConfig(dirt_rate=0.9)
    with pytest.raises(ValueError, match="advisors"):
        GenerateConfig(advisors=1)


def _norm_phone(p: str | None) -> str | None:
    digits = re.sub(r"\D", "", p or "")
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    return digits if len(digits) == 10 else None


def test_identity_is_resolvable_by_email_phone_and_logins(con: duckdb.DuckDBPyConnection) -> None:
    """A plain union-find over normalized emails, phones and login/form events must reach precision >= 0.99
    (no cluster mixes people) and recall >= 0.95 (events reach their person's CRM record)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a: str, b: str) -> None:
        parent[find(a)] = find(b)

    for adv, email, phone in _q(con, "select advisor_id, lower(trim(email)), phone from crm__advisors"):
        find("a:" + adv)
        if email:
            union("a:" + adv, "e:" + email)
        if _norm_phone(phone):
            union("a:" + adv, "p:" + _norm_phone(phone))
    for anon, email in _q(con, """select distinct anonymous_id, lower(trim(email)) from marketing__web_events
                                 where email is not null"""):
        union("c:" + anon, "e:" + email)
    truth = dict(_q(con, "select advisor_id, person_id from gt_advisor_records"))
    primary = dict(_q(con, "select person_id, advisor_id from gt_advisor_records where record_kind = 'primary'"))
    # precision: every predicted cluster of CRM records holds one person
    clusters: dict[str, set[str]] = {}
    for adv, person in truth.items():
        clusters.setdefault(find("a:" + adv), set()).add(person)
    pairs = sum(len(v) * (len(v) - 1) // 2 for v in clusters.values())
    assert all(len(v) == 1 for v in clusters.values()), pairs
    # recall: events (by their identifiers) reach their true person's primary CRM record
    events = _q(con, """
        select 'c:' || w.anonymous_id, a.person_id from marketing__web_events w
        join gt_anonymous_ids a using (anonymous_id) where a.person_id is not null
        union all select 'e:' || lower(trim(e.email)), m.person_id from marketing__email_events e
        join gt_email_addresses m on m.email = lower(trim(e.email))
        union all select 'e:' || lower(trim(e.email)), m.person_id from marketing__webinar_events e
        join gt_email_addresses m on m.email = lower(trim(e.email))
        union all select 'a:' || s.advisor_id, r.person_id from crm__sales s
        join gt_advisor_records r using (advisor_id)""")
    hits = sum(find(key) == find("a:" + primary[person]) for key, person in events)
    assert hits / len(events) >= 0.95
