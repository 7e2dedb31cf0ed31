#!/usr/bin/env python3
"""A throwaway PostgreSQL server on 127.0.0.1 for tests and benchmarks.

    python scripts/pg_test_server.py start   # prints the DSN and the data dir (as JSON)
    python scripts/pg_test_server.py stop DATA_DIR

Installs Debian's ``postgresql`` package with apt-get if no ``initdb`` is found (CI machines start
fresh), creates a cluster in a temporary folder with ``initdb``, starts it on a free loopback port with
``pg_ctl`` and removes everything on stop. We run as root in CI and PostgreSQL refuses to run as root,
so the server runs as the ``postgres`` system user (created by the package).
"""

from __future__ import annotations

import glob
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass
class PgServer:
    data_dir: Path
    port: int
    bin_dir: Path

    @property
    def dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        stop(self.data_dir, self.bin_dir)


def _bin_dir() -> Path | None:
    # Debian puts server binaries in /usr/lib/postgresql/<major>/bin (not on PATH): take the newest.
    found = [Path(c) for c in glob.glob("/usr/lib/postgresql/*/bin") if Path(c, "initdb").exists()]
    if found:
        return max(found, key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


def ensure_installed() -> Path:
    bin_dir = _bin_dir()
    if bin_dir is None:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-q"], check=True, env=env, stdout=subprocess.DEVNULL)
        subprocess.run(
            ["apt-get", "install", "-y", "-q", "--no-install-recommends", "postgresql"],
            check=True,
            env=env,
            stdout=subprocess.DEVNULL,
        )
        bin_dir = _bin_dir()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL is not installed and apt-get install postgresql did not provide initdb")
    return bin_dir


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    return ["runuser", "-u", "postgres", "--", *cmd]


def start(fsync: bool = False) -> PgServer:
    """Start a server; ``fsync=False`` for tests (we never crash the server itself, only the client)."""
    bin_dir = ensure_installed()
    data_dir = Path(tempfile.mkdtemp(prefix="cjo-pg-"))
    if os.geteuid() == 0:
        pw = pwd.getpwnam("postgres")
        os.chown(data_dir, pw.pw_uid, pw.pw_gid)
    subprocess.run(
        _as_postgres(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(data_dir / "data"),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
            ]
        ),
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    for attempt in range(5):
        port = _free_port()
        opts = (
            f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={data_dir} "
            f"-c fsync={'on' if fsync else 'off'} -c max_connections=50"
        )
        proc = subprocess.run(
            _as_postgres(
                [
                    str(bin_dir / "pg_ctl"),
                    "-D",
                    str(data_dir / "data"),
                    "-o",
                    opts,
                    "-w",
                    "-t",
                    "60",
                    "-l",
                    str(data_dir / "server.log"),
                    "start",
                ]
            ),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        if proc.returncode == 0:
            return PgServer(data_dir, port, bin_dir)
        time.sleep(0.2 * (attempt + 1))  # the port was taken between the probe and the bind: retry
    log = (data_dir / "server.log").read_text() if (data_dir / "server.log").exists() else ""
    shutil.rmtree(data_dir, ignore_errors=True)
    raise RuntimeError(f"could not start PostgreSQL: {proc.stderr.decode()[-500:]} {log[-1000:]}")


def stop(data_dir: Path, bin_dir: Path | None = None) -> None:
    bin_dir = bin_dir or ensure_installed()
    if (Path(data_dir) / "data").exists():
        subprocess.run(
            _as_postgres(
                [str(bin_dir / "pg_ctl"), "-D", str(Path(data_dir) / "data"), "-m", "immediate", "-w", "stop"]
            ),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    shutil.rmtree(data_dir, ignore_errors=True)


def main(argv: list[str]) -> int:
    if argv[:1] == ["start"]:
        srv = start(fsync="--fsync" in argv)
        print(json.dumps({"dsn": srv.dsn, "data_dir": str(srv.data_dir), "port": srv.port}))
        return 0
    if argv[:1] == ["stop"] and len(argv) == 2:
        stop(Path(argv[1]))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
