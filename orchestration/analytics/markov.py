"""First-order Markov-chain attribution by removal effect (Anderl, Becker, von Wangenheim and Schumann
2016): the channels of every path are states between (start) and (conversion) or (null); a channel's
removal effect is the share of conversions lost when every visit to it leads to (null) instead.

The absorption probability is solved exactly (a linear system), not simulated. Pure functions on
arrays; ``removal_effects`` takes a long frame of (path_id, position, channel, converted).

No library: ``channelattribution`` (the reference implementation) is GPL-3.0 and builds C++ from source;
this is ~40 lines of numpy, tested against hand-computed chains in tests/analytics/test_markov.py.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd

START, CONVERSION, NULL = "(start)", "(conversion)", "(null)"


@dataclass
class MarkovResult:
    channels: list[str]
    removal_effects: dict[str, float]  # 1 - P(conversion | channel removed) / P(conversion)
    conversion_probability: float  # of the full chain, from (start)
    paths: int
    conversions: int

    def shares(self) -> dict[str, float]:
        total = sum(self.removal_effects.values())
        if total <= 0:
            return {c: 1 / len(self.channels) for c in self.channels} if self.channels else {}
        return {c: v / total for c, v in self.removal_effects.items()}


def transition_counts(paths: list[list[str]], converted: list[bool]) -> tuple[list[str], np.ndarray]:
    """States are [START, *channels, CONVERSION, NULL]; counts[i, j] = observed moves from i to j."""
    channels = sorted({c for p in paths for c in p})
    states = [START, *channels, CONVERSION, NULL]
    index = {s: i for i, s in enumerate(states)}
    counts = np.zeros((len(states), len(states)))
    for path, conv in zip(paths, converted, strict=True):
        seq = [START, *path, CONVERSION if conv else NULL]
        for a, b in itertools.pairwise(seq):
            counts[index[a], index[b]] += 1
    return states, counts


def conversion_probability(counts: np.ndarray, removed: int | None = None) -> float:
    """P(absorbed in CONVERSION | START) of the chain with transition probabilities from ``counts``.
    With ``removed``, that state sends everything to NULL (the removal effect's counterfactual)."""
    n = counts.shape[0]
    conv, null = n - 2, n - 1
    probs = counts.astype(float).copy()
    if removed is not None:
        probs[:, null] += probs[:, removed]  # moves into the removed channel end the journey instead
        probs[:, removed] = 0.0
        probs[removed, :] = 0.0
    totals = probs.sum(axis=1, keepdims=True)
    probs = np.divide(probs, totals, out=np.zeros_like(probs), where=totals > 0)
    transient = list(range(n - 2))
    q = probs[np.ix_(transient, transient)]
    r = probs[transient, conv]
    # absorption probabilities: (I - Q) x = R; states with no outgoing moves keep x = 0
    x = np.linalg.lstsq(np.eye(len(transient)) - q, r, rcond=None)[0]
    return float(np.clip(x[0], 0.0, 1.0))


def removal_effects_from_paths(paths: list[list[str]], converted: list[bool]) -> MarkovResult:
    states, counts = transition_counts(paths, converted)
    channels = states[1:-2]
    base = conversion_probability(counts)
    effects = {}
    for i, channel in enumerate(channels, start=1):
        without = conversion_probability(counts, removed=i)
        effects[channel] = float(np.clip(1 - without / base, 0.0, 1.0)) if base > 0 else 0.0
    return MarkovResult(channels=channels, removal_effects=effects, conversion_probability=base,
                        paths=len(paths), conversions=int(sum(converted)))


def removal_effects(frame: pd.DataFrame) -> MarkovResult:
    """From a long frame with columns path_id, position, channel, converted (one row per step)."""
    ordered = frame.sort_values(["path_id", "position"], kind="stable")
    grouped = ordered.groupby("path_id", sort=False)
    paths = [list(steps) for _, steps in grouped["channel"]]
    converted = [bool(v) for v in grouped["converted"].first()]
    return removal_effects_from_paths(paths, converted)


def table(result: MarkovResult) -> pd.DataFrame:
    shares = result.shares()
    return pd.DataFrame({
        "channel": result.channels,
        "removal_effect": [result.removal_effects[c] for c in result.channels],
        "attribution_share": [shares[c] for c in result.channels],
        "paths": np.full(len(result.channels), result.paths, dtype="int64"),
        "conversion_rate": np.full(len(result.channels), result.conversion_probability),
    })
