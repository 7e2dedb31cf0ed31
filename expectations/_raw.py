"""Raw suites, built from the contract declaration (orchestration/contract.py reads the sources YAML).

What a raw suite validates: ONE landed delivery (a Parquet file written by the landing step, every column
as text). ``quarantine_sql`` types it with the very casts staging uses and applies the contract rules of
``quarantine_rules``: the same rules, in the same order, that ``cjo.base_model`` writes into the staging
base models (macros/staging/base_model.sql); tests/test_contract.py runs both on the same mangled rows of
every table and compares the codes row by row. ``frame()`` adds, per column:
- ``<col>``: the raw value, trimmed and lower-cased for enum columns (as staging compares them);
- ``<col>__parses``: true/false for typed columns (null when the raw value is null);
- ``<col>__plausible``: true/false for columns with bounds and for timestamps (null when not parsed);
- ``_quarantine_code``: the first contract rule the row breaks (null when it passes), so the quarantine
  rate is known before dbt runs.
Exact duplicate rows (a re-sent line) are collapsed: staging removes them and they are not a defect.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from expectations._config import Thresholds

if TYPE_CHECKING:  # pragma: no cover
    import duckdb
    import pandas as pd
    from great_expectations import ExpectationSuite

# The contract's Column, Table and Plausibility (orchestration/contract.py). This package never imports
# orchestration: the runtime passes the contract's tables and plausibility window in, so imports run one
# way (orchestration -> expectations).
Column = Table = Plausibility = Any

_NUMERIC = {"integer": "integer", "double": "double"}  # DuckDB types of dbt.type_int(), cjo.type_double()
_WHAT = {"integer": "a whole number", "double": "a number", "timestamp": "a valid timestamp"}


@dataclass(frozen=True)
class Rule:
    code: str  # the quarantine code, e.g. invalid_number
    column: str
    when: str  # DuckDB condition, true when the row breaks the rule (over raw_<col> and the typed columns)
    what: str  # in words, e.g. "amount is not a number"


def _q(path: Path | str) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _files(parquet_files: Sequence[Path | str]) -> str:
    return "[" + ", ".join(_q(p) for p in parquet_files) + "]"


def typed_expr(c: Column) -> str:
    """DuckDB twin of cjo.contract_typed. A phone is left as text: no rule reads its E.164 form."""
    if c.normalize == "email":
        return f"nullif(lower(trim({c.name})), '')"
    if c.normalize == "phone":
        return c.name
    if c.accepted_values:
        return f"lower(trim({c.name}))"
    if c.type == "timestamp":
        return f"(try_cast({c.name} as timestamptz) at time zone 'UTC')"
    if c.type in _NUMERIC:
        return f"try_cast({c.name} as {_NUMERIC[c.type]})"
    return c.name


def _bound_rules(c: Column, typed: str, p: Plausibility) -> list[Rule]:
    out = []
    if c.min is not None:
        code = ("negative_" if c.min == 0 else "implausible_") + c.kind
        what = f"{c.name} is negative" if c.min == 0 else f"{c.name} is below the plausible minimum {c.min}"
        out.append(Rule(code, c.name, f"{typed} < {c.min}", what))
    if c.max is not None:
        out.append(Rule(f"implausible_{c.kind}", c.name, f"{typed} > {c.max}",
                        f"{c.name} is above the plausible maximum {c.max}"))
    if c.type == "timestamp":
        earliest = p.earliest_for(c)
        out.append(Rule("implausible_timestamp", c.name, f"{typed} < cast('{earliest}' as timestamp)",
                        f"{c.name} is before {earliest}"))
        out.append(Rule("implausible_timestamp", c.name,
                        f"{typed} > _landed_at + interval ({p.future_margin_days}) day",
                        f"{c.name} is more than {p.future_margin_days} days after the delivery was landed"))
    return out


def quarantine_rules(t: Table, p: Plausibility) -> list[Rule]:
    """The contract rules of ``t`` in staging's order (the twin of cjo.contract_rules)."""
    out: list[Rule] = []
    for c in t.columns:
        raw, typed = f"raw_{c.name}", c.staged_name
        if not c.nullable:
            out.append(Rule("missing_required", c.name, f"{raw} is null", f"{c.name} is missing"))
        if c.type in _WHAT:
            code = "invalid_timestamp" if c.type == "timestamp" else "invalid_number"
            out.append(Rule(code, c.name, f"{raw} is not null and {typed} is null",
                            f"{c.name} is not {_WHAT[c.type]}"))
        if c.accepted_values:
            vals = ", ".join("'" + v.replace("'", "''") + "'" for v in c.accepted_values)
            out.append(Rule("unknown_value", c.name, f"{typed} is not null and {typed} not in ({vals})",
                            f"{c.name} has an unknown value"))
        out += _bound_rules(c, typed, p)
    return out


