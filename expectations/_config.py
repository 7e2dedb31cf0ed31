"""Thresholds the suites use. One frozen dataclass, so suites are pure functions of their inputs.

Dagster passes these from the typed ``QualityConfig`` resource (orchestration/quality/defs.py); tests
build them directly. Defaults are chosen for the demo generator's dirt rates (a small share of malformed
rows); a real source with a different rate changes them in the resource, not in code.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Thresholds:
    # Every proportion check on a delivery has a share AND a minimum count: it fails only when more than
    # the share of rows are bad and at least the minimum count are. A share alone fails small clean
    # deliveries (2 repeated ids in 353 rows is 1.1%: seed 5 of the generator at 2,000 advisors x 90 days
    # did exactly that), a count alone lets a large dirty one through. tests/quality/test_quality_suites.py
    # checks both at 50, 5,000 and 500,000 rows.
    #
    # Share of a delivery's rows that staging may quarantine before the delivery blocks the run. Above
    # it, a delivery is more likely a broken export than a few dirty rows; raise it and a broken export
    # flows through as mass quarantine, lower it and ordinary dirt stops the pipeline.
    max_quarantine_rate: float = 0.05
    # ... and a delivery is blocked only when at least this many rows are bad. 10: a source exactly at the
    # 5% limit reaches it in a 50-row file 0.3% of the time (binomial), so small deliveries are not blocked
    # by chance; a small file that is mostly broken is still quarantined row by row by staging. 1 restores
    # the share alone.
    min_quarantine_rows: int = 10
    # Share of rows whose record key repeats within one delivery (exact re-sent rows are collapsed
    # first; those are harmless). A conflicting re-use of an id inside one file is a source bug, but
    # staging keeps the first copy and counts the rest, so a trickle (ESPs do re-send) is dirt, not a
    # broken export. 1%: the demo data's ~0.1% passes; a file that repeats its ids wholesale blocks.
    max_duplicate_key_rate: float = 0.01
    # ... and at least this many rows must share a repeated key (both copies count). 10: the demo
    # generator's deliveries repeat up to 10 rows (5 ids) in 8,000, and 4 in 353 (1.13%).
    min_duplicate_key_rows: int = 10
    # Duplicates ACROSS deliveries (a row re-sent in a later file: staging keeps the first copy) are
    # harmless one by one but in bulk mean a source re-exports everything. A raw table whose removed
    # duplicates exceed this share of its landed rows (and the minimum count above) gets a WARNING with the
    # count (not a block: the data is still right). 1%: the demo's re-sent rows stay under it; a full
    # re-export (100,000 rows again) warns.
    warn_duplicates_removed_rate: float = 0.01
    # Deliveries larger than this are validated on a key-hash sample of about this many rows: GX on a
    # pandas frame costs seconds per 100k rows, and a first load can be millions. Rates, enum values and
    # duplicate keys are estimated on the sample; staging still checks every row.
    max_rows_per_batch: int = 200_000
    # An audience that shrinks below min_ratio or grows past max_ratio of its size at the last passing
    # run is suspicious (a broken join halves it overnight); the sync waits for a human.
    audience_min_ratio: float = 0.5
    audience_max_ratio: float = 2.0
    # Audiences smaller than this are not compared (a 3 -> 1 change is noise, not an incident).
    audience_min_size_to_compare: int = 20

    @staticmethod
    def allowed_bad(rows: int, rate: float, min_rows: int) -> int:
        """Bad rows a proportion check on ``rows`` rows lets through: up to the share, and always fewer
        than the minimum count."""
        return max(math.floor(rate * rows + 1e-9), min_rows - 1, 0)

    @classmethod
    def mostly(cls, rows: int | None, rate: float, min_rows: int) -> float:
        """GX ``mostly`` for that budget: the check passes iff bad rows <= allowed_bad (exact: the same
        float expression as GX's success ratio). Without a row count, the share alone."""
        if not rows:
            return round(1.0 - rate, 6)
        return (rows - min(cls.allowed_bad(rows, rate, min_rows), rows)) / rows

    def row_mostly(self, rows: int | None) -> float:
        """``mostly`` of the per-column row checks and the quarantine check (the quarantine budget)."""
        return self.mostly(rows, self.max_quarantine_rate, self.min_quarantine_rows)

    def too_many_duplicates_removed(self, removed: int, landed: int) -> bool:
        """The cross-delivery duplicates warning: over the share and at least the minimum count."""
        return removed > self.allowed_bad(landed, self.warn_duplicates_removed_rate, self.min_duplicate_key_rows)

    def key_mostly(self, rows: int | None) -> float:
        """``mostly`` of the key-uniqueness check."""
        return self.mostly(rows, self.max_duplicate_key_rate, self.min_duplicate_key_rows)
