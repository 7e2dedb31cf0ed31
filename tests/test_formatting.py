"""CLI output for people and for scripts: one formatting module (orchestration/formatting.py)."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime

import pytest
from pipeline_support import ROOT
from rich.console import Console

from orchestration import formatting as f
from orchestration.formatting import COUNT, ID, SCORE, SHARE, Col, Format, Section

LONG_ID = "cus_0123456789abcdef0123456789abcdef"


def test_numbers_for_people():
    assert f.human(1234567, COUNT) == "1,234,567"
    assert f.human(0.1234567, SCORE) == "0.123"
    assert f.human(0.1234, SHARE) == "12.3%"
    assert f.human(None, COUNT) == ""
    assert f.human(True) == "yes"
    assert f.human(datetime(2026, 1, 2, 3, 4, 5, 678)) == "2026-01-02 03:04:05"


def test_kinds_from_names_and_values():
    assert f.kind_for("customer_id", "c1") == ID
    assert f.kind_for("email_sha256", "ab") == ID
    assert f.kind_for("rows", 3) == COUNT
    assert f.kind_for("propensity", 0.5) == SCORE
    assert f.kind_for("open_rate", 0.5) == SHARE
    assert f.kind_for("persona", "newcomer") == f.TEXT


def _render(section: Section, width: int) -> str:
    out = io.StringIO()
    f.table(section, Console(width=width, file=out, color_system=None))
    return out.getvalue()


SECTION = Section("people", [Col("customer_id", ID), Col("persona"), Col("score", SCORE), Col("orders", COUNT)],
                  [(LONG_ID, "a long persona description that can fold onto more lines", 0.98765, 12345)])


@pytest.mark.parametrize("width", [200, 90, 70, 30])
def test_ids_are_never_cut_whatever_the_width(width):
    out = _render(SECTION, width)
    assert LONG_ID in out
    assert "…" not in out
    assert "0.988" in out and "12,345" in out
    if width > len("customer_id: " + LONG_ID):
        assert max(len(line) for line in out.splitlines()) <= width


def test_a_table_too_wide_becomes_one_block_per_row():
    out = _render(SECTION, 60)
    assert f"customer_id: {LONG_ID}" in out
    assert "persona: a long persona" in out


def test_json_and_csv_carry_raw_values(capsys):
    rows = [(LONG_ID, 0.98765, 12345, datetime(2026, 1, 2, 3, 4, 5))]
    section = Section("t", [Col("customer_id", ID), Col("score", SCORE), Col("orders", COUNT), Col("at", f.TIME)],
                      rows)
    f.emit(section, Format.json)
    assert json.loads(capsys.readouterr().out) == [
        {"customer_id": LONG_ID, "score": 0.98765, "orders": 12345, "at": "2026-01-02T03:04:05"}]
    f.emit(section, Format.csv)
    assert list(csv.reader(io.StringIO(capsys.readouterr().out))) == [
        ["customer_id", "score", "orders", "at"], [LONG_ID, "0.98765", "12345", "2026-01-02T03:04:05"]]
    f.emit([section, Section("u", [Col("n", COUNT)], [(1,)], key="u")], Format.json)
    assert set(json.loads(capsys.readouterr().out)) == {"t", "u"}


def test_every_command_prints_tables_through_the_formatting_module():
    offenders = [str(p.relative_to(ROOT)) for p in ROOT.glob("orchestration/**/*.py")
                 if p.name != "formatting.py" and "rich.table" in p.read_text()]
    assert not offenders


def test_cli_listing_in_json(tmp_path):
    from typer.testing import CliRunner

    from orchestration.cli import app

    out = CliRunner().invoke(app, ["sync", "list", "--format", "json"])
    assert out.exit_code == 0, out.output
    syncs = json.loads(out.stdout)
    assert syncs and {"name", "audience", "destination", "blocking"} <= set(syncs[0])
    out = CliRunner().invoke(app, ["settings", "--format", "csv"])
    assert out.exit_code == 0, out.output
    header, *rows = list(csv.reader(io.StringIO(out.stdout)))
    assert header == ["setting", "environment variable", "value", "default"]
    assert {r[0] for r in rows} >= {"duckdb_path", "dagster_home"}
