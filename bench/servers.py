"""Start and stop the servers under test, and read their memory.

Each server runs in a process group of its own so that stopping it stops its
workers too; every server started is stopped when the harness exits, however
it exits (normal end, exception, Ctrl-C, SIGTERM).
"""

import atexit
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

from loadgen import HOST, get

PORTS = range(8300, 8400)  # the range this harness may use
_running: list["Server"] = []


def free_port(taken: set[int] = frozenset()) -> int:
    for port in PORTS:
        if port in taken:
            continue
        with socket.socket() as probe:
            try:
                probe.bind((HOST, port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"No free port on {HOST} in {PORTS.start}-{PORTS.stop - 1}")


class Server:
    def __init__(self, name: str, argv: list[str], *, port: int, env: dict, cwd: Path, log: Path, ready_path: str):
        self.name, self.argv, self.port, self.env, self.cwd = name, argv, port, env, cwd
        self.log, self.ready_path = log, ready_path
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 120.0) -> "Server":
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                self.argv, cwd=self.cwd, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        _running.append(self)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}; see {self.log}")
            try:
                if get(self.port, self.ready_path, timeout=30).status < 500:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer on port {self.port} within {timeout:.0f} s; see {self.log}")

    def stop(self) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        # The group is the one start_new_session made for this server: only its own processes.
        for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                break
            try:
                process.wait(wait)
                break
            except subprocess.TimeoutExpired:
                continue
        if self in _running:
            _running.remove(self)

    def pids(self) -> list[int]:
        """The server's process and its direct children (gunicorn's workers)."""
        if self.process is None:
            return []
        pid = self.process.pid
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            children = []
        return [pid, *map(int, children)]

    def memory(self, field: str = "VmHWM") -> dict[int, int]:
        """A memory figure (KiB) of each process of the server, by pid: by default the peak resident set."""
        peaks = {}
        for pid in self.pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith(f"{field}:"):
                    peaks[pid] = int(line.split()[1])
        return peaks


def stop_all() -> None:
    for server in list(_running):
        server.stop()


def _on_signal(signum, frame):
    raise SystemExit(128 + signum)  # unwinds through finally blocks and atexit, which stop the servers


atexit.register(stop_all)
signal.signal(signal.SIGTERM, _on_signal)
