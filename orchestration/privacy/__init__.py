"""Erasure: a deletion request removes the person's personal data from every table and file.

- ``ledger``: the one record of who was forgotten, as salted hashes only (and the salt);
- ``forgotten``: THE forgotten set of a run (identity components named by a deletion request or by the
  ledger) and the values that identify them;
- ``files``: rewrites the landed Parquet, the raw deliveries, rejected lines, quarantined files and exports;
- ``tables``: deletes (or pseudonymizes, in the sync audit log) their rows in every live table;
- ``erasure``: one pass over all of it, with a report; ``assets`` is its Dagster asset.

docs/privacy.md says what is kept, where and for how long.
"""
