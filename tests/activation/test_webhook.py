"""Webhook destination against a real local HTTP server that injects faults."""

from __future__ import annotations

import hashlib
import hmac
import itertools

import pytest
from activation_support import allowed, query, spec_dict, write_warehouse

from orchestration.activation.destinations.base import DestinationError
from orchestration.activation.destinations.webhook import RetryableFailure, retry_after_seconds, retry_wait, sign
from orchestration.activation.engine import run_sync
from orchestration.activation.spec import parse_spec


def hook_spec(mode="mirror", **dest):
    d = {
        "type": "webhook",
        "url_env": "CJO_TEST_HOOK_URL",
        "secret_env": "CJO_TEST_HOOK_SECRET",
        "timeout_s": 0.5,
        "max_retries": 5,
        "backoff_base_s": 0.01,
        "backoff_max_s": 2.0,
        **dest,
    }
    return parse_spec(spec_dict("hook_sync", d, mode=mode))


def test_delivers_signed_batches_and_unchanged_sends_nothing(warehouse, webhook):
    db, persons = warehouse
    res = run_sync(hook_spec(), db_path=db)
    assert res.status == "success" and res.batches == 3  # 60 rows / 25
    assert set(webhook.rx.records) == set(allowed(persons))
    assert webhook.rx.bad_signatures == 0
    assert webhook.rx.records["c00001"]["email"] == "Person.1@Example.com"
    before = webhook.rx.requests
    again = run_sync(hook_spec(), db_path=db)
    assert again.sent == 0 and webhook.rx.requests == before


def test_retries_500_429_timeout_and_reset_honouring_retry_after(warehouse, webhook):
    db, persons = warehouse
    webhook.rx.faults = ["500", "429:1", "timeout:1.5", "reset"]
    res = run_sync(hook_spec(), db_path=db)
    assert res.status == "success"
    assert set(webhook.rx.records) == set(allowed(persons))
    assert webhook.rx.requests == 3 + 4
    times = webhook.rx.request_times
    assert times[2] - times[1] >= 0.95  # waited the Retry-After of the 429 (1 s)


def test_per_record_4xx_rejects_only_that_record_and_retries_it_next_run(warehouse, webhook):
    db, persons = warehouse
    webhook.rx.reject_keys = {"c00003", "c00040"}
    res = run_sync(hook_spec(), db_path=db)
    assert res.status == "partial" and res.rejected == 2 and res.acked == 58
    assert "c00003" not in webhook.rx.records and len(webhook.rx.records) == 58
    assert query(db, "select primary_key, reason from ops.sync_rejected_rows order by 1") == [
        ("c00003", "HTTP 422: invalid email"),
        ("c00040", "HTTP 422: invalid email"),
    ]
    webhook.rx.reject_keys = set()
    again = run_sync(hook_spec(), db_path=db)
    assert again.sent == 2 and again.acked == 2  # only the rejected rows are retried
    assert set(webhook.rx.records) == set(allowed(persons))
    assert query(db, "select count(*) from ops.sync_rejected_rows where resolved_at is null") == [(0,)]
    assert query(db, "select count(*), count(distinct run_id) from ops.sync_row_results") == [(62, 2)]


def test_exhausted_retries_fail_the_run_and_keep_acked_state(warehouse, webhook):
    db, persons = warehouse
    spec = hook_spec(max_retries=1)
    # First batch goes through; the second fails twice (its only attempts): the run fails.
    webhook.rx.faults = ["none", "500", "500"]
    with pytest.raises(DestinationError, match="failed after 2 attempts"):
        run_sync(spec, db_path=db)
    assert query(db, "select count(*) from ops.sync_state") == [(25,)]
    assert query(db, "select status from ops.sync_runs") == [("failed",)]
    res = run_sync(spec, db_path=db)
    assert res.sent == 35 and set(webhook.rx.records) == set(allowed(persons))


