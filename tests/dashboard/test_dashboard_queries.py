"""The dashboard's query functions on the built fixture (published copy), expected vs actual: each number
is recomputed here straight from the mart it comes from, and the filters must change it the way they say.
Plus the WHERE builder on its own (examples and a hypothesis property)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orchestration.dashboard import queries as q
from orchestration.dashboard import views


@pytest.fixture(scope="module")
def con(built_warehouse):
    reader = q.Reader(built_warehouse.publish_dir)
    with reader.connect() as c:
        yield c


@pytest.fixture(scope="module")
def persona(con) -> str:
    return q.filter_options(con)["persona"][0]


# ------------------------------------------------------------------ the WHERE builder


def test_clause_maps_dimensions_and_reports_what_it_cannot_apply():
    f = q.Filters(start=date(2026, 1, 1), persona=("newcomer",), tier=("gold", "silver"))
    c = q.clause(f, {"persona": "persona"}, "month_start", alias="m")
    assert c.sql == "m.persona in (?) and cast(m.month_start as date) >= ?"
    assert c.params == ["newcomer", date(2026, 1, 1)]
    assert c.not_applied == ("tier",)
    assert q.clause(q.Filters(end=date(2026, 2, 1)), {}).not_applied == ("date",)
    assert q.clause(q.Filters(), q.PEOPLE_COLUMNS) == q.Clause("true", [], ())
    # A qualified date column is used as it is, never prefixed twice.
    assert "cast(t.at as date) <= ?" in q.clause(q.Filters(end=date(2026, 2, 1)), {}, "t.at", alias="p").sql


values = st.lists(st.text(min_size=1, max_size=5), max_size=3, unique=True).map(tuple)


@given(persona=values, segment=values, tier=values, channel=values,
       start=st.none() | st.dates(), end=st.none() | st.dates(),
       mapped=st.sets(st.sampled_from(q.DIMENSIONS)))
def test_clause_has_one_parameter_per_placeholder(persona, segment, tier, channel, start, end, mapped):
    f = q.Filters(start, end, persona, segment, tier, channel)
    c = q.clause(f, {d: q.PEOPLE_COLUMNS[d] for d in mapped}, "day")
    assert c.sql.count("?") == len(c.params)
    used = {d for d in q.DIMENSIONS if f.values(d)}
    assert set(c.not_applied) == used - mapped
    assert all(v in c.params for d in used & mapped for v in f.values(d))


def test_a_group_cannot_name_an_unknown_column(con):
    with pytest.raises(ValueError, match="cannot filter"):
        q.group_members(con, q.Filters(), {"email; drop table x": 1})
    with pytest.raises(ValueError):
        q.people_by(con, q.Filters(), "email")


# ------------------------------------------------------------------ numbers against their marts


def test_people_has_every_customer_once(con):
    people = q.people(con)
    n = con.execute("select count(*) from marts.dim_customers").fetchone()[0]
    assert len(people) == n == people["customer_id"].nunique()


def test_monthly_kpis_add_up_the_mart_and_follow_the_persona_filter(con, persona):
    all_ = q.kpis_by_month(con, q.Filters())
    one = q.kpis_by_month(con, q.Filters(persona=(persona,)))
    expected = con.execute("select month_start, sum(revenue), sum(retained_customers), sum(customers_at_start) "
                           "from marts.agg_kpis_monthly where persona = ? group by 1 order by 1", [persona]).df()
    assert list(one["month_start"]) == list(expected["month_start"])
    assert one["revenue"].round(2).tolist() == expected.iloc[:, 1].round(2).tolist()
    rate = (expected.iloc[:, 2] / expected.iloc[:, 3]).tolist()
    assert one["retention_rate"].dropna().round(6).tolist() == [round(r, 6) for r in rate if r == r]
    assert one["revenue"].sum() < all_["revenue"].sum()


def test_date_filter_keeps_only_months_in_range(con):
    months = q.kpis_by_month(con, q.Filters())["month_start"]
    start = months.iloc[1]
    kept = q.kpis_by_month(con, q.Filters(start=start.date() if hasattr(start, "date") else start))
    assert kept["month_start"].min() == start and len(kept) == len(months) - 1


def test_funnel_matches_the_funnel_mart_in_every_slice(con, persona):
    """The funnel mart is sliced by persona, segment, tier and channel: every filter applies (it once
    could not apply segment or tier)."""
    stages, c = q.funnel(con, q.Filters(persona=(persona,), tier=("bronze",), segment=("unsegmented",)))
    expected = con.execute("select sum(reached_awareness), sum(reached_purchase) from marts.agg_journey_funnel "
                           "where persona = ? and value_tier = 'bronze' and segment_name = 'unsegmented'",
                           [persona]).fetchone()
    assert stages.set_index("stage")["reached"][["awareness", "purchase"]].tolist() == list(expected)
    assert expected[0] > 0 and c.not_applied == ()
    assert (stages["reached"].diff().dropna() <= 0).all()  # a funnel only narrows
    empty, _ = q.funnel(con, q.Filters(persona=(persona,), tier=("no-such-tier",)))
    assert empty["reached"].sum() == 0


def test_stalls_count_the_stall_mart_and_the_ledger(con):
    stall = q.stalls(con, q.Filters())
    expected = con.execute("select count(*) filter (where is_stalled) from marts.fct_stage_stalls").fetchone()[0]
    assert stall["stalled"].sum() == expected
    assert (stall["stalled_eligible"] <= stall["stalled"]).all()
    assert (stall["stalled_reachable"] <= stall["stalled"]).all()


def test_every_attribution_model_credits_every_conversion_once(con):
    credits = q.attribution(con, q.Filters())
    totals = credits.groupby("model")["conversions"].sum()
    conversions = con.execute("select count(distinct conversion_id) from marts.fct_attribution").fetchone()[0]
    assert totals.round(6).nunique() == 1 and round(totals.iloc[0]) == conversions


def test_cohorts_are_the_mart_summed(con):
    cells = q.cohorts(con, q.Filters())
    size = con.execute("select sum(cohort_customers) from marts.agg_retention_cohorts "
                       "where months_since_first_purchase = 0").fetchone()[0]
    assert cells.loc[cells["months_since"] == 0, "cohort_customers"].sum() == size
    assert cells["retention_rate"].between(0, 1).all()


# ------------------------------------------------------------------ groups


def test_group_summary_counts_reachable_eligible_and_covering_audiences(con):
    spec = {"current_stage": "consideration"}
    s = q.group_summary(con, q.Filters(), spec)
    size, reach = con.execute("select count(*), count(*) filter (where is_contactable) from marts.dim_customers "
                              "where current_stage = 'consideration'").fetchone()
    eligible = con.execute(
        "select count(distinct customer_id) from marts.fct_action_eligibility where is_eligible and decided_date = "
        "(select max(decided_date) from marts.fct_action_eligibility) and customer_id in "
        "(select customer_id from marts.dim_customers where current_stage = 'consideration')").fetchone()[0]
    assert (s["size"], s["reachable"], s["eligible"]) == (size, reach, eligible)
    for name, n, share in s["audiences"]:
        held = con.execute(f'select count(distinct a.customer_id) from activation."{name}" a '
                           "join marts.dim_customers c using (customer_id) "
                           "where c.current_stage = 'consideration'").fetchone()[0]
        assert n == held and 0 < share <= 1


def test_group_export_is_gated_by_the_ledger_and_consent(con):
    spec = {"current_stage": "consideration"}
    out = q.group_export(con, q.Filters(), spec)
    assert len(out) == q.group_summary(con, q.Filters(), spec)["size"] - int(
        (~q.group_members(con, q.Filters(), spec)["is_eligible"]).sum())
    assert out["eligible_actions"].notna().all()
    no_email = set(con.execute("select customer_id from marts.dim_customers where not is_contactable_email").df()[
        "customer_id"])
    assert out.loc[out["customer_id"].isin(no_email), "email"].isna().all()


def test_a_filter_narrows_a_group(con, persona):
    everyone = q.group_summary(con, q.Filters(), {"current_stage": "consideration"})["size"]
    some = q.group_summary(con, q.Filters(persona=(persona,)), {"current_stage": "consideration"})["size"]
    assert 0 < some < everyone


def test_audience_group_is_its_members(con):
    names = q.audience_names(con)
    assert names
    summary = q.audience_summary(con, q.Filters()).set_index("audience")
    for name in names:
        members = q.group_summary(con, q.Filters(), {"audience": name})["size"]
        assert members == summary.loc[name, "members"] == summary.loc[name, "members_unfiltered"]


# ------------------------------------------------------------------ experiments

READOUT_KEYS = ["experiment_type", "experiment_name", "channel", "arm", "metric"]


def test_experiments_from_every_slice_are_the_unsliced_readout(con):
    """The dashboard's lift from all slices' summed parts equals agg_experiment_results, column by column."""
    import pandas as pd

    from orchestration.dashboard.experiments import COLUMNS

    actual, c = q.experiments(con, q.Filters())
    expected = con.execute(f"select {', '.join(COLUMNS)} from marts.agg_experiment_results").df()
    assert len(actual) == len(expected) > 0 and c.not_applied == ()
    merged = expected.merge(actual, on=READOUT_KEYS, suffixes=("", "_dashboard"), validate="one_to_one")
    assert len(merged) == len(expected)
    for col in set(COLUMNS) - set(READOUT_KEYS):
        pd.testing.assert_series_equal(merged[f"{col}_dashboard"], merged[col], check_names=False,
                                       check_dtype=False, check_exact=False, rtol=1e-9, atol=1e-12)


def test_each_arm_names_its_primary_outcome_as_the_results_do(con):
    """The dashboard's primary column agrees with agg_experiment_results: one primary metric per arm."""
    res, _ = q.experiments(con, q.Filters())
    expected = con.execute(f"select {', '.join(READOUT_KEYS)}, is_primary_outcome "
                           "from marts.agg_experiment_results").df()
    merged = res.merge(expected, on=READOUT_KEYS, suffixes=("", "_results"), validate="one_to_one")
    assert len(merged) == len(res) > 0
    assert (merged["is_primary_outcome"] == merged["is_primary_outcome_results"]).all()
    assert (res.groupby(["experiment_type", "experiment_name", "arm"])["is_primary_outcome"].sum() == 1).all()


