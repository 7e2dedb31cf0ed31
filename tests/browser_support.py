"""Shared by the browser tests (tests/test_browser.py, tests/dashboard/test_dashboard_browser.py): Debian's
chromium (installed by scripts/ensure_chromium.sh when missing), free ports, waiting for a server, and
stopping a server's whole process group and checking nothing of it is left.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

from pipeline_support import ROOT

OUTPUT = Path(__file__).parent / "output"
CHROMIUM = os.environ.get("CJO_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# dagster dev loads the code location (dbt manifest, every area) before the UI can show assets;
# stack-notes measured ~32 s on an idle 2-core machine. A loaded CI machine needs more.
LOAD_TIMEOUT_S = 420


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _port_is_free(port: int) -> bool:
    """Nobody listens on the port (SO_REUSEADDR: connections left in TIME_WAIT do not count)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _live_group_members(pgid: int) -> list[str]:
    """Processes of the group that are still alive (zombies, which only wait to be reaped by the
    container's init, do not count)."""
    import psutil

    left = []
    for p in psutil.process_iter(["pid", "status", "cmdline"]):
        try:
            if os.getpgid(p.pid) == pgid and p.info["status"] != psutil.STATUS_ZOMBIE:
                left.append(f"{p.pid}: {' '.join(p.info['cmdline'] or [])[:100]}")
        except (ProcessLookupError, psutil.Error):
            continue
    return left


def _wait_http(url: str, proc: subprocess.Popen, timeout: float) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited early with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(1)
    raise TimeoutError(f"{url} did not answer within {timeout}s")




@contextlib.contextmanager
def running_server(cmd: list[str], env: dict, log_path: Path, ready_url: str, timeout: float):
    """Start a server in its own process group (logging to `log_path`), wait until `ready_url` answers,
    yield; then stop the whole group (stop_group). A server that does not come up fails with its log."""
    port = int(ready_url.split(":")[2].split("/")[0])
    log = log_path.open("w")
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        try:
            _wait_http(ready_url, proc, timeout)
        except (RuntimeError, TimeoutError) as exc:
            log.flush()
            tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-40:])
            raise RuntimeError(f"{exc}\n--- {log_path.name} (tail) ---\n{tail}") from None
        yield proc
    finally:
        stop_group(proc, port)
        log.close()


def ensure_chromium() -> str:
    proc = subprocess.run([str(ROOT / "scripts" / "ensure_chromium.sh")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return CHROMIUM


def stop_group(proc: subprocess.Popen, port: int) -> None:
    """SIGTERM the server's process group, then SIGKILL what is left; the port must be free and no
    process of the group alive afterwards."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        pass
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)  # whatever is left of the group
    proc.wait(timeout=30)
    deadline = time.time() + 30
    while not _port_is_free(port) and time.time() < deadline:
        time.sleep(0.5)
    assert _port_is_free(port), f"port {port} still in use after stopping {proc.args[0]}"
    deadline = time.time() + 30
    while (left := _live_group_members(proc.pid)) and time.time() < deadline:
        time.sleep(0.5)
    assert not left, f"processes of {proc.args[0]}'s group still running: {left}"
