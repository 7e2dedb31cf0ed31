"""The demo shows activation: `make demo` ends with every audience synced to local destinations
(cjo_data.destinations), through the `activate` job, and `cjo status` shows what was sent."""

from __future__ import annotations

import hashlib
import hmac
import json
import re

import dagster as dg
import duckdb
from pipeline_support import ROOT
from typer.testing import CliRunner

from cjo_data.destinations import WebhookReceiver, sync_selection


def _signed(secret: str, payload: dict) -> tuple[bytes, str]:
    body = json.dumps(payload).encode()
    return body, "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_the_receiver_checks_signatures_applies_ops_and_logs_receipt_times(tmp_path):
    hook = WebhookReceiver(tmp_path, "s3cret")
    body, sig = _signed("s3cret", {"records": [{"op": "upsert", "key": "c1", "data": {"a": 1}},
                                               {"op": "upsert", "key": "c2", "data": {"a": 2}}]})
    assert hook.accept(body, sig) == (200, {"errors": []})
    body, sig = _signed("s3cret", {"records": [{"op": "delete", "key": "c1", "data": None}]})
    assert hook.accept(body, sig)[0] == 200
    assert hook.accept(body, "sha256=forged")[0] == 401
    assert set(hook.rx.records) == {"c2"} and hook.rx.bad_signatures == 1
    log = [json.loads(line) for line in hook.log_path.read_text().splitlines()]
    assert [r["key"] for r in log] == ["c1", "c2", "c1"] and all(r["received_at"] > 0 for r in log)


def test_every_declared_sync_is_selected_and_postgres_ones_only_with_postgres(dbt_manifest):
    from orchestration.activation.spec import load_specs

    specs = load_specs()
    everything = sync_selection(have_postgres=True)
    assert everything[1::2] == [f"key:activation/sync_{n}" for n in specs]
    without = sync_selection(have_postgres=False)[1::2]
    assert without == [f"key:activation/sync_{n}" for n, s in specs.items() if s.destination.type != "postgres"]
    assert len(without) < len(everything[1::2])


def test_the_activate_job_runs_every_sync_then_publishes(cjo_defs):
    from orchestration.jobs import ERASURE_KEY, PUBLISHED_KEY

    graph = cjo_defs.resolve_asset_graph()
    job = cjo_defs.resolve_job_def("activate")
    selected = set(job.asset_layer.selected_asset_keys)
    syncs = {k for k in graph.get_all_asset_keys() if k.path[0] == "activation" and k.path[-1].startswith("sync_")}
    assert syncs and syncs | {ERASURE_KEY, PUBLISHED_KEY} == selected
    assert isinstance(job, dg.JobDefinition)


def test_no_sync_holds_back_the_erasure_or_publishing_and_syncs_run_first(cjo_defs):
    """A sync depends on an outside system: were the erasure pass or publishing downstream of one, a dead
    destination would skip both (docs/privacy.md). In a run with syncs they still run first, so the
    published copy holds their log, pseudonymized by the pass."""
    from dagster._core.execution.api import create_execution_plan

    from orchestration.jobs import ERASURE_KEY, PUBLISHED_KEY

    graph = cjo_defs.resolve_asset_graph()
    held = graph.get_ancestor_asset_keys(ERASURE_KEY) | graph.get_ancestor_asset_keys(PUBLISHED_KEY)
    assert not [k for k in held if k.path[-1].startswith("sync_")]
    assert ERASURE_KEY in graph.get(PUBLISHED_KEY).parent_keys
    for name in ("activate", "incremental"):
        plan = create_execution_plan(cjo_defs.resolve_job_def(name))
        steps = [s.key for s in plan.get_steps_to_execute_in_topo_order()]
        syncs = [i for i, k in enumerate(steps) if k.startswith("activation__sync_")]
        assert syncs and max(syncs) < steps.index("ops__erasure") < steps.index("ops__published_warehouse"), steps


def test_make_demo_ends_with_the_syncs_and_the_status():
    demo = re.search(r"^demo:.*?(?=^\S)", (ROOT / "Makefile").read_text(), re.S | re.M).group(0)
    steps = [line.strip() for line in demo.splitlines()[1:] if line.strip()]
    assert steps[-2:] == ["$(BIN)/python -m cjo_data.destinations", "$(BIN)/cjo status"]


def test_status_shows_the_last_run_of_each_sync_and_rejections(tmp_path, monkeypatch):
    from orchestration import publish
    from orchestration.activation import state

    live = tmp_path / "live.duckdb"
    con = duckdb.connect(str(live))
    con.execute("create schema ops")
    for ddl in state.DDL:
        con.execute(ddl)
    con.execute("insert into ops.sync_runs (run_id, sync_name, started_at, dry_run, forced, status, sent, acked, "
                "rejected, planned_privacy_removed) values ('r1', 'webinar_invite_consideration', now(), false, "
                "false, 'success', 1234, 1233, 1, 0)")
    con.execute("insert into ops.sync_rejected_rows values ('r1', 'webinar_invite_consideration', 'c9', 'upsert', "
                "'invalid email', now(), null)")
    con.close()
    monkeypatch.setenv("CJO_PUBLISH_DIR", str(tmp_path / "published"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    publish.publish(live, tmp_path / "published")
    from orchestration.cli import app

    out = CliRunner().invoke(app, ["status", "--format", "json"])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout)
    assert doc["syncs"][0]["sync"] == "webinar_invite_consideration" and doc["syncs"][0]["sent"] == 1234
    assert doc["sync_rejections"] == [{"sync": "webinar_invite_consideration", "reason": "invalid email", "rows": 1}]
