"""GX suite for the raw privacy.consent_events deliveries, built from the contract (see expectations/_raw.py)."""

from expectations._raw import RawSuite

SUITE = RawSuite("privacy.consent_events")
