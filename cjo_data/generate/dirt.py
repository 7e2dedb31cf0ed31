"""Dirt: what real deliveries look like. Applied to clean row frames just before they are written.

Rates are multiples of ``dirt_rate`` (see docs/demo-data.md):
- exact duplicate rows (same id, same values): ``dirt_rate`` of the rows of every event table and of
  sales; half are repeated in the same file, half redelivered in the next file;
- late arrivals: ``dirt_rate`` of event rows are written to a delivery 1-3 files later than their time;
- malformed rows: ``dirt_rate / 8`` extra rows per table (corrupted copies of real rows with their own
  id): a bad date, an unknown enum value, a non-numeric or a negative amount;
- nulls in optional fields: ``dirt_rate`` of the values of optional columns;
- email case/whitespace variants: ``5 x dirt_rate`` of email values (capped at 50%).
Always present, because they are valid but heterogeneous: timestamps with mixed offsets (Z, +00:00,
-05:00, none) and phones in five formats.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

# Dirt codes in a frame's `_bad` column; 0 is a clean value.
BAD_DATE, BAD_ENUM, BAD_AMOUNT_TEXT, BAD_AMOUNT_NEGATIVE = range(1, 5)
TS_CODES_P = (0.45, 0.15, 0.2, 0.2)  # Z, +00:00, -05:00, no offset


def take(frame: dict, idx: np.ndarray) -> dict:
    """Rows of a frame (numpy arrays and Arrow string arrays) by index or boolean mask."""
    idx = np.asarray(idx)
    if idx.dtype == bool:
        idx = np.flatnonzero(idx)
    pidx = None
    out = {}
    for k, v in frame.items():
        if isinstance(v, pa.Array):
            pidx = pa.array(idx) if pidx is None else pidx
            out[k] = v.take(pidx)
        else:
            out[k] = v[idx]
    return out


def concat(*frames: dict) -> dict:
    keys = frames[0].keys()
    return {k: (pa.concat_arrays([f[k] for f in frames]) if isinstance(frames[0][k], pa.Array)
                else np.concatenate([f[k] for f in frames])) for k in keys}


def apply_event_dirt(rng: np.random.Generator, frame: dict[str, np.ndarray], rate: float, n_deliveries: int,
                     bad_kinds: tuple[int, ...], *, late: bool = True) -> dict[str, np.ndarray]:
    """frame needs: ts, _delivery, _id (int). Adds _dup, _late, _bad, _null, _tsfmt, _emailvar columns
    and the extra rows (duplicates, malformed)."""
    m = len(frame["ts"])
    frame["_dup"] = np.zeros(m, bool)
    frame["_late"] = np.zeros(m, bool)
    frame["_bad"] = np.zeros(m, np.int8)
    if late and n_deliveries > 1 and m:
        is_late = (rng.random(m) < rate) & (frame["_delivery"] < n_deliveries - 1)
        shift = rng.integers(1, 4, m)
        frame["_delivery"] = np.where(is_late, np.minimum(frame["_delivery"] + shift, n_deliveries - 1),
                                      frame["_delivery"])
        frame["_late"] = is_late
    parts = [frame]
    if m and rate > 0:
        dup_idx = np.flatnonzero(rng.random(m) < rate)
        dup = take(frame, dup_idx)
        redeliver = rng.random(len(dup_idx)) < 0.5
        dup["_delivery"] = np.where(redeliver, np.minimum(dup["_delivery"] + 1, n_deliveries - 1),
                                    dup["_delivery"])
        dup["_dup"] = np.ones(len(dup_idx), bool)
        parts.append(dup)
        if bad_kinds:
            bad_idx = np.flatnonzero(rng.random(m) < rate / 8)
            bad = take(frame, bad_idx)
            bad["_bad"] = np.asarray(bad_kinds, np.int8)[rng.integers(0, len(bad_kinds), len(bad_idx))]
            bad["_id"] = frame["_id"].max() + 1 + np.arange(len(bad_idx))  # their own (fresh) ids
            parts.append(bad)
    out = concat(*parts) if len(parts) > 1 else frame
    k = len(out["ts"])
    out["_null"] = rng.random(k) < rate
    out["_tsfmt"] = rng.choice(4, k, p=TS_CODES_P).astype(np.int8)
    out["_emailvar"] = np.where(rng.random(k) < min(0.5, 5 * rate), rng.integers(1, 5, k), 0).astype(np.int8)
    # within a delivery, rows follow time; duplicates and late rows fall where their time puts them
    order = np.lexsort((out["_id"], out["ts"], out["_delivery"]))
    out = take(out, order)
    out["_rn"] = np.arange(k)
    return out
