"""Files and ad-audience destinations: atomic per-run files with manifests, hashed identifiers only."""

from __future__ import annotations

import csv
import hashlib
import json

import pyarrow.parquet as pq
from activation_support import allowed, query, spec_dict, write_warehouse

from orchestration.activation.engine import run_sync
from orchestration.activation.spec import parse_spec


def files_spec(tmp_path, fmt="csv"):
    return parse_spec(spec_dict("file_sync", {"type": "files", "path": str(tmp_path / "out"), "format": fmt}))


def _manifests(folder):
    return sorted(folder.glob("*.manifest.json"))


def test_csv_file_per_run_with_manifest_and_no_temp_files(warehouse, tmp_path):
    db, persons = warehouse
    res = run_sync(files_spec(tmp_path), db_path=db)
    out = tmp_path / "out"
    (m,) = _manifests(out)
    manifest = json.loads(m.read_text())
    data = out / manifest["file"]
    assert manifest["rows"] == 60 == res.acked and manifest["ops"] == {"upsert": 60}
    assert manifest["sha256"] == hashlib.sha256(data.read_bytes()).hexdigest()
    rows = list(csv.DictReader(data.open()))
    assert {r["_key"] for r in rows} == set(allowed(persons))
    assert not list(out.glob(".*tmp"))
    # Unchanged: no new file. A change: a new file with only that change.
    assert run_sync(files_spec(tmp_path), db_path=db).sent == 0 and len(_manifests(out)) == 1
    persons[2].in_audience = False
    write_warehouse(db, persons)
    run_sync(files_spec(tmp_path), db_path=db)
    (m1, m2) = _manifests(out)
    newest = max((m1, m2), key=lambda p: json.loads(p.read_text())["written_at"])
    assert json.loads(newest.read_text())["ops"] == {"delete": 1}


def test_parquet_format(warehouse, tmp_path):
    db, _ = warehouse
    run_sync(files_spec(tmp_path, "parquet"), db_path=db)
    (m,) = _manifests(tmp_path / "out")
    table = pq.read_table(tmp_path / "out" / json.loads(m.read_text())["file"])
    assert table.num_rows == 60 and table.column_names == ["_op", "_key", "customer_id", "email", "score"]


def ads_spec(tmp_path, platform="google"):
    d = spec_dict(
        "ads_sync",
        {
            "type": "ads",
            "platform": platform,
            "sink": "file",
            "path": str(tmp_path / "ads"),
            "email_field": "email",
            "phone_field": "phone",
        },
    )
    d["channel"] = "ads"
    d["mapping"] = {"customer_id": "customer_id", "email": "email", "phone": "phone"}
    return parse_spec(d)


def test_ads_file_holds_only_hashes_and_respects_ads_consent(warehouse, tmp_path):
    db, persons = warehouse
    persons[5].consent_ads = False
    persons[6].phone = None
    write_warehouse(db, persons)
    run_sync(ads_spec(tmp_path), db_path=db)
    (m,) = _manifests(tmp_path / "ads")
    rows = list(csv.DictReader((tmp_path / "ads" / json.loads(m.read_text())["file"]).open()))
    assert {r["_key"] for r in rows} == set(allowed(persons, "ads"))
    by_key = {r["_key"]: r for r in rows}
    p = persons[1]
    assert by_key[p.customer_id]["email"] == hashlib.sha256(b"person.1@example.com").hexdigest()
    assert by_key[p.customer_id]["phone"] == hashlib.sha256(b"+15550010001").hexdigest()
    assert by_key[persons[6].customer_id]["phone"] == ""
    blob = "".join(f.read_text() for f in (tmp_path / "ads").iterdir())
    assert "@" not in blob  # no raw email anywhere
    # State keeps the hashed payload so a removal can name the identifiers; never a raw email.
    payloads = [json.loads(p) for (p,) in query(db, "select payload from ops.sync_state")]
    assert payloads and all("@" not in json.dumps(x) for x in payloads)


def test_ads_removal_carries_hashed_identifiers(warehouse, tmp_path):
    db, persons = warehouse
    run_sync(ads_spec(tmp_path), db_path=db)
    persons[3].consent_ads = False
    write_warehouse(db, persons)
    res = run_sync(ads_spec(tmp_path), db_path=db)
    assert res.privacy_removed == 1
    newest = max(_manifests(tmp_path / "ads"), key=lambda p: json.loads(p.read_text())["written_at"])
    rows = list(csv.DictReader((tmp_path / "ads" / json.loads(newest.read_text())["file"]).open()))
    assert rows == [
        {
            "_op": "delete",
            "_key": persons[3].customer_id,
            "customer_id": persons[3].customer_id,
            "email": hashlib.sha256(b"person.3@example.com").hexdigest(),
            "phone": hashlib.sha256(b"+15550030003").hexdigest(),
        }
    ]


def test_ads_http_sink_shaped_like_google_api(warehouse, webhook):
    db, persons = warehouse
    d = spec_dict(
        "ads_http",
        {
            "type": "ads",
            "platform": "google",
            "sink": "http",
            "url_env": "CJO_TEST_HOOK_URL",
            "secret_env": "CJO_TEST_HOOK_SECRET",
            "email_field": "email",
            "phone_field": None,
        },
    )
    d["channel"] = "ads"
    d["mapping"] = {"customer_id": "customer_id", "email": "Email".lower()}
    res = run_sync(parse_spec(d), db_path=db)
    assert res.acked == 60 and webhook.rx.bad_signatures == 0
    op = webhook.rx.bodies[0]["operations"][0]
    assert set(op) == {"create", "key"}
    assert op["create"] == {
        "userIdentifiers": [{"hashedEmail": hashlib.sha256(persons[0].email.lower().encode()).hexdigest()}]
    }
