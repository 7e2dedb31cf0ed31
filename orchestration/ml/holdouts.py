"""Holdout groups: who is kept out of marketing so that lift can be measured.

- The GLOBAL control group is persistent: a customer is in it when a hash of (salt, customer_id) falls
  below the holdout share (5 % by default). The same customer stays in (or out) on every run, with no
  state to store; changing the salt re-draws the whole group (do it only between experiments).
- The PER-ACTION control split hashes (salt, action, customer_id): among the customers whose best
  action is A, a share of them is held out of A (recorded with is_holdout, not sent).

The assignment is computed in SQL by the decisioning marts (dim_customer_holdouts,
fct_next_best_actions) with dbt's portable `dbt.hash` (md5 hex on DuckDB and Spark). The bucket is the
first four hex digits, compared as text against a four-hex-digit threshold: lower-case hex strings of
equal length sort like the numbers they encode, so this needs no engine-specific hex parsing. This
module is the same rule in Python, for the assets and for the test that proves SQL and Python agree.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import pandas as pd

# The default salt; dbt var nba_holdout_salt must hold the same value.
DEFAULT_SALT = "cjo-holdout-v1"
# Four hex digits -> 65,536 buckets: a share is honoured to 1/65536.
BUCKET_DIGITS = 4
BUCKETS = 16**BUCKET_DIGITS


def threshold_hex(share: float) -> str:
    """The bucket threshold as text: a key is held out when its bucket text sorts below this."""
    if not 0 <= share <= 1:
        raise ValueError(f"holdout share must be in [0, 1], got {share}")
    value = round(share * BUCKETS)
    return "g" * BUCKET_DIGITS if value >= BUCKETS else f"{value:0{BUCKET_DIGITS}x}"


def bucket(*parts: str) -> str:
    """First hex digits of md5 over the parts joined with ':' (the SQL: dbt.hash(concat(...)))."""
    return hashlib.md5(":".join(parts).encode("utf-8")).hexdigest()[:BUCKET_DIGITS]


def is_global_control(customer_id: str, share: float = 0.05, salt: str = DEFAULT_SALT) -> bool:
    return bucket(salt, customer_id) < threshold_hex(share)


def is_action_control(customer_id: str, action: str, share: float = 0.10, salt: str = DEFAULT_SALT) -> bool:
    return bucket(salt, action, customer_id) < threshold_hex(share)


def global_assignments(customer_ids: Iterable[str], share: float = 0.05, salt: str = DEFAULT_SALT) -> pd.DataFrame:
    ids = [str(c) for c in customer_ids]
    limit = threshold_hex(share)
    buckets = [bucket(salt, c) for c in ids]
    return pd.DataFrame({"customer_id": ids, "holdout_bucket": buckets,
                         "is_global_holdout": [b < limit for b in buckets]})
