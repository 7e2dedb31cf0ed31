"""The incremental job's dbt step runs only when this run's landing recorded something new."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from types import SimpleNamespace

from orchestration.landing import MANIFEST
from orchestration.raw_assets import landed_in_this_run, run_started_at


def _context(started: datetime | None):
    record = SimpleNamespace(start_time=started.replace(tzinfo=UTC).timestamp()) if started else None
    instance = SimpleNamespace(get_run_record_by_id=lambda run_id: record)
    return SimpleNamespace(instance=instance, run=SimpleNamespace(run_id="r1"))


def _manifest(landing, *landed_at: str) -> None:
    landing.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps({"table": "marketing.web_events", "status": s, "landed_at": t})
             for t, s in zip(landed_at, ["landed", "quarantined", "landed"], strict=False)]
    (landing / MANIFEST).write_text("\n".join(lines) + "\n")


def test_run_started_at_is_naive_utc():
    assert run_started_at(_context(datetime(2026, 12, 4, 15, 0))) == datetime(2026, 12, 4, 15, 0)
    assert run_started_at(_context(None)) is None


def test_landed_in_this_run(tmp_path, monkeypatch):
    landing = tmp_path / "landing"
    monkeypatch.setenv("CJO_LANDING_DIR", str(landing))
    _manifest(landing, "2026-12-01 06:00:00")
    assert not landed_in_this_run(_context(datetime(2026, 12, 4, 15, 0)))  # only older deliveries
    _manifest(landing, "2026-12-01 06:00:00", "2026-12-04 15:00:01")  # a file quarantined in this run
    assert landed_in_this_run(_context(datetime(2026, 12, 4, 15, 0)))
    # without a run record nothing can be ruled out: build
    _manifest(landing, "2026-12-01 06:00:00")
    assert landed_in_this_run(_context(None))
