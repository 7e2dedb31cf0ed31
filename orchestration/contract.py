"""The raw data contract, read from its one declaration: the dbt sources YAML of each source system.

``models/staging/<source>/_<source>__sources.yml`` declares every raw table: its columns with a
``data_type``, and the contract rules as ``config.meta`` (see ``COLUMN_META`` below and
docs/raw-data-contract.md). Everything else derives from it:

- landing (orchestration/landing.py) checks each delivery's header against the required columns;
- the GX raw suites (expectations/_raw.py) build their expectations and quarantine prediction from it;
- the staging base models are one line each: ``{{ cjo.base_model('crm', 'sales') }}`` reads the same
  columns and meta from dbt's graph (macros/staging/base_model.sql);
- ``cjo contract render`` (orchestration/contract_render.py) writes the derived files: base models, their
  docs and primary-key tests, the parse-time table list macro and docs/raw-data-contract.md.

Adding a table: declare it in its source's YAML, run ``cjo contract render``, and (optionally) edit the
starter ``stg_`` model it writes. Nothing here reads files at import time; ``tables()`` loads and
validates the declaration once per process.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
DECLARATIONS = "models/staging/*/_*__sources.yml"
# Logical types staging casts to (and the quarantine code of a value that does not parse as one).
TYPES = {"varchar": None, "integer": "invalid_number", "double": "invalid_number",
         "timestamp": "invalid_timestamp"}
# Contract rules a column may declare under config.meta (anything else is a typo and fails loading).
COLUMN_META = {
    "required": "false: the column may be absent from a delivery's header (default true)",
    "nullable": "false: an empty value quarantines the row as missing_required (default true)",
    "accepted_values": "case-insensitive allowed values (trimmed, lower-cased); others: unknown_value",
    "normalize": "email (trimmed, lower-cased) or phone (E.164, staged as <column>_e164)",
    "unit": "currency of a money column (USD): its bounds use the _amount codes",
    "min": "smallest plausible number; 0 = negative_amount/negative_number, else implausible_*",
    "max": "largest plausible number; above it: implausible_amount/implausible_number",
    "earliest": "earliest plausible timestamp (ISO date) when older than raw_earliest_plausible_at",
    "pii": "true: personal data (erased on a deletion request)",
}
NORMALIZERS = ("email", "phone")
# dbt vars (defaults in dbt_project.yml only) for the timestamp plausibility window.
PLAUSIBILITY_VARS = ("raw_earliest_plausible_at", "raw_future_margin_days")


class ContractError(ValueError):
    """The declaration itself is wrong; the message names the file, table and column."""


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # logical type: varchar, integer, double, timestamp
    description: str
    required: bool = True  # the column must be present in every delivery (a value may still be null)
    nullable: bool = True  # a null value is allowed (if False, a null value quarantines the row)
    accepted_values: tuple[str, ...] | None = None
    pii: bool = False
    normalize: str | None = None  # email | phone
    unit: str | None = None  # currency of a money column
    min: float | None = None
    max: float | None = None
    earliest: str | None = None  # ISO date; overrides raw_earliest_plausible_at for this column
    meta: dict = field(default_factory=dict, compare=False, repr=False)  # config.meta as declared

    @property
    def staged_name(self) -> str:
        """The column's name in the base and stg_ models (a phone becomes ``<name>_e164``)."""
        return f"{self.name}_e164" if self.normalize == "phone" else self.name

    @property
    def kind(self) -> str:
        """What a bound violation is called: ``amount`` for money, else ``number``."""
        return "amount" if self.unit else "number"


@dataclass(frozen=True)
class Table:
    source: str
    name: str
    description: str
    key: str  # the column that identifies a record within the source (unique after dedup)
    columns: tuple[Column, ...]
    event_time: str | None = None  # the column late-arrival logic uses
    declared_in: str = ""  # the declaration file, relative to the project
    stale_after: timedelta | None = None  # config.freshness.warn_after (the table's, else its source's)

    @property
    def fqn(self) -> str:
        return f"{self.source}.{self.name}"

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.fqn} has no column {name!r}")