def _code_case(rules: Sequence[Rule]) -> str:
    if not rules:
        return "cast(null as varchar)"
    return "case " + " ".join(f"when {r.when} then '{r.code}'" for r in rules) + " end"


def quarantine_sql(t: Table, p: Plausibility, parquet_files: Sequence[Path | str], where: str = "") -> str:
    """One row per landed row: lineage, ``raw_<col>``, the typed columns and ``_quarantine_code``."""
    raw = ", ".join(f"{c.name} as raw_{c.name}" for c in t.columns)
    typed = ", ".join(f"{typed_expr(c)} as {c.staged_name}" for c in t.columns)
    return (
        f"with landed as (select * from read_parquet({_files(parquet_files)}, union_by_name=true){where}), "
        f"typed as (select {raw}, {typed}, _source_file, _source_row, _delivery_id, _landed_at from landed) "
        f"select *, {_code_case(quarantine_rules(t, p))} as _quarantine_code from typed"
    )


def _shadow(c: Column, rules: Sequence[Rule]) -> list[str]:
    """The GX frame's columns for ``c`` (see the module docstring)."""
    raw = f"raw_{c.name}"
    out = [f"lower(trim({raw})) as {c.name}" if c.accepted_values else f"{raw} as {c.name}"]
    if c.type in _WHAT:
        out.append(f"case when {raw} is not null then {c.staged_name} is not null end as {c.name}__parses")
    bounds = [r.when for r in rules if r.column == c.name and r.code.startswith(("negative_", "implausible_"))]
    if bounds:
        out.append(f"case when {c.staged_name} is not null then not ({' or '.join(bounds)}) end "
                   f"as {c.name}__plausible")
    return out


def _normalized(c: Column) -> str:
    """The value as staging will see it, to tell a re-sent row from a conflicting one."""
    if c.type != "varchar" or c.normalize or c.accepted_values:
        return f"coalesce(cast({c.staged_name} as varchar), raw_{c.name})"
    return f"raw_{c.name}"


def frame_sql(t: Table, p: Plausibility, parquet_files: Sequence[Path | str],
              sample_fraction: float | None = None) -> str:
    """``sample_fraction``: keep only the records whose key hashes into that share (all rows of one key
    stay together, so duplicate keys are still seen; a null key falls back to the whole row)."""
    where = ""
    if sample_fraction is not None and sample_fraction < 1:
        row = " || '|' || ".join(f"coalesce({c.name}, '')" for c in t.columns)
        where = (f" where hash(coalesce({t.key}, {row})) % 1000000 < "
                 f"{max(1, round(sample_fraction * 1_000_000))}")
    rules = quarantine_rules(t, p)
    shadow = [s for c in t.columns for s in _shadow(c, rules)]
    # A row re-sent in the same file, even with the timestamp written another way (2026-01-01T10:00:00Z
    # vs 2026-01-01 10:00:00) or the email in another case, is collapsed: staging keeps it once, it is
    # not a conflicting re-use of the key.
    same = ", ".join(_normalized(c) for c in t.columns)
    return (
        f"with q as ({quarantine_sql(t, p, parquet_files, where)}), "
        f"collapsed as (select * from q qualify row_number() over (partition by {same} order by _source_row) = 1) "
        f"select {', '.join(shadow)}, _quarantine_code from collapsed"
    )


