"""Module boundaries: the runtime (the Dagster code location) never imports the demo-data generator or
the bring-your-own-data importers (package `cjo_data`). Those write raw files like any source system."""

from __future__ import annotations

import subprocess
import sys

from pipeline_support import ROOT


def _modules_loaded_by(statement: str) -> set[str]:
    code = f"{statement}\nimport sys\nprint('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_the_code_location_does_not_import_the_generator_or_importers(dbt_manifest):
    loaded = _modules_loaded_by("import orchestration.definitions\norchestration.definitions.defs()")
    assert "orchestration.definitions" in loaded
    assert not {m for m in loaded if m == "cjo_data" or m.startswith("cjo_data.")}


def test_the_cli_loads_them_only_inside_the_command():
    loaded = _modules_loaded_by("import orchestration.cli")
    assert "orchestration.cli" in loaded
    assert not {m for m in loaded if m == "cjo_data" or m.startswith("cjo_data.")}


def _imported_packages(path) -> set[str]:
    import ast

    tree = ast.parse(path.read_text())
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module.split(".")[0])
    return out


def test_expectations_never_import_the_orchestration_package():
    """The runtime runs the suites (orchestration.quality -> expectations); the suites get the contract's
    tables passed in, so the imports run one way only."""
    offenders = {p.name for p in (ROOT / "expectations").glob("*.py") if "orchestration" in _imported_packages(p)}
    assert not offenders
    modules = [f"import expectations.{p.stem}" for p in (ROOT / "expectations").glob("*.py") if p.stem != "__init__"]
    loaded = _modules_loaded_by("\n".join(["import expectations", *modules]))
    assert not {m for m in loaded if m == "orchestration" or m.startswith("orchestration.")}
