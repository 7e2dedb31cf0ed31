"""Every `make <target>` and `cjo <command>` that a message, a docstring or a doc tells people to run
exists (a message once said `make parse`, which did not)."""

from __future__ import annotations

import re

import typer.main
from pipeline_support import ROOT

from orchestration.cli import app

# `make x` / `cjo x y` inside backticks or parentheses, or at the start of a line in a code block.
MAKE = re.compile(r"(?:[`(]|^\s*)make ([a-z][a-z-]*)", re.M)
CJO = re.compile(r"(?:[`(]|^\s*)cjo ((?:[a-z][a-z-]*)(?: [a-z][a-z-]*)*)", re.M)


def _texts():
    for pattern in ("README.md", "docs/**/*.md", "orchestration/**/*.py", "cjo_data/**/*.py", "Makefile",
                    "scripts/*.sh", "examples/**/*.sh", "examples/**/*.md", "expectations/*.py"):
        for path in ROOT.glob(pattern):
            yield path.relative_to(ROOT), path.read_text(errors="replace")


def _make_targets() -> set[str]:
    return set(re.findall(r"^([a-z][a-z-]*):", (ROOT / "Makefile").read_text(), re.M))


def _cjo_known(words: list[str]) -> bool:
    """True when the leading words name a cjo command (further words are arguments)."""
    cmd = typer.main.get_command(app)
    matched = False
    for word in words:
        subs = getattr(cmd, "commands", None)
        if not subs:
            return matched
        if word not in subs:
            return matched
        cmd, matched = subs[word], True
    return matched


def test_every_make_target_named_exists():
    targets = _make_targets()
    missing = {(str(p), t) for p, text in _texts() for t in MAKE.findall(text) if t not in targets}
    assert not missing, f"named but not in the Makefile: {sorted(missing)}"


def test_every_cjo_command_named_exists():
    missing = {(str(p), c) for p, text in _texts() for c in CJO.findall(text) if not _cjo_known(c.split())}
    assert not missing, f"named but not a cjo command: {sorted(missing)}"
