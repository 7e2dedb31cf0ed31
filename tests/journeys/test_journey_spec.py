"""Journey files: the shipped ones are valid; a bad one gets an error naming the file, the line and the
field, and never stops the others."""

from __future__ import annotations

from pathlib import Path

import pytest
from journey_support import ABANDONMENT, spec_of

from orchestration.journeys.spec import JourneySpecError, load_journeys, parse_duration, parse_journey

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "seeds" / "actions.csv"

GOOD = (ROOT / "journeys" / "webinar_no_show.yml").read_text()


def test_the_shipped_journeys_are_valid_against_the_catalog():
    specs, errors = load_journeys(ROOT / "journeys", CATALOG)
    assert errors == []
    assert set(specs) == {"application_abandonment", "webinar_no_show", "onboarding_first_90_days"}
    abandonment = specs["application_abandonment"]
    assert abandonment.split.bounds() == [
        ("control", 0.0, 0.1), ("nudge", 0.1, 0.55), ("nudge_and_reminder", 0.55, 1.0)]


def _error(text: str) -> JourneySpecError:
    with pytest.raises(JourneySpecError) as info:
        parse_journey(text, "journeys/x.yml")
    return info.value


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


@pytest.mark.parametrize(("old", "new", "field", "needle", "reason"), [
    ("within: 14d", "within: 14 days", "trigger.within", "within: 14 days", "invalid duration"),
    ("    expires_after: 48h", "    expires_afer: 48h", "steps[0].expires_afer", "expires_afer", "Extra inputs"),
    ("  event: webinar_attended           # attends", "  event: webinar_atended  # ", "goal.event",
     "webinar_atended", "unknown event"),
    ("control: 0.10", "control: 0.9", "split.control", "control: 0.9", "less than or equal to 0.5"),
    ("{first_name}", "{first_nme}", "actions.webinar_noshow_followup", "webinar_noshow_followup:",
     "unknown personal field {first_nme}"),
    ("match_on: webinar_id", "match_on: application_id", "trigger", "trigger:", "carries webinar_id"),
])
def test_a_bad_value_names_the_file_the_line_and_the_field(old, new, field, needle, reason):
    assert old in GOOD
    text = GOOD.replace(old, new, 1)
    err = _error(text)
    assert (err.file, err.field, err.line) == ("journeys/x.yml", field, _line_of(text, needle)), str(err)
    assert reason in err.reason
    assert str(err).startswith(f"journeys/x.yml:{err.line}: {field}: ")


def test_missing_keys_and_broken_yaml():
    err = _error(GOOD.replace("goal:\n  event: webinar_attended", "gaol:\n  event: webinar_attended"))
    assert err.field in ("gaol", "goal")
    err = _error(GOOD.replace("steps:\n", "steps: [\n", 1))
    assert err.field == "<yaml>" and err.line > 1
    assert _error("- just\n- a list\n").reason == "a journey file must be a YAML mapping"


def test_one_bad_file_never_stops_the_others(tmp_path):
    (tmp_path / "a_good.yml").write_text(GOOD)
    (tmp_path / "b_bad.yml").write_text(GOOD.replace("name: webinar_no_show", "name: other").replace(
        "within: 14d", "within: soon"))
    (tmp_path / "c_dup.yml").write_text(GOOD.replace("name: webinar_no_show", "name: third"))
    (tmp_path / "d_not_in_catalog.yml").write_text(GOOD.replace("name: webinar_no_show", "name: fourth")
                                                   .replace("webinar_noshow_followup", "made_up_action"))
    specs, errors = load_journeys(tmp_path, CATALOG)
    assert list(specs) == ["webinar_no_show"]
    by_file = {Path(e.file).name: e for e in errors}
    assert set(by_file) == {"b_bad.yml", "c_dup.yml", "d_not_in_catalog.yml"}
    assert by_file["b_bad.yml"].field == "trigger.within"
    dup = by_file["c_dup.yml"]
    assert "already belongs to journey webinar_no_show" in dup.reason
    assert dup.line == _line_of(GOOD, "  webinar_noshow_followup:") and dup.field == "actions.webinar_noshow_followup"
    assert "not a journey action of the catalog" in by_file["d_not_in_catalog.yml"].reason


def test_step_rules():
    with pytest.raises(JourneySpecError, match="exactly one of action or branch"):
        spec_of(ABANDONMENT, steps=[{"id": "a", "action": "nudge", "branch": [{"action": "nudge"}]}])
    with pytest.raises(JourneySpecError, match="only the last branch"):
        spec_of(ABANDONMENT, steps=[{"id": "a", "branch": [{"action": "nudge"}, {"action": "reminder"}]}])
    with pytest.raises(JourneySpecError, match="unknown arm"):
        spec_of(ABANDONMENT, steps=[{"id": "a", "action": "nudge", "arms": ["b"]}])
    with pytest.raises(JourneySpecError, match="has no content"):
        spec_of(ABANDONMENT, steps=[{"id": "a", "action": "nope"}])


@pytest.mark.parametrize("reserved", ["control", "all"])
def test_control_and_all_are_not_arm_names(reserved):
    # 'all' is the pooled treated arms in agg_journey_performance and agg_experiment_results
    split = {**ABANDONMENT["split"], "arms": {reserved: 1.0}}
    with pytest.raises(JourneySpecError, match="other than 'control' and 'all'"):
        spec_of(ABANDONMENT, split=split, steps=[{"id": "a", "action": "nudge"}])


def test_durations():
    assert parse_duration("90m").total_seconds() == 5400
    assert parse_duration("2w").days == 14 and parse_duration(0).total_seconds() == 0
    with pytest.raises(ValueError):
        parse_duration("3 fortnights")
