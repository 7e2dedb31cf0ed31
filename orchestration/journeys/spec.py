"""Journeys as code: ``journeys/*.yml``, one journey per file, validated by pydantic.

A journey has a trigger (an event; an event followed by the absence of another within a window; entry
into a stage; a score crossing a threshold; inactivity for a while), entry conditions and re-entry rules,
steps (waits, branches, actions, guards), an A/B split with a control share, a goal and exit conditions,
and the content of each action it sends (declared once, rendered per channel: content.py).

Errors name the file, the LINE and the field (``journeys/x.yml:14: trigger.within: ...``), and one bad
file never stops the others: :func:`load_journeys` returns the valid journeys and the errors side by
side. Cross-file rules (unique names, an action owned by one journey, actions that are journey actions of
the catalog ``seeds/actions.csv``) are checked there too, with the line of the offending key.
"""

from __future__ import annotations

import csv
import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from orchestration.journeys import yaml_lines
from orchestration.journeys.content import CHANNELS, FIELD_FALLBACKS, Message, placeholders
from orchestration.journeys.events import EVENTS

_IDENT = re.compile(r"^[a-z][a-z0-9_]*$")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(m|h|d|w)\s*$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
Channel = Literal["email", "sms", "in_app", "wholesaler_call"]
assert set(Channel.__args__) == set(CHANNELS)  # type: ignore[attr-defined]


def parse_duration(value: object) -> timedelta:
    """``30m``, ``48h``, ``7d``, ``2w`` (or 0) -> timedelta."""
    if value == 0 or value == "0":
        return timedelta(0)
    m = _DURATION.match(str(value)) if isinstance(value, str) else None
    if not m:
        raise ValueError(f"invalid duration {value!r}: use a number and a unit, e.g. 30m, 48h, 7d, 2w")
    return timedelta(**{_UNITS[m.group(2)]: float(m.group(1))})


Duration = Annotated[timedelta, Field(json_schema_extra={"format": "duration like 48h"})]


class _Strict(BaseModel):
    # Unknown keys are typos (`wiat: 2d`), and a typo silently ignored is a journey that runs wrong.
    model_config = ConfigDict(extra="forbid", frozen=True)


def _durations(*names: str):
    def check(cls, v: object) -> object:
        return None if v is None else parse_duration(v)
    return field_validator(*names, mode="before")(classmethod(check))


def _event(name: str) -> str:
    if name not in EVENTS:
        raise ValueError(f"unknown event {name!r}; known: {', '.join(EVENTS)}")
    return name


def _clauses(v: dict[str, str] | None) -> dict[str, str] | None:
    for name, sql in (v or {}).items():
        if not _IDENT.match(name):
            raise ValueError(f"clause names are lower-case identifiers, got {name!r}")
        if not isinstance(sql, str) or not sql.strip() or ";" in sql:
            raise ValueError(f"clause {name!r} must be one SQL condition (no ';')")
    return v


# ------------------------------------------------------------------------------------------ triggers


class EventTrigger(_Strict):
    """Fires on each occurrence of ``event`` (optionally only for one subject, e.g. a stage)."""

    type: Literal["event"]
    event: str
    subject: str | None = Field(None, description="Only events with this subject_id (e.g. a stage).")
    _check = field_validator("event")(classmethod(lambda cls, v: _event(v)))


class AbsenceTrigger(_Strict):
    """``event`` followed by no ``absent`` event within ``within``: fires when the window closes."""

    type: Literal["absence"]
    event: str
    absent: str
    within: Duration
    match_on: str | None = Field(None, description="Subject both events must share (e.g. application_id).")
    _d = _durations("within")
    _check = field_validator("event", "absent")(classmethod(lambda cls, v: _event(v)))

    @model_validator(mode="after")
    def _match(self) -> AbsenceTrigger:
        if self.match_on is not None:
            for ev in (self.event, self.absent):
                if EVENTS[ev] != self.match_on:
                    raise ValueError(f"match_on {self.match_on!r}: event {ev} carries "
                                     f"{EVENTS[ev] or 'no subject'}")
        if self.within <= timedelta(0):
            raise ValueError("within must be positive")
        return self


