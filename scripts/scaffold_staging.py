"""One-off scaffolder: writes the base_/stg_ staging models from orchestration.contract.

The models it writes are committed and maintained by hand afterwards; run it again only for a new
contract table (it never overwrites an existing file).
"""

from __future__ import annotations

import sys
from pathlib import Path

from orchestration.contract import TABLES, Table

ROOT = Path(__file__).resolve().parent.parent

# Dimension-like tables: the newest version of a record wins. Event tables: the first landed wins.
NEWEST_WINS = {
    "crm.advisors": "updated_at",
    "crm.firms": "created_at",
    "crm.wholesalers": "hired_at",
    "crm.products": "launched_at",
    "crm.opportunities": "closed_at",
    "marketing.campaigns": "start_at",
}
NON_NEGATIVE = {"amount", "years_experience", "duration_minutes"}


def typed_expr(t: Table, c) -> str:
    if c.name == "email":
        return f"{{{{ cjo.normalize_email('{c.name}') }}}}"
    if c.name == "phone":
        return "{{ cjo.normalize_phone('phone') }}"
    if c.accepted_values:
        return f"lower(trim({c.name}))"
    if c.type == "timestamp":
        return f"{{{{ cjo.parse_utc_timestamp('{c.name}') }}}}"
    if c.type == "integer":
        return f"{{{{ cjo.try_cast('{c.name}', dbt.type_int()) }}}}"
    if c.type == "double":
        return f"{{{{ cjo.try_cast('{c.name}', cjo.type_double()) }}}}"
    return c.name


def out_name(c) -> str:
    return "phone_e164" if c.name == "phone" else c.name


def checks(t: Table) -> list[tuple[str, str, str]]:
    """(code, condition, readable message sql) for each rule; the condition is true when the rule fails."""
    out = []
    for c in t.columns:
        raw = f"raw_{c.name}"
        typed = out_name(c)
        if not c.nullable:
            out.append(("missing_required", f"{raw} is null", f"'{c.name} is missing'"))
        if c.type in ("timestamp", "integer", "double"):
            kind = {"timestamp": "a valid timestamp", "integer": "a whole number", "double": "a number"}[c.type]
            code = "invalid_timestamp" if c.type == "timestamp" else "invalid_number"
            out.append((code, f"{raw} is not null and {typed} is null",
                        f"'{c.name} is not {kind}: ' || {raw}"))
        if c.accepted_values:
            vals = ", ".join(f"'{v}'" for v in c.accepted_values)
            out.append(("unknown_value", f"{typed} is not null and {typed} not in ({vals})",
                        f"'{c.name} has an unknown value: ' || {raw}"))
        if c.name in NON_NEGATIVE:
            out.append(("negative_amount" if c.name == "amount" else "negative_number",
                        f"{typed} < 0", f"'{c.name} is negative: ' || {raw}"))
    return out


def base_sql(t: Table) -> str:
    groups = {"ids": [], "strings": [], "numerics": [], "timestamps": []}
    for c in t.columns:
        expr = typed_expr(t, c)
        line = expr if expr == out_name(c) else f"{expr} as {out_name(c)}"
        if c.name.endswith("_id") or c.name == t.key:
            groups["ids"].append(line)
        elif c.type in ("integer", "double"):
            groups["numerics"].append(line)
        elif c.type == "timestamp":
            groups["timestamps"].append(line)
        else:
            groups["strings"].append(line)
    typed_lines = []
    for g, lines in groups.items():
        if lines:
            typed_lines.append(f"        ---------- {g}")
            typed_lines += [f"        {ln}," for ln in lines]
    chks = checks(t)
    reason_parts = ",\n".join(
        f"                case when {cond} then {msg} end" for _, cond, msg in chks)
    code_parts = "\n".join(f"            when {cond} then '{code}'" for code, cond, _ in chks)
    raw_parts = []
    for i, c in enumerate(t.columns):
        sep = "" if i == 0 else "'; ' || "
        raw_parts.append(f"        {sep}'{c.name}=' || coalesce(raw_{c.name}, '')")
    raw_concat = " ||\n".join(raw_parts)
    typed_cols = ",\n".join(f"        {out_name(c)}" for c in t.columns)
    raw_cols = "\n".join(f"        {c.name} as raw_{c.name}," for c in t.columns)
    return f"""-- Every landed row of {t.fqn}, typed, with the reason it fails the contract (null when it passes).
-- stg_{t.source}__{t.name} keeps the rows that pass; fct_quarantined_rows keeps the others.

with source as (

    select * from {{{{ source('{t.source}', '{t.name}') }}}}

),

typed as (

    select
{chr(10).join(typed_lines)}
        ---------- raw text, kept for the quarantine reasons
{raw_cols}
        ---------- lineage
        _source_file,
        _source_row,
        _delivery_id,
        _landed_at
    from source

),

final as (

    select
{typed_cols},
        nullif(
            concat_ws(
                '; ',
{reason_parts}
            ),
            ''
        ) as _quarantine_reason,
        case
{code_parts}
        end as _quarantine_code,
{raw_concat} as _raw_values,
        _source_file,
        _source_row,
        _delivery_id,
        _landed_at
    from typed

)

select * from final
"""


