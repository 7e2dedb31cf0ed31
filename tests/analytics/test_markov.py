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