def test_rate_limit_spaces_requests(warehouse, webhook):
    db, _ = warehouse
    spec = parse_spec(
        spec_dict(
            "hook_sync",
            {"type": "webhook", "url_env": "CJO_TEST_HOOK_URL", "secret_env": "CJO_TEST_HOOK_SECRET"},
            batch_size=10,
            rate_limit=20,
        )
    )
    run_sync(spec, db_path=db)
    t = webhook.rx.request_times
    assert len(t) == 6
    # 20/s => sends 50 ms apart: 5 gaps >= 250 ms (minus server-side clock jitter).
    assert t[-1] - t[0] >= 0.24
    assert min(b - a for a, b in itertools.pairwise(t)) >= 0.035


def test_resent_batch_carries_the_same_idempotency_key(warehouse, webhook):
    """Crash window: destination applied, state not committed -> same batch, same key -> deduped."""
    import duckdb

    db, persons = warehouse
    run_sync(hook_spec(), db_path=db)
    con = duckdb.connect(str(db))
    con.execute("delete from ops.sync_state")  # as if we were killed before committing state
    con.close()
    applied = webhook.rx.applied_ops
    run_sync(hook_spec(), db_path=db)
    assert webhook.rx.duplicates == 3 and webhook.rx.applied_ops == applied
    assert set(webhook.rx.records) == set(allowed(persons))


def test_wrong_secret_is_a_destination_error(warehouse, webhook, monkeypatch):
    db, _ = warehouse
    monkeypatch.setenv("CJO_TEST_HOOK_SECRET", "wrong")
    with pytest.raises(DestinationError, match="HTTP 401"):
        run_sync(hook_spec(), db_path=db)
    assert webhook.rx.bad_signatures == 1


def test_signature_and_backoff_helpers():
    body = b'{"a":1}'
    assert sign("k", body) == "sha256=" + hmac.new(b"k", body, hashlib.sha256).hexdigest()
    assert retry_after_seconds("3") == 3.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0
    assert retry_after_seconds("soon") is None


def _state_after(attempt: int, failure: Exception):
    """A tenacity retry state whose `attempt`-th (1-based) attempt failed with `failure`."""
    from tenacity import RetryCallState, Retrying

    state = RetryCallState(Retrying(), fn=None, args=(), kwargs={})
    state.attempt_number = attempt
    state.set_exception((type(failure), failure, None))
    return state


def test_wait_honours_retry_after_capped_else_jittered_backoff():
    wait = retry_wait(base=0.5, cap=4.0)
    assert wait(_state_after(1, RetryableFailure("HTTP 429", retry_after=1.5))) == 1.5
    assert wait(_state_after(1, RetryableFailure("HTTP 429", retry_after=3600))) == 4.0  # capped
    delays = [wait(_state_after(a + 1, RetryableFailure("HTTP 503"))) for a in range(8)]
    assert all(0 <= d <= min(4.0, 0.5 * 2**a) for a, d in enumerate(delays))
    assert len(set(delays)) == 8  # jittered, not lockstep


def test_missing_secret_env_names_the_variable(warehouse, monkeypatch):
    db, _ = warehouse
    monkeypatch.delenv("CJO_TEST_HOOK_SECRET", raising=False)
    monkeypatch.setenv("CJO_TEST_HOOK_URL", "http://127.0.0.1:9/x")
    with pytest.raises(RuntimeError, match="CJO_TEST_HOOK_SECRET is not set"):
        run_sync(hook_spec(), db_path=db)


def test_deletion_request_removes_person_from_webhook_mirror(warehouse, webhook):
    db, persons = warehouse
    run_sync(hook_spec(), db_path=db)
    persons[10].deletion_requested = True
    write_warehouse(db, persons)
    res = run_sync(hook_spec(), db_path=db)
    assert res.privacy_removed == 1 and res.sent == 1
    assert persons[10].customer_id not in webhook.rx.records
