"""Bring your own data: the Telco and Online Shoppers mappers on small committed samples of the real files.

Expected counts are computed from the sample files themselves (with the csv module, independently of the
mappers), so the tests keep meaning something if the samples are re-cut.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import duckdb
import pytest

from cjo_data.byod import SourceFileError, map_shoppers, map_telco
from cjo_data.byod.__main__ import default_source, main
from cjo_data.byod.common import add_months
from cjo_data.byod.shoppers import MAX_GAP_S, special_days
from cjo_data.byod.telco import DEFAULT_CHURN_GAP_MONTHS, DEFAULT_REFERENCE_DATE
from orchestration.contract import table
from orchestration.landing import land

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "byod"
TELCO = FIXTURES / "telco_sample.csv"
SHOPPERS = FIXTURES / "shoppers_sample.csv"
DBT = Path(sys.executable).parent / "dbt"
MONTHS = {"Feb": 2, "Mar": 3, "May": 5, "June": 6, "Jul": 7, "Aug": 8, "Sep": 9, "Oct": 10, "Nov": 11, "Dec": 12}


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _header(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as fh:
        return next(csv.reader(fh))


def _ts(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


@pytest.fixture(scope="module")
def telco_rows() -> list[dict[str, str]]:
    return _read(TELCO)


@pytest.fixture(scope="module")
def shopper_rows() -> list[dict[str, str]]:
    return _read(SHOPPERS)


@pytest.fixture(scope="module")
def raw(tmp_path_factory) -> tuple[Path, dict, dict]:
    """Both samples mapped into one raw folder, as a user would do."""
    out = tmp_path_factory.mktemp("byod") / "raw"
    telco = map_telco(TELCO, out)
    shoppers = map_shoppers(SHOPPERS, out)
    return out, telco, shoppers


# ---------------------------------------------------------------------------------------- contract shape
def test_every_written_file_has_exactly_the_contract_columns(raw):
    out, telco, shoppers = raw
    written = {**telco.files, **shoppers.files}
    assert set(written) == {"crm.advisors", "crm.firms", "crm.wholesalers", "crm.products", "crm.sales",
                            "crm.customer_attributes", "privacy.consent_events", "marketing.web_events",
                            "marketing.campaigns"}
    for fqn, path in written.items():
        t = table(fqn)
        assert path == out / t.source / t.name / path.name
        assert path.name in ("telco.csv", "shoppers.csv")
        assert _header(path) == [c.name for c in t.columns], fqn
        # Every row has as many fields as the header, and required-not-null values are filled in.
        rows = _read(path)
        assert len(rows) == (telco.rows | shoppers.rows)[fqn]
        not_null = [c.name for c in t.columns if not c.nullable]
        for r in rows:
            assert None not in r.values() and None not in r
            assert all(r[c] for c in not_null), (fqn, r)
            for c in t.columns:
                if c.accepted_values and r[c.name]:
                    assert r[c.name] in c.accepted_values, (fqn, c.name, r[c.name])


def test_mapped_samples_land_without_contract_violation(raw, tmp_path):
    out, telco, shoppers = raw
    report = land(out, tmp_path / "landing")
    landed = {f.table: f for f in report.landed}
    expected = telco.rows | shoppers.rows
    assert {fqn for fqn, n in expected.items() if n} == set(landed)
    for fqn, f in landed.items():
        assert f.rows == expected[fqn], fqn
        assert f.rejected_lines == 0 and not f.ignored_columns, f


# ---------------------------------------------------------------------------------------------- telco
def test_telco_counts_follow_the_sample(raw, telco_rows):
    _, telco, _ = raw
    tenure = sum(int(r["tenure"]) for r in telco_rows)
    assert tenure > 0
    assert telco.rows["crm.advisors"] == len(telco_rows)
    assert telco.rows["crm.sales"] == tenure  # one purchase per month of tenure
    assert telco.rows["crm.firms"] == len({r["Contract"] for r in telco_rows})
    sales = _read(telco.files["crm.sales"])
    assert {s["transaction_type"] for s in sales} == {"purchase"}
    monthly = {r["customerID"]: r["MonthlyCharges"] for r in telco_rows}
    assert all(float(s["amount"]) == pytest.approx(float(monthly[s["advisor_id"]])) for s in sales)
    assert len({s["sale_id"] for s in sales}) == len(sales)
    products = {p["product_id"] for p in _read(telco.files["crm.products"])}
    assert {s["product_id"] for s in sales} <= products
    firms = {f["firm_id"] for f in _read(telco.files["crm.firms"])}
    assert {a["firm_id"] for a in _read(telco.files["crm.advisors"])} <= firms


def test_telco_dates_churn_and_opt_outs(raw, telco_rows):
    _, telco, _ = raw
    by_id = {r["customerID"]: r for r in telco_rows}
    advisors = {a["advisor_id"]: a for a in _read(telco.files["crm.advisors"])}
    sales = defaultdict(list)
    for s in _read(telco.files["crm.sales"]):
        sales[s["advisor_id"]].append(_ts(s["traded_at"]))
    ref = DEFAULT_REFERENCE_DATE
    churn_cutoff = add_months(ref, -DEFAULT_CHURN_GAP_MONTHS)
    for cid, r in by_id.items():
        a, dates, tenure = advisors[cid], sorted(sales[cid]), int(r["tenure"])
        created = _ts(a["created_at"])
        assert a["email"] == f"{cid.lower()}@example.invalid"
        assert len(dates) == tenure
        if r["Churn"] == "No":
            assert created == add_months(ref, -tenure)
        assert all(created <= d < (churn_cutoff if r["Churn"] == "Yes" else ref) for d in dates), cid
        # Monthly: consecutive bills are 28-31 days apart.
        assert all(timedelta(days=28) <= b - a_ <= timedelta(days=31) for a_, b in pairwise(dates)), cid
    opt_outs = _read(telco.files["privacy.consent_events"])
    churned = {cid for cid, r in by_id.items() if r["Churn"] == "Yes"}
    assert 0 < len(opt_outs) < len(churned)  # a small share, only of churned customers
    for e in opt_outs:
        assert e["advisor_id"] in churned and (e["channel"], e["status"]) == ("email", "opt_out")
        assert _ts(e["occurred_at"]) > max(sales[e["advisor_id"]], default=_ts(advisors[e["advisor_id"]]["created_at"]))


def test_telco_attributes_and_spread_churn_dates(raw, telco_rows):
    """Every customer's attributes are delivered typed (contract, demographics, services, charges; never
    tenure or total charges, which would show an earlier snapshot the future), and churned customers
    leave at dates spread over the months before the reference date, so every snapshot has leavers."""
    from cjo_data.byod.telco import ATTRIBUTES, DEFAULT_CHURN_SPREAD_MONTHS

    _, telco, _ = raw
    attrs = _read(telco.files["crm.customer_attributes"])
    by_id = {r["customerID"]: r for r in telco_rows}
    assert len(attrs) == len({a["attribute_record_id"] for a in attrs}) == len(by_id) * len(ATTRIBUTES)
    source_col = {name: col for col, name, _ in ATTRIBUTES}
    for a in attrs:
        assert a["value"] == by_id[a["advisor_id"]][source_col[a["attribute"]]].strip()
        assert a["attribute_type"] == ("numeric" if a["attribute"] == "monthly_charges" else "categorical")
        assert a["valid_from"] == ""
    assert not {"tenure", "total_charges", "email", "phone"} & {a["attribute"] for a in attrs}
    last_bill = defaultdict(list)
    for s in _read(telco.files["crm.sales"]):
        last_bill[s["advisor_id"]].append(_ts(s["traded_at"]))
    months_back = {cid: (DEFAULT_REFERENCE_DATE.year - max(d).year) * 12 + DEFAULT_REFERENCE_DATE.month
                   - max(d).month for cid, d in last_bill.items() if by_id[cid]["Churn"] == "Yes"}
    assert max(months_back.values()) <= DEFAULT_CHURN_SPREAD_MONTHS
    assert len(set(months_back.values())) >= 3  # spread, not one common churn date


def test_telco_blank_total_charges_quirk(raw, telco_rows):
    _, telco, _ = raw
    blank = [r["customerID"] for r in telco_rows if r["TotalCharges"].strip() == ""]
    assert blank, "the sample must keep the tenure-0 rows"
    advisors = {a["advisor_id"]: a for a in _read(telco.files["crm.advisors"])}
    sold_to = {s["advisor_id"] for s in _read(telco.files["crm.sales"])}
    for cid in blank:
        assert advisors[cid]["created_at"] == DEFAULT_REFERENCE_DATE.strftime("%Y-%m-%dT%H:%M:%SZ")
        assert cid not in sold_to


def test_telco_blank_total_charges_with_tenure_is_an_error_naming_line_and_field(tmp_path):
    lines = TELCO.read_text().splitlines()
    bad = next(i for i, line in enumerate(lines[1:], start=1) if line.split(",")[5] not in ("0", "1"))
    fields = lines[bad].split(",")
    fields[19] = " "
    lines[bad] = ",".join(fields)
    src = tmp_path / "telco.csv"
    src.write_text("\n".join(lines) + "\n")
    with pytest.raises(SourceFileError, match=rf"{src}:{bad + 1}: field 'TotalCharges'"):
        map_telco(src, tmp_path / "out")


def test_missing_source_column_names_file_and_column(tmp_path):
    lines = TELCO.read_text().splitlines()
    src = tmp_path / "no_tenure.csv"
    src.write_text("\n".join(",".join(f for i, f in enumerate(line.split(",")) if i != 5) for line in lines))
    with pytest.raises(SourceFileError, match=rf"{src}: missing column 'tenure'"):
        map_telco(src, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_mapping_is_deterministic(raw, tmp_path):
    _, telco, shoppers = raw
    again = map_telco(TELCO, tmp_path)
    again_s = map_shoppers(SHOPPERS, tmp_path)
    for fqn, path in {**telco.files, **shoppers.files}.items():
        other = {**again.files, **again_s.files}[fqn]
        assert path.read_bytes() == other.read_bytes(), fqn


# -------------------------------------------------------------------------------------------- shoppers
def test_shoppers_events_follow_the_sample(raw, shopper_rows):
    _, _, shoppers = raw
    pages = sum(int(r["Administrative"]) + int(r["Informational"]) + int(r["ProductRelated"]) for r in shopper_rows)
    buyers = sum(r["Revenue"] == "TRUE" for r in shopper_rows)
    events = _read(shoppers.files["marketing.web_events"])
    assert shoppers.rows["marketing.web_events"] == pages + buyers
    kinds = defaultdict(int)
    for e in events:
        kinds[e["event_type"]] += 1
        assert bool(e["email"]) == (e["event_type"] == "form_submit")
    assert dict(kinds) == {"page_view": pages, "form_submit": buyers}
    assert len({e["event_id"] for e in events}) == len(events)
    # One anonymous id per session that has any event; the form_submit is the session's last event.
    by_session = defaultdict(list)
    for e in events:
        by_session[e["anonymous_id"]].append(e)
    active = [r for r in shopper_rows if r["Revenue"] == "TRUE"
              or int(r["Administrative"]) + int(r["Informational"]) + int(r["ProductRelated"])]
    assert len(by_session) == len(active)
    for evs in by_session.values():
        times = [_ts(e["occurred_at"]) for e in evs]
        assert times == sorted(times)
        assert all(timedelta(0) < b - a <= timedelta(seconds=MAX_GAP_S) for a, b in pairwise(times))
        assert all(e["event_type"] == "page_view" for e in evs[:-1])


def test_shoppers_timestamps_keep_month_weekend_and_special_days(raw, shopper_rows):
    _, _, shoppers = raw
    first = {}
    for e in _read(shoppers.files["marketing.web_events"]):
        row = int(e["event_id"].split("-")[1])
        first.setdefault(row, e)
    campaigns = {c["campaign_id"]: c for c in _read(shoppers.files["marketing.campaigns"])}
    assert first
    for row, e in first.items():
        src = shopper_rows[row - 1]
        start = _ts(e["occurred_at"])
        assert start.month == MONTHS[src["Month"]], (row, src["Month"], start)
        assert (start.weekday() >= 5) == (src["Weekend"] == "TRUE"), (row, start)
        assert e["utm_source"] == f"traffic-type-{src['TrafficType']}"
        if float(src["SpecialDay"]) > 0:
            c = campaigns[e["utm_campaign"]]
            assert _ts(c["start_at"]) <= start < _ts(c["end_at"])
        else:
            assert e["utm_campaign"] == ""


@pytest.mark.parametrize("year", [2019, 2024, 2025, 2026])
def test_special_days_are_valentines_and_the_second_sunday_of_may(year):
    days = {m: d for m, (_, _, d) in special_days(year).items()}
    assert days[2] == datetime(year, 2, 14).date()
    assert days[5].month == 5 and days[5].weekday() == 6 and 8 <= days[5].day <= 14


def test_add_months_clamps_the_day():
    assert add_months(datetime(2024, 1, 31, tzinfo=UTC), 1) == datetime(2024, 2, 29, tzinfo=UTC)
    assert add_months(datetime(2026, 1, 1, tzinfo=UTC), -13) == datetime(2024, 12, 1, tzinfo=UTC)


def test_unknown_month_names_the_line(tmp_path):
    lines = SHOPPERS.read_text().splitlines()
    fields = lines[3].split(",")
    fields[_header(SHOPPERS).index("Month")] = "Maerz"
    lines[3] = ",".join(fields)
    src = tmp_path / "s.csv"
    src.write_text("\n".join(lines) + "\n")
    with pytest.raises(SourceFileError, match=rf"{src}:4: field 'Month'"):
        map_shoppers(src, tmp_path / "out")


# ------------------------------------------------------------------------------------------------- CLI
def test_cli_maps_and_reports_a_missing_file(tmp_path, capsys):
    assert main(["telco", "--src", str(TELCO), "--out", str(tmp_path), "--limit", "5"]) == 0
    assert len(_read(tmp_path / "crm" / "advisors" / "telco.csv")) == 5
    missing = tmp_path / "nope" / "Telco.csv"
    assert main(["shoppers", "--src", str(missing), "--out", str(tmp_path)]) == 2
    assert str(missing) in capsys.readouterr().err
    # Defaults resolve to ../shared/data next to the repository, when asked (not at import).
    assert default_source("telco") == ROOT.parent / "shared" / "data" / "telco_churn" / "Telco-Customer-Churn.csv"


# ------------------------------------------------------------------------------------------ end to end
# ~30 s of CPU (two thirds of it dbt's full parse in a private target path); longer on a loaded machine.
@pytest.mark.slow
def test_dbt_staging_on_mapped_samples(raw, tmp_path, telco_rows, shopper_rows):
    """Land the mapped samples and `dbt build` staging (plus fct_quarantined_rows, which reads the staging
    base models): nothing quarantined, every purchase and web event staged."""
    out, telco, shoppers = raw
    landing, db = tmp_path / "landing", tmp_path / "warehouse.duckdb"
    land(out, landing)
    env = dict(os.environ, CJO_LANDING_DIR=str(landing), CJO_DUCKDB_PATH=str(db), CJO_RAW_DIR=str(out),
               DBT_SEND_ANONYMOUS_USAGE_STATS="false")
    # A private target/log path so a concurrent dbt command in the repo cannot share our parse state.
    # Unit tests are left out: they use their own fixtures, not this data. Cautious indirect selection:
    # only tests whose every parent is selected (singular tests that also read marts would fail here).
    cmd = [str(DBT), "build", "--quiet", "--project-dir", str(ROOT), "--profiles-dir", str(ROOT),
           "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs"),
           "--exclude-resource-type", "unit_test", "--indirect-selection", "cautious",
           "--select", "staging", "fct_quarantined_rows"]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-2000:]

    with duckdb.connect(str(db), read_only=True) as con:
        def one(sql: str):
            return con.execute(sql).fetchall()[0][0]

        quarantined = con.execute(
            "select source_table, count(*) from marts.fct_quarantined_rows group by 1").fetchall()
        assert quarantined == [], quarantined
        assert one("select count(*) from staging.stg_crm__advisors") == len(telco_rows)
        assert one("select count(*) from staging.stg_crm__sales") == sum(int(r["tenure"]) for r in telco_rows)
        assert one("select count(*) from staging.stg_privacy__consent_events") == telco.rows["privacy.consent_events"]
        assert one("select count(*) from staging.stg_marketing__web_events") == shoppers.rows["marketing.web_events"]
        assert one("select count(distinct email) from staging.stg_marketing__web_events") == sum(
            r["Revenue"] == "TRUE" for r in shopper_rows)
