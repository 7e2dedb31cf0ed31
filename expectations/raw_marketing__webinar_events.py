"""GX suite for the raw marketing.webinar_events deliveries, built from the contract (see expectations/_raw.py)."""

from expectations._raw import RawSuite

SUITE = RawSuite("marketing.webinar_events")
