"""GX suite for the raw crm.opportunities deliveries, built from the contract (see expectations/_raw.py)."""

from expectations._raw import RawSuite

SUITE = RawSuite("crm.opportunities")
