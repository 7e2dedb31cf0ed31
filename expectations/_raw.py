"""Raw suites, built from the contract (orchestration/contract.py), so a contract change changes them.

What a raw suite validates: ONE landed delivery (a Parquet file written by the landing step, every column
as text). ``frame()`` reads it with DuckDB and adds shadow columns computed with the very casts staging
uses (``try_cast``, ``timestamptz``), so "this value parses" means the same thing here as in dbt:
- ``<col>__parses``: true/false for typed columns (null when the raw value is null);
- ``<col>__utc``: the parsed UTC timestamp of a timestamp column;
- ``<col>__number``: the parsed number of an integer/double column;
- enum columns trimmed and lower-cased, as staging compares them;
- ``_quarantine_code``: the first contract rule the row breaks (null when it passes), the same rules as
  the staging base models, so the quarantine rate is known before dbt runs.
Exact duplicate rows (a re-sent line) are collapsed: staging removes them and they are not a defect.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from expectations._config import Thresholds

if TYPE_CHECKING:  # pragma: no cover
    import duckdb
    import pandas as pd
    from great_expectations import ExpectationSuite

# Columns staging checks for negative values (scripts/scaffold_staging.py NON_NEGATIVE).
NON_NEGATIVE = ("amount", "years_experience", "duration_minutes")
_CASTS = {"integer": "bigint", "double": "double"}


class Table(Protocol):
    """What a raw suite reads of a contract table. The runtime passes its contract's tables in
    (``raw_suites(orchestration.contract.TABLES)``): this package never imports the orchestration
    package, so imports between the two run one way only."""

    fqn: str
    source: str
    name: str
    key: str
    columns: Sequence
    required_columns: Sequence[str]


def _q(path: Path | str) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _quarantine_rules(t: Table) -> list[tuple[str, str]]:
    """(code, condition) pairs in staging's order; the condition is true when the row breaks the rule."""
    out: list[tuple[str, str]] = []
    for c in t.columns:
        if not c.nullable:
            out.append(("missing_required", f"{c.name} is null"))
        if c.type in ("timestamp", "integer", "double"):
            code = "invalid_timestamp" if c.type == "timestamp" else "invalid_number"
            out.append((code, f"not {c.name}__parses"))
        if c.accepted_values:
            vals = ", ".join(f"'{v}'" for v in c.accepted_values)
            out.append(("unknown_value", f"{c.name} is not null and {c.name} not in ({vals})"))
        if c.name in NON_NEGATIVE:
            out.append(("negative_amount" if c.name == "amount" else "negative_number",
                        f"{c.name}__number < 0"))
    return out


def _normalized(c) -> str:
    """The value as staging will see it, to tell a re-sent row from a conflicting one."""
    if c.type == "timestamp":
        return f"coalesce(cast({c.name}__utc as varchar), {c.name})"
    if c.type in _CASTS:
        return f"coalesce(cast({c.name}__number as varchar), {c.name})"
    if c.name == "email" or c.accepted_values:
        return f"lower(trim({c.name}))"
    return c.name


def frame_sql(t: Table, parquet_files: Sequence[Path | str], sample_fraction: float | None = None) -> str:
    """``sample_fraction``: keep only the records whose key hashes into that share (all rows of one key
    stay together, so duplicate keys are still seen; a null key falls back to the whole row)."""
    files = "[" + ", ".join(_q(p) for p in parquet_files) + "]"
    cols = ", ".join(c.name for c in t.columns)
    where = ""
    if sample_fraction is not None and sample_fraction < 1:
        row = " || '|' || ".join(f"coalesce({c.name}, '')" for c in t.columns)
        where = (f" where hash(coalesce({t.key}, {row})) % 1000000 < "
                 f"{max(1, round(sample_fraction * 1_000_000))}")
    shadow: list[str] = []
    for c in t.columns:
        if c.accepted_values:
            shadow.append(f"lower(trim({c.name})) as {c.name}")
        else:
            shadow.append(c.name)
        if c.type == "timestamp":
            parsed = f"(try_cast({c.name} as timestamptz) at time zone 'UTC')"
            shadow.append(f"{parsed} as {c.name}__utc")
            shadow.append(f"case when {c.name} is not null then {parsed} is not null end as {c.name}__parses")
        elif c.type in _CASTS:
            parsed = f"try_cast({c.name} as {_CASTS[c.type]})"
            shadow.append(f"{parsed}::double as {c.name}__number")
            shadow.append(f"case when {c.name} is not null then {parsed} is not null end as {c.name}__parses")
    rules = _quarantine_rules(t)
    code = "case " + " ".join(f"when {cond} then '{code}'" for code, cond in rules) + " end" if rules else "null"
    # A row re-sent in the same file, even with the timestamp written another way (2026-01-01T10:00:00Z
    # vs 2026-01-01 10:00:00) or the email in another case, is collapsed: staging keeps it once, it is
    # not a conflicting re-use of the key.
    same = ", ".join(_normalized(c) for c in t.columns)
    return (
        f"with landed as (select {cols} from read_parquet({files}, union_by_name=true){where}), "
        f"typed as (select {', '.join(shadow)} from landed), "
        f"collapsed as (select * from typed qualify row_number() over (partition by {same}) = 1) "
        f"select *, {code} as _quarantine_code from collapsed"
    )


