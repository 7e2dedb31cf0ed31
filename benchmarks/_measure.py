"""Run a command and measure its wall time and the peak resident memory of its whole process tree."""

from __future__ import annotations

import json
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass
class Measurement:
    step: str
    seconds: float
    peak_rss_mb: float
    returncode: int


def measure(step: str, cmd: list[str], env: dict | None = None, cwd: Path | None = None,
            poll: float = 0.2) -> Measurement:
    """Wall time and peak RSS (sum over the process and its children, sampled every `poll` s)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd)
    peak = 0
    ps = psutil.Process(proc.pid)
    while proc.poll() is None:
        try:
            procs = [ps, *ps.children(recursive=True)]
            rss = sum(p.memory_info().rss for p in procs if p.is_running())
            peak = max(peak, rss)
        except psutil.Error:
            pass
        time.sleep(poll)
    m = Measurement(step, round(time.perf_counter() - start, 2), round(peak / 2**20, 1), proc.returncode)
    print(f"  {step}: {m.seconds:.1f} s, peak {m.peak_rss_mb:.0f} MB, rc={m.returncode}", flush=True)
    return m


def write_results(name: str, payload: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    payload = {"measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "machine": {"cpus": psutil.cpu_count(), "memory_gb": round(psutil.virtual_memory().total / 2**30, 1)},
               **payload}
    path.write_text(json.dumps(payload, indent=2, default=lambda o: asdict(o)) + "\n")
    print(f"wrote {path}")
    return path
