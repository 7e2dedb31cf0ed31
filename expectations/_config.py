"""Thresholds the suites use. One frozen dataclass, so suites are pure functions of their inputs.

Dagster passes these from the typed ``QualityConfig`` resource (orchestration/quality/defs.py); tests
build them directly. Defaults are chosen for the demo generator's dirt rates (a small share of malformed
rows); a real source with a different rate changes them in the resource, not in code.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Thresholds:
    # Share of a delivery's rows that staging may quarantine before the delivery blocks the run. Above
    # it, a delivery is more likely a broken export than a few dirty rows; raise it and a broken export
    # flows through as mass quarantine, lower it and ordinary dirt stops the pipeline.
    max_quarantine_rate: float = 0.05
    # Share of rows whose record key repeats within one delivery (exact re-sent rows are collapsed
    # first; those are harmless). A conflicting re-use of an id inside one file is a source bug, but
    # staging keeps the first copy and counts the rest, so a trickle (ESPs do re-send) is dirt, not a
    # broken export. 1%: the demo data's ~0.1% passes; a file that repeats its ids wholesale blocks.
    max_duplicate_key_rate: float = 0.01
    # Bad rows a delivery may always carry, whatever its size: in a 10-row file one bad row is 10%, which
    # is dirt for staging to quarantine, not a broken export. 0 makes the rate apply to tiny files too.
    bad_row_allowance: int = 2
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

    @property
    def row_mostly(self) -> float:
        """``mostly`` for the per-column row checks: the same budget as the quarantine rate."""
        return round(1.0 - self.max_quarantine_rate, 6)

    def mostly_for(self, rows: int | None) -> float:
        """The row budget for a delivery of ``rows`` rows: the rate, or the absolute allowance if larger."""
        if not rows or not self.bad_row_allowance:
            return self.row_mostly
        return max(0.0, round(min(self.row_mostly, 1.0 - self.bad_row_allowance / rows), 6))