def stg_sql(t: Table) -> str:
    cols = ",\n".join(f"        {out_name(c)}" for c in t.columns)
    extra = ""
    if t.fqn == "crm.advisors":
        extra = ",\n        nullif(trim(concat_ws(' ', first_name, last_name)), '') as full_name"
    if t.fqn == "crm.sales":
        extra = ",\n        case when transaction_type = 'redemption' then -amount else amount end as signed_amount"
    if t.fqn in NEWEST_WINS:
        order = f"{NEWEST_WINS[t.fqn]} desc nulls last, _landed_at desc, _source_file desc, _source_row desc"
        why = "a later version of the same record supersedes the earlier one (newest wins)"
    else:
        order = "_landed_at, _source_file, _source_row"
        why = "an id delivered again (an exact duplicate or a re-delivered event) is kept once: first landed wins"
    return f"""-- {t.fqn}: rows that pass the contract, typed and normalized, one row per {t.key}.
-- Dedup: {why}.

with base as (

    select * from {{{{ ref('base_{t.source}__{t.name}') }}}}
    where _quarantine_reason is null

),

ranked as (

    select
        *,
        row_number() over (
            partition by {t.key}
            order by {order}
        ) as _version_rank
    from base

),

final as (

    select
{cols}{extra},
        _source_file,
        _source_row,
        _delivery_id,
        _landed_at
    from ranked
    where _version_rank = 1

)

select * from final
"""


def main() -> None:
    for t in TABLES:
        folder = ROOT / "models" / "staging" / t.source
        for name, text in ((folder / "base" / f"base_{t.source}__{t.name}.sql", base_sql(t)),
                           (folder / f"stg_{t.source}__{t.name}.sql", stg_sql(t))):
            if name.exists() and "--force" not in sys.argv:
                continue
            name.parent.mkdir(parents=True, exist_ok=True)
            name.write_text(text)
            print("wrote", name.relative_to(ROOT))


if __name__ == "__main__":
    main()


def models_yaml(source: str) -> str:
    import yaml

    from orchestration.contract import LINEAGE_COLUMNS

    models = []
    for t in TABLES:
        if t.source != source:
            continue
        lineage = [{"name": c.name, "description": c.description} for c in LINEAGE_COLUMNS]
        base_cols = []
        stg_cols = []
        for c in t.columns:
            desc = c.description
            if c.name == "email":
                desc += " Normalized: trimmed and lower-cased."
            if c.name == "phone":
                desc = "Phone normalized to E.164 (null when it cannot be trusted)."
            if c.type == "timestamp":
                desc += " In UTC."
            col = {"name": out_name(c), "description": desc, "data_type": c.type}
            base_cols.append(dict(col))
            tests = []
            if c.name == t.key:
                tests += ["unique", "not_null"]
            elif not c.nullable:
                tests.append("not_null")
            if c.accepted_values:
                tests.append({"accepted_values": {"arguments": {"values": list(c.accepted_values)}}})
            if tests:
                col["data_tests"] = tests
            stg_cols.append(col)
        if t.fqn == "crm.advisors":
            stg_cols.append({"name": "full_name", "description": "First and last name joined.",
                             "data_type": "varchar"})
        if t.fqn == "crm.sales":
            stg_cols.append({"name": "signed_amount",
                             "description": "Amount with the sign of the flow: negative for redemptions.",
                             "data_type": "double"})
        base_cols += [
            {"name": "_quarantine_reason", "description": "Every contract rule the row breaks, readable; "
             "null when the row passes."},
            {"name": "_quarantine_code", "description": "Code of the first rule the row breaks "
             "(missing_required, invalid_timestamp, invalid_number, unknown_value, negative_amount, "
             "negative_number)."},
            {"name": "_raw_values", "description": "The row's raw text values, column=value; ..."},
        ]
        models.append({
            "name": f"base_{t.source}__{t.name}",
            "description": f"Every landed row of {t.fqn}, typed with lenient casts, with the reason it "
                           f"fails the contract. One row per landed row (no filtering).",
            "columns": base_cols + lineage,
        })
        models.append({
            "name": f"stg_{t.source}__{t.name}",
            "description": f"{t.description} Valid rows only (the rest are in fct_quarantined_rows), "
                           f"typed, normalized and deduplicated: one row per `{t.key}`.",
            "columns": stg_cols + lineage,
        })
    head = "# Scaffolded from orchestration/contract.py by scripts/scaffold_staging.py, then kept by hand.\n"
    return head + yaml.safe_dump({"version": 2, "models": models}, sort_keys=False, width=110)


def write_yaml() -> None:
    from orchestration.contract import SOURCES
    for s in SOURCES:
        path = ROOT / "models" / "staging" / s / f"_{s}__models.yml"
        if path.exists() and "--force" not in sys.argv:
            continue
        path.write_text(models_yaml(s))
        print("wrote", path.relative_to(ROOT))


if __name__ == "__main__" and "--yaml" in sys.argv:
    write_yaml()
