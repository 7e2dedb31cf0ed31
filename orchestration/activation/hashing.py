"""Row hashes for diffing, and the ad platforms' identifier normalization + SHA-256.

Ad identifier rules (published by the platforms; checked 2026-11):
- Google Customer Match / Google Ads API "Prepare user data" and "Normalize and hash user-provided
  data" (developers.google.com/google-ads/api/docs/conversions/enhance-conversions,
  developers.google.com/display-video/api/guides/tasks/upload-customer-match-audience/prepare-data,
  developers.google.com/doubleclick-advertisers/guides/conversions_ec):
    * remove leading/trailing whitespace, convert to lower case;
    * remove all periods (.) that precede the domain in gmail.com and googlemail.com addresses
      (only those two domains; the published rule says nothing about "+suffix", so we keep it:
      stripping it would hash a different string than Google does and lose the match);
    * phone numbers in E.164 ("+" country code, number, up to 15 digits, e.g. +12125650000);
    * SHA-256, lower-case hex.
- Meta Custom Audiences (developers.facebook.com/docs/marketing-api/audiences/guides/custom-audiences,
  "Hashing and normalization"): email trimmed + lower-cased (no Gmail dot rule); phone as digits only,
  with the country code, no "+", no leading zeros; SHA-256 lower-case hex.
Values that are already a SHA-256 hex digest (64 hex chars) pass through (lower-cased), so a
pre-hashed audience (e.g. built with the `cjo.sha256` dbt macro) is never hashed twice.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal

_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")
_GMAIL_DOMAINS = {"gmail.com", "googlemail.com"}


def _canon(value: object) -> object:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        # repr round-trips; NaN/inf have no JSON form and are not audience values we expect.
        return repr(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value.normalize())
    return str(value)


def row_payload(row: Mapping[str, object], mapping: Mapping[str, str]) -> dict[str, object]:
    """Destination record from an audience row: ``{dest_field: canonical value}``."""
    return {dest: _canon(row[src]) for dest, src in mapping.items()}


def payload_hash(payload: Mapping[str, object]) -> str:
    """Stable hash of one destination record (field names included, so a mapping change resends)."""
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    # blake2b-128 is ~2x faster than sha256 in CPython and 128 bits is plenty to detect a change.
    return hashlib.blake2b(blob.encode(), digest_size=16).hexdigest()


def content_key(parts: Iterable[str]) -> str:
    """Deterministic idempotency key for a batch: the same batch content always gives the same key."""
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode())
        h.update(b"\x1f")
    return h.hexdigest()


# ------------------------------------------------------------------------- ad identifiers


def is_sha256_hex(value: str) -> bool:
    return bool(_HEX64.match(value))


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def normalize_email(email: str, platform: str = "google") -> str:
    email = email.strip().lower()
    if platform == "google" and "@" in email:
        local, _, domain = email.rpartition("@")
        if domain in _GMAIL_DOMAINS:
            local = local.replace(".", "")
        email = f"{local}@{domain}"
    return email


def normalize_phone(phone: str, platform: str = "google", default_country_code: str = "1") -> str | None:
    """E.164 for Google (``+<cc><number>``), digits only with country code for Meta.

    A number written with a leading ``+`` or ``00`` carries its country code; otherwise
    ``default_country_code`` is prefixed unless the digits already start with it and have 11+ digits.
    Returns None when nothing plausible remains (E.164 allows at most 15 digits, at least 8 here).
    """
    raw = phone.strip()
    digits = re.sub(r"\D", "", raw)
    if raw.startswith("+"):
        pass
    elif digits.startswith("00"):
        digits = digits[2:]
    else:
        digits = digits.lstrip("0")
        if not (digits.startswith(default_country_code) and len(digits) >= 11):
            digits = default_country_code + digits
    digits = digits.lstrip("0")
    if not 8 <= len(digits) <= 15:
        return None
    return f"+{digits}" if platform == "google" else digits


def hash_email(email: str | None, platform: str = "google") -> str | None:
    if email is None or not str(email).strip():
        return None
    email = str(email).strip()
    if is_sha256_hex(email):
        return email.lower()
    return sha256_hex(normalize_email(email, platform))


def hash_phone(phone: str | None, platform: str = "google", default_country_code: str = "1") -> str | None:
    if phone is None or not str(phone).strip():
        return None
    phone = str(phone).strip()
    if is_sha256_hex(phone):
        return phone.lower()
    norm = normalize_phone(phone, platform, default_country_code)
    return sha256_hex(norm) if norm else None
