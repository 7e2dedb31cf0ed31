"""GX suite for the raw marketing.web_events deliveries, built from the contract (see expectations/_raw.py)."""

from expectations._raw import RawSuite

SUITE = RawSuite("marketing.web_events")
