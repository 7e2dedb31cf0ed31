"""Property: whatever consents flip, whoever asks to be forgotten and whatever the ledger says, no
opted-out, forgotten or ineligible person ever reaches a destination, and a deletion (or a lost gate)
removes the person on the next run.

The audience table is naive on purpose (it ignores consent and the ledger), so only the engine's
last-mile check stands between the data and the destinations. Destinations are real: PostgreSQL (mirror), the local
webhook (upsert mode: leavers stay, but privacy removals still go) and files (mirror).
"""

from __future__ import annotations

import csv
import json
import uuid

import psycopg
from activation_support import WebhookServer, allowed, people, spec_dict, write_warehouse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestration.activation.engine import run_sync
from orchestration.activation.spec import parse_spec

N = 12
ACTIONS = ["withdraw", "grant", "unknown", "delete_request", "forget", "leave", "join", "block", "unblock"]
step = st.lists(st.tuples(st.integers(0, N - 1), st.sampled_from(ACTIONS)), min_size=1, max_size=6)


def apply(p, action):
    if action == "withdraw":
        p.consent_email = False
    elif action == "grant":
        p.consent_email = True
    elif action == "unknown":
        p.consent_email = None
    elif action == "delete_request":
        p.deletion_requested = True
    elif action == "forget":
        p.forgotten = True
    elif action == "leave":
        p.in_audience = False
    elif action == "block":
        p.eligible = False  # e.g. a frequency cap or an opt-out the ledger saw
    elif action == "unblock":
        p.eligible = True
    else:
        p.in_audience = True


def forbidden(persons):
    """May not be held by any destination (privacy)."""
    return {p.customer_id for p in persons if p.consent_email is not True or p.forgotten or p.deletion_requested}


def unsendable(persons):
    """May not be sent (privacy, or the ledger says no): a gate-blocked person is treated like a leaver."""
    return forbidden(persons) | {p.customer_id for p in persons if not p.eligible}


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(step, min_size=1, max_size=3))
def test_no_opted_out_or_forgotten_person_reaches_any_destination(steps, tmp_path_factory, pg_server, monkeypatch):
    tmp = tmp_path_factory.mktemp("prop")
    db = tmp / "wh.duckdb"
    persons = people(N)
    write_warehouse(db, persons)
    table = f"crm.p_{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("CJO_TEST_PG_DSN", pg_server.dsn)
    monkeypatch.setenv("CJO_TEST_HOOK_SECRET", "s3cret")
    specs = {
        "pg": parse_spec(
            spec_dict("p_pg", {"type": "postgres", "dsn_env": "CJO_TEST_PG_DSN", "table": table}, batch_size=5)
        ),
        "hook": parse_spec(
            spec_dict(
                "p_hook",
                {"type": "webhook", "url_env": "CJO_TEST_HOOK_URL", "secret_env": "CJO_TEST_HOOK_SECRET"},
                mode="upsert",
                batch_size=5,
            )
        ),
        "files": parse_spec(spec_dict("p_files", {"type": "files", "path": str(tmp / "files")}, batch_size=5)),
    }
    files_state: dict[str, dict] = {}
    with WebhookServer("s3cret") as hook:
        monkeypatch.setenv("CJO_TEST_HOOK_URL", hook.url)
        for actions in [[], *steps]:
            for idx, action in actions:
                apply(persons[idx], action)
            write_warehouse(db, persons)
            bad, never_send = forbidden(persons), unsendable(persons)
            seen_bodies = len(hook.rx.bodies)
            for spec in specs.values():
                # force: the property is about privacy, not the circuit breaker (tested elsewhere).
                run_sync(spec, db_path=db, force=True)
            # Nothing sent in this step carried a forbidden person (the "never reaches" part).
            sent = {r["key"] for b in hook.rx.bodies[seen_bodies:] for r in b["records"] if r["op"] != "delete"}
            assert not sent & never_send
            for m in sorted((tmp / "files").glob("*.manifest.json")):
                name = json.loads(m.read_text())["file"]
                if name in files_state:
                    continue
                rows = list(csv.DictReader((tmp / "files" / name).open()))
                files_state[name] = {}
                assert not {r["_key"] for r in rows if r["_op"] != "delete"} & never_send
            # And after the run, nobody forbidden is held by any destination.
            with psycopg.connect(pg_server.dsn) as con:
                pg_keys = {r[0] for r in con.execute(f"select customer_id from {table}").fetchall()}
            want = set(allowed(persons))
            assert pg_keys == want  # mirror: exactly the allowed audience
            assert not set(hook.rx.records) & bad  # upsert: leavers may stay, the forbidden may not
            assert want <= set(hook.rx.records)
