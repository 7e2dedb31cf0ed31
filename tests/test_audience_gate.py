"""The one gate, at its seams: audiences and the ledger, `why` and membership.

- Every aud_* model is declared the same way (its actions, its filters, its sync), carries the
  passes_eligibility_gate test and takes its members from the evaluation of its own declaration; a new
  audience written around the gate fails here before it fails in production.
- On the built fixture: every audience row has an eligible ledger row; `cjo why` says IN exactly for the
  members of every audience, for every customer (both directions), and names every blocking clause.
"""

from __future__ import annotations

import csv
import re

import duckdb
import pytest
from pipeline_support import ROOT

from orchestration.activation import audiences as aud
from orchestration.activation.manifest import audience_nodes, load_manifest, node_meta

SEED_ACTIONS = {row["action"] for row in csv.DictReader((ROOT / "seeds" / "actions.csv").open())}
LEDGER_RULES = {
    "forgotten", "action_disabled", "compliance_suppressed", "stage_not_eligible", "persona_not_eligible",
    "no_consent", "no_contact_point", "no_wholesaler", "quiet_period", "frequency_cap", "not_profitable",
    "global_holdout", "wholesaler_capacity", "outranked", "action_holdout",
}


@pytest.fixture(scope="module")
def audiences(dbt_manifest):
    nodes = audience_nodes(load_manifest(dbt_manifest))
    assert len(nodes) >= 5
    return nodes


def _tests_on(manifest: dict, model_id: str) -> set[str]:
    return {
        n["test_metadata"]["name"]
        for n in manifest["nodes"].values()
        if n["resource_type"] == "test" and n.get("test_metadata") and n.get("attached_node") == model_id
    }


def test_every_audience_declares_what_it_serves_and_carries_the_gate_test(audiences, dbt_manifest):
    manifest = load_manifest(dbt_manifest)
    for node in audiences:
        declared = node_meta(node).get("audience") or {}
        assert declared.get("serves"), f"{node['name']}: meta.audience.serves is missing"
        assert set(declared["serves"]) <= SEED_ACTIONS, f"{node['name']} serves an action not in the catalog"
        assert {"customer_id", "action"} <= set(node["columns"]), f"{node['name']} lacks customer_id/action"
        assert "passes_eligibility_gate" in _tests_on(manifest, node["unique_id"]), node["name"]
        assert node["config"]["contract"]["enforced"], f"{node['name']} has no enforced contract"


def test_every_audience_is_an_exposure_of_the_application_it_feeds(audiences, dbt_manifest):
    manifest = load_manifest(dbt_manifest)
    exposed = {dep for e in manifest.get("exposures", {}).values() for dep in e["depends_on"]["nodes"]}
    for node in audiences:
        assert node["unique_id"] in exposed, f"{node['name']} has no dbt exposure"
        assert node["config"].get("access") == "public", f"{node['name']} must be public (an exposure reads it)"


def _macro_body(path, name: str) -> str:
    """The text of one {% macro name(...) %} ... {% endmacro %} block of a macros file."""
    found = re.search(r"\{% macro " + name + r"\(.*?\{%-? endmacro", path.read_text(), re.S)
    assert found, f"no macro {name} in {path}"
    return found.group(0)


def test_every_audience_takes_its_members_from_its_own_declaration(audiences):
    # A journey audience is its whole body in cjo.journey_audience('<itself>', ledger, columns): the macro must
    # then do what every other aud_* model does in its own SQL.
    journey_body = _macro_body(ROOT / "macros" / "audiences.sql", "journey_audience")
    for node in audiences:
        sql = (ROOT / node["original_file_path"]).read_text()
        names = re.findall(r"(?:audience_members|journey_audience)\('([a-z0-9_]+)'", sql)
        assert names == [node["name"]], f"{node['name']} must call cjo.audience_members('{node['name']}')"
        if "journey_audience(" in sql:
            # The model passes the ledger (its ref stands in the model's own file); the macro filters it.
            assert "journey_audience('" + node["name"] + "', ref('fct_action_eligibility')," in sql, node["name"]
            assert "audience_members(audience)" in journey_body, "journey_audience must take its audience's members"
            sql += journey_body
        assert "ref('fct_action_eligibility')" in sql and "where is_eligible" in sql, node["name"]


@pytest.fixture(scope="module")
def published(built_warehouse):
    con = duckdb.connect(str(built_warehouse.publish_dir / "cjo.duckdb"), read_only=True)
    yield con
    con.close()


def test_every_audience_row_has_an_eligible_ledger_row(published, audiences):
    for node in audiences:
        bad = published.execute(
            f"""select count(*) from activation.{node['name']} a
                left join marts.fct_action_eligibility e on a.customer_id = e.customer_id and a.action = e.action
                where not coalesce(e.is_eligible, false)"""
        ).fetchone()[0]
        assert bad == 0, node["name"]


def test_why_agrees_with_membership_for_every_customer_both_ways(published, audiences, built_warehouse):
    """For every customer of the fixture and every audience: `why` says IN exactly when the customer is a
    member, and when it says NOT in it names at least one clause, each one a real ledger rule or a
    declared filter."""
    customers = [r[0] for r in published.execute("select customer_id from marts.dim_customers").fetchall()]
    members = {
        node["name"]: {r[0] for r in published.execute(f"select customer_id from activation.{node['name']}").fetchall()}
        for node in audiences
    }
    filters = {node["name"]: set(node_meta(node)["audience"].get("where") or {}) for node in audiences}
    assert sum(len(m) for m in members.values()) > 0
    checked = 0
    for cid in customers:
        said_in: dict[str, bool] = {}
        for v in aud.verdicts(published, cid):
            said_in[v.audience] = said_in.get(v.audience, False) or v.is_member
            if not v.is_member:
                assert v.blocked_reasons or v.failed_filters, (cid, v)
                assert set(v.blocked_reasons) <= LEDGER_RULES, (cid, v)
                assert set(v.failed_filters) <= filters[v.audience], (cid, v)
        for name, in_it in members.items():
            assert said_in.get(name, False) == (cid in in_it), (cid, name)
            checked += 1
    assert checked == len(customers) * len(audiences)


def test_why_lists_every_failing_rule_not_just_the_first(published):
    row = published.execute(
        "select customer_id, action, blocked_reasons from marts.fct_action_eligibility "
        "where blocked_reasons like '%|%|%' limit 1"
    ).fetchone()
    assert row is not None, "the fixture has no row blocked by three rules"
    cid, action, reasons = row
    lines = "\n".join(aud.why(cid, action=action))
    assert f"the ledger blocks {action}: {reasons.replace('|', ', ')}" in lines