class StageEntryTrigger(_Strict):
    type: Literal["stage_entry"]
    stage: Literal["awareness", "consideration", "purchase", "onboarding", "retention", "advocacy", "lapsed"]


class ScoreTrigger(_Strict):
    """Fires when the customer's ``model`` score crosses ``threshold`` (again only after dropping back)."""

    type: Literal["score_threshold"]
    model: str
    threshold: float = Field(ge=0, le=1)
    direction: Literal["above", "below"] = "above"


class InactivityTrigger(_Strict):
    """Fires when the customer has had no touch for ``for_``; once per silence."""

    type: Literal["inactivity"]
    for_: Duration = Field(alias="for")
    _d = _durations("for_")


_TRIGGER_TYPES = ("event", "absence", "stage_entry", "score_threshold", "inactivity")
Trigger = Annotated[
    EventTrigger | AbsenceTrigger | StageEntryTrigger | ScoreTrigger | InactivityTrigger,
    Field(discriminator="type"),
]


# ----------------------------------------------------------------------------- entry, split, goal, exit


class Entry(_Strict):
    where: dict[str, str] | None = Field(
        None, description="Named SQL conditions over marts.dim_customers, all must hold at entry.")
    reentry: Literal["once", "after_exit", "per_occurrence"] = Field(
        "after_exit", description="once: one enrollment ever; after_exit: not while enrolled; "
        "per_occurrence: every occurrence (concurrent enrollments allowed).")
    cooldown: Duration | None = Field(None, description="Minimum time between two entries.")
    max_delay: Duration | None = Field(
        None, description="An occurrence noticed later than this after it happened is skipped (stale).")
    _d = _durations("cooldown", "max_delay")
    _w = field_validator("where")(classmethod(lambda cls, v: _clauses(v)))


class Split(_Strict):
    control: float = Field(0.10, ge=0, le=0.5, description="Share held out as the journey's control group.")
    unit: Literal["customer", "occurrence"] = Field(
        "customer", description="What is randomized: the customer (same arm at every entry) or each "
        "occurrence (each abandoned application on its own; its outcome is per occurrence too).")
    arms: dict[str, float] = Field(default_factory=lambda: {"treatment": 1.0},
                                   description="A/B arms and their weights among the treated.")

    @field_validator("arms")
    @classmethod
    def _arms(cls, v: dict[str, float]) -> dict[str, float]:
        if not v or any(w <= 0 for w in v.values()):
            raise ValueError("at least one arm, every weight > 0")
        for name in v:
            # 'control' is the control group; 'all' names the treated arms pooled (agg_journey_performance,
            # agg_experiment_results)
            if not _IDENT.match(name) or name in ("control", "all"):
                raise ValueError(f"arm names are lower-case identifiers other than 'control' and 'all', got {name!r}")
        return v

    def bounds(self) -> list[tuple[str, float, float]]:
        """``(arm, share_from, share_to)`` over [0, 1): control first, then the arms by weight."""
        out = [("control", 0.0, self.control)]
        total, lo = sum(self.arms.values()), self.control
        for i, (name, weight) in enumerate(self.arms.items()):
            hi = 1.0 if i == len(self.arms) - 1 else lo + (1 - self.control) * weight / total
            out.append((name, lo, hi))
            lo = hi
        return out


class Goal(_Strict):
    event: str
    within: Duration
    match_trigger: bool = Field(False, description="Only the goal event with the trigger's subject counts.")
    exit: bool = Field(True, description="Reaching the goal ends the journey (exit_reason converted).")
    _d = _durations("within")
    _check = field_validator("event")(classmethod(lambda cls, v: _event(v)))


class Exit(_Strict):
    on_stages: list[str] = Field(default_factory=list, description="Entering one of these stages ends it.")
    on_opt_out: bool = Field(True, description="No consent left on any channel of the journey ends it.")


