"""Content declared once, rendered per channel; a missing personal field gets a fallback, never a blank."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from orchestration.journeys.channels import ChannelOption, choose_channel
from orchestration.journeys.content import CHANNELS, FIELD_FALLBACKS, SMS_LIMIT, Message, render

MSG = Message("{first_name}, your application is almost done",
              "You stopped at step {application_step} of application {application_id}.",
              "Finish it", "https://portal.example.com/a/{application_id}", {"first_name": "Hello"})


def test_each_channel_gets_its_own_shape():
    fields = {"first_name": "Ada", "application_step": "3", "application_id": "A1", "full_name": "Ada Lovelace",
              "firm_name": "Analytical LLC", "phone": "+15550001"}
    email = render(MSG, "email", fields)
    assert email["subject"] == "Ada, your application is almost done"
    assert email["text"].endswith("Finish it: https://portal.example.com/a/A1")
    assert '<a href="https://portal.example.com/a/A1">Finish it</a>' in email["html"]
    sms = render(MSG, "sms", fields)["text"]
    assert len(sms) <= SMS_LIMIT and sms.endswith("https://portal.example.com/a/A1 Reply STOP to opt out.")
    assert render(MSG, "in_app", fields) == {"title": "Ada, your application is almost done",
                                             "body": "You stopped at step 3 of application A1.",
                                             "cta_label": "Finish it", "cta_url": "https://portal.example.com/a/A1"}
    script = render(MSG, "wholesaler_call", fields)["script"]
    assert script.startswith("Call Ada Lovelace (Analytical LLC), +15550001.")


def test_missing_fields_get_the_declared_fallback_then_the_default():
    email = render(MSG, "email", {"first_name": "  ", "application_step": None})
    assert email["subject"] == "Hello, your application is almost done"  # the action's own fallback
    assert f"step {FIELD_FALLBACKS['application_step']} of application {FIELD_FALLBACKS['application_id']}" \
        in email["text"]


def test_html_is_escaped():
    page = render(MSG, "email", {"first_name": "<b>x</b>", "application_id": "1&2"})["html"]
    assert "<b>" not in page and "1&amp;2" in page


values = st.one_of(st.none(), st.just(""), st.just("   "), st.text(max_size=300))


@given(st.fixed_dictionaries({name: values for name in FIELD_FALLBACKS}), st.sampled_from(CHANNELS))
def test_never_a_blank_never_a_placeholder_sms_fits(fields, channel):
    out = render(MSG, channel, fields)
    assert out and all(isinstance(v, str) and v.strip() for v in out.values())
    assert not any(re.search(r"\{[a-z_]+\}", v) for v in out.values())
    if channel == "sms":
        assert len(out["text"]) <= SMS_LIMIT


def test_channel_of_choice():
    def opt(c, usable=True, stated=False, rate=None):
        return ChannelOption(c, usable, stated, rate)

    allowed = ["email", "sms", "in_app"]
    # a stated preference wins over history
    stated = {"email": opt("email", rate=0.3), "sms": opt("sms", stated=True)}
    assert choose_channel(allowed, stated) == ("sms", "stated")
    # ... unless the customer cannot be reached there (no consent): then learned
    assert choose_channel(allowed, {"email": opt("email", rate=0.3), "sms": opt("sms", usable=False, stated=True),
                                    "in_app": opt("in_app", rate=0.05)}) == ("email", "learned")
    # learned: the best response rate, if it stands out
    learned = {"email": opt("email", rate=0.02), "sms": opt("sms", rate=0.2)}
    assert choose_channel(allowed, learned) == ("sms", "learned")
    assert choose_channel(allowed, {"email": opt("email", rate=0.100), "sms": opt("sms", rate=0.105)}) == (
        "email", "journey_order")
    # no history: the journey's order among reachable channels
    assert choose_channel(allowed, {"email": opt("email", usable=False), "sms": opt("sms")}) == ("sms", "journey_order")
    # nobody reachable: the first channel, flagged, so the ledger names the rule that blocks it
    assert choose_channel(allowed, {}) == ("email", "none_usable")
