"""Audience models and the marketer CLI on the shared built (and published) warehouse."""

from __future__ import annotations

import duckdb
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from orchestration.activation.cli import app, audiences_app, sync_app
from orchestration.activation.hashing import hash_email

AUDIENCES = {
    "aud_newcomer_onboarding_nurture": "consent_email",
    "aud_webinar_invite_consideration": "consent_email",
    "aud_churn_risk_retention": "consent_email",
    "aud_key_account_retention": "consent_email",
    "aud_wholesaler_call_list": "consent_phone",
    "aud_paid_media_seed": "consent_ads",
}

runner = CliRunner()


@pytest.fixture(scope="module")
def published(built_warehouse):
    con = duckdb.connect(str(built_warehouse.publish_dir / "cjo.duckdb"), read_only=True)
    yield con
    con.close()


@pytest.mark.parametrize(("audience", "consent"), sorted(AUDIENCES.items()))
def test_audience_members_have_consent_and_are_not_held_out(published, audience, consent):
    bad = published.execute(
        f"""
        select count(*) from activation.{audience} a
        left join marts.dim_customers c using (customer_id)
        left join marts.dim_customer_holdouts h using (customer_id)
        where c.customer_id is null or not c.{consent} or coalesce(h.is_global_holdout, false)
        """
    ).fetchone()[0]
    assert bad == 0


def test_most_audiences_are_not_empty_on_the_fixture(published):
    sizes = {a: published.execute(f"select count(*) from activation.{a}").fetchone()[0] for a in AUDIENCES}
    assert sum(1 for n in sizes.values() if n > 0) >= 3, sizes


def test_paid_media_hashes_match_the_python_google_rules(published):
    rows = published.execute(
        "select s.email_sha256, c.email from activation.aud_paid_media_seed s "
        "join marts.dim_customers c using (customer_id)"
    ).fetchall()
    assert all(h == hash_email(e, "google") for h, e in rows)
    assert all(len(h) == 64 for h, _ in rows)


def test_call_list_within_capacity_and_ranked(published):
    """The ledger's wholesaler_capacity rule is the only capacity fence: a list never holds more calls
    (or meetings) than the wholesaler's weekly capacity (var nba_wholesaler_weekly_capacity)."""
    rows = published.execute(
        "select wholesaler_id, count(*), max(call_rank), count(distinct call_rank), "
        "count(*) filter (where channel = 'wholesaler_call'), count(*) filter (where channel = 'wholesaler_meeting') "
        "from activation.aud_wholesaler_call_list group by 1"
    ).fetchall()
    for _, n, top, distinct, calls, meetings in rows:
        assert top == n == distinct
        assert calls <= 40 and meetings <= 20


def test_membership_history_has_one_open_stay_per_current_member(published):
    for audience in AUDIENCES:
        members = published.execute(f"select count(*) from activation.{audience}").fetchone()[0]
        open_stays = published.execute(
            "select count(*) from activation.fct_audience_membership where audience = ? and exited_at is null",
            [audience],
        ).fetchone()[0]
        assert open_stays == members


def test_cli_exposes_the_typer_apps_cjo_mounts():
    assert {c.name for c in audiences_app.registered_commands} == {"list", "show", "preview", "export", "why"}
    assert {c.name for c in sync_app.registered_commands} == {"list", "run", "plan", "status"}


def test_cli_list_show_preview(built_warehouse, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")  # rich wraps long names in narrow terminals
    out = runner.invoke(app, ["audiences", "list"], terminal_width=200)
    assert out.exit_code == 0, out.output
    for a in AUDIENCES:
        assert a in out.output
    show = runner.invoke(app, ["audiences", "show", "aud_wholesaler_call_list"], terminal_width=200)
    assert show.exit_code == 0, show.output
    assert "sales-ops" in show.output and "wholesaler_call_list -> postgres" in show.output
    prev = runner.invoke(
        app, ["audiences", "preview", "aud_newcomer_onboarding_nurture", "--limit", "3"], terminal_width=250
    )
    assert prev.exit_code == 0 and "customer_id" in prev.output


def test_cli_export_csv_and_parquet(built_warehouse, published, tmp_path):
    n = published.execute("select count(*) from activation.aud_webinar_invite_consideration").fetchone()[0]
    csv_out = tmp_path / "w.csv"
    res = runner.invoke(
        app, ["audiences", "export", "aud_webinar_invite_consideration", "--format", "csv", "--out", str(csv_out)]
    )
    assert res.exit_code == 0, res.output
    assert len(csv_out.read_text().splitlines()) == n + 1
    pq_out = tmp_path / "w.parquet"
    res = runner.invoke(
        app, ["audiences", "export", "aud_webinar_invite_consideration", "--format", "parquet", "--out", str(pq_out)]
    )
    assert res.exit_code == 0 and pq.read_table(pq_out).num_rows == n


def test_cli_why_in_and_out(built_warehouse, published):
    member = published.execute("select customer_id from activation.aud_newcomer_onboarding_nurture limit 1").fetchone()
    assert member is not None
    res = runner.invoke(app, ["audiences", "why", "aud_newcomer_onboarding_nurture", member[0]], terminal_width=250)
    assert res.exit_code == 0, res.output
    assert "aud_newcomer_onboarding_nurture: IN (action nurture_email)" in res.output
    assert "persona=newcomer" in res.output
    outsider = published.execute(
        "select customer_id from marts.dim_customers where persona = 'seasoned' limit 1"
    ).fetchone()[0]
    res = runner.invoke(app, ["audiences", "why", "aud_newcomer_onboarding_nurture", outsider], terminal_width=250)
    assert "aud_newcomer_onboarding_nurture: NOT in" in res.output and "persona=seasoned" in res.output
    assert "filter fails: is_newcomer (persona = 'newcomer')" in res.output


def test_cli_unknown_audience_is_a_clear_error(built_warehouse):
    res = runner.invoke(app, ["audiences", "show", "aud_nope"])
    assert res.exit_code == 2 and "unknown audience 'aud_nope'" in res.output
