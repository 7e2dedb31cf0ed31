"""``new_raw_files_sensor``: start the incremental job once per new set of raw files.

Journey path first: when the new files reach a journey, the set gets two runs of the incremental job,
queued in this order (one run at a time, instance/dagster.yaml): first landing and only the models, the
journey evaluation and the journey syncs that the journeys' messages need, so a message goes out minutes
after its event; then everything else downstream of the new files, the erasure pass and publishing. Both
carry the tag ``cjo/batch`` (the set's run key): the second run's dbt step knows the first one landed.

Cursor: JSON ``{"files": {"<relative path>": [size, mtime_ns], ...}}`` of every raw file already handed
to a run. A file is new when its path is not in the cursor or its size/mtime changed (a re-delivered
file under the same name is a new delivery; landing identifies deliveries by content hash, so an
unchanged re-delivery lands nothing twice).

- Never twice: a file enters the cursor in the same tick that requests its run, and the run key is a
  hash of the set, so even a lost cursor update cannot launch the same set twice (Dagster skips a
  repeated run key).
- Never missed: a file still being written (modified less than ``settle_seconds`` ago) is left out of
  the cursor and picked up by a later tick. If a run fails, the files still land later: landing lands
  every raw file whose content is not landed yet, whatever run it is (the next tick's, or the daily job).
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from orchestration import landing
from orchestration.jobs import INCREMENTAL, journey_selection
from orchestration.raw_assets import BATCH_TAG, LANDING_SIDE_KEYS, RAW_ASSET_KEYS

# How often the daemon evaluates the sensor. Lower means faster pickup and more directory scans (one
# listing of the raw folders: milliseconds). With the default settle time a file waits 10-25 s.
MIN_INTERVAL_SECONDS = 15


@dataclass(frozen=True)
class RawFile:
    path: str  # relative to the raw folder, POSIX
    table: str  # contract fqn
    size: int
    mtime_ns: int


def scan(raw_dir: Path) -> list[RawFile]:
    """Every contract raw file under the raw folder (same discovery rules as landing)."""
    out = []
    for t, p in landing.discover(raw_dir):
        st = p.stat()
        out.append(RawFile(p.relative_to(raw_dir).as_posix(), t.fqn, st.st_size, st.st_mtime_ns))
    return out


def parse_cursor(cursor: str | None) -> dict[str, list[int]]:
    return json.loads(cursor)["files"] if cursor else {}


def dump_cursor(seen: dict[str, list[int]]) -> str:
    return json.dumps({"files": dict(sorted(seen.items()))}, separators=(",", ":"))


def new_files(files: list[RawFile], seen: dict[str, list[int]], now: float, settle_seconds: float
              ) -> list[RawFile]:
    """Files not in the cursor (or changed since), old enough to be complete."""
    return [
        f for f in files
        if seen.get(f.path) != [f.size, f.mtime_ns] and now - f.mtime_ns / 1e9 >= settle_seconds
    ]


def split_rewrites(batch: list[RawFile], seen: dict[str, list[int]], raw_dir: Path, landing_dir: Path
                   ) -> tuple[list[RawFile], list[RawFile]]:
    """(new deliveries, files that changed but hold content already landed). The erasure pass rewrites
    the raw deliveries of a forgotten person, and landing records the rewrite: such a file is not new
    data, and must not make the next tick rebuild everything below its table. Only files already in the
    cursor are hashed (a changed file is rare; a new name always gets its run)."""
    changed = [f for f in batch if f.path in seen]
    landed = landing.landed_delivery_ids(landing_dir) if changed else set()
    known = [f for f in changed if landing.delivery_id(raw_dir / f.path) in landed]
    return [f for f in batch if f not in known], known


def run_key(batch: list[RawFile]) -> str:
    h = hashlib.sha256()
    for f in sorted(batch, key=lambda f: f.path):
        h.update(f"{f.path}\0{f.size}\0{f.mtime_ns}\n".encode())
    return "raw-" + h.hexdigest()[:24]


def _asset_selections(context: dg.SensorEvaluationContext, tables: list[str]
                      ) -> list[list[dg.AssetKey] | None]:
    """What the incremental job rebuilds below the tables with new files (their landing outputs
    included), as one selection, or two when a journey is below them: the journey path (what the
    journey syncs need), then the rest. ``[None]`` (the job's whole selection) without a repository."""
    start = [RAW_ASSET_KEYS[t] for t in tables] + list(LANDING_SIDE_KEYS)
    repo = getattr(context, "repository_def", None)
    if repo is None:
        return [None]
    graph = repo.asset_graph
    in_job = set(repo.get_job(INCREMENTAL).asset_layer.selected_asset_keys)
    below = dg.AssetSelection.assets(*start).downstream().resolve(graph) & in_job
    journeys = journey_selection().resolve(graph) & below
    path = below & journey_selection().upstream().resolve(graph) if journeys else set()
    parts = [path, below - path] if path and below - path else [below]
    return [sorted(p, key=lambda k: k.to_user_string()) for p in parts]


@dg.sensor(
    name="new_raw_files_sensor",
    job_name=INCREMENTAL,
    minimum_interval_seconds=MIN_INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="New files under the raw folder -> incremental runs for the new file set: the journey "
    "path first when a journey is below the new files, then the rest.",
)
def new_raw_files_sensor(context: dg.SensorEvaluationContext):
    from orchestration import settings

    config = settings.get()
    raw_dir = config.raw_dir
    seen = parse_cursor(context.cursor)
    # A file modified less than settle seconds ago may still be being copied in: next tick.
    batch = new_files(scan(raw_dir), seen, time.time(), config.sensor_settle_seconds)
    batch, rewritten = split_rewrites(batch, seen, raw_dir, config.landing_dir)
    for f in batch + rewritten:
        seen[f.path] = [f.size, f.mtime_ns]
    if not batch:
        if rewritten:
            context.update_cursor(dump_cursor(seen))
        return dg.SkipReason(f"no new raw files under {raw_dir}" + (
            f" ({len(rewritten)} rewritten by the erasure pass, already landed)" if rewritten else ""))
    tables = sorted({f.table for f in batch})
    context.update_cursor(dump_cursor(seen))
    key = run_key(batch)
    selections = _asset_selections(context, tables)
    tags = {"cjo/trigger": "new_raw_files", "cjo/tables": ",".join(tables)[:1000],
            "cjo/files": str(len(batch)), BATCH_TAG: key}
    if len(selections) == 1:
        return dg.RunRequest(run_key=key, asset_selection=selections[0], tags=tags)
    return [
        dg.RunRequest(run_key=f"{key}-journeys", asset_selection=selections[0],
                      tags={**tags, "cjo/part": "journey path"}),
        dg.RunRequest(run_key=key, asset_selection=selections[1], tags={**tags, "cjo/part": "the rest"}),
    ]


SENSORS = (new_raw_files_sensor,)
