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
    loaded = _modules_loaded_by("import orchestration.definitions")
    assert "orchestration.definitions" in loaded
    assert not {m for m in loaded if m == "cjo_data" or m.startswith("cjo_data.")}


def test_the_cli_loads_them_only_inside_the_command():
    loaded = _modules_loaded_by("import orchestration.cli")
    assert "orchestration.cli" in loaded
    assert not {m for m in loaded if m == "cjo_data" or m.startswith("cjo_data.")}
