"""Channel-agnostic content: a message is declared once per action (title, body, call to action, with
personal fields in braces) and rendered for the channel it goes out on.

- ``email``: subject, plain-text body and a minimal HTML body (escaped), the CTA as a link;
- ``sms``: one text of at most 160 characters: the title, as much of the body as fits, the CTA link and
  the opt-out instruction the carriers require;
- ``in_app``: the webhook payload for the advisor portal's notification inbox (title, body, CTA);
- ``wholesaler_call``: a call script for the wholesaler: who, why, talking points, the ask.

A personal field with no value gets its fallback (the action's ``fallbacks``, else the default below),
never a blank: "Hi {first_name}" renders "Hi there" when the name is unknown. A placeholder that is not a
known field is a spec error (orchestration/journeys/spec.py), so rendering never meets one.
"""

from __future__ import annotations

import html
import string
from collections.abc import Mapping
from dataclasses import dataclass

CHANNELS = ("email", "sms", "in_app", "wholesaler_call")

# Every personal field a message may use, with the fallback used when the customer has no value.
# Customer fields come from marts.dim_customers, the others from the event that started the journey.
FIELD_FALLBACKS: dict[str, str] = {
    "first_name": "there",
    "full_name": "there",
    "firm_name": "your firm",
    "phone": "the number on file",
    "application_id": "your application",
    "application_step": "the next",
    "started_on": "recently",
    "webinar_id": "our recent webinar",
    "entered_on": "recently",
    "stage": "your relationship with us",
}

SMS_LIMIT = 160  # one GSM-7 segment; longer texts are split and billed per segment
SMS_OPT_OUT = "Reply STOP to opt out."


def placeholders(template: str) -> list[str]:
    """The field names a template uses; raises ValueError on a malformed template or a field with a
    format spec, conversion or attribute access (only plain ``{field}`` is allowed)."""
    names = []
    for _, field, spec, conversion in string.Formatter().parse(template):
        if field is None:
            continue
        if not field.isidentifier() or spec or conversion:
            raise ValueError(f"placeholder {{{field}{'!' + conversion if conversion else ''}"
                             f"{':' + spec if spec else ''}}} must be a plain {{field}}")
        names.append(field)
    return names


@dataclass(frozen=True)
class Message:
    title: str
    body: str
    cta_label: str
    cta_url: str
    fallbacks: Mapping[str, str]


def fill(template: str, fields: Mapping[str, object], fallbacks: Mapping[str, str]) -> str:
    """The template with each field's value, or its fallback when the value is missing or blank."""
    values = {}
    for name in placeholders(template):
        value = fields.get(name)
        text = "" if value is None else str(value).strip()
        values[name] = text or fallbacks.get(name) or FIELD_FALLBACKS[name]
    return template.format(**values)


def _truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: max(limit - 1, 0)].rsplit(" ", 1)[0] if limit > 1 else ""
    return (cut.rstrip(" ,.;:") + "…") if limit > 0 else ""


def render(message: Message, channel: str, fields: Mapping[str, object]) -> dict[str, str]:
    """The message for ``channel`` as a flat dict: subject, text, html (email), text (sms), title/body/
    cta (in_app), script (wholesaler_call). Every value is non-empty."""
    fb = message.fallbacks
    title, body = fill(message.title, fields, fb), fill(message.body, fields, fb)
    label, url = fill(message.cta_label, fields, fb), fill(message.cta_url, fields, fb)
    if channel == "email":
        text = f"{body}\n\n{label}: {url}"
        page = (f"<p>{html.escape(body)}</p>\n<p><a href=\"{html.escape(url, quote=True)}\">"
                f"{html.escape(label)}</a></p>")
        return {"subject": title, "text": text, "html": page, "cta_label": label, "cta_url": url}
    if channel == "sms":
        tail = f" {url} {SMS_OPT_OUT}"
        room = SMS_LIMIT - len(tail)
        head = _truncate(f"{title}: {body}", room)
        return {"text": head + tail, "cta_url": url}
    if channel == "in_app":
        return {"title": title, "body": body, "cta_label": label, "cta_url": url}
    if channel == "wholesaler_call":
        who = fill("{full_name} ({firm_name}), {phone}", fields, fb)
        script = (f"Call {who}.\nWhy now: {title}.\nTalking points: {body}\n"
                  f"Ask: {label} ({url}). Log the outcome in the CRM.")
        return {"script": script, "title": title, "cta_label": label, "cta_url": url}
    raise ValueError(f"unknown channel {channel!r}; known: {', '.join(CHANNELS)}")


def headline(rendered: dict[str, str]) -> str:
    """One line that names the message on any channel (subject, title or the SMS text)."""
    return rendered.get("subject") or rendered.get("title") or rendered.get("text") or ""


def body_text(rendered: dict[str, str]) -> str:
    """The main text on any channel (email text, SMS text, in-app body, call script)."""
    return rendered.get("text") or rendered.get("body") or rendered.get("script") or ""
