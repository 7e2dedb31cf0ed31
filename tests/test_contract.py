"""The contract is written once (orchestration/contract.py); everything rendered from it must agree."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from orchestration import contract
from orchestration.contract_render import contract_markdown, render_all

ROOT = Path(__file__).resolve().parent.parent


def test_sources_yaml_is_rendered_from_the_contract():
    stale = [str(p.relative_to(ROOT)) for p, text in render_all(ROOT).items()
             if not p.exists() or p.read_text() != text]
    assert not stale, f"run `cjo contract render` (python -m orchestration.contract_render): stale {stale}"


def test_contract_doc_carries_the_rendered_tables():
    doc = (ROOT / "docs" / "raw-data-contract.md").read_text()
    assert contract_markdown() in doc, "docs/raw-data-contract.md is stale: run `cjo contract render`"


def test_every_source_column_has_a_description_and_type():
    for path in render_all(ROOT):
        for src in yaml.safe_load(path.read_text())["sources"]:
            for tbl in src["tables"]:
                assert tbl["description"]
                for col in tbl["columns"]:
                    assert col.get("description") and col.get("data_type"), (path, tbl["name"], col)


def test_staged_tables_macro_matches_the_contract():
    text = (ROOT / "macros" / "staged_tables.sql").read_text()
    listed = re.findall(r"'source': '(\w+)', 'table': '(\w+)', 'key': '(\w+)'", text)
    assert listed == [(t.source, t.name, t.key) for t in contract.TABLES]


def test_every_contract_table_has_base_and_staging_models():
    for t in contract.TABLES:
        folder = ROOT / "models" / "staging" / t.source
        assert (folder / "base" / f"base_{t.source}__{t.name}.sql").exists(), t.fqn
        assert (folder / f"stg_{t.source}__{t.name}.sql").exists(), t.fqn


def test_record_keys_and_event_times_are_contract_columns():
    for t in contract.TABLES:
        names = {c.name for c in t.columns}
        assert t.key in names, t.fqn
        assert t.event_time is None or t.event_time in names, t.fqn
        for c in t.columns:
            assert c.type in {"varchar", "integer", "double", "timestamp", "date", "boolean"}, (t.fqn, c.name)


def test_table_lookup_names_unknown_tables():
    assert contract.table("crm.sales").key == "sale_id"
    try:
        contract.table("crm.sale")
    except KeyError as exc:
        assert "crm.sale" in str(exc) and "crm.sales" in str(exc)
    else:
        raise AssertionError("an unknown table must raise")
