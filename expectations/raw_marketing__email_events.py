"""GX suite for the raw marketing.email_events deliveries, built from the contract (see expectations/_raw.py)."""

from expectations._raw import RawSuite

SUITE = RawSuite("marketing.email_events")
