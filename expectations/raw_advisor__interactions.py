"""GX suite for the raw advisor.interactions deliveries, built from the contract (see expectations/_raw.py)."""

from expectations._raw import RawSuite

SUITE = RawSuite("advisor.interactions")
