"""A real ``streamlit run app.py`` for the benchmarks that need a server (no browser here).

Used by ``bench_browser.py``, ``bench_load.py`` and ``bench_warmup.py``; run from the repo root.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def vm_rss_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of a process in MB (1 MB = 2**20 bytes): its resident set now and at its peak."""
    values = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0]) / 1024.0
    return values["VmRSS"], values["VmHWM"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``streamlit run app.py`` on 127.0.0.1 in a fresh process; ``t0`` is its start.

    Args:
      port: the port (default: a free one).
      extra_env: environment variables on top of this process's.
      name: prefix of the log file (the server writes to a file: a full pipe would block it).
    """

    def __init__(self, port: int | None = None, extra_env: dict[str, str] | None = None, name: str = "bench"):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.NamedTemporaryFile(prefix=f"{name}_", suffix=".log", delete=False)
        env = {**os.environ, "PYTHONUNBUFFERED": "1", **(extra_env or {})}
        self.t0 = time.perf_counter()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "app.py",
                "--server.headless",
                "true",
                "--server.port",
                str(self.port),
                "--server.address",
                "127.0.0.1",
                "--browser.gatherUsageStats",
                "false",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def wait_healthy(self, timeout: float = 90.0) -> float:
        """Seconds from the start until ``GET /_stcore/health`` answers ``ok``."""
        deadline = time.perf_counter() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200 and r.read().strip() == b"ok":
                        return time.perf_counter() - self.t0
            except OSError:
                pass
            if time.perf_counter() > deadline or self.proc.poll() is not None:
                self.stop()
                raise RuntimeError("streamlit did not start:\n" + self.log_tail())
            time.sleep(0.05)

    def wait_for_log(self, text: str, timeout: float) -> float | None:
        """Seconds from the start until ``text`` appears in the server's log; ``None`` after ``timeout``."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline and self.proc.poll() is None:
            with open(self.log.name, errors="replace") as f:
                if text in f.read():
                    return time.perf_counter() - self.t0
            time.sleep(0.2)
        return None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=20)
        self.log.close()

    def log_tail(self, n: int = 30) -> str:
        with open(self.log.name, errors="replace") as f:
            return "".join(f.readlines()[-n:])

    def log_errors(self) -> list[str]:
        with open(self.log.name, errors="replace") as f:
            return [
                line.rstrip() for line in f if "Traceback" in line or " ERROR " in line or "Exception" in line
            ]