# --------------------------------------------------------------------------------------- steps, content


class Branch(_Strict):
    when: dict[str, str] | None = Field(None, description="Named SQL conditions; none = otherwise.")
    action: str
    _w = field_validator("when")(classmethod(lambda cls, v: _clauses(v)))


class Step(_Strict):
    id: str
    wait: Duration = Field(timedelta(0), description="After the previous step is due (the first: entry).")
    action: str | None = None
    branch: list[Branch] | None = Field(None, description="First branch whose conditions hold; else skipped.")
    when: dict[str, str] | None = Field(None, description="Guard: the step is skipped unless all hold.")
    arms: list[str] | None = Field(None, description="Only these arms get the step (default: every arm).")
    expires_after: Duration = Field(timedelta(hours=24), description="Not sent by then: expired.")
    _d = _durations("wait", "expires_after")
    _w = field_validator("when")(classmethod(lambda cls, v: _clauses(v)))

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not _IDENT.match(v):
            raise ValueError(f"step ids are lower-case identifiers, got {v!r}")
        return v

    @model_validator(mode="after")
    def _one_action(self) -> Step:
        if (self.action is None) == (self.branch is None):
            raise ValueError("a step has exactly one of action or branch")
        if self.branch and any(b.when is None for b in self.branch[:-1]):
            raise ValueError("only the last branch may omit `when` (the otherwise branch)")
        if self.expires_after <= timedelta(0):
            raise ValueError("expires_after must be positive")
        return self

    @property
    def actions(self) -> list[str]:
        return [self.action] if self.action else [b.action for b in self.branch or []]


class Cta(_Strict):
    label: str
    url: str


class ActionContent(_Strict):
    channels: list[Channel] = Field(description="Channels it may go out on, in the journey's preference.")
    title: str
    body: str
    cta: Cta
    fallbacks: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _fields(self) -> ActionContent:
        if not self.channels:
            raise ValueError("at least one channel")
        for where, template in (("title", self.title), ("body", self.body), ("cta.label", self.cta.label),
                                ("cta.url", self.cta.url)):
            for name in placeholders(template):
                if name not in FIELD_FALLBACKS:
                    raise ValueError(f"{where}: unknown personal field {{{name}}}; known: "
                                     f"{', '.join(FIELD_FALLBACKS)}")
        for name, text in self.fallbacks.items():
            if name not in FIELD_FALLBACKS or not str(text).strip():
                raise ValueError(f"fallbacks: {name!r} must be a known field with a non-blank fallback")
        return self

    def message(self) -> Message:
        return Message(self.title, self.body, self.cta.label, self.cta.url, dict(self.fallbacks))


class JourneySpec(_Strict):
    name: str
    description: str
    owner: str
    enabled: bool = True
    trigger: Trigger
    entry: Entry = Field(default_factory=Entry)
    split: Split = Field(default_factory=Split)
    goal: Goal
    exit: Exit = Field(default_factory=Exit)
    steps: list[Step]
    actions: dict[str, ActionContent]

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _IDENT.match(v):
            raise ValueError(f"must be a lower-case identifier, got {v!r}")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> JourneySpec:
        if not self.steps:
            raise ValueError("steps: at least one step")
        ids = [s.id for s in self.steps]
        if dup := sorted({i for i in ids if ids.count(i) > 1}):
            raise ValueError(f"steps: duplicate step id(s) {dup}")
        for step in self.steps:
            for action in step.actions:
                if action not in self.actions:
                    raise ValueError(f"step {step.id}: action {action!r} has no content under `actions`")
            for arm in step.arms or []:
                if arm not in self.split.arms:
                    raise ValueError(f"step {step.id}: unknown arm {arm!r}; arms: {', '.join(self.split.arms)}")
        if self.goal.match_trigger and not _subject_of(self.trigger):
            raise ValueError("goal.match_trigger needs a trigger with a subject (match_on)")
        return self

    @property
    def channels(self) -> list[str]:
        return sorted({c for a in self.actions.values() for c in a.channels})


