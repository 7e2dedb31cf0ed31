"""Raw landing as Dagster assets: one output per contract table, keyed ``[source, table]``.

Design choice (docs/operations.md): ``raw_landing`` is a multi-asset with one AssetSpec per raw
contract table. dagster-dbt keys a dbt source ``[source_name, table_name]`` by default, so every dbt
source generated from the contract sits directly downstream of its landing output with no translator
mapping, and each raw table gets its own freshness check and its own "rows landed" history.

It is subsettable: selecting only ``crm/advisors`` lands only that table (the sensor does this for new
files). Landing writes Parquet under the landing folder, not the DuckDB file, so it needs no writer pool.
Each output carries ``dagster/last_updated_timestamp`` = when that table last received a delivery, which
is what the freshness checks read (a run without new files does not make a table look fresh).
"""


from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
from dagster import AssetExecutionContext

from orchestration import landing
from orchestration.contract import TABLES, Table
from orchestration.file_quarantine import QUARANTINE_DIR, REGISTRY

RAW_GROUP = "raw"


def raw_asset_key(t: Table) -> dg.AssetKey:
    """The landing asset key of a contract table, equal to dagster-dbt's key for its dbt source."""
    return dg.AssetKey([t.source, t.name])


RAW_ASSET_KEYS: dict[str, dg.AssetKey] = {t.fqn: raw_asset_key(t) for t in TABLES}
# The CSV lines the parser could not split, kept by landing; dbt reads them as source landing.parse_rejects.
PARSE_REJECTS_KEY = dg.AssetKey(["landing", "parse_rejects"])
# Files moved aside whole (unreadable, or breaking the contract as a whole); dbt: landing.quarantined_files.
QUARANTINED_FILES_KEY = dg.AssetKey(["landing", "quarantined_files"])
# WARN, not blocking: the other files landed and the run goes on; `cjo run` shows "SUCCESS WITH WARNINGS".
NO_FILE_QUARANTINED = "no_file_quarantined"
LANDING_SIDE_KEYS = (PARSE_REJECTS_KEY, QUARANTINED_FILES_KEY)


# The raw-file sensor splits one new file set into runs (the journey path first, then the rest) that
# share this tag; "landed in this run" then means landed since the first of them started.
BATCH_TAG = "cjo/batch"


def _start(instance, run_id: str) -> float | None:
    try:
        rec = instance.get_run_record_by_id(run_id)
        return rec.start_time if rec else None
    except Exception:  # an instance without run records: callers fall back to the latest batch
        return None


def run_started_at(context) -> datetime | None:
    """When this run started (naive UTC), from the instance's run record; None without one. A run of a
    sensor batch (tag ``cjo/batch``) counts from the start of the batch's earliest run."""
    ts = _start(context.instance, context.run.run_id)
    batch = (getattr(context.run, "tags", None) or {}).get(BATCH_TAG)
    if ts is not None and batch:
        try:
            runs = context.instance.get_run_records(filters=dg.RunsFilter(tags={BATCH_TAG: batch}))
        except Exception:
            runs = []
        ts = min([ts, *(r.start_time for r in runs if r.start_time)])
    return datetime.fromtimestamp(ts, UTC).replace(tzinfo=None) if ts else None


def landed_in_this_run(context) -> bool:
    """Did this run's landing (or, for a run of a sensor batch, the batch's) record anything new (a
    delivery landed or a file quarantined)? Landing appends to its manifest only for files it has not
    seen before."""
    from orchestration import settings

    since = run_started_at(context)
    return since is None or any(
        datetime.fromisoformat(e["landed_at"]) >= since
        for e in landing.read_manifest(settings.landing_dir()) if e.get("landed_at"))


def last_delivery_times(landing_dir: Path) -> dict[str, datetime]:
    """Table fqn -> the newest `landed_at` of a delivery that actually landed rows (from the manifest)."""
    out: dict[str, datetime] = {}
    for rec in landing.read_manifest(landing_dir):
        if rec.get("status") != "landed" or not rec.get("landed_at"):
            continue
        ts = datetime.fromisoformat(rec["landed_at"]).replace(tzinfo=UTC)
        if rec["table"] not in out or ts > out[rec["table"]]:
            out[rec["table"]] = ts
    return out


def _materializations(report: landing.LandingReport, landing_dir: Path, tables: list[Table]):
    last = last_delivery_times(landing_dir)
    for t in tables:
        files = [f for f in report.files if f.table == t.fqn]
        landed = [f for f in files if f.status == "landed"]
        metadata: dict[str, object] = {
            "files_landed": len(landed),
            "rows_landed": sum(f.rows for f in landed),
            "lines_rejected": sum(f.rejected_lines for f in landed),
            "files_already_landed": sum(f.status in ("already_landed", "duplicate_delivery") for f in files),
            "files_skipped_empty": sum(f.status == "skipped_empty" for f in files),
            "files_quarantined": sum(f.status == "quarantined" for f in files),
            "landing_folder": dg.MetadataValue.path(str(landing_dir / t.source / t.name)),
        }
        warnings = [f.message for f in files if f.message]
        if warnings:
            metadata["warnings"] = dg.MetadataValue.md("\n".join(f"- {w}" for w in warnings))
        if t.fqn in last:
            metadata["dagster/last_updated_timestamp"] = dg.MetadataValue.timestamp(last[t.fqn])
        yield dg.MaterializeResult(asset_key=raw_asset_key(t), metadata=metadata)


