"""The dbt manifest as the activation layer reads it: audience declarations live in dbt model YAML.

Each ``aud_*`` model declares, under ``config.meta``, what it serves (``audience``) and where it goes
(``sync``): ``models/activation/_activation__models.yml``. ``make manifest`` (and the pytest session) run
``dbt parse`` first, so ``target/manifest.json`` exists before anything here is called.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path


class ManifestMissingError(FileNotFoundError):
    """No dbt manifest to read the audience declarations from."""


def manifest_path() -> Path:
    from orchestration import settings

    return settings.get().dbt_manifest


@lru_cache(maxsize=4)
def _load(path: str, mtime_ns: int) -> dict:
    return json.loads(Path(path).read_text())


def load_manifest(path: Path | None = None) -> dict:
    """The parsed manifest (cached per file version). Raises ManifestMissingError naming the fix."""
    path = path or manifest_path()
    if not path.exists():
        raise ManifestMissingError(f"no dbt manifest at {path}: run `make manifest` (or `dbt parse`) first")
    return _load(str(path), path.stat().st_mtime_ns)


def model_nodes(manifest: dict) -> list[dict]:
    return [n for n in manifest.get("nodes", {}).values() if n.get("resource_type") == "model"]


def audience_nodes(manifest: dict) -> list[dict]:
    """Every aud_* model, sorted by name."""
    return sorted((n for n in model_nodes(manifest) if n["name"].startswith("aud_")), key=lambda n: n["name"])


def node_meta(node: dict) -> dict:
    return (node.get("config") or {}).get("meta") or node.get("meta") or {}


def model_node(name: str, manifest: dict | None = None) -> dict:
    """The model called ``name``, or {} when the manifest does not have it (or is missing)."""
    try:
        manifest = manifest if manifest is not None else load_manifest()
    except ManifestMissingError:
        return {}
    return next((n for n in model_nodes(manifest) if n["name"] == name), {})
