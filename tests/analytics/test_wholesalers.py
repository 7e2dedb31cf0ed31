"""The wholesaler regression on synthetic panels where the truth is known: skill is recovered when
wholesalers move and share territories and potential shows in observable proxies; a panel where the
two cannot be told apart is fitted but flagged; a panel too small is refused with the reason."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from orchestration.analytics import wholesalers as W


def _panel(seed: int = 1, n_terr: int = 40, months: int = 12, movers: bool = True) -> tuple[pd.DataFrame, pd.Series]:
    """Territories with potential partly visible through their size (it raises ticket sizes and, a
    little, purchases); each wholesaler's skill scales purchases per covered advisor. With ``movers``:
    wholesaler i covers territory i for the first half of the year and territory (i + 1) mod n for the
    second; every fourth territory also has a second wholesaler."""
    rng = np.random.default_rng(seed)
    size = rng.integers(150, 700, n_terr)  # advisors: a proxy of potential
    potential = 0.5 * np.log(size / size.mean()) + rng.normal(0, 0.1, n_terr)
    n_ws = n_terr + (n_terr // 4 if movers else 0)
    skill = rng.normal(0, 0.3, n_ws)
    rows = []
    for t in range(n_terr):
        for m in range(months):
            covering = [t if not movers or m < months // 2 else (t - 1) % n_terr]
            if movers and t % 4 == 0:
                covering.append(n_terr + t // 4)
            for w in covering:
                advisors = int(size[t] / len(covering))
                purchases = rng.poisson(advisors * np.exp(-1.6 + 0.3 * potential[t] + skill[w] + 0.1 * np.sin(m)))
                rows.append({"wholesaler_id": f"WS{w:04d}", "territory_id": f"TER{t:04d}",
                             "month_start": f"2026-{m + 1:02d}-01", "region": ["East", "West"][t % 2],
                             "advisors": advisors, "purchases": purchases,
                             "purchase_amount": purchases * 50_000 * np.exp(potential[t] + rng.normal(0, 0.3)),
                             "mean_years_experience": 15 + rng.normal(0, 1), "wirehouse_share": rng.uniform(0, 0.3),
                             "ria_share": rng.uniform(0.3, 0.6), "territory_advisors": int(size[t]),
                             "territory_firms": int(size[t] // 30)})
    return pd.DataFrame(rows), pd.Series(skill, index=[f"WS{w:04d}" for w in range(n_ws)])


def test_skill_is_recovered_when_wholesalers_move_and_share():
    panel, skill = _panel()
    fit = W.fit(panel)
    assert fit.summary["separable"] and fit.summary["wholesalers_in_several_territories"] > 0
    effects = fit.effects.set_index("wholesaler_id")["effect"]
    rho = W.rank_correlation(effects, skill)
    assert rho >= 0.8, rho
    # intervals cover the truth (centred: the effects are deviations from the mean wholesaler) most of the time
    centred = skill - skill.mean()
    e = fit.effects.set_index("wholesaler_id")
    covered = ((e["ci_lower"] <= centred[e.index]) & (centred[e.index] <= e["ci_upper"])).mean()
    assert covered > 0.75, covered
    assert (e["ci_lower"] <= e["effect"]).all() and (e["effect"] <= e["ci_upper"]).all()
    assert {"intercept", "log_territory_advisors", "region_West"} <= set(fit.terms["term"])


def test_a_panel_that_cannot_separate_skill_from_territory_is_flagged():
    panel, _ = _panel(movers=False)
    fit = W.fit(panel)
    assert not W.is_separable(W.prepare(panel))
    assert fit.summary["separable"] is False
    assert len(fit.effects) == panel["wholesaler_id"].nunique()


def test_too_few_wholesalers_is_refused_with_the_reason():
    panel, _ = _panel(n_terr=4, movers=False)
    with pytest.raises(W.NotEstimable, match="wholesalers"):
        W.fit(panel)
    empty = W.empty_fit("why")
    assert empty.summary == {"skipped": "why"} and empty.effects.empty


def test_full_rank_drops_dependent_columns():
    x = pd.DataFrame({"a": [1.0, 1, 1, 1], "b": [1.0, 2, 3, 4], "c": [2.0, 4, 6, 8], "d": [0.0, 1, 0, 1]})
    assert list(W.full_rank(x).columns) == ["a", "b", "d"]


def test_readout_derives_what_readers_see():
    effects = pd.DataFrame({"wholesaler_id": ["A", "B", "C"], "effect": [0.2, -0.1, 0.2],
                            "ci_lower": [0.05, -0.3, -0.1], "ci_upper": [0.35, -0.02, 0.5]})
    panel = pd.DataFrame({"wholesaler_id": ["A", "A", "B", "C"], "advisors": [10, 30, 20, 0],
                          "purchases": [1, 3, 2, 0], "purchase_amount": [100.0, 300.0, 50.0, 0.0]})
    out = W.readout(effects, panel).set_index("wholesaler_id")
    assert out["effect_pct"].tolist() == pytest.approx([np.expm1(0.2), np.expm1(-0.1), np.expm1(0.2)])
    assert out["effect_rank"].tolist() == [1, 3, 1]  # ties share the better rank, as SQL's rank()
    assert out["is_above_average"].tolist() == [True, False, False]
    assert out["is_below_average"].tolist() == [False, True, False]
    assert out["purchases"].tolist() == [4, 2, 0] and out["purchase_amount"].tolist() == [400.0, 50.0, 0.0]
    assert out.loc["A", "purchase_amount_per_advisor_month"] == pytest.approx(10.0)
    assert np.isnan(out.loc["C", "purchase_amount_per_advisor_month"])  # no advisor-month: no rate


def test_the_dashboard_fits_the_months_of_a_date_range():
    """The wholesalers page with a date range fits the regression on the months that overlap it, with the
    same readout as the whole history's mart; a range the model cannot support keeps the whole history
    and says why."""
    from datetime import date

    import duckdb

    from orchestration.dashboard import queries as q

    panel, _ = _panel(n_terr=20)
    panel["month_start"] = pd.to_datetime(panel["month_start"]).dt.date
    whole = W.readout(W.fit(panel).effects, panel)
    con = duckdb.connect()
    con.execute("create schema marts")
    con.register("panel_df", panel)
    con.execute("create table marts.fct_wholesaler_coverage_monthly as select * from panel_df")
    con.register("whole_df", whole.assign(wholesaler_name=whole["wholesaler_id"] + " name", region="East"))
    con.execute("create table marts.agg_wholesaler_effects as select * from whole_df")
    con.register("people", pd.DataFrame({"wholesaler_id": ["WS0001", "WS0001", "WS0002"],
                                         "status": ["at_risk", "active", "active"], "persona": "p",
                                         "segment_name": "s", "value_tier": "t", "acquisition_channel": "c"}))

    everything, c = q.wholesaler_effects(con, q.Filters())
    assert c.not_applied == () and len(everything) == len(whole)
    assert everything.set_index("wholesaler_id").loc["WS0001", ["book", "book_at_risk"]].tolist() == [2, 1]

    second_half, c = q.wholesaler_effects(con, q.Filters(start=date(2026, 7, 15), end=date(2026, 12, 31)))
    months = panel[panel["month_start"] >= date(2026, 7, 1)]  # July overlaps the range: it counts
    expected = W.readout(W.fit(months).effects, months).set_index("wholesaler_id").sort_index()
    actual = second_half.set_index("wholesaler_id").sort_index()
    assert c.not_applied == () and list(actual.index) == list(expected.index)
    for col in ("effect", "ci_lower", "ci_upper", "effect_pct", "purchase_amount_per_advisor_month"):
        assert actual[col].to_numpy() == pytest.approx(expected[col].to_numpy())
    assert (actual["effect_rank"] == expected["effect_rank"]).all()
    assert (actual["wholesaler_name"] == actual.index + " name").all()
    assert not np.allclose(actual["effect"], whole.set_index("wholesaler_id").sort_index()["effect"])

    nothing, c = q.wholesaler_effects(con, q.Filters(start=date(2030, 1, 1)))
    assert len(c.not_applied) == 1 and "cannot support the regression" in c.not_applied[0]
    assert len(nothing) == len(whole)