@dataclass(frozen=True)
class Plausibility:
    """The timestamp window of the plausibility rules (dbt vars; read by dbt and the GX suites alike)."""

    earliest: str  # ISO date: a timestamp before it is implausible
    future_margin_days: int  # a timestamp more than this many days after its row was landed is implausible

    def earliest_for(self, c: Column) -> str:
        return c.earliest or self.earliest


# Columns the landing step adds to every row, so each row can be traced to its file and line. Landing
# owns them (it writes them); base models pass them through (cjo.lineage_columns(), rendered from here).
LINEAGE_COLUMNS = (
    Column("_source_file", "varchar", "Raw file the row came from, relative to the raw folder."),
    Column("_source_row", "integer", "1-based data row number within that file (header excluded)."),
    Column("_delivery_id", "varchar", "Content hash of the raw file: one delivery, landed once."),
    Column("_landed_at", "timestamp", "When the landing step wrote the row (UTC)."),
)

# Enumerations other code uses by name (the demo generator), each read from the declaration.
_ENUMS = {
    "EMAIL_EVENT_TYPES": ("marketing.email_events", "event_type"),
    "WEB_EVENT_TYPES": ("marketing.web_events", "event_type"),
    "WEBINAR_EVENT_TYPES": ("marketing.webinar_events", "event_type"),
    "INTERACTION_TYPES": ("advisor.interactions", "interaction_type"),
    "INTERACTION_OUTCOMES": ("advisor.interactions", "outcome"),
    "APPLICATION_EVENT_TYPES": ("advisor.application_events", "event_type"),
    "DEVICES": ("advisor.application_events", "device"),
    "CONSENT_CHANNELS": ("privacy.consent_events", "channel"),
    "CONSENT_STATUSES": ("privacy.consent_events", "status"),
    "TRANSACTION_TYPES": ("crm.sales", "transaction_type"),
    "OPPORTUNITY_STAGES": ("crm.opportunities", "stage"),
    "CAMPAIGN_CHANNELS": ("marketing.campaigns", "channel"),
    "ASSIGNMENTS": ("marketing.campaign_members", "assignment"),
    "FIRM_TYPES": ("crm.firms", "firm_type"),
    "ASSET_CLASSES": ("crm.products", "asset_class"),
    "VEHICLES": ("crm.products", "vehicle"),
}


def _iso_date(value: Any, where: str) -> str:
    try:
        return date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise ContractError(f"{where}: {value!r} is not an ISO date (YYYY-MM-DD)") from None


def _column(raw: dict, where: str) -> Column:
    name, dtype = raw.get("name"), raw.get("data_type")
    where = f"{where}, column {name!r}"
    if dtype not in TYPES:
        raise ContractError(f"{where}: data_type {dtype!r} is not one of {', '.join(TYPES)}")
    meta = dict((raw.get("config") or {}).get("meta") or raw.get("meta") or {})
    unknown = set(meta) - set(COLUMN_META)
    if unknown:
        raise ContractError(f"{where}: unknown contract meta {sorted(unknown)}; known: {sorted(COLUMN_META)}")
    values = meta.get("accepted_values")
    if values is not None and not (isinstance(values, list) and all(isinstance(v, str) for v in values)):
        raise ContractError(f"{where}: accepted_values must be a list of strings (quote yes/no/on/off)")
    if meta.get("normalize") not in (None, *NORMALIZERS):
        raise ContractError(f"{where}: normalize must be one of {NORMALIZERS}")
    for bound in ("min", "max"):
        if bound in meta and (dtype not in ("integer", "double") or not isinstance(meta[bound], int | float)):
            raise ContractError(f"{where}: {bound} needs a number on an integer or double column")
    if "earliest" in meta and dtype != "timestamp":
        raise ContractError(f"{where}: earliest applies to timestamp columns only")
    return Column(
        name=name, type=dtype, description=(raw.get("description") or "").strip(),
        required=meta.get("required", True), nullable=meta.get("nullable", True),
        accepted_values=tuple(values) if values else None, pii=bool(meta.get("pii", False)),
        normalize=meta.get("normalize"), unit=meta.get("unit"), min=meta.get("min"), max=meta.get("max"),
        earliest=_iso_date(meta["earliest"], where) if "earliest" in meta else None, meta=meta,
    )


_PERIODS = {"minute": "minutes", "hour": "hours", "day": "days"}


