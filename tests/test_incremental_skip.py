"""The incremental job's dbt step runs only when this run's landing recorded something new."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from types import SimpleNamespace

from orchestration.landing import MANIFEST
from orchestration.raw_assets import BATCH_TAG, landed_in_this_run, run_started_at


def _context(started: datetime | None, batch_started: datetime | None = None):
    def record(t):
        return SimpleNamespace(start_time=t.replace(tzinfo=UTC).timestamp()) if t else None

    instance = SimpleNamespace(get_run_record_by_id=lambda run_id: record(started),
                               get_run_records=lambda filters: [record(batch_started), record(started)])
    tags = {BATCH_TAG: "raw-abc"} if batch_started else {}
    return SimpleNamespace(instance=instance, run=SimpleNamespace(run_id="r1", tags=tags))


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


def test_the_second_run_of_a_sensor_batch_counts_what_the_first_landed(tmp_path, monkeypatch):
    """The journey-path run landed the delivery; the run of the rest (same cjo/batch tag, no landing of
    its own) must still rebuild."""
    landing = tmp_path / "landing"
    monkeypatch.setenv("CJO_LANDING_DIR", str(landing))
    _manifest(landing, "2026-12-01 06:00:00", "2026-12-04 15:00:05")
    second = _context(datetime(2026, 12, 4, 15, 1), batch_started=datetime(2026, 12, 4, 15, 0))
    assert run_started_at(second) == datetime(2026, 12, 4, 15, 0)
    assert landed_in_this_run(second)
    assert not landed_in_this_run(_context(datetime(2026, 12, 4, 15, 1)))  # alone, it landed nothing