def test_a_customer_filter_gives_the_lift_of_that_slices_units(con, persona):
    """Expected from the units themselves: each arm's mean over the persona's units, and the lift's Welch
    interval for revenue, recomputed from the raw values of fct_experiment_units."""
    import numpy as np

    res, c = q.experiments(con, q.Filters(persona=(persona,)))
    everyone, _ = q.experiments(con, q.Filters())
    assert c.not_applied == () and len(res) > 0
    assert res["n_treatment"].sum() < everyone["n_treatment"].sum()
    units = con.execute(
        """select u.experiment_type, u.experiment_name, u.arm, u.purchased, u.revenue
        from marts.fct_experiment_units u join marts.dim_customer_slices s using (customer_id)
        where s.persona = ? and u.experiment_type <> 'journey_holdout'""",
        [persona],
    ).df()
    for metric, column in (("purchase_rate", "purchased"), ("revenue_per_customer", "revenue")):
        arms = units.groupby(["experiment_type", "experiment_name", "arm"])[column]
        for row in res[res["metric"] == metric].itertuples():
            treated = arms.get_group((row.experiment_type, row.experiment_name, row.arm)).to_numpy(float)
            control = arms.get_group((row.experiment_type, row.experiment_name, "control")).to_numpy(float)
            assert (row.n_treatment, row.n_control) == (len(treated), len(control))
            assert row.lift == pytest.approx(treated.mean() - control.mean())
            if metric == "revenue_per_customer" and len(treated) > 1 and len(control) > 1:
                se = np.sqrt(treated.var(ddof=1) / len(treated) + control.var(ddof=1) / len(control))
                assert row.lift_ci_high - row.lift == pytest.approx(row.z_value * se)


