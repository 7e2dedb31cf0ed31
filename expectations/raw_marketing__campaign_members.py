"""GX suite for the raw marketing.campaign_members deliveries, built from the contract (see expectations/_raw.py)."""

from expectations._raw import RawSuite

SUITE = RawSuite("marketing.campaign_members")
