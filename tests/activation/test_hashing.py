"""Ad identifier normalization and hashing: golden vectors from the platforms' published examples."""

from __future__ import annotations

import hashlib

from orchestration.activation.engine import Current, build_current, diff
from orchestration.activation.hashing import (
    hash_email,
    hash_phone,
    normalize_email,
    normalize_phone,
    payload_hash,
    sha256_hex,
)
from orchestration.activation.spec import parse_spec
from orchestration.activation.state import StateRow


def test_sha256_nist_vector():
    # FIPS 180-2 appendix B.1: SHA-256("abc").
    assert sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_email_golden_vectors():
    # TikTok "supported IDs and formats for a customer file": normalized janedoe@gmail.com ->
    want = "d6117306485ed0e50afab3ac871e98f81699151f30281527d63ff5f233656c69"
    assert hash_email("  JaneDoe@Gmail.com ", "meta") == want
    # Google: dots before @gmail.com / @googlemail.com are removed, so these hash the same.
    assert hash_email("Jane.Doe@gmail.com", "google") == want
    assert normalize_email(" J.a.n.e.Doe@GoogleMail.com", "google") == "janedoe@googlemail.com"
    # ... but only for those two domains, and never for Meta.
    assert normalize_email("jane.doe@example.com", "google") == "jane.doe@example.com"
    assert normalize_email("Jane.Doe@gmail.com", "meta") == "jane.doe@gmail.com"
    # "+suffix" is not in Google's published rule: kept.
    assert normalize_email("jane+news@gmail.com", "google") == "jane+news@gmail.com"


def test_phone_golden_vectors():
    # Published example (digits with country code, no "+"): 911234567891 ->
    want = "efc187bdaca8e73ddffb1b4615e9652bb775721335bc97f47888dfebd9058444"
    assert hash_phone("+91 12345 67891", "meta") == want
    assert hash_phone("0091-1234567891", "meta") == want
    # Google hashes the E.164 form including "+".
    assert normalize_phone("(212) 565-0000", "google") == "+12125650000"
    assert normalize_phone("+44 20 7031 3000", "google") == "+442070313000"
    assert hash_phone("1-212-565-0000", "google") == hashlib.sha256(b"+12125650000").hexdigest()
    assert normalize_phone("12", "google") is None


def test_already_hashed_values_pass_through():
    h = hashlib.sha256(b"someone@example.com").hexdigest()
    assert hash_email(h.upper()) == h
    assert hash_phone(h) == h
    assert hash_email(None) is None and hash_email("  ") is None


def test_payload_hash_is_stable_and_sensitive():
    a = payload_hash({"x": 1, "y": "a"})
    assert a == payload_hash({"y": "a", "x": 1})
    assert a != payload_hash({"x": 2, "y": "a"})
    assert a != payload_hash({"x": 1, "z": "a"})  # field renamed => resend


def test_diff_is_pure_and_mode_aware():
    spec = parse_spec(
        {
            "name": "s",
            "audience": "aud_x",
            "mode": "mirror",
            "primary_key": "id",
            "customer_id_column": "id",
            "channel": "email",
            "mapping": {"id": "id", "v": "v"},
            "destination": {"type": "files", "path": "x"},
        }
    )
    rows = [{"id": "a", "v": 1}, {"id": "b", "v": 2}, {"id": "c", "v": 3}]
    cur, blocked, invalid = build_current(rows, spec, blocked={"c": "no email consent"})
    assert set(cur) == {"a", "b"} and blocked == {"c": "no email consent"} and not invalid
    state = {
        "a": StateRow(cur["a"].row_hash, "a", None),
        "b": StateRow("old", "b", None),
        "z": StateRow("h", "z", None),
        "c": StateRow("h", "c", None),
    }
    plan = diff(cur, state, "mirror", {"c": "no email consent"})
    assert (plan.added, plan.changed, plan.removed, plan.privacy_removed) == (
        [],
        ["b"],
        ["z"],
        {"c": "no email consent"},
    )
    up = diff(cur, state, "upsert", {})
    assert up.removed == [] and up.changed == ["b"]
    ins = diff(cur, state, "insert", {})
    assert ins.changed == [] and ins.added == []
    assert isinstance(next(iter(cur.values())), Current)
