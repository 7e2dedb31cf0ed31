"""Render what derives from the raw contract declaration (the sources YAML; orchestration/contract.py).

`cjo contract render` writes, for every contract table:
- ``models/staging/<source>/base/base_<source>__<table>.sql``: the one-line base model;
- ``models/staging/<source>/base/_base_<source>__models.yml``: its docs and primary-key tests;
- ``macros/staging/contract_declaration.sql``: the declaration as a Jinja literal, for dbt to read while
  parsing and in unit tests (where the graph holding the sources YAML does not exist);
- the generated part of ``docs/raw-data-contract.md``;
- a starter ``stg_<source>__<table>.sql`` for a new table without one (never overwritten: it is yours).

tests/test_contract.py fails when a committed file differs from what this renders.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from orchestration.contract import COLUMN_META, LINEAGE_COLUMNS, Column, Table, declared_columns, plausibility, tables

GENERATED = "Generated from the raw contract (the sources YAML) by `cjo contract render`. Do not edit by hand."
DOC_MARKER = "<!-- Generated from the raw contract"
QUARANTINE_CODES = ("missing_required", "invalid_timestamp", "invalid_number", "unknown_value",
                    "negative_amount", "negative_number", "implausible_amount", "implausible_number",
                    "implausible_timestamp")


def base_name(t: Table) -> str:
    return f"base_{t.source}__{t.name}"


def base_sql(t: Table) -> str:
    return (f"-- Every landed row of {t.fqn}, typed, with the contract rules it breaks (cjo.base_model).\n"
            f"-- Declared in {t.declared_in}; stg_{t.source}__{t.name} keeps the rows that pass.\n"
            f"{{{{ cjo.base_model('{t.source}', '{t.name}') }}}}\n")


def _column_doc(c: Column) -> str:
    desc = c.description
    if c.normalize == "email":
        desc += " Normalized: trimmed and lower-cased."
    elif c.normalize == "phone":
        desc = "Phone normalized to E.164 (null when it cannot be trusted)."
    elif c.accepted_values:
        desc += " Trimmed and lower-cased."
    if c.type == "timestamp":
        desc += " In UTC."
    return desc


def base_models_yaml(source: str) -> str:
    models = []
    for t in tables():
        if t.source != source:
            continue
        cols = [{"name": c.staged_name, "description": _column_doc(c), "data_type": c.type} for c in t.columns]
        cols += [
            {"name": "_quarantine_reason", "description": "Every contract rule the row breaks, readable, with "
             "the raw value; null when the row passes.", "data_type": "varchar"},
            {"name": "_quarantine_code", "description": "Code of the first rule the row breaks: "
             + ", ".join(QUARANTINE_CODES) + ".", "data_type": "varchar"},
            {"name": "_raw_values", "description": "The row's raw text values, column=value; ...",
             "data_type": "varchar"},
            {"name": "_landed_row_id", "description": "The landed row: delivery id and record number "
             "(primary key; the record key repeats across versions and re-deliveries).",
             "data_type": "varchar", "data_tests": ["unique", "not_null"]},
        ]
        cols += [{"name": c.name, "description": c.description, "data_type": c.type} for c in LINEAGE_COLUMNS]
        models.append({
            "name": base_name(t),
            "description": f"Every landed row of {t.fqn}, typed with lenient casts, with the contract rules it "
                           f"breaks. One row per landed row (no filtering). Written by cjo.base_model from "
                           f"{t.declared_in}.",
            "columns": cols,
        })
    return f"# {GENERATED}\n" + yaml.safe_dump({"version": 2, "models": models}, sort_keys=False, width=110)


def _jinja(value: object) -> str:
    """A Jinja literal (strings single-quoted, true/false) of a YAML-loaded value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_jinja(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_jinja(k)}: {_jinja(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot render {value!r} as a Jinja literal")


def contract_macro() -> str:
    """The declaration in Jinja: dbt reads it while parsing and in unit tests, where the graph (and so
    the sources YAML) is not available. cjo.base_model checks it against the graph whenever the graph is
    there, so a declaration edited without `cjo contract render` stops dbt with that instruction."""
    entries = []
    for t in tables():
        cols = ",\n".join(f"            {{'name': {_jinja(c['name'])}, 'data_type': {_jinja(c['data_type'])}, "
                          f"'meta': {_jinja(c['meta'])}}}" for c in declared_columns(t))
        entries.append(f"        {{'source': '{t.source}', 'table': '{t.name}', "
                       f"'key': '{t.column(t.key).staged_name}', 'columns': [\n{cols}\n        ]}}")
    lineage = ", ".join(f"'{c.name}'" for c in LINEAGE_COLUMNS)
    body = ",\n".join(entries)
    return (
        f"{{#- {GENERATED}\n"
        "    The raw contract as dbt reads it everywhere: while parsing and in unit tests the graph that\n"
        "    holds the sources YAML does not exist, so cjo.base_model reads this copy (and compares it with the\n"
        "    graph when there is one). Lineage columns: what landing adds to every row. -#}\n"
        "{% macro contract_declaration() -%}\n"
        f"    {{{{ return([\n{body}\n    ]) }}}}\n"
        "{%- endmacro %}\n\n"
        "{#- The contract's tables (source, table, staged record key), for models that loop over all. -#}\n"
        "{% macro contract_tables() -%}\n"
        "    {%- set out = [] -%}\n"
        "    {%- for t in cjo.contract_declaration() -%}\n"
        "        {%- do out.append({'source': t.source, 'table': t.table, 'key': t.key}) -%}\n"
        "    {%- endfor -%}\n"
        "    {{ return(out) }}\n"
        "{%- endmacro %}\n\n"
        "{% macro lineage_columns() -%}\n"
        f"    {{{{ return([{lineage}]) }}}}\n"
        "{%- endmacro %}\n"
    )


def stg_starter_sql(t: Table) -> str:
    cols = ",\n".join(f"        {c.staged_name}" for c in t.columns)
    return f"""-- {t.fqn}: rows that pass the contract, one row per {t.key}. Starter written by `cjo contract render`:
-- review the dedup rule (here an id delivered again is kept once: first landed wins) and document the model.

with base as (

    select * from {{{{ ref('{base_name(t)}') }}}}
    where _quarantine_reason is null

),

ranked as (

    select
        *,
        row_number() over (
            partition by {t.column(t.key).staged_name}
            order by _landed_at, _source_file, _source_row
        ) as _version_rank
    from base

),

final as (

    select
{cols},
        _source_file,
        _source_row,
        _delivery_id,
        _landed_at
    from ranked
    where _version_rank = 1

)

select * from final
"""


def _rules_text(c: Column) -> str:
    p = plausibility()
    rules = []
    if c.accepted_values:
        rules.append("one of: " + ", ".join(c.accepted_values))
    if c.min is not None:
        rules.append(f">= {c.min:g}")
    if c.max is not None:
        rules.append(f"<= {c.max:g}")
    if c.type == "timestamp":
        rules.append(f"from {p.earliest_for(c)} to landing + {p.future_margin_days} days")
    if c.normalize:
        rules.append(f"normalized ({c.normalize})")
    return "; ".join(rules)


def contract_markdown() -> str:
    p = plausibility()
    meta = "\n".join(f"| `{k}` | {v} |" for k, v in COLUMN_META.items())
    lines = [
        f"{DOC_MARKER} by `cjo contract render`. Do not edit by hand. -->",
        "## Tables and columns",
        "",
        "Types are the logical types staging casts to. In a CSV every value is text; a value that does not "
        "parse as its type, breaks a rule or is implausible sends the row to `fct_quarantined_rows` with a "
        "reason. *Required* means the column must be in every delivery's header (a file without it is "
        "moved aside to `fct_quarantined_files`); a value may still be empty unless the column is marked "
        "*not null*. Timestamps are plausible from "
        f"`raw_earliest_plausible_at` ({p.earliest}) unless the column says otherwise, up to "
        f"`raw_future_margin_days` ({p.future_margin_days}) days after the row was landed.",
        "",
        "Contract rules a column declares under `config.meta` in its source's YAML:",
        "",
        "| meta key | meaning |",
        "|---|---|",
        meta,
        "",
    ]
    for t in tables():
        lines += [f"### `{t.fqn}`", "", t.description, "",
                  f"Declared in `{t.declared_in}`. Record key: `{t.key}`. Event time: `{t.event_time}`.", "",
                  "| column | type | required | not null | rules | description |",
                  "|---|---|---|---|---|---|"]
        for c in t.columns:
            pii = " (PII)" if c.pii else ""
            lines.append(
                f"| `{c.name}` | {c.type} | {'yes' if c.required else 'no'} | "
                f"{'yes' if not c.nullable else ''} | {_rules_text(c)} | {c.description}{pii} |")
        lines.append("")
    return "\n".join(lines)


def render_all(root: Path) -> dict[Path, str]:
    """Every file derived from the declaration (the stg_ starters excepted: they are written once)."""
    out: dict[Path, str] = {root / "macros" / "staging" / "contract_declaration.sql": contract_macro()}
    for t in tables():
        out[root / "models" / "staging" / t.source / "base" / f"{base_name(t)}.sql"] = base_sql(t)
    for s in dict.fromkeys(t.source for t in tables()):
        out[root / "models" / "staging" / s / "base" / f"_base_{s}__models.yml"] = base_models_yaml(s)
    doc = root / "docs" / "raw-data-contract.md"
    text = doc.read_text() if doc.exists() else "# Raw data contract\n\n"
    head = text.split(DOC_MARKER)[0] if DOC_MARKER in text else text.rstrip() + "\n\n"
    out[doc] = head + contract_markdown() + "\n"
    return out


def write_all(root: Path) -> list[Path]:
    written = []
    for path, text in render_all(root).items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
            written.append(path)
    for t in tables():
        stg = root / "models" / "staging" / t.source / f"stg_{t.source}__{t.name}.sql"
        if not stg.exists():
            stg.write_text(stg_starter_sql(t))
            written.append(stg)
    return written


if __name__ == "__main__":
    for p in write_all(Path(__file__).resolve().parent.parent):
        print(f"wrote {p}")
