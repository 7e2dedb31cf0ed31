"""Render the raw data contract (orchestration.contract) into dbt sources YAML and Markdown.

`cjo contract render` writes the files; tests/test_contract.py fails when the committed files differ
from what this renders, so the contract, the dbt sources and the docs cannot drift apart.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from orchestration.contract import LINEAGE_COLUMNS, SOURCES, TABLES

SOURCE_DESCRIPTIONS = {
    "crm": "The CRM export: advisors (contacts), their firms, our wholesalers, products, opportunities "
           "and sales.",
    "marketing": "Marketing systems: the email service provider, the website tag, the webinar platform, "
                 "and campaigns with their randomized control groups.",
    "advisor": "Wholesaler activity logged against advisors (meetings, calls, emails).",
    "privacy": "Consent changes and right-to-be-forgotten requests. These override everything else.",
}

HEADER = "# Generated from orchestration/contract.py by `cjo contract render`. Do not edit by hand.\n"
# Each delivery is landed to Parquet by the landing step; `union_by_name` lets deliveries differ in
# column order and optional columns, and the zero-row _schema.parquet keeps the glob from ever being
# empty. The landing folder comes from the same env var the Python side reads.
EXTERNAL_LOCATION = "read_parquet('{landing_dir}/{schema}/{identifier}/*.parquet', union_by_name=true)"
LANDING_DIR = "{{ env_var('CJO_LANDING_DIR', 'warehouse/landing') }}"


def sources_yaml(source: str) -> str:
    tables = []
    for t in TABLES:
        if t.source != source:
            continue
        cols = []
        for c in t.columns:
            desc = c.description
            if c.accepted_values:
                desc += f" One of: {', '.join(c.accepted_values)}."
            if not c.required:
                desc += " Optional column."
            col = {"name": c.name, "description": desc, "data_type": c.type}
            if c.pii:
                col["config"] = {"meta": {"pii": True}}
            cols.append(col)
        for c in LINEAGE_COLUMNS:
            cols.append({"name": c.name, "description": c.description, "data_type": c.type})
        tables.append({
            "name": t.name,
            "description": t.description + f" Record key: `{t.key}`.",
            "config": {"meta": {"record_key": t.key, "event_time": t.event_time}},
            "columns": cols,
        })
    doc = {
        "version": 2,
        "sources": [{
            "name": source,
            "description": SOURCE_DESCRIPTIONS[source] + " Read from the landed Parquet of each delivery.",
            "config": {"meta": {"landing_dir": LANDING_DIR, "external_location": EXTERNAL_LOCATION}},
            "tables": tables,
        }],
    }
    return HEADER + yaml.safe_dump(doc, sort_keys=False, width=110, allow_unicode=True)


def contract_markdown() -> str:
    lines = [
        "<!-- Generated from orchestration/contract.py by `cjo contract render`. Do not edit by hand. -->",
        "## Tables and columns",
        "",
        "Types are the logical types staging casts to. In a CSV every value is text; a value that does not "
        "parse as its type sends the row to `fct_quarantined_rows` with a reason. *Required* means the "
        "column must be in every delivery's header (a missing one stops the run before dbt starts); a "
        "value may still be empty unless the column is marked *not null*.",
        "",
    ]
    for t in TABLES:
        lines += [f"### `{t.fqn}`", "", t.description, "",
                  f"Record key: `{t.key}`. Event time: `{t.event_time}`.", "",
                  "| column | type | required | not null | allowed values | description |",
                  "|---|---|---|---|---|---|"]
        for c in t.columns:
            vals = ", ".join(c.accepted_values) if c.accepted_values else ""
            pii = " (PII)" if c.pii else ""
            lines.append(
                f"| `{c.name}` | {c.type} | {'yes' if c.required else 'no'} | "
                f"{'yes' if not c.nullable else ''} | {vals} | {c.description}{pii} |")
        lines.append("")
    return "\n".join(lines)


def render_all(root: Path) -> dict[Path, str]:
    out = {root / "models" / "staging" / s / f"_{s}__sources.yml": sources_yaml(s) for s in SOURCES}
    return out


def write_all(root: Path) -> list[Path]:
    written = []
    for path, text in render_all(root).items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
            written.append(path)
    doc = root / "docs" / "raw-data-contract.md"
    if doc.exists():
        text = doc.read_text()
        marker = "<!-- Generated from orchestration/contract.py"
        head = text.split(marker)[0] if marker in text else text.rstrip() + "\n\n"
        new = head + contract_markdown() + "\n"
        if new != text:
            doc.write_text(new)
            written.append(doc)
    return written


if __name__ == "__main__":
    for p in write_all(Path(__file__).resolve().parent.parent):
        print(f"wrote {p}")
