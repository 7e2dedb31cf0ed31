"""Files destination: one CSV or Parquet file per run, plus a manifest, both written atomically.

Rows are buffered during the run and written at :meth:`finalize`: first to ``.<name>.tmp``, fsynced,
then renamed (atomic on one filesystem), then the manifest the same way. A reader never sees half a
file. The engine commits state only after finalize (``ack_on_finalize``): a crash before the rename
leaves no file and no state, so the next run writes the same rows again. Each row carries ``_op``
(upsert/insert/delete) and the key, so applying a file twice is harmless for the consumer.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from orchestration import settings
from orchestration.activation.destinations.base import BatchResult, Destination, Record


def atomic_write_bytes(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


class FileWriter:
    """Buffers records and writes them as one file + manifest."""

    def __init__(self, folder: Path, sync_name: str, run_id: str, fmt: str, fields: list[str]):
        self.folder, self.sync_name, self.run_id, self.fmt = folder, sync_name, run_id, fmt
        self.fields = ["_op", "_key", *fields]
        self.rows: list[list[object]] = []

    def add(self, records: list[Record]) -> None:
        for r in records:
            data = r.data or {}
            self.rows.append([r.op, r.key, *(data.get(f) for f in self.fields[2:])])

    def write(self) -> dict[str, object]:
        if not self.rows:
            return {"file": None, "rows": 0}
        self.folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        name = f"{self.sync_name}__{stamp}__{self.run_id[:8]}.{self.fmt}"
        path = self.folder / name
        if self.fmt == "csv":
            tmp = path.with_name(f".{name}.tmp")
            with open(tmp, "w", newline="") as fh:
                w = csv.writer(fh)
                w.writerow(self.fields)
                w.writerows(self.rows)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        else:
            cols = list(zip(*self.rows, strict=True))
            table = pa.table(
                {
                    f: pa.array([None if v is None else str(v) for v in col], pa.string())
                    for f, col in zip(self.fields, cols, strict=True)
                }
            )
            tmp = path.with_name(f".{name}.tmp")
            pq.write_table(table, tmp)
            os.replace(tmp, path)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        ops: dict[str, int] = {}
        for row in self.rows:
            ops[str(row[0])] = ops.get(str(row[0]), 0) + 1
        manifest = {
            "sync": self.sync_name,
            "run_id": self.run_id,
            "file": name,
            "format": self.fmt,
            "rows": len(self.rows),
            "ops": ops,
            "columns": self.fields,
            "sha256": digest,
            "written_at": datetime.now(UTC).isoformat(),
        }
        atomic_write_bytes(path.with_name(name + ".manifest.json"), json.dumps(manifest, indent=2).encode())
        return {"file": str(path), "rows": len(self.rows)}


def export_dir() -> Path:
    """Root for relative file-destination paths (setting ``export_dir``, CJO_EXPORT_DIR)."""
    return settings.get().export_dir


def resolve_folder(path: str) -> Path:
    p = Path(path)
    return p if p.is_absolute() else export_dir() / p


class FilesSink(Destination):
    ack_on_finalize = True

    def __init__(self, spec, run_id: str):
        cfg = spec.destination
        self.writer = FileWriter(resolve_folder(cfg.path), spec.name, run_id, cfg.format, list(spec.mapping))

    def send(self, records: list[Record], batch_key: str) -> BatchResult:
        self.writer.add(records)
        return BatchResult(acked=[r.key for r in records])

    def finalize(self) -> dict[str, object]:
        return self.writer.write()
