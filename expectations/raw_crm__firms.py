"""GX suite for the raw crm.firms deliveries, built from the contract (see expectations/_raw.py)."""

from expectations._raw import RawSuite

SUITE = RawSuite("crm.firms")
