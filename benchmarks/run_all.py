"""`make bench`: run every benchmarks/bench_*.py at its default (laptop) scale, one after another.

Each benchmark writes its own benchmarks/results/<name>.json. Large runs (1M advisors) take flags
documented in each script; they are not part of the default run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    failed = []
    for script in sorted(HERE.glob("bench_*.py")):
        print(f"== {script.name}", flush=True)
        # bench_pipeline.py defaults to 1M advisors (`make bench`); here it runs at the demo scale.
        env = {**os.environ, "BENCH_SCALE": os.environ.get("BENCH_SCALE", "20000")}
        if subprocess.call([sys.executable, str(script)], cwd=HERE.parent, env=env) != 0:
            failed.append(script.name)
    print("benchmarks failed: " + ", ".join(failed) if failed else "all benchmarks finished")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
