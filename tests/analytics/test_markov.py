"""Markov removal effects: a chain computed by hand, and invariants on random paths (hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestration.analytics import markov

CHANNELS = ["email", "web", "webinar", "wholesaler"]


def test_removal_effects_of_a_hand_computed_chain():
    # start -> c1 (2/3) | c2 (1/3); c1 -> c2 (1/2) | null (1/2); c2 -> c3; c3 -> conversion (1/2) | null
    # P(conversion) = 2/3 * 1/2 * 1/2 + 1/3 * 1/2 = 1/3. Without c1: 1/3 * 1/2 = 1/6 (effect 1/2);
    # without c2 or c3 nothing converts (effect 1).
    result = markov.removal_effects_from_paths([["c1", "c2", "c3"], ["c1"], ["c2", "c3"]], [True, False, False])
    assert result.conversion_probability == pytest.approx(1 / 3)
    assert result.removal_effects == pytest.approx({"c1": 0.5, "c2": 1.0, "c3": 1.0})
    assert result.shares() == pytest.approx({"c1": 0.2, "c2": 0.4, "c3": 0.4})


def test_a_channel_never_on_a_converting_path_has_no_effect():
    result = markov.removal_effects_from_paths([["email", "web"], ["webinar"], ["email"]], [True, False, True])
    assert result.removal_effects["webinar"] == pytest.approx(0.0)


def test_table_from_a_long_frame():
    import pandas as pd

    frame = pd.DataFrame({"path_id": ["a", "a", "b"], "position": [2, 1, 1], "channel": ["web", "email", "web"],
                          "converted": [True, True, False]})
    table = markov.table(markov.removal_effects(frame))
    assert list(table["channel"]) == ["email", "web"]
    assert table["attribution_share"].sum() == pytest.approx(1.0)
    assert (table["paths"] == 2).all()


paths_strategy = st.lists(
    st.tuples(st.lists(st.sampled_from(CHANNELS), min_size=1, max_size=6), st.booleans()),
    min_size=1, max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(paths_strategy)
def test_effects_are_bounded_and_shares_sum_to_one(rows):
    paths, converted = [p for p, _ in rows], [c for _, c in rows]
    result = markov.removal_effects_from_paths(paths, converted)
    assert 0.0 <= result.conversion_probability <= 1.0
    assert all(0.0 <= v <= 1.0 for v in result.removal_effects.values())
    assert sum(result.shares().values()) == pytest.approx(1.0)
    if not any(converted):
        assert result.conversion_probability == 0.0
    # a channel that ends every converting path carries every move into conversion: indispensable
    last_steps = {p[-1] for p, c in rows if c}
    if len(last_steps) == 1:
        assert result.removal_effects[last_steps.pop()] == pytest.approx(1.0)


def test_one_touch_paths_of_real_sessions_give_the_conversion_shares():
    """UCI Online Shoppers (real sessions, no visitor id: every path is one touch, its traffic type). On
    one-touch paths the removal effect of a channel is its conversions over all conversions, so the Markov
    shares equal last-touch shares exactly. The committed sample always; the full file when it is there
    (measured on it: 12,330 sessions, 1,908 conversions, largest difference 6e-16)."""
    from pathlib import Path

    import pandas as pd

    root = Path(__file__).resolve().parents[2]
    sources = [root / "tests" / "fixtures" / "byod" / "shoppers_sample.csv",
               root.parent / "shared" / "data" / "online_shoppers_intention" / "online_shoppers_intention.csv"]
    for source in (s for s in sources if s.exists()):
        sessions = pd.read_csv(source)
        converted = sessions["Revenue"].astype(str).str.upper().eq("TRUE")
        paths = [[f"traffic-{t}"] for t in sessions["TrafficType"]]
        result = markov.removal_effects_from_paths(paths, converted.tolist())
        last_touch = sessions.loc[converted, "TrafficType"].value_counts(normalize=True)
        expected = {f"traffic-{t}": float(last_touch.get(t, 0.0)) for t in sessions["TrafficType"].unique()}
        assert result.shares() == pytest.approx(expected, abs=1e-12), source.name
        assert result.conversion_probability == pytest.approx(converted.mean())
