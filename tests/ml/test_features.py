"""Point-in-time features: no leakage, right values on a hand-made case."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from orchestration.ml import features as F
from orchestration.ml import synthetic


@pytest.fixture(scope="module")
def warehouse():
    con = duckdb.connect()
    wh = synthetic.build(con, n_customers=300, days=300, seed=3)
    yield con, wh
    con.close()


def _truncate_copy(con: duckdb.DuckDBPyConnection, tables: F.FeatureTables, as_of: pd.Timestamp) -> F.FeatureTables:
    """A copy of the warehouse as it looked at `as_of`: later events removed, stage rows reopened,
    and the current-state columns of dim_customers scrambled (they must not be read)."""
    con.execute("create schema if not exists cut")
    con.execute(f"create or replace table cut.fct_touchpoints as select * from {tables.touchpoints} "
                "where occurred_at < $t", {"t": as_of})
    con.execute(f"create or replace table cut.int_customer_sales_mapped as select * from {tables.sales} "
                "where traded_at < $t", {"t": as_of})
    con.execute(f"""create or replace table cut.fct_journey_stages as
        select customer_id, stage, entered_at,
               case when exited_at < $t then exited_at end as exited_at,
               exited_at is null or exited_at >= $t as is_current
        from {tables.stages} where entered_at < $t""", {"t": as_of})
    con.execute(f"""create or replace table cut.dim_customers as
        select * replace ('scrambled' as current_stage) from {tables.customers}""")
    return F.FeatureTables(customers="cut.dim_customers", touchpoints="cut.fct_touchpoints",
                           stages="cut.fct_journey_stages", sales="cut.int_customer_sales_mapped")


def test_features_as_of_t_ignore_everything_after_t(warehouse):
    con, wh = warehouse
    as_of = wh.start + pd.Timedelta(days=150, hours=7)
    full = F.compute_features(con, as_of, wh.tables)
    cut = F.compute_features(con, as_of, _truncate_copy(con, wh.tables, as_of))
    assert len(full) > 100
    # there really is later data that could have leaked
    later = con.execute(f"select count(*) from {wh.tables.touchpoints} where occurred_at >= $t",
                        {"t": as_of}).fetchall()[0][0]
    assert later > 1000
    pd.testing.assert_frame_equal(full, cut)


def test_features_change_when_t_moves(warehouse):
    """The leakage test would pass trivially if features ignored time; they must not."""
    con, wh = warehouse
    a = F.compute_features(con, wh.start + pd.Timedelta(days=100), wh.tables).set_index("customer_id")
    b = F.compute_features(con, wh.start + pd.Timedelta(days=200), wh.tables).set_index("customer_id")
    common = a.index.intersection(b.index)
    assert (a.loc[common, "email_touches_365d"] < b.loc[common, "email_touches_365d"]).mean() > 0.5


def test_hand_made_customer():
    con = duckdb.connect()
    con.execute("create schema s")
    con.execute("""create table s.dim_customers as select * from (values
        ('c1', 'ria', 'newcomer', 'advocacy')) t(customer_id, firm_type, persona, current_stage)""")
    con.execute("""create table s.fct_touchpoints as select * from (values
        ('c1', timestamp '2025-01-01 10:00', 'email', 'send'),
        ('c1', timestamp '2025-03-01 10:00', 'email', 'open'),
        ('c1', timestamp '2025-03-05 10:00', 'webinar', 'attend'),
        ('c1', timestamp '2025-03-20 10:00', 'email', 'click')  -- after T
        ) t(customer_id, occurred_at, channel, touchpoint_type)""")
    con.execute("""create table s.fct_journey_stages as select * from (values
        ('c1', 'awareness', timestamp '2025-01-01 10:00', timestamp '2025-03-01 10:00'),
        ('c1', 'consideration', timestamp '2025-03-01 10:00', null)
        ) t(customer_id, stage, entered_at, exited_at)""")
    con.execute("""create table s.int_customer_sales_mapped as select * from (values
        ('c1', 'p1', 'equity', 'purchase', 1000.0, timestamp '2025-03-02 09:00'),
        ('c1', 'p2', 'multi_asset', 'purchase', 3000.0, timestamp '2025-03-03 09:00'),
        ('c1', 'p1', 'equity', 'redemption', 500.0, timestamp '2025-03-04 09:00'),
        ('c1', 'p3', 'equity', 'purchase', 9999.0, timestamp '2025-03-30 09:00')  -- after T
        ) t(customer_id, product_id, asset_class, transaction_type, amount, traded_at)""")
    tables = F.FeatureTables(customers="s.dim_customers", touchpoints="s.fct_touchpoints",
                             stages="s.fct_journey_stages", sales="s.int_customer_sales_mapped")
    row = F.compute_features(con, pd.Timestamp("2025-03-11"), tables).iloc[0]
    assert row["stage"] == "consideration"  # the stage at T, not dim_customers' current 'advocacy'
    assert row["days_in_stage"] == 10
    assert row["email_touches_90d"] == 2 and row["email_touches_30d"] == 1
    assert row["webinar_touches_30d"] == 1
    assert row["purchases_365d"] == 2 and row["purchase_amount_365d"] == 4000
    assert row["net_flow_365d"] == 3500
    assert row["avg_ticket"] == 2000 and row["multi_asset_share"] == 0.5
    assert row["products_held"] == 2
    assert row["days_since_last_purchase"] == 8
    assert row["days_since_last_click"] == F.NEVER_DAYS  # the click is after T
    assert row["tenure_days"] == 69
    assert row["firm_type"] == "ria" and row["persona"] == "newcomer"


def test_history_starts_at_the_first_sale_and_attributes_are_point_in_time():
    """A customer whose sales and CRM account go back years but whose first touch is recent has the
    long history (issue: 'history shorter than the horizon' for six years of sales). Attributes become
    typed columns with the latest value known before T; a value that became known after T is not used."""
    con = duckdb.connect()
    con.execute("create schema s")
    con.execute("""create table s.dim_customers as select * from (values ('c1', 'ria', 'seasoned'), ('c2', 'ria', 'x'))
        t(customer_id, firm_type, persona)""")
    con.execute("""create table s.fct_touchpoints as select * from (values
        ('c1', timestamp '2025-03-01 10:00', 'email', 'open'), ('c2', timestamp '2025-03-02 10:00', 'web', 'page_view'))
        t(customer_id, occurred_at, channel, touchpoint_type)""")
    con.execute("""create table s.fct_journey_stages as select * from (values
        ('c1', 'advocacy', timestamp '2025-03-01 10:00', cast(null as timestamp)))
        t(customer_id, stage, entered_at, exited_at)""")
    con.execute("""create table s.int_customer_sales_mapped as select * from (values
        ('c1', 'p1', 'equity', 'purchase', 100.0, timestamp '2019-03-11 09:00'))
        t(customer_id, product_id, asset_class, transaction_type, amount, traded_at)""")
    con.execute("""create table s.int_customer_advisors_mapped as select * from (values
        ('c2', timestamp '2018-03-11 09:00')) t(customer_id, created_at)""")
    con.execute("""create table s.int_customer_attributes_mapped as select * from (values
        ('c1', 'contract', 'categorical', null, 'One year', null),
        ('c1', 'monthly_charges', 'numeric', 50.0, null, timestamp '2025-01-01'),
        ('c1', 'monthly_charges', 'numeric', 80.0, null, timestamp '2025-03-20'),  -- known after T
        ('c2', 'monthly_charges', 'numeric', 20.0, null, null))
        t(customer_id, attribute, attribute_type, value_number, value_text, valid_from)""")
    tables = F.FeatureTables(customers="s.dim_customers", touchpoints="s.fct_touchpoints",
                             stages="s.fct_journey_stages", sales="s.int_customer_sales_mapped",
                             accounts="s.int_customer_advisors_mapped",
                             attributes="s.int_customer_attributes_mapped")
    rows = F.compute_features(con, pd.Timestamp("2025-03-11"), tables).set_index("customer_id")
    assert rows.loc["c1", "tenure_days"] == 6 * 365 + 2  # from the first sale (2019), not the 2025 touch
    assert rows.loc["c2", "tenure_days"] == 7 * 365 + 2  # from the CRM account
    assert rows.loc["c1", "attr_monthly_charges"] == 50.0 and rows.loc["c2", "attr_monthly_charges"] == 20.0
    assert rows.loc["c1", "attr_contract"] == "One year" and rows.loc["c2", "attr_contract"] == "unknown"
    numeric, categorical = F.feature_lists(rows)
    assert "attr_monthly_charges" in numeric and "attr_contract" in categorical
