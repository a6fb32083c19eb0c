"""The processes of a run: each in its own OS process, pinned to a core, with CPU and memory readings."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import httpx
import psutil

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex((LOOPBACK, port)) == 0:
                return
        time.sleep(0.02)
    raise TimeoutError(f"nothing listens on {LOOPBACK}:{port} after {timeout}s")


def wait_for_http(url: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1.0).status_code < 500:
                return
        except httpx.HTTPError as error:
            last = error
        time.sleep(0.05)
    raise TimeoutError(f"{url} did not answer within {timeout}s ({last})")


# The cores this process may use when it starts: it pins itself to "the others" during a run, so asking
# again for a second run would see one core only.
_ALLOWED: Final = tuple(sorted(os.sched_getaffinity(0)))


def cores() -> tuple[set[int], set[int]]:
    """(the bot's core, the others): the first allowed core for the bot, the rest for everything else."""
    allowed = _ALLOWED
    if len(allowed) < 2:
        return set(allowed), set(allowed)
    return {allowed[0]}, set(allowed[1:])


@dataclass
class CpuMark:
    wall: float
    cpu: float


@dataclass
class Proc:
    """One child process; `cpu_mark`/`cpu_since` give its CPU use over an interval (1.0 = one core)."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    ps: psutil.Process = field(init=False)

    def __post_init__(self) -> None:
        self.ps = psutil.Process(self.popen.pid)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def cpu_seconds(self) -> float:
        try:
            times = self.ps.cpu_times()
            total = times.user + times.system
            for child in self.ps.children(recursive=True):
                child_times = child.cpu_times()
                total += child_times.user + child_times.system
            return float(total)
        except psutil.Error:
            return 0.0

    def cpu_mark(self) -> CpuMark:
        return CpuMark(time.monotonic(), self.cpu_seconds())

    def cpu_since(self, mark: CpuMark) -> float:
        wall = time.monotonic() - mark.wall
        return (self.cpu_seconds() - mark.cpu) / wall if wall > 0 else 0.0

    def waited_seconds(self) -> float:
        """Time its threads were ready to run but waited for a CPU (/proc/PID/task/*/schedstat)."""
        total = 0
        try:
            for task in Path(f"/proc/{self.pid}/task").iterdir():
                with contextlib.suppress(OSError):
                    total += int((task / "schedstat").read_text().split()[1])
        except OSError:
            return 0.0
        return total / 1e9

    def rss_mib(self) -> float:
        return float(self.ps.memory_info().rss) / (1024 * 1024)

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self, timeout: float = 10.0) -> None:
        if self.popen.poll() is not None:
            return
        self.popen.send_signal(signal.SIGINT if self.name != "redis" else signal.SIGTERM)
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(timeout=timeout)


class Procs:
    """Starts children with their output in a log folder, and stops them all, newest first."""

    def __init__(self, nice: int = 0) -> None:
        self.nice = nice  # priority of every child (negative: ahead of other work on a shared machine)
        self.dir = Path(tempfile.mkdtemp(prefix="talkturo-bench-"))
        self.started: list[Proc] = []

    def start(
        self,
        name: str,
        argv: Sequence[str],
        *,
        cpus: set[int],
        env: Mapping[str, str] | None = None,
        stdin: int | None = subprocess.DEVNULL,
        stdout: int | None = None,
    ) -> Proc:
        log = self.dir / f"{name}.log"
        out = log.open("wb")

        def pin() -> None:
            os.sched_setaffinity(0, cpus)
            if self.nice:
                os.setpriority(os.PRIO_PROCESS, 0, self.nice)

        popen = subprocess.Popen(
            list(argv),
            env=dict(env) if env is not None else None,
            stdin=stdin,
            stdout=stdout if stdout is not None else out,
            stderr=out,
            preexec_fn=pin,
        )
        proc = Proc(name, popen, log)
        self.started.append(proc)
        return proc

    def stop_all(self) -> None:
        for proc in reversed(self.started):
            proc.stop()
        self.started.clear()

    def cleanup(self, keep_logs: bool) -> None:
        self.stop_all()
        if not keep_logs:
            shutil.rmtree(self.dir, ignore_errors=True)


def python() -> str:
    return sys.executable


def redis_argv(port: int, workdir: Path) -> list[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
    # No persistence: the bench measures the bot, not the disk (see bench/README in the report).
    return [
        binary,
        *("--port", str(port), "--bind", LOOPBACK, "--dir", str(workdir)),
        *("--save", "", "--appendonly", "no", "--protected-mode", "yes"),
    ]
