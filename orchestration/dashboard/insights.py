"""The one thing each page suggests doing, computed from the page's data (pure functions of frames).

Each function returns a sentence, or a sentence saying why there is nothing to suggest (no data in the
filters); never canned advice: every name and number in it comes from the frames it is given.
"""

from __future__ import annotations

import pandas as pd

from orchestration.dashboard.numbers import count, lift, money, pct

NOTHING = "Nothing to suggest: no data in these filters."


def overview(by_persona: pd.DataFrame) -> str:
    """The persona holding the most at-risk customers (people_by persona)."""
    if by_persona.empty or by_persona["at_risk"].sum() == 0:
        return "No customer is at risk in these filters: keep the current cadence and watch new customers."
    top = by_persona.sort_values(["at_risk", "customers"], ascending=False).iloc[0]
    share = top["at_risk"] / by_persona["at_risk"].sum()
    return (
        f"Reach the {count(top['at_risk'])} at-risk {top['value']} customers first: they are {pct(share)} "
        f"of everyone at risk in these filters, and {count(top['eligible'])} {top['value']} customers are "
        f"eligible for an action now."
    )


def funnel(stages: pd.DataFrame, stalls: pd.DataFrame) -> str:
    """The weakest step of the funnel and the stage with the most stalled, eligible customers."""
    steps = stages.dropna(subset=["step_rate"])
    steps = steps[steps["reached"].shift(1, fill_value=0) >= 0]
    if steps.empty or stages["reached"].iloc[0] == 0:
        return NOTHING
    weak = steps.sort_values("step_rate").iloc[0]
    previous = stages.loc[stages["stage_order"] == weak["stage_order"] - 1, "stage"].iloc[0]
    text = f"The weakest step is {previous} → {weak['stage']} ({pct(weak['step_rate'])} move on)."
    if not stalls.empty and stalls["stalled"].sum() > 0:
        s = stalls.sort_values(["stalled_eligible", "stalled"], ascending=False).iloc[0]
        text += (
            f" {count(s['stalled'])} customers are stalled in {s['stage']} (longer than "
            f"{s['stall_threshold_days']:,.0f} days), {count(s['stalled_eligible'])} of them eligible now: "
            f"start with them."
        )
    return text


def journeys(moves: pd.DataFrame) -> str:
    """Where the lapses come from."""
    lapses = moves[moves["to_stage"] == "lapsed"]
    if lapses.empty:
        return "No customer lapsed in these filters: nothing to win back."
    top = lapses.sort_values("moves", ascending=False).iloc[0]
    share = top["moves"] / lapses["moves"].sum()
    return (
        f"{pct(share)} of lapses ({count(top['moves'])}) come straight from {top['from_stage']}: put a "
        f"check-in on customers in {top['from_stage']} before they go quiet."
    )


