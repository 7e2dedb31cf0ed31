"""Which audiences carry journey messages: those declared (meta.audience.serves) to serve only journey
actions of the catalog (seed actions, trigger = journey). Their syncs belong in the event-driven run."""

from __future__ import annotations

from orchestration.activation.manifest import audience_nodes, load_manifest, node_meta
from orchestration.journeys.spec import journey_actions_in_catalog


def journey_audiences(manifest: dict | None = None) -> list[str]:
    from orchestration.journeys.run import catalog_csv

    journey_actions = set(journey_actions_in_catalog(catalog_csv()))
    out = []
    for node in audience_nodes(manifest if manifest is not None else load_manifest()):
        serves = set((node_meta(node).get("audience") or {}).get("serves") or [])
        if serves and serves <= journey_actions:
            out.append(node["name"])
    return out


def journey_sync_names(manifest: dict | None = None) -> list[str]:
    """The sync names (model name without aud_) of the journey audiences."""
    return [name.removeprefix("aud_") for name in journey_audiences(manifest)]