def _subject_of(trigger) -> str | None:
    if isinstance(trigger, AbsenceTrigger):
        return trigger.match_on
    if isinstance(trigger, EventTrigger):
        return EVENTS[trigger.event]
    return None


# ------------------------------------------------------------------------------------------- loading


class JourneySpecError(ValueError):
    """A journey file is invalid: carries the file, the line, the field and the reason."""

    def __init__(self, file: str | Path, line: int, field: str, reason: str):
        self.file, self.line, self.field, self.reason = str(file), line, field, reason
        super().__init__(f"{file}:{line}: {field}: {reason}")


def _field(loc: tuple[object, ...], node) -> str:
    parts, current = [], node
    for part in loc:
        child = yaml_lines._child(current, part) if current is not None else None
        if child is None and part in _TRIGGER_TYPES:
            continue  # the discriminator tag pydantic adds to the path
        parts.append(f"[{part}]" if isinstance(part, int) else str(part))
        current = child if child is not None else current
    return ".".join(parts).replace(".[", "[") or "<root>"


def parse_journey(text: str, file: str | Path = "<string>") -> JourneySpec:
    """One journey from YAML text; raises :class:`JourneySpecError` with file, line and field."""
    try:
        data, node = yaml_lines.load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        raise JourneySpecError(file, (mark.line + 1) if mark else 1, "<yaml>",
                               str(getattr(exc, "problem", exc))) from None
    if not isinstance(data, dict):
        raise JourneySpecError(file, 1, "<root>", "a journey file must be a YAML mapping")
    try:
        return JourneySpec.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err.get("loc", ()))
        msg = err["msg"].removeprefix("Value error, ")
        raise JourneySpecError(file, yaml_lines.line_of(node, loc), _field(loc, node), msg) from None


def journey_actions_in_catalog(catalog_csv: Path) -> dict[str, str]:
    """Catalog actions decided by journeys: ``{action: channel}`` (seed actions, trigger = journey)."""
    with catalog_csv.open(newline="") as fh:
        return {r["action"]: r["channel"] for r in csv.DictReader(fh) if (r.get("trigger") or "daily") == "journey"}


def _key_line(text: str, path: tuple[object, ...]) -> int:
    _, node = yaml_lines.load(text)
    return yaml_lines.line_of(node, path)


def load_journeys(folder: Path, catalog_csv: Path | None = None
                  ) -> tuple[dict[str, JourneySpec], list[JourneySpecError]]:
    """Every valid journey in ``folder/*.yml`` by name, and the errors of the others. Cross-file rules:
    a name used twice keeps the first file's journey; an action belongs to one journey; every action is
    a journey action of the catalog (when ``catalog_csv`` is given)."""
    specs: dict[str, JourneySpec] = {}
    files: dict[str, tuple[Path, str]] = {}
    errors: list[JourneySpecError] = []
    owner_of: dict[str, str] = {}
    catalog = journey_actions_in_catalog(catalog_csv) if catalog_csv else None
    for path in sorted(folder.glob("*.yml")) + sorted(folder.glob("*.yaml")):
        text = path.read_text()
        try:
            spec = parse_journey(text, path)
        except JourneySpecError as exc:
            errors.append(exc)
            continue
        problem = None
        if spec.name in specs:
            problem = (("name",), f"journey {spec.name!r} is already declared in {files[spec.name][0].name}")
        for action in spec.actions:
            if problem:
                break
            if action in owner_of:
                problem = (("actions", action), f"action {action!r} already belongs to journey {owner_of[action]}")
            elif catalog is not None and action not in catalog:
                problem = (("actions", action), f"action {action!r} is not a journey action of the catalog "
                           "seeds/actions.csv (add a row with trigger = journey)")
        if problem:
            errors.append(JourneySpecError(path, _key_line(text, problem[0]),
                                           ".".join(map(str, problem[0])), problem[1]))
            continue
        specs[spec.name] = spec
        files[spec.name] = (path, text)
        owner_of.update(dict.fromkeys(spec.actions, spec.name))
    return specs, errors