@dg.multi_asset(
    name="raw_landing",
    specs=[
        dg.AssetSpec(
            raw_asset_key(t), group_name=RAW_GROUP, kinds={"python", "parquet"},
            description=f"Landed deliveries of raw `{t.fqn}`: {t.description}",
            metadata={"record_key": t.key, "event_time": t.event_time or ""},
        )
        for t in TABLES
    ] + [dg.AssetSpec(
        PARSE_REJECTS_KEY, group_name=RAW_GROUP, kinds={"python", "parquet"},
        description="Raw CSV lines the parser could not split (any table), kept with file and line "
        "number; they reach fct_quarantined_rows as reason unparseable_line."),
         dg.AssetSpec(
        QUARANTINED_FILES_KEY, group_name=RAW_GROUP, kinds={"python", "parquet"},
        description="Raw files that could not be landed as a whole (zero bytes, wrong format, corrupt or "
        "truncated, not UTF-8, a required column missing), moved aside under <raw>/_quarantine/ and "
        "recorded with their reason; they reach fct_quarantined_files.")],
    check_specs=[dg.AssetCheckSpec(
        NO_FILE_QUARANTINED, asset=QUARANTINED_FILES_KEY,
        description="WARN when this run moved a raw file aside (the others landed): names each file and why.")],
    can_subset=True,
)
def raw_landing(context: AssetExecutionContext):
    """Land new raw files (orchestration.landing.land) for the selected contract tables."""
    from orchestration import settings

    selected = set(context.selected_asset_keys)
    tables = [t for t in TABLES if raw_asset_key(t) in selected]
    raw_dir, landing_dir = settings.raw_dir(), settings.landing_dir()
    only = None if len(tables) == len(TABLES) else [t.fqn for t in tables]
    report = landing.land(raw_dir, landing_dir, only=only)
    for w in report.warnings:
        context.log.warning(w)
    context.log.info(f"landing {raw_dir} -> {landing_dir}: {report.summary()}")
    yield from _materializations(report, landing_dir, tables)
    if PARSE_REJECTS_KEY in selected:
        rejected = [f for f in report.landed if f.rejected_lines]
        yield dg.MaterializeResult(asset_key=PARSE_REJECTS_KEY, metadata={
            "lines_rejected": sum(f.rejected_lines for f in rejected),
            "files_with_rejects": len(rejected),
            "rejects_folder": dg.MetadataValue.path(str(landing_dir / landing.REJECTS)),
        })
    if QUARANTINED_FILES_KEY in selected:
        yield dg.MaterializeResult(asset_key=QUARANTINED_FILES_KEY, metadata={
            "files_quarantined": len(report.quarantined),
            "kept_in": dg.MetadataValue.path(str(raw_dir / QUARANTINE_DIR)),
            "registry": dg.MetadataValue.path(str(landing_dir / REGISTRY)),
        })
    if dg.AssetCheckKey(QUARANTINED_FILES_KEY, NO_FILE_QUARANTINED) in context.selected_asset_check_keys:
        yield quarantine_check_result(report)


def quarantine_check_result(report: landing.LandingReport) -> dg.AssetCheckResult:
    """Passed when no file was moved aside in this run; else WARN naming every file and its reason."""
    files = report.quarantined
    return dg.AssetCheckResult(
        asset_key=QUARANTINED_FILES_KEY, check_name=NO_FILE_QUARANTINED, passed=not files,
        severity=dg.AssetCheckSeverity.WARN,
        description=(" | ".join(f.message for f in files)[:2000] if files else "every new raw file could be read"),
        metadata={"files_quarantined": len(files),
                  "files": dg.MetadataValue.md("\n".join(f"- {f.message}" for f in files) or "none")})


def freshness_checks() -> list[dg.AssetChecksDefinition]:
    """One last-update freshness check per raw table (severity WARN: stale input is news, not a crash),
    with the table's bound from the contract (``config.freshness.warn_after``, which dbt source freshness
    reads too). A table declared without freshness gets no check."""
    import warnings

    by_bound: dict = {}
    for t in TABLES:
        if t.stale_after is not None:
            by_bound.setdefault(t.stale_after, []).append(raw_asset_key(t))
    with warnings.catch_warnings():
        # "superseded" by FreshnessPolicy; the check form is what the UI, tests and jobs can run today.
        warnings.simplefilter("ignore")
        return [check for bound, keys in by_bound.items()
                for check in dg.build_last_update_freshness_checks(assets=keys, lower_bound_delta=bound)]


def freshness_sensor(checks: list[dg.AssetChecksDefinition]) -> dg.SensorDefinition:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return dg.build_sensor_for_freshness_checks(
            freshness_checks=checks, name="raw_freshness_checks_sensor",
            default_status=dg.DefaultSensorStatus.STOPPED)
