"""Population stability index (PSI): how far a distribution moved from the one a model was trained on.

PSI = sum over bins of (actual% - expected%) * ln(actual% / expected%), with bins cut at the quantiles
of the reference (training) sample. Rules of thumb: < 0.1 stable, 0.1-0.25 moderate, > 0.25 major shift.
"""

from __future__ import annotations

import numpy as np

# Floor for an empty bin's share: keeps ln() finite; too small a floor makes one empty bin dominate.
EPSILON = 1e-4


def bin_edges(reference: np.ndarray, bins: int = 10) -> np.ndarray:
    """Quantile cut points of the reference sample (duplicates removed for discrete features)."""
    ref = np.asarray(reference, dtype="float64")
    ref = ref[~np.isnan(ref)]
    if len(ref) == 0:
        return np.array([])
    inner = np.unique(np.quantile(ref, np.linspace(0, 1, bins + 1)[1:-1]))
    return inner


def psi(reference: np.ndarray, current: np.ndarray, bins: int = 10, edges: np.ndarray | None = None) -> float:
    """PSI of ``current`` against ``reference`` (0 = identical binned distributions)."""
    ref = np.asarray(reference, dtype="float64")
    cur = np.asarray(current, dtype="float64")
    ref, cur = ref[~np.isnan(ref)], cur[~np.isnan(cur)]
    if len(ref) == 0 or len(cur) == 0:
        return float("nan")
    cuts = bin_edges(ref, bins) if edges is None else np.asarray(edges)
    ref_share = np.bincount(np.searchsorted(cuts, ref, side="right"), minlength=len(cuts) + 1) / len(ref)
    cur_share = np.bincount(np.searchsorted(cuts, cur, side="right"), minlength=len(cuts) + 1) / len(cur)
    ref_share = np.clip(ref_share, EPSILON, None)
    cur_share = np.clip(cur_share, EPSILON, None)
    return float(np.sum((cur_share - ref_share) * np.log(cur_share / ref_share)))


def psi_report(
    reference: dict[str, np.ndarray], current: dict[str, np.ndarray], threshold: float
) -> dict[str, dict[str, float | bool]]:
    """PSI per named series (score, top features), each flagged against the threshold."""
    out: dict[str, dict[str, float | bool]] = {}
    for name, ref in reference.items():
        if name not in current:
            continue
        value = psi(ref, current[name])
        out[name] = {"psi": value, "drifted": bool(value > threshold)}
    return out
