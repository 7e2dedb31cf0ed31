"""The raw contract is declared once (the sources YAML); everything derived from it must agree with it.

- the rendered files (base models, their docs and key tests, the table-list macro, the doc) are current;
- a wrong declaration fails loading with a message naming the file, table and column;
- for EVERY contract table: mangled rows (one per contract rule, plus edge cases that must pass) are
  landed, the base model dbt compiles from the declaration is run on them, and the GX raw suites'
  quarantine SQL is run on the same rows: both give each row the code the rule it breaks says, row by row,
  and the base model's columns are the declared ones.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from expectations._raw import Rule, quarantine_rules, quarantine_sql
from orchestration import contract
from orchestration.contract import Column, ContractError, Table, tables
from orchestration.contract_render import base_name, render_all
from orchestration.landing import land

ROOT = Path(__file__).resolve().parent.parent
DBT = Path(sys.executable).parent / "dbt"


def test_rendered_files_are_current():
    stale = [str(p.relative_to(ROOT)) for p, text in render_all(ROOT).items()
             if not p.exists() or p.read_text() != text]
    assert not stale, f"run `cjo contract render` (python -m orchestration.contract_render): stale {stale}"


def test_every_base_model_is_a_declared_table_and_every_table_has_a_stg_model():
    declared = {base_name(t) for t in tables()}
    on_disk = {p.stem for p in ROOT.glob("models/staging/*/base/base_*.sql")}
    assert on_disk == declared, f"base_ models without a declared table: {sorted(on_disk - declared)}"
    for t in tables():
        assert (ROOT / "models" / "staging" / t.source / f"stg_{t.source}__{t.name}.sql").exists(), t.fqn
        assert len((ROOT / "models" / "staging" / t.source / "base" / f"{base_name(t)}.sql")
                   .read_text().splitlines()) <= 3, "a base_ model is one call of cjo.base_model"


def test_contract_tables_and_enumerations_come_from_the_declaration():
    assert {t.fqn for t in contract.TABLES} >= {"crm.sales", "privacy.deletion_requests"}
    assert contract.TRANSACTION_TYPES == ("purchase", "redemption")
    assert contract.table("crm.sales").column("amount").kind == "amount"
    assert contract.table("crm.advisors").column("phone").staged_name == "phone_e164"
    with pytest.raises(KeyError, match=r"crm\.sales"):
        contract.table("crm.sale")
    p = contract.plausibility()
    assert p.earliest == "2000-01-01" and p.future_margin_days >= 0


def _declare(tmp_path: Path, column_yaml: str, table_meta: str = "{record_key: a}") -> Path:
    root = tmp_path / "proj"
    (root / "models" / "staging" / "src").mkdir(parents=True)
    (root / "models" / "staging" / "src" / "_src__sources.yml").write_text(f"""
version: 2
sources:
  - name: src
    config: {{meta: {{raw_contract: true}}}}
    tables:
      - name: things
        config: {{meta: {table_meta}}}
        columns:
          - {{name: a, data_type: varchar}}
          - {column_yaml}