def test_the_date_range_keeps_experiments_whose_window_overlaps_it(con):
    everyone, _ = q.experiments(con, q.Filters())
    last_start = everyone["window_start_at"].max().date()
    later, c = q.experiments(con, q.Filters(start=last_start))
    assert c.not_applied == () and 0 < len(later) <= len(everyone)
    assert (later["window_end_at"].dt.date >= last_start).all()


def test_a_copy_published_before_the_slices_shows_the_whole_results_and_says_so(built_warehouse, tmp_path,
                                                                                  persona):
    """A published copy older than agg_experiment_slices: the page still reads (agg_experiment_results,
    unsliced), and the customer filter in use is named as not applied instead of failing."""
    import shutil

    import duckdb

    old = tmp_path / "published"
    shutil.copytree(built_warehouse.publish_dir, old)
    for db in old.rglob("*.duckdb"):
        with duckdb.connect(str(db)) as w:
            for (kind,) in w.execute("select table_type from information_schema.tables where table_schema = "
                                     "'marts' and table_name = 'agg_experiment_slices'").fetchall():
                w.execute(f"drop {'view' if kind == 'VIEW' else 'table'} marts.agg_experiment_slices")
    with q.Reader(old).connect() as c:
        assert not q.has_table(c, "marts", "agg_experiment_slices")
        res, clause = q.experiments(c, q.Filters(persona=(persona,)))
        whole = c.execute("select count(*) from marts.agg_experiment_results").fetchone()[0]
        assert len(res) == whole > 0 and clause.not_applied == ("persona",)
        assert "persona" in views.build(c, "experiments", q.Filters(persona=(persona,))).not_applied_note()


def test_two_treated_arms_of_one_experiment_get_labels_of_their_own():
    import pandas as pd

    from orchestration.dashboard.experiments import row_labels

    res = pd.DataFrame({"experiment_name": ["c1", "c1", "c2", "c1"], "arm": ["a", "b", "treatment", "a"],
                        "metric": ["purchase", "purchase", "purchase", "visit"]})
    assert row_labels(res).tolist() == ["c1 · a · purchase", "c1 · b · purchase", "c2 · purchase", "c1 · visit"]
    assert row_labels(res.iloc[:0]).empty


# ------------------------------------------------------------------ every page


@pytest.mark.parametrize("key", [k for k, _, _ in views.PAGES])
def test_every_page_builds_with_titles_units_and_a_suggestion(con, persona, key):
    for f in (q.Filters(), q.Filters(persona=(persona,))):
        v = views.build(con, key, f)
        assert v.suggestion and v.charts
        for c in v.charts:
            title = c.figure.layout.title.text
            assert title and "(" in title, f"{key}/{c.key}: the title names no unit"
            assert len(c.how_to_read) > 30