def _stale_after(freshness: dict | None, where: str) -> timedelta | None:
    """``{warn_after: {count: 26, period: hour}}`` -> 26 hours (dbt's freshness config)."""
    warn = (freshness or {}).get("warn_after")
    if not warn:
        return None
    if warn.get("period") not in _PERIODS or not isinstance(warn.get("count"), int) or warn["count"] <= 0:
        raise ContractError(f"{where}: config.freshness.warn_after needs a positive count and a period "
                            f"({', '.join(_PERIODS)}), got {warn!r}")
    return timedelta(**{_PERIODS[warn["period"]]: warn["count"]})


def _table(source: str, raw: dict, declared_in: str, source_config: dict | None = None) -> Table:
    where = f"{declared_in}: table {source}.{raw.get('name')}"
    config = raw.get("config") or {}
    columns = tuple(_column(c, where) for c in raw.get("columns") or [])
    names = [c.name for c in columns]
    if not columns or len(set(names)) != len(names):
        raise ContractError(f"{where}: needs columns, each named once")
    key, event_time = (config.get("meta") or {}).get("record_key"), config.get("event_time")
    if key not in names:
        raise ContractError(f"{where}: config.meta.record_key {key!r} is not one of its columns")
    if event_time is not None and event_time not in names:
        raise ContractError(f"{where}: config.event_time {event_time!r} is not one of its columns")
    freshness = config["freshness"] if "freshness" in config else (source_config or {}).get("freshness")
    return Table(source=source, name=raw["name"], description=(raw.get("description") or "").strip(),
                 key=key, columns=columns, event_time=event_time, declared_in=declared_in,
                 stale_after=_stale_after(freshness, where))


def load(root: Path = ROOT) -> tuple[Table, ...]:
    """Read and validate every declaration under ``root`` (sources whose meta says ``raw_contract``)."""
    out: list[Table] = []
    for path in sorted(root.glob(DECLARATIONS)):
        rel = path.relative_to(root).as_posix()
        for src in yaml.safe_load(path.read_text()).get("sources") or []:
            if ((src.get("config") or {}).get("meta") or {}).get("raw_contract"):
                out.extend(_table(src["name"], t, rel, src.get("config")) for t in src.get("tables") or [])
    if not out:
        raise ContractError(f"no raw contract tables declared in {root / DECLARATIONS}")
    return tuple(out)


@lru_cache(maxsize=1)
def tables() -> tuple[Table, ...]:
    """Every contract table, in declaration order (source files by name, tables as written)."""
    return load(ROOT)


def declared_columns(t: Table) -> list[dict[str, Any]]:
    """The columns of ``t`` as the YAML declares them (name, data_type, meta): what dbt's graph holds."""
    return [{"name": c.name, "data_type": c.type, "meta": dict(c.meta)} for c in t.columns]


def sources() -> tuple[str, ...]:
    return tuple(dict.fromkeys(t.source for t in tables()))


def table(fqn: str) -> Table:
    """Look a table up by ``source.table``."""
    for t in tables():
        if t.fqn == fqn:
            return t
    raise KeyError(f"unknown raw table {fqn!r}; known: {', '.join(t.fqn for t in tables())}")


def dbt_vars(root: Path = ROOT) -> dict[str, Any]:
    """The ``vars`` of dbt_project.yml: their defaults live there and only there."""
    return (yaml.safe_load((root / "dbt_project.yml").read_text()) or {}).get("vars") or {}


@lru_cache(maxsize=1)
def plausibility() -> Plausibility:
    v = dbt_vars()
    missing = [n for n in PLAUSIBILITY_VARS if n not in v]
    if missing:
        raise ContractError(f"dbt_project.yml vars lack {missing}")
    return Plausibility(earliest=_iso_date(v["raw_earliest_plausible_at"], "dbt var raw_earliest_plausible_at"),
                        future_margin_days=int(v["raw_future_margin_days"]))


def __getattr__(name: str) -> Any:
    """``TABLES``, ``SOURCES`` and the enumerations, loaded on first use (never at import)."""
    if name == "TABLES":
        return tables()
    if name == "SOURCES":
        return sources()
    if name in _ENUMS:
        fqn, col = _ENUMS[name]
        return table(fqn).column(col).accepted_values
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