@dataclass(frozen=True)
class RawSuite:
    """The suite for one raw contract table and the contract's plausibility window."""

    table: Table
    plausibility: Plausibility

    @property
    def fqn(self) -> str:
        return self.table.fqn

    @property
    def name(self) -> str:
        return f"raw_{self.table.source}__{self.table.name}"

    def frame(self, con: duckdb.DuckDBPyConnection, parquet_files: Sequence[Path | str],
              max_rows: int | None = None) -> pd.DataFrame:
        """The delivery as the suite sees it. Above ``max_rows`` rows, a key-hash sample of about that
        size (GX in pandas is the slow part; rates and duplicate keys survive a key-hash sample)."""
        con.execute("set TimeZone='UTC'")
        fraction = None
        if max_rows:
            total = con.execute(
                f"select count(*) from read_parquet({_files(parquet_files)}, union_by_name=true)").fetchall()[0][0]
            fraction = max_rows / total if total > max_rows else None
        df = con.sql(frame_sql(self.table, self.plausibility, parquet_files, fraction)).df()
        df.attrs["sample_fraction"] = fraction
        return df

    def suite(self, th: Thresholds, frame_columns: Sequence[str] = (), rows: int | None = None,
              nonnull: Mapping[str, int] | None = None) -> ExpectationSuite:
        """``rows``: the delivery's row count and ``nonnull``: each column's non-null count (GX rates of
        value checks ignore nulls), so every proportion check gets its share-and-minimum-count budget
        (Thresholds.mostly): a small clean delivery passes, a large dirty one fails."""
        import great_expectations as gx
        import great_expectations.expectations as gxe

        t = self.table
        counts = dict(nonnull or {})

        def values(col: str) -> float:  # budget of a check that ignores nulls
            return th.row_mostly(counts.get(col, rows))

        mostly = th.row_mostly(rows)
        exps: list = [
            gxe.ExpectTableRowCountToBeBetween(min_value=1),
            # Landing moves aside a file without a required column; this keeps the evidence.
            gxe.ExpectTableColumnsToMatchSet(column_set=t.required_columns, exact_match=False),
            # The key identifies a record: unique within one delivery (after exact re-sends collapse).
            gxe.ExpectColumnValuesToBeUnique(column=t.key, mostly=th.key_mostly(counts.get(t.key, rows)),
                                             meta={"what": f"{t.key} unique within the delivery"}),
            gxe.ExpectColumnValuesToNotBeNull(column=t.key, mostly=mostly, meta={"what": f"{t.key} present"}),
        ]
        for c in t.columns:
            if not c.nullable and c.name != t.key:
                exps.append(gxe.ExpectColumnValuesToNotBeNull(column=c.name, mostly=mostly,
                                                              meta={"what": f"{c.name} present"}))
            if c.accepted_values:
                exps.append(gxe.ExpectColumnValuesToBeInSet(
                    column=c.name, value_set=list(c.accepted_values), mostly=values(c.name),
                    meta={"what": f"{c.name} one of the allowed values"}))
            for shadow, what in ((f"{c.name}__parses", f"{c.name} parses as {c.type}"),
                                 (f"{c.name}__plausible", f"{c.name} inside its plausible bounds")):
                if shadow in frame_columns:
                    exps.append(gxe.ExpectColumnValuesToBeInSet(
                        column=shadow, value_set=[True], mostly=values(shadow), meta={"what": what}))
        # The rate staging will quarantine, with the same rules: the gate for a broken export.
        exps.append(gxe.ExpectColumnValuesToBeNull(
            column="_quarantine_code", mostly=mostly,
            meta={"what": f"quarantine rate <= {th.max_quarantine_rate:.2%} (or < {th.min_quarantine_rows} rows)"}))
        return gx.ExpectationSuite(name=self.name, expectations=exps)
