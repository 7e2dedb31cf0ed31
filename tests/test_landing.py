"""Landing: contract checks before anything lands, lineage on every row, nothing lost, idempotent."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import duckdb
import pytest

from orchestration.landing import ContractViolation, land, read_manifest

HEADER = "sale_id,advisor_id,product_id,transaction_type,amount,traded_at"


def _write(raw: Path, rel: str, text: str) -> Path:
    path = raw / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _rows(landing: Path, table: str) -> list[tuple]:
    return duckdb.sql(
        f"select sale_id, amount, _source_file, _source_row from read_parquet('{landing}/{table}/*.parquet', "
        "union_by_name=true) order by _source_file, _source_row").fetchall()


@pytest.fixture()
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    return tmp_path / "raw", tmp_path / "landing"


def test_lands_every_row_with_lineage_and_trims_values(dirs):
    raw, landing = dirs
    _write(raw, "crm/sales/d1.csv", f"{HEADER}\nS1,A1,P1,purchase, 10 ,2026-01-01\nS2,A1,P1,purchase,,2026-01-02\n")
    report = land(raw, landing)
    assert report.summary()["rows_landed"] == 2
    assert _rows(landing, "crm/sales") == [("S1", "10", "crm/sales/d1.csv", 1), ("S2", None, "crm/sales/d1.csv", 2)]


def test_missing_required_column_fails_before_anything_lands(dirs):
    raw, landing = dirs
    _write(raw, "crm/sales/a_good.csv", f"{HEADER}\nS1,A1,P1,purchase,10,2026-01-01\n")
    no_amount = "sale_id,advisor_id,product_id,transaction_type,traded_at\nS2,A1,P1,purchase,x\n"
    _write(raw, "crm/sales/b_bad.csv", no_amount)
    with pytest.raises(ContractViolation) as exc:
        land(raw, landing)
    assert "crm/sales/b_bad.csv" in str(exc.value) and "'amount'" in str(exc.value)
    assert not list((landing / "crm" / "sales").glob("[!_]*.parquet")), "nothing may land from a failing run"
    # After the fix (a corrected file replaces the bad one), the next run lands both, with no clean-up.
    (raw / "crm/sales/b_bad.csv").unlink()
    _write(raw, "crm/sales/b_fixed.csv", f"{HEADER}\nS2,A1,P1,purchase,5,2026-01-02\n")
    assert land(raw, landing).summary()["rows_landed"] == 2


def test_empty_and_header_only_files_are_skipped_with_a_warning(dirs):
    raw, landing = dirs
    _write(raw, "crm/sales/empty.csv", "")
    _write(raw, "crm/sales/header.csv", HEADER + "\n")
    report = land(raw, landing)
    assert [f.status for f in report.files] == ["skipped_empty", "skipped_empty"]
    assert any("empty.csv" in w for w in report.warnings) and any("header.csv" in w for w in report.warnings)


def test_unparseable_lines_are_kept_with_their_line_number(dirs):
    raw, landing = dirs
    body = ("S1,A1,P1,purchase,10,2026-01-01\nS2,A1\nS3,A1,P1,purchase,1,2026-01-01\nS4,A1,P1,x,1,2,3,4\n"
            "S5,A1\nS6,A1,P1,purchase,6,2026-01-01\n")
    _write(raw, "crm/sales/d1.csv", f"{HEADER}\n{body}")
    report = land(raw, landing)
    assert report.summary() == {"landed": 1, "rows_landed": 3, "lines_rejected": 3}
    rejects = duckdb.sql(f"select _source_file, line, raw_line from read_parquet('{landing}/_rejects/**/*.parquet', "
                         "union_by_name=true) where line is not null order by line").fetchall()
    assert rejects == [("crm/sales/d1.csv", 3, "S2,A1"), ("crm/sales/d1.csv", 5, "S4,A1,P1,x,1,2,3,4"),
                       ("crm/sales/d1.csv", 6, "S5,A1")]
    # the rows that parsed keep their own record number: record n is line n + 1, rejects or not
    assert [(r[0], r[3]) for r in _rows(landing, "crm/sales")] == [("S1", 1), ("S3", 3), ("S6", 6)]


def test_idempotent_and_redelivered_content_lands_once(dirs):
    raw, landing = dirs
    first = _write(raw, "crm/sales/d1.csv", f"{HEADER}\nS1,A1,P1,purchase,10,2026-01-01\n")
    land(raw, landing)
    shutil.copy(first, raw / "crm/sales/d1_copy.csv")
    report = land(raw, landing)
    assert {f.status for f in report.files} == {"already_landed"}
    assert len(_rows(landing, "crm/sales")) == 1
    assert [m["status"] for m in read_manifest(landing)] == ["landed"]


def test_gzip_and_parquet_deliveries_and_extra_columns(dirs, tmp_path):
    raw, landing = dirs
    gz = raw / "crm/sales/d1.csv.gz"
    gz.parent.mkdir(parents=True)
    with gzip.open(gz, "wt") as fh:
        fh.write(f"{HEADER},note\nS1,A1,P1,purchase,10,2026-01-01,hello\n")
    duckdb.sql(f"copy (select 'S2' as sale_id, 'A1' as advisor_id, 'P1' as product_id, 'purchase' as "
               f"transaction_type, 7.5 as amount, timestamp '2026-01-02' as traded_at) to '{raw}/crm/sales/d2.parquet'")
    report = land(raw, landing)
    assert report.summary()["rows_landed"] == 2
    assert any("note" in w for w in report.warnings), "ignored columns are reported"
    assert [r[:2] for r in _rows(landing, "crm/sales")] == [("S1", "10"), ("S2", "7.5")]


def test_schema_files_make_every_table_readable_when_nothing_was_delivered(dirs):
    raw, landing = dirs
    raw.mkdir()
    land(raw, landing)
    count = duckdb.sql(f"select count(*) from read_parquet('{landing}/privacy/deletion_requests/*.parquet', "
                       "union_by_name=true)").fetchall()[0][0]
    assert count == 0
