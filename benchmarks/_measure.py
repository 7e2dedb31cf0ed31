"""Run a command and measure its wall time and the peak resident memory of its whole process tree."""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psutil

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass
class Measurement:
    step: str
    seconds: float
    peak_rss_mb: float
    returncode: int
    # The machine is shared: the 1/5/15-minute load averages when the step started and ended.
    load_start: list[float] = field(default_factory=list)
    load_end: list[float] = field(default_factory=list)
    # (epoch seconds, RSS MB) every `poll` s, only when asked for (to attribute memory to inner steps).
    samples: list[tuple[float, float]] | None = field(default=None, repr=False)


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def measure(step: str, cmd: list[str], env: dict | None = None, cwd: Path | None = None,
            poll: float = 0.2, keep_samples: bool = False) -> Measurement:
    """Wall time and peak RSS (sum over the process and its children, sampled every `poll` s)."""
    load_start = load()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd)
    peak = 0
    samples: list[tuple[float, float]] = []
    ps = psutil.Process(proc.pid)
    while proc.poll() is None:
        try:
            procs = [ps, *ps.children(recursive=True)]
            rss = sum(p.memory_info().rss for p in procs if p.is_running())
            peak = max(peak, rss)
            if keep_samples:
                samples.append((round(time.time(), 2), round(rss / 2**20, 1)))
        except psutil.Error:
            pass
        time.sleep(poll)
    m = Measurement(step, round(time.perf_counter() - start, 2), round(peak / 2**20, 1), proc.returncode,
                    load_start, load(), samples if keep_samples else None)
    print(f"  {step}: {m.seconds:.1f} s, peak {m.peak_rss_mb:.0f} MB, rc={m.returncode}, load {m.load_end}",
          flush=True)
    return m


def _plain(o: object) -> object:
    if isinstance(o, Measurement):
        return {k: v for k, v in asdict(o).items() if k != "samples"}
    raise TypeError(type(o))


def write_results(name: str, payload: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    payload = {"measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "machine": {"cpus": psutil.cpu_count(), "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
                           "load_avg_at_write": load()},
               **payload}
    path.write_text(json.dumps(payload, indent=2, default=_plain) + "\n")
    print(f"wrote {path}")
    return path
