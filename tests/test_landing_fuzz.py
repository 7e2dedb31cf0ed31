"""Fuzz landing with mangled files (hypothesis): it never raises, and every record is accounted for.

A delivery is a handful of files for crm.sales, each clean or mangled: random bytes, truncated text,
truncated gzip, Latin-1 or UTF-16 text, a dropped required column, zero bytes, a Parquet/gzip body under
the wrong name, shuffled or extra columns, lines with the wrong number of fields.

The balance, per file (rows in = rows out + quarantined):
- a file whose bytes are UTF-8 text (after gunzip for .gz) has ``records`` = its non-blank lines after
  the header. Landed: rows landed + unparseable lines = records. Skipped (header only): records = 0.
  Quarantined whole: the registry's row count = records (or none, when it was not read as text);
- a file that is not UTF-8 text (random bytes, Latin-1, UTF-16, truncated or corrupt gzip) is always
  quarantined whole;
- a quarantined file is kept byte for byte under <raw>/_quarantine/, every other file stays in place
  unchanged; the run lands nothing new when repeated.
"""

from __future__ import annotations

import gzip
import io
import tempfile
import zlib
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestration.landing import land

COLUMNS = ["sale_id", "advisor_id", "product_id", "transaction_type", "amount", "traded_at"]
MANGLES = ("clean", "gzip", "random_bytes", "truncate_text", "truncate_gzip", "latin1", "utf16",
           "drop_column", "empty", "gzip_named_csv", "shuffle_columns", "extra_column", "ragged_lines")


def _csv(rows: int, start: int, columns: list[str], name: str = "Ann") -> str:
    values = {"sale_id": lambda i: f"S{i}", "advisor_id": lambda i: "A1", "product_id": lambda i: name,
              "transaction_type": lambda i: "purchase", "amount": lambda i: f"{i}.5",
              "traded_at": lambda i: "2026-01-01T10:00:00Z", "note": lambda i: "x"}
    lines = [",".join(columns)] + [",".join(values[c](i) for c in columns) for i in range(start, start + rows)]
    return "\n".join(lines) + "\n"


@st.composite
def delivery_file(draw, index: int) -> tuple[str, bytes]:
    """(file name, bytes) of one mangled delivery file."""
    kind = draw(st.sampled_from(MANGLES))
    rows = draw(st.integers(0, 12))
    start = index * 100
    text = _csv(rows, start, COLUMNS)
    name = f"f{index}_{kind}.csv"
    if kind == "clean":
        return name, text.encode()
    if kind == "gzip":
        return name + ".gz", gzip.compress(text.encode())
    if kind == "random_bytes":
        return name, draw(st.binary(max_size=400))
    if kind == "truncate_text":
        return name, text.encode()[: draw(st.integers(0, len(text) - 1))]
    if kind == "truncate_gzip":
        body = gzip.compress(text.encode())
        return name + ".gz", body[: draw(st.integers(1, len(body) - 1))]
    if kind == "latin1":
        return name, _csv(max(rows, 1), start, COLUMNS, name="Renée").encode("latin-1")
    if kind == "utf16":
        return name, text.encode("utf-16")
    if kind == "drop_column":
        cols = [c for c in COLUMNS if c != draw(st.sampled_from(COLUMNS))]
        return name, _csv(rows, start, cols).encode()
    if kind == "empty":
        return name, b""
    if kind == "gzip_named_csv":
        return name, gzip.compress(text.encode())
    if kind == "shuffle_columns":
        return name, _csv(rows, start, draw(st.permutations(COLUMNS))).encode()
    if kind == "extra_column":
        return name, _csv(rows, start, [*COLUMNS, "note"]).encode()
    # ragged_lines: some lines with too few or too many fields, kept as unparseable lines
    lines = text.splitlines()
    for at in sorted(draw(st.lists(st.integers(1, len(lines)), max_size=3)), reverse=True):
        lines.insert(at, draw(st.sampled_from(["S9999,A1", "S9998,A1,P1,purchase,1,2026-01-01T10:00:00Z,x,y"])))
    return name, ("\n".join(lines) + "\n").encode()


def _records(name: str, content: bytes) -> int | None:
    """Non-blank lines after the header when the file is UTF-8 text, else None (not text)."""
    try:
        body = gzip.decompress(content) if name.endswith(".gz") else content
        text = body.decode("utf-8")
    except (OSError, EOFError, zlib.error, UnicodeDecodeError):
        return None
    if not name.endswith(".gz") and content[:2] == b"\x1f\x8b":
        return None
    lines = io.StringIO(text.removeprefix("\ufeff"), newline="")  # \n, \r\n or \r end a line, as for CSV
    return max(sum(1 for line in lines if line.strip()) - 1, 0)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 4).flatmap(lambda n: st.tuples(*(delivery_file(i) for i in range(n)))))
def test_landing_never_crashes_and_every_record_is_accounted_for(files):
    with tempfile.TemporaryDirectory() as tmp:
        raw, landing = Path(tmp) / "raw", Path(tmp) / "landing"
        folder = raw / "crm" / "sales"
        folder.mkdir(parents=True)
        for name, content in files:
            (folder / name).write_bytes(content)

        report = land(raw, landing)  # must not raise, whatever the files

        outcome = {f.source_file: f for f in report.files}
        assert sorted(outcome) == sorted(f"crm/sales/{name}" for name, _ in files), "one outcome per file"
        rows_in = rows_out = 0
        for name, content in files:
            f, records = outcome[f"crm/sales/{name}"], _records(name, content)
            if f.status == "quarantined":
                assert (raw / f.kept_at).read_bytes() == content, "a quarantined file is kept as delivered"
                assert not (folder / name).exists()
                assert f.rows == (records or 0), (name, f, records)
            else:
                assert (folder / name).read_bytes() == content
                assert records is not None, f"{name} is not UTF-8 text but was {f.status}"
            if records is None:
                assert f.status == "quarantined", (name, f)
                continue
            rows_in += records
            rows_out += {"landed": f.rows + f.rejected_lines, "skipped_empty": 0,
                         "already_landed": records, "duplicate_delivery": records}.get(f.status, f.rows)
            if f.status == "landed":
                assert f.rows + f.rejected_lines == records, (name, f, records)
        assert rows_in == rows_out, "rows in = rows landed + unparseable lines + rows of quarantined files"
        again = land(raw, landing)
        assert again.summary().get("landed", 0) == 0 and again.summary().get("quarantined", 0) == 0