@dataclass(frozen=True)
class RawSuite:
    """The suite for one raw contract table, e.g. ``RawSuite("crm.sales")``, bound to the contract's
    table by ``bind`` (``expectations.raw_suites(tables)`` does it for every table)."""

    fqn: str
    table: Table | None = None

    def bind(self, table: Table) -> RawSuite:
        if table.fqn != self.fqn:
            raise ValueError(f"suite {self.fqn} cannot be bound to contract table {table.fqn}")
        return replace(self, table=table)

    def _bound(self) -> Table:
        if self.table is None:
            raise ValueError(f"suite {self.fqn} is not bound to a contract table: use raw_suites(tables)")
        return self.table

    @property
    def name(self) -> str:
        return "raw_" + self.fqn.replace(".", "__")

    def frame(self, con: duckdb.DuckDBPyConnection, parquet_files: Sequence[Path | str],
              max_rows: int | None = None) -> pd.DataFrame:
        """The delivery as the suite sees it. Above ``max_rows`` rows, a key-hash sample of about that
        size (GX in pandas is the slow part; rates and duplicate keys survive a key-hash sample)."""
        con.execute("set TimeZone='UTC'")
        fraction = None
        if max_rows:
            files = "[" + ", ".join(_q(p) for p in parquet_files) + "]"
            total = con.execute(f"select count(*) from read_parquet({files}, union_by_name=true)").fetchall()[0][0]
            fraction = max_rows / total if total > max_rows else None
        df = con.sql(frame_sql(self._bound(), parquet_files, fraction)).df()
        df.attrs["sample_fraction"] = fraction
        return df

    def suite(self, th: Thresholds, frame_columns: Sequence[str] = (), rows: int | None = None
              ) -> ExpectationSuite:
        """``rows``: the delivery's row count, so a tiny delivery may carry ``bad_row_allowance`` bad rows
        whatever the rate (1 bad row in 10 is dirt, not a broken export)."""
        import great_expectations as gx
        import great_expectations.expectations as gxe

        t = self._bound()
        mostly = th.mostly_for(rows)
        exps: list = [
            gxe.ExpectTableRowCountToBeBetween(min_value=1),
            # The landing step already fails on a missing required column; this keeps the evidence.
            gxe.ExpectTableColumnsToMatchSet(column_set=t.required_columns, exact_match=False),
            # The key identifies a record: unique within one delivery (after exact re-sends collapse).
            gxe.ExpectColumnValuesToBeUnique(column=t.key, mostly=round(1.0 - th.max_duplicate_key_rate, 6)),
            gxe.ExpectColumnValuesToNotBeNull(column=t.key, mostly=mostly),
        ]
        for c in t.columns:
            if not c.nullable and c.name != t.key:
                exps.append(gxe.ExpectColumnValuesToNotBeNull(column=c.name, mostly=mostly))
            if c.accepted_values:
                exps.append(gxe.ExpectColumnValuesToBeInSet(
                    column=c.name, value_set=list(c.accepted_values), mostly=mostly))
            if c.type in ("timestamp", "integer", "double"):
                exps.append(gxe.ExpectColumnValuesToBeInSet(
                    column=f"{c.name}__parses", value_set=[True], mostly=mostly,
                    meta={"what": f"{c.name} parses as {c.type}"}))
            if c.type == "timestamp":
                exps.append(gxe.ExpectColumnValuesToBeBetween(
                    column=f"{c.name}__utc", min_value=th.earliest_plausible,
                    max_value=th.latest_plausible(), mostly=mostly,
                    meta={"what": f"{c.name} inside the plausible window"}))
            if c.name in NON_NEGATIVE:
                exps.append(gxe.ExpectColumnValuesToBeBetween(
                    column=f"{c.name}__number", min_value=0, mostly=mostly))
        # The rate staging will quarantine, with the same rules: the gate for a broken export.
        exps.append(gxe.ExpectColumnValuesToBeNull(
            column="_quarantine_code", mostly=mostly,
            meta={"what": f"quarantine rate <= {th.max_quarantine_rate:.2%}"}))
        return gx.ExpectationSuite(name=self.name, expectations=exps)