""")
    return root


@pytest.mark.parametrize(("column_yaml", "table_meta", "message"), [
    ("{name: b, data_type: text}", "{record_key: a}", "data_type 'text'"),
    ("{name: b, data_type: varchar, config: {meta: {nulable: false}}}", "{record_key: a}", "nulable"),
    ("{name: b, data_type: varchar, config: {meta: {accepted_values: [yes, no]}}}", "{record_key: a}",
     "list of strings"),
    ("{name: b, data_type: varchar, config: {meta: {max: 3}}}", "{record_key: a}", "max needs a number"),
    ("{name: b, data_type: timestamp, config: {meta: {earliest: 1st of May}}}", "{record_key: a}", "ISO date"),
    ("{name: b, data_type: varchar}", "{record_key: id}", "record_key 'id'"),
    ("{name: b, data_type: varchar}", "{record_key: a}, freshness: {warn_after: {count: 2, period: week}}",
     "freshness.warn_after"),
])
def test_a_wrong_declaration_names_file_table_and_column(tmp_path, column_yaml, table_meta, message):
    root = _declare(tmp_path, column_yaml, table_meta)
    with pytest.raises(ContractError, match=message) as exc:
        contract.load(root)
    assert "models/staging/src/_src__sources.yml" in str(exc.value) and "src.things" in str(exc.value)


def test_a_new_table_needs_only_its_declaration(tmp_path):
    root = _declare(tmp_path, "{name: b, data_type: double, config: {meta: {nullable: false, min: 0}}}")
    (t,) = contract.load(root)
    assert t.fqn == "src.things" and t.required_columns == ["a", "b"]
    codes = [r.code for r in quarantine_rules(t, contract.plausibility())]
    assert codes == ["missing_required", "invalid_number", "negative_number"]


# ------------------------------------------------------------------------------ mangled rows, every table
GOOD_TS = "2025-03-01T10:00:00-05:00"


def _good(c: Column, i: int) -> str:
    if c.accepted_values:
        return f"  {c.accepted_values[i % len(c.accepted_values)].upper()} "  # staging trims and lower-cases
    if c.normalize == "email":
        return f" Person{i}@Example.COM "
    if c.normalize == "phone":
        return "(212) 555-0100"
    if c.type == "integer" and c.min is not None and c.max is not None and c.max - c.min < 30:
        return str(int(c.min) + i % int(c.max - c.min + 1))  # a narrow declared range (a step 1 to 5)
    return {"integer": str(i % 30), "double": f"{i}.25", "timestamp": GOOD_TS}.get(c.type, f"{c.name}-{i}")


def _breaking(c: Column, code: str, when: str) -> list[str]:
    """Raw values of ``c`` that break the rule with this code and condition."""
    if code == "missing_required":
        return [""]
    if code == "invalid_number":
        return ["12,5O0", "7 years"]
    if code == "invalid_timestamp":
        return ["31/02/2025 25:61", "yesterday"]
    if code == "unknown_value":
        return ["gift"]
    if code.startswith("negative_"):
        return ["-0.5" if c.type == "double" else "-1"]
    if code.startswith("implausible_") and c.type != "timestamp":
        return [str(int(c.max) + 1)] if ">" in when else [str(int(c.min) - 1)]
    if ">" in when:
        return ["2125-01-01T00:00:00Z"]
    day_before = date.fromisoformat(contract.plausibility().earliest_for(c)) - timedelta(days=1)
    return [f"{day_before}T23:59:59Z"] + (["1970-01-01T00:00:00Z"] if day_before.year > 1970 else [])


def _passing_edges(c: Column) -> list[str]:
    """Values at the edge of the rules that must pass."""
    out = []
    if c.min is not None:
        out.append(str(int(c.min)))
    if c.max is not None:
        out.append(str(int(c.max)))
    if c.type == "timestamp":
        out.append(contract.plausibility().earliest_for(c) + "T00:00:00Z")
    return out


def mangled_rows(t: Table) -> list[tuple[dict[str, str], Rule | None]]:
    """(row, the rule it breaks): clean rows, one row per value that breaks each rule, passing edges."""
    rows: list[tuple[dict[str, str], Rule | None]] = []

    def row(**over: str) -> dict[str, str]:
        i = len(rows)
        r = {c.name: _good(c, i) for c in t.columns}
        r[t.key] = f"K{i:04d}"
        r.update(over)
        return r

    rows += [(row(), None) for _ in range(3)]
    for rule in quarantine_rules(t, contract.plausibility()):
        c = t.column(rule.column)
        for value in _breaking(c, rule.code, rule.when):
            rows.append((row(**{c.name: value}), rule))
        for value in _passing_edges(c):
            rows.append((row(**{c.name: value}), None))
    # Two broken columns: the code is the first rule in declaration order.
    rules = quarantine_rules(t, contract.plausibility())
    if len({r.column for r in rules}) > 1:
        first, second = rules[0], next(r for r in rules if r.column != rules[0].column)
        rows.append((row(**{first.column: _breaking(t.column(first.column), first.code, first.when)[0],
                            second.column: _breaking(t.column(second.column), second.code, second.when)[0]}),
                     first))
    return rows


@pytest.fixture(scope="module")
def compiled(tmp_path_factory) -> dict:
    """Mangled deliveries for every table, landed; every base model compiled by dbt against them."""
    root = tmp_path_factory.mktemp("contract")
    raw, landing = root / "raw", root / "landing"
    expected: dict[str, dict[int, Rule | None]] = {}
    for t in tables():
        rows = mangled_rows(t)
        path = raw / t.source / t.name / "mangled.csv"
        path.parent.mkdir(parents=True)
        with path.open("w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow([c.name for c in t.columns])
            w.writerows([r[c.name] for c in t.columns] for r, _ in rows)
        expected[t.fqn] = {i + 1: rule for i, (_, rule) in enumerate(rows)}
    report = land(raw, landing)
    assert len(report.landed) == len(tables())
    env = {**os.environ, "CJO_LANDING_DIR": str(landing), "CJO_DUCKDB_PATH": str(root / "wh.duckdb"),
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    target = root / "target"
    proc = subprocess.run(
        [str(DBT), "compile", "--quiet", "--project-dir", str(ROOT), "--profiles-dir", str(ROOT),
         "--target-path", str(target), "--log-path", str(root / "logs"), "--select", "path:models/staging/*/base"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    yield {"landing": landing, "target": target / "compiled" / "cjo" / "models" / "staging",
           "expected": expected}
    shutil.rmtree(root, ignore_errors=True)


@pytest.mark.parametrize("fqn", [t.fqn for t in tables()])
def test_staging_and_gx_apply_the_declared_rules_row_by_row(compiled, fqn):
    t = contract.table(fqn)
    con = duckdb.connect()
    con.execute("set TimeZone='UTC'")
    sql = (compiled["target"] / t.source / "base" / f"{base_name(t)}.sql").read_text()
    staged = con.sql(f"select * from ({sql}) order by _source_row")
    assert staged.columns == [c.staged_name for c in t.columns] + [
        "_quarantine_reason", "_quarantine_code", "_raw_values", "_landed_row_id",
        *[c.name for c in contract.LINEAGE_COLUMNS]], "the base model's columns are the declared ones"
    dbt_rows = {r[0]: (r[1], r[2]) for r in con.sql(
        f"select _source_row, _quarantine_code, _quarantine_reason from ({sql})").fetchall()}
    files = sorted((compiled["landing"] / t.source / t.name).glob("[!_]*.parquet"))
    sql = quarantine_sql(t, contract.plausibility(), files)
    gx_codes = dict(con.sql(f"select _source_row, _quarantine_code from ({sql})").fetchall())
    rules = compiled["expected"][fqn]
    expected = {n: rule.code if rule else None for n, rule in rules.items()}
    assert {n: code for n, (code, _) in dbt_rows.items()} == expected, "staging codes differ from the rules"
    assert gx_codes == expected, "GX quarantine codes differ from the rules"
    for n, (_, reason) in dbt_rows.items():
        if rules[n] is None:
            assert reason is None, (n, reason)
        else:  # readable, and names the rule the row breaks first
            assert reason.split("; ")[0].startswith(rules[n].what), (n, rules[n], reason)


def test_freshness_comes_from_the_declaration_and_a_table_overrides_its_source(tmp_path):
    root = _declare(tmp_path, "{name: b, data_type: varchar}")
    (t,) = contract.load(root)
    assert t.stale_after is None  # declared without freshness: no freshness check
    decl = root / "models" / "staging" / "src" / "_src__sources.yml"
    decl.write_text(decl.read_text().replace(
        "config: {meta: {raw_contract: true}}",
        "config: {meta: {raw_contract: true}, freshness: {warn_after: {count: 3, period: day}}}"))
    (t,) = contract.load(root)
    assert t.stale_after == timedelta(days=3)
    override = "config: {meta: {record_key: a}, freshness: {warn_after: {count: 90, period: minute}}}"
    decl.write_text(decl.read_text().replace("config: {meta: {record_key: a}}", override))
    (t,) = contract.load(root)
    assert t.stale_after == timedelta(minutes=90)


def test_every_raw_table_gets_a_freshness_check_with_its_declared_bound():
    from orchestration.raw_assets import freshness_checks, raw_asset_key

    declared = {raw_asset_key(t): t.stale_after for t in contract.tables()}
    assert all(declared.values()) and set(declared.values()) == {timedelta(hours=26)}
    checked = {key for check in freshness_checks() for key in (k.asset_key for k in check.check_keys)}
    assert checked == set(declared)