def cohorts(cells: pd.DataFrame) -> str:
    """The cohort that keeps the fewest customers at the latest month most cohorts have reached."""
    if cells.empty:
        return NOTHING
    reach = cells.groupby("months_since")["cohort_month"].nunique()
    common = reach[reach >= max(2, reach.max() // 2)]
    k = int(common.index.max()) if not common.empty else int(reach.idxmax())
    at_k = cells[(cells["months_since"] == k) & (cells["cohort_customers"] > 0)]
    if len(at_k) < 2:
        return f"Only one cohort has reached month {k}: compare again when more cohorts have."
    worst = at_k.sort_values("retention_rate").iloc[0]
    others = at_k[at_k["cohort_month"] != worst["cohort_month"]]
    avg = others["live_customers"].sum() / others["cohort_customers"].sum()
    if worst["retention_rate"] >= avg - 0.005:
        return (
            f"No cohort stands out: all keep about {pct(avg)} of their customers at month {k}; keep onboarding "
            f"as it is and look again next month."
        )
    return (
        f"The {pd.Timestamp(worst['cohort_month']):%b %Y} cohort keeps {pct(worst['retention_rate'])} of its "
        f"customers at month {k}, against {pct(avg)} for the other cohorts: find out what its first months "
        f"lacked and onboard the next cohort differently."
    )


def clv(at_risk: pd.DataFrame, tiers: pd.DataFrame) -> str:
    """Valuable customers who are probably slipping away, or else where the value sits."""
    if not at_risk.empty and at_risk["customers"].sum() > 0:
        n, value, elig = at_risk["customers"].sum(), at_risk["predicted_clv"].sum(), at_risk["eligible"].sum()
        names = " and ".join(at_risk["value"].astype(str))
        return (
            f"{count(n)} {names} customers are less than 50% likely to still be active and carry "
            f"{money(value)} of predicted value; {count(elig)} are eligible now: retain them first."
        )
    buyers = tiers[tiers["value"] != "prospect"]
    if buyers.empty or buyers["predicted_clv"].sum() == 0:
        return "No predicted CLV in these filters (the CLV model has not scored these customers yet)."
    top = buyers.sort_values("predicted_clv", ascending=False).iloc[0]
    return (
        f"The {top['value']} tier holds {pct(top['predicted_clv'] / buyers['predicted_clv'].sum())} of predicted "
        f"value with {pct(top['customers'] / buyers['customers'].sum())} of buyers: protect its service level."
    )


def money_flows(improvements: pd.DataFrame) -> str:
    """The funnel step where one more point of conversion is worth the most."""
    valued = improvements.dropna(subset=["value_of_one_point"])
    valued = valued[valued["value_of_one_point"] > 0]
    if valued.empty:
        return NOTHING
    top = valued.sort_values("value_of_one_point", ascending=False).iloc[0]
    return (
        f"Work on {top['from_stage']} → {top['to_stage']}: one more point of conversion there (from "
        f"{pct(top['conversion_rate'])}) is about {count(top['extra_conversions_per_point'])} conversions "
        f"worth {money(top['value_of_one_point'])}, the most of any step (observed, not causal: test it)."
    )


def attribution(credits: pd.DataFrame) -> str:
    """The channel whose revenue share moves most between last touch and the data-driven model."""
    if credits.empty or credits["revenue"].sum() == 0:
        return NOTHING
    share = credits.pivot_table(index="channel", columns="model", values="revenue", aggfunc="sum").fillna(0)
    share = share / share.sum()
    if "markov" not in share or "last_touch" not in share:
        return NOTHING
    gap = (share["markov"] - share["last_touch"]).sort_values()
    channel = gap.abs().idxmax()
    verb = "undervalues" if gap[channel] > 0 else "overvalues"
    return (
        f"Last touch {verb} {channel}: it gets {pct(share.loc[channel, 'last_touch'])} of revenue under last "
        f"touch and {pct(share.loc[channel, 'markov'])} under the data-driven (Markov) model; weigh budget on "
        f"the data-driven share."
    )


def segments(matrix: pd.DataFrame) -> str:
    """The segment with the most at-risk customers, and how many of them can be acted on."""
    if matrix.empty:
        return NOTHING
    seg = matrix.groupby("segment_name")[["customers", "at_risk", "eligible", "customer_value"]].sum()
    if seg["at_risk"].sum() == 0:
        top = seg.sort_values("customer_value", ascending=False).index[0]
        return f"No one is at risk; the {top} segment carries the most value: grow it with lookalikes."
    top = seg.sort_values("at_risk", ascending=False).iloc[0]
    name = seg.sort_values("at_risk", ascending=False).index[0]
    return (
        f"The {name} segment has the most customers at risk ({count(top['at_risk'])} of "
        f"{count(top['customers'])}, {pct(top['at_risk'] / top['customers'])}): give it a retention play; "
        f"{count(top['eligible'])} of its customers are eligible now."
    )


def experiments(results: pd.DataFrame) -> str:
    """Scale the clearest significant win (on a primary outcome when there is one); otherwise say which
    experiment needs more data. Lifts are in their metric's unit (money per customer or rate points), so
    wins are ranked by lift over the half-width of their interval, which has no unit."""
    if results.empty:
        return "No experiment results yet: every action keeps a holdout, so results appear after the first runs."
    half = (results["lift_ci_high"] - results["lift_ci_low"]) / 2
    clarity = (results["lift"] / half.where(half > 0)).fillna(0)

    def said(w) -> str:
        return f"{w['metric']} {lift(w['lift'], w['metric'])}"

    wins = results[(results["is_significant"]) & (results["lift"] > 0)]
    # an experiment is judged on the outcome it was designed to move: a primary outcome's win comes first
    if "is_primary_outcome" in wins and (wins["is_primary_outcome"] == True).any():  # noqa: E712 (nullable)
        wins = wins[wins["is_primary_outcome"] == True]  # noqa: E712
    if not wins.empty:
        w = wins.loc[clarity[wins.index].idxmax()]
        return (
            f"Scale {w['experiment_name']}: {said(w)} against its holdout (95% interval "
            f"{lift(w['lift_ci_low'], w['metric'])} to {lift(w['lift_ci_high'], w['metric'])})."
        )
    losses = results[(results["is_significant"]) & (results["lift"] < 0)]
    if not losses.empty:
        w = losses.loc[clarity[losses.index].idxmin()]
        return f"Stop or rethink {w['experiment_name']}: {said(w)} against its holdout, significantly worse."
    wide = results.loc[clarity.abs().idxmin()]
    return (
        f"No significant lift yet; {wide['experiment_name']} ({wide['metric']}) is the least certain "
        f"(interval {lift(wide['lift_ci_low'], wide['metric'])} to {lift(wide['lift_ci_high'], wide['metric'])}): "
        f"keep it running before deciding."
    )


def wholesalers(effects: pd.DataFrame) -> str:
    """Coach the clearly below-average wholesaler with the biggest book; else learn from the best."""
    if effects.empty:
        return "No wholesaler effects yet (the regression has not run, or too few wholesalers)."
    low = effects[effects["is_below_average"] == True]  # noqa: E712 (nullable booleans)
    if not low.empty:
        w = low.sort_values("book", ascending=False).iloc[0]
        return (
            f"Coach {w['wholesaler_name']}: {pct(w['effect_pct'])} against an average wholesaler in the same "
            f"territory (interval below zero), with a book of {count(w['book'])} ({count(w['book_at_risk'])} "
            f"at risk)."
        )
    top = effects.sort_values("effect", ascending=False).iloc[0]
    return (
        f"No wholesaler is clearly below average; {top['wholesaler_name']} leads ({pct(top['effect_pct'])} "
        f"net of territory): have them share what they do."
    )


def audiences(summary: pd.DataFrame, errors: pd.DataFrame, status: pd.DataFrame) -> str:
    """Fix what is failing first; otherwise point at the audience that reaches the most people."""
    if not errors.empty:
        worst = errors.sort_values("rows", ascending=False).iloc[0]
        return (
            f"Fix {worst['sync_name']} first: {worst['kind']} ({count(worst['rows'])} rows): "
            f"{str(worst['reason'])[:120]}."
        )
    if summary.empty:
        return "No audience is published yet."
    if status.empty:
        top = summary.sort_values("members", ascending=False).iloc[0]
        return (
            f"No sync has run yet: {top['audience']} already has {count(top['members'])} members in these "
            f"filters; run `cjo run --job activate` to send it."
        )
    top = summary.sort_values("members", ascending=False).iloc[0]
    return (
        f"All syncs are healthy; {top['audience']} is the largest ({count(top['members'])} members, "
        f"{count(top['reachable'])} reachable): check its results on the experiments page."
    )
