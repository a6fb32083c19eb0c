"""The load generator: its own process, open loop, over raw keep-alive HTTP/1.1 connections.

python -m bench.loadgen   (driven by bench.run: one JSON line in per step, one JSON line out)

Open loop: send times are fixed before a phase starts (`start + i / rate`) and each request goes out at
its time on an idle connection, or a new one, whether or not earlier requests have been answered. Latency
is measured from the *scheduled* time to the last byte of the response, so a late generator or a full
connection pool shows up in the figures instead of hiding a backlog (no coordinated omission); the
generator's own lateness is reported apart (`lag`). A request unanswered after `timeout` seconds (Slack
gives up after 3) is an error and its connection is dropped.

Steps: {"op": "prepare", ...phase...} builds the signed requests and opens connections, answers
{"ready": true}; {"op": "go"} runs the phase and answers the results; {"op": "quit"} ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import math
import resource
import sys
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from bench.traffic import Built, commands, edit_submissions
from bot.slackfake.payloads import SlackRequests

MAX_CONNECTIONS = 2000
BODY_SAMPLE = 2000


@dataclass
class Shot:
    raw: bytes
    key: str
    due: float = 0.0
    sent: float = math.nan
    done: float = math.nan
    status: int = 0
    error: str = ""
    body: bytes = b""


class Conn(asyncio.Protocol):
    def __init__(self, pool: Pool) -> None:
        self.pool = pool
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.shot: Shot | None = None
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def send(self, shot: Shot) -> None:
        assert self.transport is not None
        self.shot = shot
        shot.sent = self.pool.loop.time()
        self.transport.write(shot.raw)

    def data_received(self, data: bytes) -> None:
        self.buf += data
        end = self.buf.find(b"\r\n\r\n")
        if end < 0 or self.shot is None:
            return
        head = bytes(self.buf[:end]).decode("latin-1").split("\r\n")
        length = -1
        for line in head[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value.strip())
        if length < 0:  # the servers here always send content-length; anything else is an error
            self._finish(0, "no content-length")
            self._drop()
            return
        if len(self.buf) < end + 4 + length:
            return
        shot = self.shot
        shot.body = bytes(self.buf[end + 4 : end + 4 + min(length, BODY_SAMPLE)])
        del self.buf[: end + 4 + length]
        status = int(head[0].split(" ", 2)[1])
        self._finish(status, "" if status == 200 else f"http {status}")
        self.pool.release(self)

    def _finish(self, status: int, error: str) -> None:
        shot = self.shot
        if shot is None:
            return
        shot.done = self.pool.loop.time()
        shot.status = status
        shot.error = error
        self.shot = None
        self.pool.count_finished()

    def _drop(self) -> None:
        if self.transport is not None:
            self.transport.abort()

    def timeout(self) -> None:
        self._finish(0, "timeout")
        self._drop()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._finish(0, "connection closed")
        self.pool.forget(self)


class Pool:
    """Idle connections (last used first, so spare ones idle out), opened on demand up to a cap."""

    def __init__(self, host: str, port: int, timeout: float, cap: int = MAX_CONNECTIONS) -> None:
        self.loop = asyncio.get_running_loop()
        self.host, self.port, self.timeout, self.cap = host, port, timeout, cap
        self.idle: list[Conn] = []
        self.conns: set[Conn] = set()
        self.waiting: deque[Shot] = deque()
        self.connecting = 0
        self.finished = 0
        self.opened = 0
        self.connect_errors = 0
        self.expected = 0
        self.all_done = asyncio.Event()

    def count_finished(self) -> None:
        self.finished += 1
        if self.finished >= self.expected:
            self.all_done.set()

    async def fill(self, count: int) -> None:
        missing = count - len(self.conns)
        if missing > 0:
            results = await asyncio.gather(*(self._open() for _ in range(missing)), return_exceptions=True)
            for result in results:
                if isinstance(result, Conn):
                    self.idle.append(result)

    async def _open(self) -> Conn:
        _, conn = await self.loop.create_connection(lambda: Conn(self), self.host, self.port)
        self.conns.add(conn)
        self.opened += 1
        return conn

    def submit(self, shot: Shot) -> None:
        while self.idle:
            conn = self.idle.pop()
            if not conn.closed:
                conn.send(shot)
                return
        self.waiting.append(shot)
        if len(self.conns) + self.connecting < self.cap:
            self.connecting += 1
            self.loop.create_task(self._connect())

    async def _connect(self) -> None:
        try:
            conn = await self._open()
        except OSError:
            self.connect_errors += 1
            return
        finally:
            self.connecting -= 1
        self.release(conn)

    def release(self, conn: Conn) -> None:
        now = self.loop.time()
        while self.waiting:
            shot = self.waiting.popleft()
            if now - shot.due > self.timeout:
                shot.error, shot.done = "timeout before send", now
                self.count_finished()
                continue
            conn.send(shot)
            return
        self.idle.append(conn)

    def forget(self, conn: Conn) -> None:
        self.conns.discard(conn)
        with contextlib.suppress(ValueError):
            self.idle.remove(conn)

    def expire(self) -> None:
        now = self.loop.time()
        for conn in list(self.conns):
            if conn.shot is not None and now - conn.shot.due > self.timeout:
                conn.timeout()
        while self.waiting and now - self.waiting[0].due > self.timeout:
            shot = self.waiting.popleft()
            shot.error, shot.done = "timeout before send", now
            self.count_finished()

    def close(self) -> None:
        for conn in list(self.conns):
            conn._drop()


def build(phase: dict[str, Any]) -> list[Built]:
    slack = SlackRequests(phase["signing_secret"], team_id=phase.get("team_id", "T1"))
    host, port, path = phase["host"], int(phase["port"]), phase.get("path", "/slack/events")
    count = int(phase["count"])
    if phase["kind"] == "command":
        return commands(slack, phase, count, host, port, path)
    if phase["kind"] == "view_submission":
        return edit_submissions(slack, phase, count, host, port, path)
    raise ValueError(f"unknown kind {phase['kind']!r}")


async def run(phase: dict[str, Any], shots: list[Shot], pool: Pool) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    rate = float(phase["rate"])
    cpu0, wall0 = time.process_time(), loop.time()
    start = loop.time() + 0.02
    for i, shot in enumerate(shots):
        shot.due = start + i / rate
    expiring = True

    async def expirer() -> None:
        while expiring:
            pool.expire()
            await asyncio.sleep(0.05)

    pool.expected, pool.finished = len(shots), 0
    pool.all_done.clear()
    checker = loop.create_task(expirer())
    i, n = 0, len(shots)
    while i < n:
        now = loop.time()
        while i < n and shots[i].due <= now:
            pool.submit(shots[i])
            i += 1
        if i < n:
            await asyncio.sleep(max(0.0, shots[i].due - loop.time()))
    sent_end = loop.time()
    deadline = shots[-1].due + pool.timeout + 0.5 if shots else loop.time()
    if pool.finished < n:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(pool.all_done.wait(), max(0.0, deadline - loop.time()))
    expiring = False
    await checker
    pool.expire()
    wall = loop.time() - wall0
    cpu = time.process_time() - cpu0
    return {
        "start": start,
        "sent_seconds": sent_end - start,
        "cpu": cpu / wall if wall > 0 else 0.0,
        "cpu_seconds": cpu,
        "wall_seconds": wall,
        "connections_opened": pool.opened,
        "connect_errors": pool.connect_errors,
        "due": [s.due for s in shots],
        "ack_from_send_ms": [
            (s.done - s.sent) * 1000 if not (math.isnan(s.done) or math.isnan(s.sent)) else None
            for s in shots
        ],
        "lag_ms": [(s.sent - s.due) * 1000 if not math.isnan(s.sent) else None for s in shots],
        "ack_ms": [(s.done - s.due) * 1000 if not math.isnan(s.done) else None for s in shots],
        "status": [s.status for s in shots],
        "error": [s.error for s in shots],
        "key": [s.key for s in shots],
        "body_empty": [s.body in (b"", b"null") for s in shots],
        "sample_body": shots[0].body.decode("utf-8", "replace") if shots else "",
    }


async def serve() -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=1 << 30)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    phase: dict[str, Any] = {}
    shots: list[Shot] = []
    pool: Pool | None = None
    while True:
        line = await reader.readline()
        if not line:
            break
        step = json.loads(line)
        answer: dict[str, Any]
        if step["op"] == "prepare":
            phase = step
            shots = [Shot(b.raw, b.key) for b in build(phase)]
            # No collector pauses while sending: what is built now lives until the phase ends.
            gc.collect()
            gc.freeze()
            if pool is not None:
                pool.close()
            pool = Pool(phase["host"], int(phase["port"]), float(phase.get("timeout", 3.0)))
            await pool.fill(int(phase.get("connections", 64)))
            answer = {"ready": True, "connections": len(pool.conns)}
        elif step["op"] == "go":
            assert pool is not None
            gc.disable()
            try:
                answer = await run(phase, shots, pool)
            finally:
                gc.enable()
                gc.unfreeze()
            shots = []
        else:
            break
        sys.stdout.write(json.dumps(answer, separators=(",", ":")) + "\n")
        sys.stdout.flush()
    if pool is not None:
        pool.close()


def main() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 8192)), hard))
    asyncio.run(serve())


if __name__ == "__main__":
    main()
