"""Benchmark the demo data generator: wall time, CPU time and peak memory per scale.

    .venv/bin/python benchmarks/bench_generate.py            # 20k x 365 and 200k x 365
    .venv/bin/python benchmarks/bench_generate.py --full     # ... and 1M x 365

Each scale runs in a fresh subprocess (so peak RSS is that run's own), writes into a temporary folder
that is deleted afterwards, and the results go to benchmarks/results/generate.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "generate.json"
SCALES = {"20k": (20_000, 365), "200k": (200_000, 365), "1M": (1_000_000, 365)}

CHILD = """
import json, resource, sys, time
from pathlib import Path
from cjo_data.generate import GenerateConfig, generate
t = time.perf_counter(); c = time.process_time()
s = generate(GenerateConfig(advisors=int(sys.argv[1]), days=int(sys.argv[2]), seed=42, out=Path(sys.argv[3])))
s["wall_seconds"] = round(time.perf_counter() - t, 2)
s["cpu_seconds"] = round(time.process_time() - c, 2)
s["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
print(json.dumps(s))
"""


def _du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def run(label: str, advisors: int, days: int) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix=f"bench-gen-{label}-"))
    try:
        started = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", CHILD, str(advisors), str(days), str(tmp / "raw")],
                              cwd=ROOT, capture_output=True, text=True, check=True)
        summary = json.loads(proc.stdout.strip().splitlines()[-1])
        summary["process_seconds"] = round(time.perf_counter() - started, 2)  # includes interpreter start
        summary["bytes_written"] = _du(tmp / "raw")
        summary["events_per_advisor"] = round(summary["events"] / advisors, 1)
        return {"scale": label, "advisors": advisors, "days": days, **summary}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--full", action="store_true", help="also run 1M advisors x 365 days")
    ap.add_argument("--only", choices=sorted(SCALES), help="run one scale only")
    a = ap.parse_args()
    labels = [a.only] if a.only else ["20k", "200k"] + (["1M"] if a.full else [])
    previous = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    runs = {r["scale"]: r for r in previous.get("runs", [])}
    for label in labels:
        r = run(label, *SCALES[label])
        runs[label] = r
        print(f"{label}: {r['wall_seconds']} s wall, {r['cpu_seconds']} s cpu, {r['peak_rss_mb']} MB peak, "
              f"{r['events']:,} events, {r['bytes_written'] / 1e6:.0f} MB written", flush=True)
    out = {
        "benchmark": "generate",
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                    "load_avg_1m_at_end": round(os.getloadavg()[0], 2)},
        "note": "wall time depends on other load on the machine; cpu_seconds is the process's own CPU time",
        "runs": [runs[k] for k in SCALES if k in runs],
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
