"""dagster-dbt's per-invocation target folders are pruned to the newest few; nothing else is touched."""

from __future__ import annotations

import os

from orchestration.dbt_assets import prune_invocation_targets


def test_keeps_the_newest_invocations_the_current_one_and_everything_else(tmp_path):
    target = tmp_path / "target"
    (target / "compiled").mkdir(parents=True)
    (target / "manifest.json").write_text("{}")
    folders = []
    names = ["cjo_dbt_assets-r0-a", "cjo_dbt_assets_2-r0-b", "cjo_dbt_assets_3-r0-c",
             "cjo_dbt_assets-r1-d", "cjo_dbt_assets_2-r1-e", "cjo_dbt_assets_3-r1-f"]
    for i, name in enumerate(names):
        f = target / name
        f.mkdir()
        (f / "run_results.json").write_text("{}")
        os.utime(f / "run_results.json", (1_000_000 + i, 1_000_000 + i))
        os.utime(f, (1_000_000 + i, 1_000_000 + i))  # f0 oldest ... f5 newest
        folders.append(f)
    removed = prune_invocation_targets(target, keep=2, protect=folders[0])
    assert sorted(removed) == sorted(folders[1:4])
    left = sorted(p.name for p in target.iterdir())
    assert left == sorted(["compiled", "manifest.json", folders[0].name, folders[4].name, folders[5].name])
    assert prune_invocation_targets(tmp_path / "missing") == []


def test_a_folder_another_process_is_still_writing_to_is_kept(tmp_path):
    """Another process's live dbt step (its log written a minute ago) sits among old folders: however
    many newer folders there are, it stays; the old ones beside it go."""
    target = tmp_path / "target"
    old = 1_000_000
    folders = []
    for i, name in enumerate(["cjo_dbt_assets-r0-a", "cjo_dbt_assets-r1-b", "cjo_dbt_assets-r2-c",
                              "cjo_dbt_assets-r3-d"]):
        f = target / name
        (f / "run").mkdir(parents=True)
        (f / "run" / "model.sql").write_text("select 1")
        os.utime(f / "run" / "model.sql", (old + i, old + i))
        os.utime(f / "run", (old + i, old + i))
        os.utime(f, (old + i, old + i))
        folders.append(f)
    now = old + 10_000
    os.utime(folders[1] / "run" / "model.sql", (now - 60, now - 60))  # still being written
    removed = prune_invocation_targets(target, keep=1, now=now)
    assert sorted(removed) == [folders[0], folders[2]]
    assert sorted(p.name for p in target.iterdir()) == [folders[1].name, folders[3].name]


def test_the_newest_partial_parse_is_kept_for_the_next_step(tmp_path):
    """A step's partial_parse.msgpack replaces the project's one (atomically, no temp file left), so the
    next dbt step parses only what changed; without one nothing is touched."""
    from orchestration.dbt_assets import keep_partial_parse

    target = tmp_path / "target"
    invocation = target / "cjo_dbt_assets-abc"
    invocation.mkdir(parents=True)
    (target / "partial_parse.msgpack").write_bytes(b"old")
    assert not keep_partial_parse(invocation, target)
    assert (target / "partial_parse.msgpack").read_bytes() == b"old"
    (invocation / "partial_parse.msgpack").write_bytes(b"new")
    assert keep_partial_parse(invocation, target)
    assert (target / "partial_parse.msgpack").read_bytes() == b"new"
    assert sorted(p.name for p in target.iterdir()) == ["cjo_dbt_assets-abc", "partial_parse.msgpack"]
