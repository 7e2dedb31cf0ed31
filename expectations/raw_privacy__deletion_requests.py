"""GX suite for the raw privacy.deletion_requests deliveries, built from the contract (see expectations/_raw.py)."""

from expectations._raw import RawSuite

SUITE = RawSuite("privacy.deletion_requests")
