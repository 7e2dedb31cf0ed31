"""An operator can see what happened (issue 13.4): `cjo status` reads the run history of the live
instance (a failed run's reasons show although nothing new was published), one duration per run
everywhere, the writer queue and what a run waits for, and a warning when many duplicates are removed."""

from __future__ import annotations

import dagster as dg
import pytest
from typer.testing import CliRunner

from expectations._config import Thresholds
from orchestration.cli import app
from orchestration.quality.checks import duplicate_warnings
from orchestration.run_status import QueueEntry, failure_reasons, run_seconds, waiting_for, writer_queue

runner = CliRunner()


@dg.asset
def lands_fine() -> int:
    return 1


@dg.asset_check(asset=lands_fine, blocking=False)
def too_many_duplicates() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.WARN,
                               description="crm.sales: 100,000 duplicate rows removed (12.5% of 800,000 landed)")


@dg.asset(deps=[lands_fine])
def blocked_delivery() -> None:
    raise dg.Failure(description="Raw deliveries blocked before dbt: crm/sales/d1.csv: amount not a number in 40%")


@pytest.fixture()
def instance_with_a_failed_run(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("CJO_PUBLISH_DIR", str(tmp_path / "published"))  # nothing published, ever
    monkeypatch.setenv("CJO_LANDING_DIR", str(tmp_path / "landing"))
    monkeypatch.setenv("CJO_STATE_DIR", str(tmp_path / "state"))
    instance = dg.DagsterInstance.from_config(str(home))
    defs = dg.Definitions(assets=[lands_fine, blocked_delivery], asset_checks=[too_many_duplicates])
    result = defs.resolve_implicit_global_asset_job_def().execute_in_process(instance=instance, raise_on_error=False)
    assert not result.success
    yield instance, result.run_id
    instance.dispose()


def test_failure_reasons_name_the_step_and_the_warning(instance_with_a_failed_run):
    instance, run_id = instance_with_a_failed_run
    reasons = failure_reasons(instance, run_id)
    steps = [r for r in reasons if r.kind == "step"]
    checks = [r for r in reasons if r.kind == "check"]
    assert steps and steps[0].name == "blocked_delivery" and "amount not a number in 40%" in steps[0].message
    assert checks and checks[0].severity == "WARN" and "100,000 duplicate rows removed" in checks[0].message


def test_status_after_a_failed_run_shows_why_without_a_published_copy(instance_with_a_failed_run):
    _, run_id = instance_with_a_failed_run
    result = runner.invoke(app, ["status"], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "nothing published yet" in result.output
    assert f"last run {run_id}" in result.output and "FAILURE" in result.output  # the same word as cjo run
    assert "amount not a number in 40%" in result.output
    assert "100,000 duplicate rows removed" in result.output


def test_one_duration_per_run(instance_with_a_failed_run):
    """The run record's duration is what `cjo status` lists, what the run stats call the run's wall time,
    and what `cjo run` prints (it calls seconds_of on the same record)."""
    import json

    from orchestration.runstats import run_stats

    instance, run_id = instance_with_a_failed_run
    seconds = run_seconds(instance.get_run_record_by_id(run_id))
    assert seconds is not None and seconds > 0
    assert run_stats(instance, run_id).wall_seconds == round(seconds, 3)
    out = runner.invoke(app, ["status", "--format", "json"], env={"COLUMNS": "250"}).stdout
    runs = json.loads(out)["runs"]
    assert next(r for r in runs if r["run"] == run_id)["seconds"] == pytest.approx(seconds)


def test_writer_queue_and_what_a_run_waits_for(tmp_path):
    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        storage = instance.event_log_storage
        storage.set_concurrency_slots("duckdb_writer", 1)
        assert storage.claim_concurrency_slot("duckdb_writer", "run-a" + "0" * 30, "cjo_dbt_assets").is_claimed
        assert not storage.claim_concurrency_slot("duckdb_writer", "run-b" + "0" * 30, "raw_landing").is_claimed
        queue = writer_queue(instance)
    assert [(e.state, e.run_id[:5], e.step_key) for e in queue] == [
        ("holding", "run-a", "cjo_dbt_assets"), ("waiting", "run-b", "raw_landing")]
    msg = waiting_for(queue, "run-b" + "0" * 30)
    assert msg and "raw_landing waits for run run-a000 (cjo_dbt_assets)" in msg
    assert waiting_for(queue, "run-a" + "0" * 30) is None


def test_waiting_for_without_a_visible_holder():
    queue = [QueueEntry("waiting", "r2", "publish")]
    assert waiting_for(queue, "r2").endswith("publish waits for another run")


@pytest.mark.parametrize("landed", [50, 5_000, 500_000])
def test_duplicates_warning_scales(landed):
    th = Thresholds()
    share_plus = int(landed * th.warn_duplicates_removed_rate) + 1
    over = max(share_plus, th.min_duplicate_key_rows)
    under = min(int(landed * th.warn_duplicates_removed_rate), th.min_duplicate_key_rows - 1) if landed < 1000 \
        else int(landed * th.warn_duplicates_removed_rate)
    assert duplicate_warnings([("crm.sales", landed, under)], th) == []
    (msg,) = duplicate_warnings([("crm.sales", landed, over)], th)
    assert msg.startswith(f"crm.sales: {over:,} duplicate rows removed")


def test_a_full_re_export_warns_with_the_count():
    (msg,) = duplicate_warnings([("crm.sales", 800_000, 100_000), ("crm.firms", 500, 2)], Thresholds())
    assert msg == "crm.sales: 100,000 duplicate rows removed (12.5% of 800,000 landed; warns above 1.0%)"
