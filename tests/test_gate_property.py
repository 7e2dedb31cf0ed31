"""Property: no audience row and no synced payload row breaks any contact rule, for every combination of
consent flips per channel, an ESP unsubscribe, compliance holds, deletion requests, frequency-cap and
quiet-period histories, wholesaler capacity and holdout membership.

The population (tests/gate_population.py) is every combination of those dimensions, with contact
histories drawn by Hypothesis; the project is built ONCE on it (a scratch copy, so the compliance seed can
hold the generated holds), every audience is synced to files, and an oracle written from the raw events
alone (no SQL of the project) checks each row. It can fail: any audience or sync that skips the gate
sends someone the oracle forbids.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import duckdb
import pytest
from gate_population import (
    AS_OF,
    CALLS_PER_WEEK,
    MEETINGS_PER_WEEK,
    WHOLESALERS,
    population,
    slots_used,
    violations,
    write_raw,
    write_suppressions,
)
from pipeline_support import ROOT, VENV_BIN

pytestmark = pytest.mark.slow

PROJECT_PARTS = ("models", "macros", "seeds", "tests/dbt", "dbt_project.yml", "profiles.yml")


def _catalog() -> dict[str, dict[str, str]]:
    return {r["action"]: r for r in csv.DictReader((ROOT / "seeds" / "actions.csv").open())}


def _copy_project(dest: Path) -> Path:
    for part in PROJECT_PARTS:
        src = ROOT / part
        (shutil.copytree if src.is_dir() else shutil.copyfile)(src, dest / part)
    return dest


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from orchestration import landing
    from orchestration.contract import TABLES

    root = tmp_path_factory.mktemp("gate_property")
    project = _copy_project(root / "project")
    people = population()
    write_suppressions(people, project / "seeds" / "compliance_suppressions.csv")
    write_raw(people, root / "raw", {(t.source, t.name): [c.name for c in t.columns] for t in TABLES})
    landing.land(root / "raw", root / "landing")
    env = {"CJO_LANDING_DIR": str(root / "landing"), "CJO_DUCKDB_PATH": str(root / "wh.duckdb"),
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "PATH": str(VENV_BIN)}
    # Every model and data test on the population; not the dbt unit tests: they read only their own
    # given rows, never this population, and `make test` runs them in the fixture build.
    proc = subprocess.run(
        [str(VENV_BIN / "dbt"), "build", "--quiet", "--project-dir", str(project), "--profiles-dir", str(project),
         "--exclude-resource-type", "unit_test", "--vars", f"{{as_of_ts: '{AS_OF:%Y-%m-%d %H:%M:%S}'}}"],
        cwd=project, env=env, capture_output=True, text=True, timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    con = duckdb.connect(str(root / "wh.duckdb"), read_only=True)
    ids = dict(con.execute("select advisor_id, customer_id from marts.dim_customers").fetchall())
    con.close()
    for p in people:
        p.customer_id = ids.get(p.advisor_id)
    return root, people


@pytest.fixture(scope="module")
def synced(built, dbt_manifest):
    """Every declared audience synced to a files destination; returns {audience: payload rows}."""
    from orchestration.activation.engine import run_sync
    from orchestration.activation.spec import FilesDestination, load_specs

    root, _ = built
    payloads: dict[str, list[dict]] = {}
    for spec in load_specs().values():
        out = root / "out" / spec.name
        files = spec.model_copy(update={"destination": FilesDestination(type="files", path=str(out))})
        res = run_sync(files, db_path=root / "wh.duckdb", force=True)
        assert res.status == "success", res
        payloads[spec.audience] = [r for f in sorted(out.glob("*.csv")) for r in csv.DictReader(f.open())
                                   if r.get("_op") != "delete"]
    return payloads


def _audience_rows(root: Path) -> dict[str, list[tuple[str, str]]]:
    con = duckdb.connect(str(root / "wh.duckdb"), read_only=True)
    try:
        names = [r[0] for r in con.execute("select table_name from information_schema.tables "
                                           "where table_schema = 'activation' and table_name like 'aud%'").fetchall()]
        return {n: con.execute(f"select customer_id, action from activation.{n}").fetchall() for n in names}
    finally:
        con.close()


def _check(people_by_cid, catalog, rows, where: str) -> list[str]:
    bad = []
    for cid, action in rows:
        a = catalog[action]
        broken = violations(people_by_cid[cid], action, a["channel"], a["requires_consent"], a["arbitration"])
        if broken:
            bad.append(f"{where}: {cid} got {action} despite {', '.join(broken)}")
    return bad


def test_no_audience_row_breaks_a_rule(built):
    root, people = built
    by_cid = {p.customer_id: p for p in people if p.customer_id}
    audiences = _audience_rows(root)
    assert len(audiences) >= 5
    assert sum(1 for rows in audiences.values() if rows) >= 4, {k: len(v) for k, v in audiences.items()}
    bad = [m for name, rows in audiences.items() for m in _check(by_cid, _catalog(), rows, name)]
    assert not bad, "\n".join(bad[:20])


def test_no_synced_payload_row_breaks_a_rule(built, synced):
    _, people = built
    by_cid = {p.customer_id: p for p in people if p.customer_id}
    catalog = _catalog()
    root, _ = built
    actions = {name: dict(rows) for name, rows in _audience_rows(root).items()}
    assert sum(len(v) for v in synced.values()) > 0
    bad = []
    for audience, rows in synced.items():
        pairs = [(r["customer_id"], r.get("action") or actions[audience].get(r["customer_id"])) for r in rows]
        assert all(action for _, action in pairs), audience
        bad += _check(by_cid, catalog, pairs, f"sync of {audience}")
    assert not bad, "\n".join(bad[:20])


def test_one_contact_per_customer_and_wholesaler_capacity(built):
    root, people = built
    catalog = _catalog()
    audiences = _audience_rows(root)
    contacts = Counter(cid for rows in audiences.values() for cid, action in rows
                       if catalog[action]["arbitration"] == "exclusive")
    assert max(contacts.values(), default=0) <= 1
    wholesaler_of = {p.customer_id: p.wholesaler for p in people if p.customer_id}
    for w in WHOLESALERS:
        calls, meetings = slots_used(people, w)
        rows = [catalog[a]["channel"] for cid, a in audiences["aud_wholesaler_call_list"] if wholesaler_of[cid] == w]
        assert rows.count("wholesaler_call") <= max(CALLS_PER_WEEK - calls, 0), w
        assert rows.count("wholesaler_meeting") <= max(MEETINGS_PER_WEEK - meetings, 0), w


def test_the_population_exercises_every_rule(built):
    """Not vacuous: for each rule, someone the catalog would otherwise target is blocked by it."""
    _, people = built
    # The daily actions: a journey action's channel is the customer's channel of choice, decided per
    # journey step (tests/journeys); this population has no journey events.
    catalog = {a: r for a, r in _catalog().items() if r["trigger"] == "daily"}
    seen = Counter(rule for p in people for action, a in catalog.items()
                   for rule in violations(p, action, a["channel"], a["requires_consent"], a["arbitration"]))
    for rule in ("deletion request", "compliance hold", "no email consent", "no phone consent", "no ads consent",
                 "global holdout", "action holdout", "email frequency cap", "call frequency cap",
                 "meeting frequency cap", "quiet period"):
        assert seen[rule] > 0, rule
