"""The suites themselves, without Dagster: each can pass and each can fail, on small hand-made inputs.
Also the ops.quality_results writer and the readers `cjo status` uses."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from expectations import mart_suites, raw_suites
from expectations._config import Thresholds
from expectations.activation_audiences import AudienceSizeSuite
from orchestration import contract
from orchestration.contract import TABLES
from orchestration.landing import land
from orchestration.quality.marts import record, run_mart_suite
from orchestration.quality.raw import new_deliveries, validate_deliveries
from orchestration.quality.results import latest_results, latest_summary, quarantine_counts, write_results
from orchestration.quality.runner import validate

HEADER = "event_id,campaign_id,advisor_id,email,event_type,occurred_at"


def _events(n: int, start: int = 1) -> list[str]:
    return [f"E{i},C1,A{i % 7},p{i % 7}@x.com,open,2025-03-{1 + i % 27:02d}T10:00:00Z" for i in range(start, start + n)]


def _deliver(raw: Path, name: str, lines: list[str]) -> None:
    path = raw / "marketing" / "email_events" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + "\n" + "\n".join(lines) + "\n")


def _failed(result) -> set[tuple[str, str | None]]:
    return {(o.expectation, o.column_name) for o in result.failures}


@pytest.fixture()
def dirs(tmp_path):
    return tmp_path / "raw", tmp_path / "landing"


def test_every_contract_table_has_a_raw_suite():
    suites = raw_suites(contract.tables(), contract.plausibility())
    assert set(suites) == {t.fqn for t in TABLES}
    for fqn, s in suites.items():
        assert s.table.fqn == fqn and s.name == f"raw_{fqn.replace('.', '__')}"


def test_clean_delivery_passes_and_a_broken_export_fails_with_named_expectations(dirs):
    raw, landing = dirs
    _deliver(raw, "good.csv", _events(60))
    bad = [*_events(20, start=100),
        "E200,C1,A1,a@x.com,opened,2025-03-01T10:00:00Z",  # unknown enum
        "E201,C1,A1,a@x.com,open,01/03/2025",  # date that does not parse
        "E202,C1,A1,a@x.com,open,1970-01-01T00:00:00Z",  # outside the plausible window
        "E203,C1,A1,a@x.com,open,2125-01-01T00:00:00Z",  # in the future
        "E100,C1,A1,a@x.com,click,2025-03-02T10:00:00Z",  # E100 again, with other content
        ",C1,A1,a@x.com,open,2025-03-02T10:00:00Z",  # no event id
    ]
    report = land(raw, landing)
    deliveries = new_deliveries(landing, None)
    assert [e["source_file"] for e in deliveries["marketing.email_events"]] == [
        "marketing/email_events/good.csv"]
    _deliver(raw, "bad.csv", bad)
    land(raw, landing)
    # 26 rows with 5 bad: under the default minimum counts (10 rows) this small file is dirt for staging
    # to quarantine; judged by the shares alone (minimum 1), it is a broken export.
    (lenient,) = validate_deliveries(landing, new_deliveries(landing, None), Thresholds())["marketing.email_events"]
    assert lenient.success
    shares_only = Thresholds(min_quarantine_rows=1, min_duplicate_key_rows=1)
    results = validate_deliveries(landing, new_deliveries(landing, None), shares_only)
    (res,) = results["marketing.email_events"]
    assert res.batch == "marketing/email_events/bad.csv" and not res.success
    # Each column alone is within the 5% budget (1 bad of 26), but together 5 rows would be quarantined;
    # the plausible window (2 of 25 parsed) and the conflicting id have their own limits.
    assert _failed(res) == {
        ("expect_column_values_to_be_in_set", "occurred_at__plausible"),
        ("expect_column_values_to_be_unique", "event_id"),
        ("expect_column_values_to_be_null", "_quarantine_code"),
    }
    seen = {(o.expectation, o.column_name): o.observed_value for o in res.outcomes}
    assert '"opened"' in seen[("expect_column_values_to_be_in_set", "event_type")]
    assert seen[("expect_column_values_to_be_in_set", "occurred_at__parses")].startswith("1 of 26")
    qrate = next(o for o in res.outcomes if o.column_name == "_quarantine_code")
    # enum, unparseable date, missing id, and the 1970 and 2125 rows (implausible, quarantined row by row)
    assert qrate.observed_value.startswith("5 of 26 unexpected")
    # The good delivery, validated on its own, passes.
    good = validate_deliveries(landing, {"marketing.email_events": [
        e for e in new_deliveries(landing, datetime(2000, 1, 1))["marketing.email_events"]
        if e["source_file"].endswith("good.csv")]}, Thresholds())
    assert good["marketing.email_events"][0].success
    assert report.landed


def test_a_delivery_that_is_all_1970_is_blocked_and_names_why(dirs):
    raw, landing = dirs
    _deliver(raw, "epoch.csv", [f"E{i},C1,A1,a@x.com,open,1970-01-01T00:00:00Z" for i in range(40)])
    land(raw, landing)
    (res,) = validate_deliveries(landing, new_deliveries(landing, None), Thresholds())["marketing.email_events"]
    assert not res.success
    assert res.reason.startswith("marketing/email_events/epoch.csv blocked: 40 of 40 rows (100.0%) break the "
                                 "contract (implausible_timestamp 40; allowed: 5%, or fewer than 10 rows)")
    assert res.reason.endswith("; occurred_at inside its plausible bounds failed, 40 of 40 (100.00%)")


def test_a_delivery_with_40_percent_non_numeric_amounts_is_blocked_and_names_why(dirs):
    raw, landing = dirs
    path = raw / "crm" / "sales" / "s.csv"
    path.parent.mkdir(parents=True)
    path.write_text("sale_id,advisor_id,product_id,transaction_type,amount,traded_at\n" + "".join(
        f"S{i},A1,P1,purchase,{'n/a' if i % 5 < 2 else i},2025-01-01\n" for i in range(50)))
    land(raw, landing)
    (res,) = validate_deliveries(landing, new_deliveries(landing, None), Thresholds())["crm.sales"]
    assert res.reason == ("crm/sales/s.csv blocked: 20 of 50 rows (40.0%) break the contract (invalid_number 20; "
                          "allowed: 5%, or fewer than 10 rows); amount parses as double failed, 20 of 50 (40.00%)")


def _sales_frame(rows: int, repeated: int, bad: int):
    """A crm.sales delivery as the raw suite sees it: ``repeated`` rows share a key in pairs, the last
    ``bad`` rows have an amount that does not parse (so staging would quarantine them)."""
    import numpy as np
    import pandas as pd

    ids = np.array([f"S{i}" for i in range(rows)], dtype=object)
    ids[repeated // 2: repeated] = ids[: repeated - repeated // 2]
    df = pd.DataFrame({"sale_id": ids, "advisor_id": "A1", "product_id": "P1", "transaction_type": "purchase",
                       "amount": "10.5", "traded_at": "2025-01-01", "amount__parses": True,
                       "amount__plausible": True, "traded_at__parses": True, "traded_at__plausible": True})
    code = np.full(rows, None, dtype=object)
    code[rows - bad:] = "invalid_number"
    df["_quarantine_code"] = code
    df.loc[rows - bad:, ["amount__parses"]] = False
    df["amount__plausible"] = df["amount__plausible"].astype(object)
    df.loc[rows - bad:, ["amount__plausible"]] = None  # not parsed, so not judged
    return df


@pytest.mark.parametrize(("rows", "repeated", "bad", "fails"), [
    # 50 rows: a few repeated ids or bad rows are a large share but a small count: dirt, not a broken file
    (50, 2, 0, set()), (50, 0, 4, set()), (50, 9, 9, set()),
    (50, 30, 0, {"sale_id"}), (50, 0, 20, {"amount__parses", "_quarantine_code"}),
    # 5,000 rows: the shares decide (1% of keys = 50 rows, 5% quarantined = 250 rows)
    (5_000, 50, 250, set()), (5_000, 52, 0, {"sale_id"}), (5_000, 0, 251, {"amount__parses", "_quarantine_code"}),
    # 500,000 rows: a large dirty delivery fails however many rows the minimum count allows
    (500_000, 5_000, 25_000, set()), (500_000, 5_002, 25_001, {"sale_id", "amount__parses", "_quarantine_code"}),
])
def test_proportion_checks_have_a_minimum_count_so_they_scale_down(rows, repeated, bad, fails):
    th = Thresholds()
    assert (th.min_quarantine_rows, th.min_duplicate_key_rows) == (10, 10)  # the cases below assume these
    frame = _sales_frame(rows, repeated, bad)
    suites = raw_suites(contract.tables(), contract.plausibility())
    suite = suites["crm.sales"].suite(th, list(frame.columns), rows=rows,
                                            nonnull={k: int(v) for k, v in frame.notna().sum().items()})
    result = validate(frame, suite, asset="crm.sales")
    assert {o.column_name for o in result.failures} == fails, [o.observed_value for o in result.failures]


def test_allowed_bad_rows_is_the_share_or_less_than_the_minimum_count():
    assert [Thresholds.allowed_bad(n, 0.01, 10) for n in (0, 50, 353, 5_000, 500_000)] == [9, 9, 9, 50, 5_000]
    assert Thresholds.allowed_bad(353, 0.01, 1) == 3  # the share alone: 4 of 353 fails, as it did


def test_the_generated_2000_advisor_90_day_seed_5_data_passes_every_raw_check(tmp_path):
    """It failed before (4 of 353 interaction_ids repeated = 1.13% > 1%, no allowance for small files)."""
    from cjo_data.generate import GenerateConfig, generate

    raw, landing = tmp_path / "raw", tmp_path / "landing"
    generate(GenerateConfig(advisors=2000, days=90, seed=5, out=raw))
    land(raw, landing)
    results = validate_deliveries(landing, new_deliveries(landing, None), Thresholds())
    failed = [r.reason for rs in results.values() for r in rs if not r.success]
    assert not failed and sum(len(rs) for rs in results.values()) >= 35, failed


def test_exact_resent_rows_are_not_duplicate_keys_and_the_threshold_is_configurable(dirs):
    raw, landing = dirs
    rows = _events(40)
    _deliver(raw, "d.csv", [*rows, rows[0], rows[1], "E999,C1,A1,a@x.com,gift,2025-03-01T10:00:00Z"])
    land(raw, landing)
    deliveries = new_deliveries(landing, None)
    strict = validate_deliveries(landing, deliveries, Thresholds(max_quarantine_rate=0.01, min_quarantine_rows=1))
    lenient = validate_deliveries(landing, deliveries, Thresholds(max_quarantine_rate=0.05))
    assert _failed(strict["marketing.email_events"][0]) == {
        ("expect_column_values_to_be_in_set", "event_type"),
        ("expect_column_values_to_be_null", "_quarantine_code")}
    assert lenient["marketing.email_events"][0].success  # 1 of 41 is within 5%


def test_raw_quarantine_prediction_matches_staging_rules_for_sales(dirs):
    raw, landing = dirs
    path = raw / "crm" / "sales" / "s.csv"
    path.parent.mkdir(parents=True)
    path.write_text("sale_id,advisor_id,product_id,transaction_type,amount,traded_at\n"
                    "S1,A1,P1, Purchase ,10,2025-01-01\n"
                    "S2,A1,P1,purchase,-1,2025-01-01\n"
                    "S3,A1,P1,purchase,1O,2025-01-01\n"
                    "S4,,P1,purchase,1,2025-01-01\n")
    land(raw, landing)
    suite = raw_suites(contract.tables(), contract.plausibility())["crm.sales"]
    files = list((landing / "crm" / "sales").glob("[!_]*.parquet"))
    frame = suite.frame(duckdb.connect(), files).set_index("sale_id")
    assert frame["_quarantine_code"].fillna("ok").to_dict() == {
        "S1": "ok", "S2": "negative_amount", "S3": "invalid_number", "S4": "missing_required"}


# --------------------------------------------------------------------------------------------- marts
def _wh(tmp_path: Path, sql: str) -> Path:
    path = tmp_path / "wh.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute(sql)
    return path


def test_dim_customers_suite_catches_duplicates_and_null_consent(tmp_path):
    suite = mart_suites()["marts_dim_customers"]
    path = _wh(tmp_path, "create schema marts; create table marts.dim_customers as select * from (values "
                         "('c1', true, true), ('c2', null, false), ('c2', false, false)) t(customer_id, "
                         "consent_email, consent_ads)")
    res = run_mart_suite(path, suite, Thresholds())
    assert _failed(res) == {("expect_column_max_to_be_between", "duplicate_customer_ids"),
                            ("expect_column_max_to_be_between", "null__consent_email")}
    with duckdb.connect(str(path)) as con:
        con.execute("create or replace table marts.dim_customers as select * from (values "
                    "('c1', true, true), ('c2', false, false)) t(customer_id, consent_email, consent_ads)")
    assert run_mart_suite(path, suite, Thresholds()).success


def test_dim_customers_without_consent_columns_fails_instead_of_passing_vacuously(tmp_path):
    path = _wh(tmp_path, "create schema marts; create table marts.dim_customers as select 'c1' as customer_id")
    res = run_mart_suite(path, mart_suites()["marts_dim_customers"], Thresholds())
    assert _failed(res) == {("expect_column_min_to_be_between", "consent_columns_found")}


def test_missing_table_fails_with_a_readable_error(tmp_path):
    path = _wh(tmp_path, "select 1")
    res = run_mart_suite(path, mart_suites()["ml_fct_propensity_scores"], Thresholds())
    assert not res.success and "fct_propensity_scores" in res.failures[0].observed_value


def test_propensity_scores_must_be_probabilities(tmp_path):
    suite = mart_suites()["ml_fct_propensity_scores"]
    path = _wh(tmp_path, "create schema ml; create table ml.fct_propensity_scores as select * from (values "
                         "('c1', 'conversion', 0.2), ('c2', 'conversion', 0.9), ('c1', 'churn', 0.1)) "
                         "t(customer_id, model, score)")
    assert run_mart_suite(path, suite, Thresholds()).success
    with duckdb.connect(str(path)) as con:
        con.execute("insert into ml.fct_propensity_scores values ('c3', 'churn', 1.3), ('c4', 'churn', null)")
    assert _failed(run_mart_suite(path, suite, Thresholds())) == {
        ("expect_column_values_to_be_between", "max_score"), ("expect_column_values_to_be_between", "null_scores")}


def test_next_best_actions_one_action_per_customer_per_day_and_probabilities(tmp_path):
    suite = mart_suites()["marts_fct_next_best_actions"]
    path = _wh(tmp_path, "create schema marts; create table marts.fct_next_best_actions as select * from (values "
                         "('c1', 'call', 12.5, 0.4, timestamp '2025-01-01 08:00', false), "
                         "('c2', 'email', -1.0, 0.1, timestamp '2025-01-01 08:00', false)) "
                         "t(customer_id, action, score, response_probability, decided_at, is_holdout)")
    assert run_mart_suite(path, suite, Thresholds()).success  # a negative expected value is fine
    with duckdb.connect(str(path)) as con:
        con.execute("insert into marts.fct_next_best_actions values "
                    "('c1', 'email', 3.0, 1.5, timestamp '2025-01-01 09:00', false)")
    assert _failed(run_mart_suite(path, suite, Thresholds())) == {
        ("expect_column_max_to_be_between", "customers_with_several_actions_a_day"),
        ("expect_column_values_to_be_between", "max__response_probability")}


def test_audience_that_halves_overnight_fails_against_the_last_passing_run(tmp_path):
    suite = AudienceSizeSuite("aud_test")
    path = _wh(tmp_path, "create schema activation; create table activation.aud_test as "
                         "select 'c' || range as customer_id from range(100)")
    first = run_mart_suite(path, suite, Thresholds())
    assert first.success  # nothing to compare with yet
    record(path, "run-1", [first])
    with duckdb.connect(str(path)) as con:
        con.execute("delete from activation.aud_test where customer_id >= 'c5'")  # keeps ~45 of 100
    halved = run_mart_suite(path, suite, Thresholds())
    assert _failed(halved) == {("expect_column_values_to_be_between", "size_ratio")}
    record(path, "run-2", [halved])
    # Still compared with run 1 (the last PASSING run), not with the failed run 2.
    again = run_mart_suite(path, suite, Thresholds())
    assert not again.success
    assert run_mart_suite(path, suite, Thresholds(audience_min_ratio=0.4)).success


# ------------------------------------------------------------------------------------------- results
def test_results_history_latest_and_quarantine_counts(tmp_path):
    path = tmp_path / "wh.duckdb"
    import pandas as pd

    df = pd.DataFrame({"x": [1, 2, None]})
    import great_expectations as gx
    import great_expectations.expectations as gxe

    ok = validate(df, gx.ExpectationSuite(name="s", expectations=[
        gxe.ExpectColumnValuesToNotBeNull(column="x", mostly=0.5)]), asset="t.a", batch="b1")
    bad = validate(df, gx.ExpectationSuite(name="s", expectations=[
        gxe.ExpectColumnValuesToNotBeNull(column="x")]), asset="t.a", batch="b1")
    with duckdb.connect(str(path)) as con:
        assert latest_results(con).empty and quarantine_counts(con).empty
        write_results(con, "r1", [ok], datetime(2025, 1, 1))
        write_results(con, "r2", [bad], datetime(2025, 1, 2))
        latest = latest_results(con)
        assert latest[["run_id", "suite", "success"]].values.tolist() == [["r2", "s", False]]
        assert latest.iloc[0].observed_value.startswith("1 of")
        assert con.execute("select count(*) from ops.quality_results").fetchall() == [(2,)]  # history kept
        summary = latest_summary(con)
        assert summary[["asset", "passed", "failed"]].values.tolist() == [["t.a", False, 1]]
        con.execute("create schema marts; create table marts.fct_quarantined_rows as select * from (values "
                    "('crm.sales', 'invalid_number', 'amount is not a number: x'), "
                    "('crm.sales', 'invalid_number', 'amount is not a number: y'), "
                    "('crm.sales', 'negative_amount', 'amount is negative: -1')) t(source_table, reason_code, reason)")
        counts = quarantine_counts(con)
        assert counts[["source_table", "reason_code", "rows"]].values.tolist() == [
            ["crm.sales", "invalid_number", 2], ["crm.sales", "negative_amount", 1]]


def test_large_delivery_is_validated_on_a_key_hash_sample_that_keeps_duplicate_keys_together(dirs):
    raw, landing = dirs
    rows = _events(6000)
    # 300 ids re-used with other content (a conflicting re-use) and 300 unknown event types (5%).
    rows += [f"E{i},C1,A1,a@x.com,click,2025-04-01T10:00:00Z" for i in range(1, 301)]
    rows += [f"X{i},C1,A1,a@x.com,opened,2025-04-01T10:00:00Z" for i in range(300)]
    _deliver(raw, "big.csv", rows)
    land(raw, landing)
    th = Thresholds(max_rows_per_batch=1500, max_quarantine_rate=0.1)
    (res,) = validate_deliveries(landing, new_deliveries(landing, None), th)["marketing.email_events"]
    assert "key-hash sample" in res.batch and 1000 < res.rows < 2100
    assert _failed(res) == {("expect_column_values_to_be_unique", "event_id")}
    enum = next(o for o in res.outcomes if o.column_name == "event_type")
    share = float(enum.observed_value.split("(")[1].split("%")[0])
    assert 2.0 < share < 8.0  # ~4.7% in the whole delivery
    uniq = next(o for o in res.outcomes if o.expectation == "expect_column_values_to_be_unique")
    assert int(uniq.observed_value.split(" ")[0]) % 2 == 0  # both rows of a re-used id, never one


def test_propensity_scores_empty_table_passes(tmp_path):
    # No model trained yet (short history): the table exists with no rows; NBA uses base rates.
    suite = mart_suites()["ml_fct_propensity_scores"]
    path = _wh(tmp_path, "create schema ml; create table ml.fct_propensity_scores "
                         "(customer_id varchar, model varchar, score double)")
    assert run_mart_suite(path, suite, Thresholds()).success
