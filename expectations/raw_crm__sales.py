"""GX suite for the raw crm.sales deliveries, built from the contract (see expectations/_raw.py)."""

from expectations._raw import RawSuite

SUITE = RawSuite("crm.sales")
