"""Landing: a bad file is moved aside and the others land, lineage on every row, nothing lost, idempotent."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import duckdb
import pytest

from orchestration.landing import land, read_manifest

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


def test_missing_required_column_moves_that_file_aside_and_the_others_land(dirs):
    raw, landing = dirs
    _write(raw, "crm/sales/a_good.csv", f"{HEADER}\nS1,A1,P1,purchase,10,2026-01-01\n")
    no_amount = "sale_id,advisor_id,product_id,transaction_type,traded_at\nS2,A1,P1,purchase,x\nS3,A1,P1,purchase,y\n"
    bad = _write(raw, "crm/sales/b_bad.csv", no_amount)
    report = land(raw, landing)
    by_file = {f.source_file: f for f in report.files}
    assert by_file["crm/sales/a_good.csv"].status == "landed"
    q = by_file["crm/sales/b_bad.csv"]
    assert (q.status, q.reason_code, q.rows, q.kept_at) == (
        "quarantined", "missing_required_columns", 2, "_quarantine/crm/sales/b_bad.csv")
    assert "crm/sales/b_bad.csv" in q.message and "'amount'" in q.message
    # Moved aside, byte for byte; recorded for fct_quarantined_files; nothing of it landed.
    assert not bad.exists() and (raw / q.kept_at).read_text() == no_amount
    reg = duckdb.sql(f"select source_file, kept_at, reason_code, rows from read_parquet("
                     f"'{landing}/_quarantined_files/*.parquet') where source_file is not null").fetchall()
    assert reg == [("crm/sales/b_bad.csv", "_quarantine/crm/sales/b_bad.csv", "missing_required_columns", 2)]
    assert [r[0] for r in _rows(landing, "crm/sales")] == ["S1"]
    # After the fix (a corrected file), the next run lands it; the quarantined one is not seen again.
    _write(raw, "crm/sales/b_fixed.csv", f"{HEADER}\nS2,A1,P1,purchase,5,2026-01-02\n")
    again = land(raw, landing)
    assert again.summary() == {"already_landed": 1, "landed": 1, "rows_landed": 1, "lines_rejected": 0}


def test_zero_byte_files_are_quarantined_and_header_only_files_skipped_with_a_warning(dirs):
    raw, landing = dirs
    _write(raw, "crm/sales/empty.csv", "")
    _write(raw, "crm/sales/header.csv", HEADER + "\n")
    report = land(raw, landing)
    assert [(f.source_file, f.status, f.reason_code) for f in report.files] == [
        ("crm/sales/empty.csv", "quarantined", "empty_file"), ("crm/sales/header.csv", "skipped_empty", "")]
    assert any("empty.csv" in w and "0 bytes" in w for w in report.warnings)
    assert any("header.csv" in w for w in report.warnings)
    assert (raw / "_quarantine/crm/sales/empty.csv").exists()


@pytest.mark.parametrize(("name", "content", "code", "words"), [
    ("bad.csv.gz", gzip.compress(f"{HEADER}\n".encode() + b"".join(
        f"S{i},A1,P1,purchase,{i * 7919 % 10007},2026-01-01\n".encode() for i in range(3000)), mtime=0)[:4000],
     "truncated_file", "gzip stream ends early"),
    ("bad.csv.gz", b"\x1f\x8b" + bytes(range(256)) * 4, "corrupt_file", "corrupt gzip"),
    ("bad.csv", f"{HEADER}\nS1,Ren\xe9e,P1,purchase,10,2026-01-01\n".encode("latin-1"), "wrong_encoding",
     "byte 0xe9 on line 2"),
    ("bad.csv", f"{HEADER}\n".encode("utf-16"), "wrong_encoding", "UTF-16"),
    ("bad.csv", b"PAR1" + bytes(100), "wrong_format", "Parquet file named .csv"),
    ("bad.csv", gzip.compress(HEADER.encode(), mtime=0), "wrong_format", "name it .csv.gz"),
    ("bad.parquet", f"{HEADER}\n".encode(), "wrong_format", "not a Parquet file"),
    ("bad.parquet", b"PAR1" + bytes(100) + b"PAR1", "unreadable", "cannot be read"),
    ("bad.csv", bytes(range(128, 256)) * 8, "wrong_encoding", "not UTF-8"),
])
def test_unreadable_files_are_quarantined_with_a_reason_and_kept(dirs, name, content, code, words):
    raw, landing = dirs
    (raw / "crm/sales").mkdir(parents=True)
    (raw / "crm/sales" / name).write_bytes(content)
    _write(raw, "crm/sales/good.csv", f"{HEADER}\nS9,A1,P1,purchase,10,2026-01-01\n")
    report = land(raw, landing)  # never raises
    (q,) = report.quarantined
    assert q.reason_code == code and words in q.message, q.message
    assert (raw / q.kept_at).read_bytes() == content
    assert [f.status for f in report.files if f.source_file.endswith("good.csv")] == ["landed"]


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


def test_the_landing_asset_warns_and_the_run_succeeds_when_a_file_is_moved_aside(dirs, monkeypatch, tmp_path,
                                                                                 capsys):
    import dagster as dg

    from orchestration import cli
    from orchestration.raw_assets import NO_FILE_QUARANTINED, QUARANTINED_FILES_KEY, raw_landing

    raw, landing = dirs
    monkeypatch.setenv("CJO_RAW_DIR", str(raw))
    monkeypatch.setenv("CJO_LANDING_DIR", str(landing))
    _write(raw, "crm/sales/good.csv", f"{HEADER}\nS1,A1,P1,purchase,10,2026-01-01\n")
    (raw / "crm/sales/bad.csv.gz").write_bytes(b"this is not gzip")
    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize([raw_landing], instance=instance, raise_on_error=False)
        assert result.success, "a bad file never fails the run"
        (ev,) = [e for e in result.get_asset_check_evaluations() if e.check_name == NO_FILE_QUARANTINED]
        assert ev.asset_key == QUARANTINED_FILES_KEY and not ev.passed
        assert ev.severity == dg.AssetCheckSeverity.WARN
        assert "crm/sales/bad.csv.gz: file quarantined (wrong_format)" in ev.description
        assert [r[0] for r in _rows(landing, "crm/sales")] == ["S1"]
        monkeypatch.setattr(cli.console, "width", 250)
        monkeypatch.setenv("COLUMNS", "250")  # the tables of orchestration.formatting read it per print
        with cli.console.capture() as out:
            cli._print_run_summary(instance, result, 1.0, tmp_path)
    printed = out.get() + capsys.readouterr().out  # tables print through orchestration.formatting
    assert "SUCCESS WITH WARNINGS" in printed and "Traceback" not in printed
    assert "crm/sales/bad.csv.gz: file quarantined (wrong_format): named .csv.gz but not gzip-compressed" in printed


def test_a_file_that_cannot_be_moved_is_left_in_place_and_not_reported_twice(dirs, monkeypatch):
    import orchestration.file_quarantine as fq

    raw, landing = dirs
    bad = _write(raw, "crm/sales/bad.csv", "sale_id,amount\nS1,10\n")

    def read_only(*_args, **_kwargs):
        raise PermissionError(30, "Read-only file system")

    monkeypatch.setattr(fq.shutil, "move", read_only)
    (q,) = land(raw, landing).quarantined
    assert q.kept_at == "crm/sales/bad.csv" and "left in place" in q.message and bad.exists()
    again = land(raw, landing)
    assert [f.status for f in again.files] == ["already_quarantined"]
    reg = duckdb.sql(f"select count(*) from read_parquet('{landing}/_quarantined_files/*.parquet') "
                     "where source_file is not null").fetchall()[0][0]
    assert reg == 1
