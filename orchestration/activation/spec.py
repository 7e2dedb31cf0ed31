"""Sync specs: one YAML file per sync under ``syncs/``, validated by pydantic.

A bad spec fails with :class:`SpecError`, which names the file, the key (dotted path) and the reason.
Secrets never appear in a spec: a destination names the *environment variable* that holds them, and the
value is read only when the sync runs (:func:`resolve_secret`).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

# An env var NAME, not a value: upper-case letters, digits, underscores. A spec that pastes a secret
# (lower-case, punctuation) in here fails validation instead of being committed to git.
_ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")
# Five-field cron (minute hour day month weekday); Dagster's ScheduleDefinition takes the same form.
_CRON = re.compile(r"^\s*(\S+\s+){4}\S+\s*$")
_IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")

Channel = Literal["email", "phone", "ads"]


class SpecError(ValueError):
    """A sync spec is invalid: carries the file, the key and the reason."""

    def __init__(self, file: str | Path, key: str, reason: str):
        self.file, self.key, self.reason = str(file), key, reason
        super().__init__(f"{file}: {key}: {reason}")


class _Strict(BaseModel):
    # Unknown keys are typos (e.g. `batchsize`), and a typo silently ignored is a sync that runs wrong.
    model_config = ConfigDict(extra="forbid", frozen=True)


def _env_name(value: str | None) -> str | None:
    if value is not None and not _ENV_NAME.match(value):
        raise ValueError(f"must be the NAME of an environment variable (like MY_SECRET), not a value: {value!r}")
    return value


class PostgresDestination(_Strict):
    type: Literal["postgres"]
    dsn_env: str = Field(description="Env var holding the libpq connection string.")
    table: str = Field(description="Target table, optionally schema-qualified.")
    create_table: bool = Field(True, description="Create the table (all text columns) if missing.")

    _check_env = field_validator("dsn_env")(_env_name)

    @field_validator("table")
    @classmethod
    def _table(cls, v: str) -> str:
        if not all(_IDENT.match(p) for p in v.split(".")) or v.count(".") > 1:
            raise ValueError(f"must be [schema.]table in lower-case identifiers, got {v!r}")
        return v


class WebhookDestination(_Strict):
    type: Literal["webhook"]
    url: str | None = Field(None, description="Endpoint URL (or url_env).")
    url_env: str | None = Field(None, description="Env var holding the endpoint URL.")
    secret_env: str = Field(description="Env var holding the HMAC-SHA256 signing secret.")
    timeout_s: float = Field(10.0, gt=0)
    max_retries: int = Field(6, ge=0, le=20)
    backoff_base_s: float = Field(0.5, ge=0)
    backoff_max_s: float = Field(30.0, ge=0)

    _check_env = field_validator("url_env", "secret_env")(_env_name)

    @model_validator(mode="after")
    def _one_url(self) -> WebhookDestination:
        if bool(self.url) == bool(self.url_env):
            raise ValueError("set exactly one of url or url_env")
        return self


class FilesDestination(_Strict):
    type: Literal["files"]
    path: str = Field(description="Folder receiving one file per run plus its manifest (relative: repo).")
    format: Literal["csv", "parquet"] = "csv"


class AdsDestination(_Strict):
    type: Literal["ads"]
    platform: Literal["google", "meta"]
    # Where the hashed rows go: a file (like the platform's bulk upload) or an HTTP endpoint shaped
    # like the platform API (add/remove operations), signed like the webhook.
    sink: Literal["file", "http"] = "file"
    path: str | None = None
    url: str | None = None
    url_env: str | None = None
    secret_env: str | None = None
    email_field: str | None = Field("email", description="Mapped field holding the email (or None).")
    phone_field: str | None = Field("phone", description="Mapped field holding the phone (or None).")
    timeout_s: float = Field(10.0, gt=0)
    max_retries: int = Field(6, ge=0, le=20)

    _check_env = field_validator("url_env", "secret_env")(_env_name)

    @model_validator(mode="after")
    def _sink(self) -> AdsDestination:
        if self.sink == "file" and not self.path:
            raise ValueError("sink 'file' needs path")
        if self.sink == "http" and (bool(self.url) == bool(self.url_env) or not self.secret_env):
            raise ValueError("sink 'http' needs exactly one of url/url_env, and secret_env")
        return self


Destination = Annotated[
    PostgresDestination | WebhookDestination | FilesDestination | AdsDestination,
    Field(discriminator="type"),
]


class SyncSpec(_Strict):
    name: str = Field(description="Unique sync name (state and logs are keyed by it).")
    audience: str = Field(description="dbt model name of the audience (activation.<audience>).")
    destination: Destination
    mode: Literal["upsert", "mirror", "insert"]
    primary_key: str = Field(description="Audience column identifying a destination record.")
    customer_id_column: str = Field("customer_id", description="Column used for the privacy re-check.")
    channel: Channel = Field(description="Consent channel the destination uses (last-mile re-check).")
    mapping: dict[str, str] = Field(description="destination field -> audience column.")
    batch_size: int = Field(1000, ge=1, le=100_000)
    rate_limit: float | None = Field(None, gt=0, description="Max requests (batches) per second.")
    schedule: str | None = Field(None, description="Five-field cron.")
    mirror_delete_threshold: float = Field(
        0.20, gt=0, le=1, description="Mirror refuses to remove more than this share unless forced."
    )
    blocking: bool = Field(True, description="A failed blocking upstream quality check stops the sync.")
    owner: str | None = None
    description: str | None = None

    @field_validator("name", "audience", "primary_key", "customer_id_column")
    @classmethod
    def _ident(cls, v: str) -> str:
        if not _IDENT.match(v):
            raise ValueError(f"must be a lower-case identifier, got {v!r}")
        return v

    @field_validator("schedule")
    @classmethod
    def _cron(cls, v: str | None) -> str | None:
        if v is not None and not _CRON.match(v):
            raise ValueError(f"must be a five-field cron expression, got {v!r}")
        return v

    @field_validator("mapping")
    @classmethod
    def _mapping(cls, v: dict[str, str]) -> dict[str, str]:
        if not v:
            raise ValueError("must map at least one field")
        for dest, src in v.items():
            if not _IDENT.match(dest) or not _IDENT.match(src):
                raise ValueError(f"fields must be lower-case identifiers: {dest!r}: {src!r}")
        return v

    @model_validator(mode="after")
    def _key_mapped(self) -> SyncSpec:
        if self.primary_key not in self.mapping.values():
            raise ValueError(f"primary_key {self.primary_key!r} must be one of the mapped audience columns")
        if self.mode == "insert" and self.destination.type == "ads":
            raise ValueError("ads destinations are audiences: use mode upsert or mirror")
        return self

    @property
    def key_field(self) -> str:
        """The destination field that carries the primary key."""
        return next(dest for dest, src in self.mapping.items() if src == self.primary_key)

    @property
    def source_columns(self) -> list[str]:
        cols = list(dict.fromkeys([*self.mapping.values(), self.customer_id_column]))
        return cols


def _loc(err: dict) -> str:
    parts = [str(p) for p in err.get("loc", ()) if not str(p).endswith("Destination")]
    # pydantic puts the discriminator tag in the path ("destination.postgres.table"); keep it readable.
    return ".".join(parts) or "<root>"


def parse_spec(data: object, file: str | Path = "<string>") -> SyncSpec:
    if not isinstance(data, dict):
        raise SpecError(file, "<root>", "a sync spec must be a YAML mapping")
    try:
        return SyncSpec.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise SpecError(file, _loc(err), err["msg"]) from None


def load_spec(path: str | Path) -> SyncSpec:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "<yaml>"
        raise SpecError(path, where, f"invalid YAML: {getattr(exc, 'problem', exc)}") from None
    spec = parse_spec(data, path)
    if spec.name != path.stem:
        raise SpecError(path, "name", f"must equal the file name {path.stem!r} (got {spec.name!r})")
    return spec


def syncs_dir() -> Path:
    from orchestration import settings

    return settings.get().syncs_dir


def load_specs(folder: str | Path | None = None) -> dict[str, SyncSpec]:
    folder = Path(folder) if folder else syncs_dir()
    specs: dict[str, SyncSpec] = {}
    for path in sorted([*folder.glob("*.yml"), *folder.glob("*.yaml")]):
        spec = load_spec(path)
        specs[spec.name] = spec
    return specs


def resolve_secret(env_name: str, what: str) -> str:
    """Read a secret named by a spec at run time; a missing one is an error naming the variable."""
    value = os.environ.get(env_name)
    if not value:
        raise RuntimeError(f"{what}: environment variable {env_name} is not set")
    return value
