"""The system under test, each part in its own process: Redis, the Talkturo sandbox, the Slack fake, the
bot as `python -m bot serve` runs it, and the load generator; plus the bare reference server."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import subprocess
import time
from dataclasses import dataclass
from typing import Any

import httpx
from cryptography.fernet import Fernet
from pydantic import SecretStr
from redis import Redis

from bench.procs import (
    LOOPBACK,
    Proc,
    Procs,
    cores,
    free_port,
    python,
    redis_argv,
    wait_for_http,
    wait_for_port,
)
from bot.slackfake.payloads import SignedRequest, SlackRequests
from bot.talkturo.client import Account, TalkturoClient

TEAM = "T1"
ADMIN = "UADMIN"
BOT_TOKEN = "xoxb-bench-T1"
SLUG = "bench"
TALKTURO_TOKEN = "tk_bench_0123456789abcdef"
# Settings the bot must not pick up from the caller's environment.
_SCRUB = ("SLACK_", "REDIS_URL", "TALKTURO_", "BOT_ENCRYPTION_KEY", "HOST", "PORT", "LOG_LEVEL")


@dataclass
class Stack:
    procs: Procs
    bot_cpus: set[int]
    other_cpus: set[int]
    redis: Proc
    sandbox: Proc
    fake: Proc
    bot: Proc
    generator: Proc
    redis_port: int
    sandbox_port: int
    fake_port: int
    bot_port: int
    signing_secret: str
    http: httpx.Client
    bare: Proc | None = None
    bare_port: int = 0
    _redis: Redis | None = None

    # -- start and stop ---------------------------------------------------------------------------

    @classmethod
    def start(cls, latency_ms: float, nice: int = 0) -> Stack:
        procs = Procs(nice)
        bot_cpus, other_cpus = cores()
        os.sched_setaffinity(0, other_cpus)  # this process too stays off the bot's core
        if nice:
            os.setpriority(os.PRIO_PROCESS, 0, nice)
        redis_port, sandbox_port, fake_port, bot_port = (free_port() for _ in range(4))
        signing_secret = secrets.token_hex(16)
        try:
            redis_proc = procs.start("redis", redis_argv(redis_port, procs.dir), cpus=other_cpus)
            sandbox = procs.start(
                "sandbox",
                [
                    python(),
                    "-m",
                    "bot.sandbox",
                    "--port",
                    str(sandbox_port),
                    "--latency-ms",
                    str(latency_ms),
                    "--account",
                    f"{SLUG}:{TALKTURO_TOKEN}",
                ],
                cpus=other_cpus,
            )
            fake = procs.start(
                "slackfake",
                [
                    python(),
                    "-m",
                    "bench.slackfake_server",
                    "--port",
                    str(fake_port),
                    "--team",
                    TEAM,
                    "--bot-token",
                    BOT_TOKEN,
                    "--user",
                    f"{ADMIN}:ada:admin",
                ],
                cpus=other_cpus,
            )
            wait_for_port(redis_port)
            wait_for_http(f"http://{LOOPBACK}:{sandbox_port}/_sandbox/calls")
            wait_for_http(f"http://{LOOPBACK}:{fake_port}/_bench/stats")
            env = {k: v for k, v in os.environ.items() if not k.startswith(_SCRUB)}
            env.update(
                SLACK_SIGNING_SECRET=signing_secret,
                SLACK_BOT_TOKEN=BOT_TOKEN,
                SLACK_API_URL=f"http://{LOOPBACK}:{fake_port}/api/",
                REDIS_URL=f"redis://{LOOPBACK}:{redis_port}/0",
                TALKTURO_API_URL=f"http://{LOOPBACK}:{sandbox_port}/api",
                BOT_ENCRYPTION_KEY=Fernet.generate_key().decode(),
                HOST=LOOPBACK,
                PORT=str(bot_port),
            )
            bot = procs.start("bot", [python(), "-m", "bot", "serve"], cpus=bot_cpus, env=env)
            wait_for_http(f"http://{LOOPBACK}:{bot_port}/readyz")
            generator = procs.start(
                "loadgen",
                [python(), "-m", "bench.loadgen"],
                cpus=other_cpus,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
            )
        except BaseException:
            procs.cleanup(keep_logs=True)
            raise
        return cls(
            procs=procs,
            bot_cpus=bot_cpus,
            other_cpus=other_cpus,
            redis=redis_proc,
            sandbox=sandbox,
            fake=fake,
            bot=bot,
            generator=generator,
            redis_port=redis_port,
            sandbox_port=sandbox_port,
            fake_port=fake_port,
            bot_port=bot_port,
            signing_secret=signing_secret,
            http=httpx.Client(timeout=30),
        )

    def start_bare(self) -> None:
        self.bare_port = free_port()
        env = {**os.environ, "SLACK_SIGNING_SECRET": self.signing_secret}
        self.bare = self.procs.start(
            "bare",
            [python(), "-m", "bench.bare_server", "--port", str(self.bare_port)],
            cpus=self.bot_cpus,
            env=env,
        )
        wait_for_http(f"http://{LOOPBACK}:{self.bare_port}/healthz")

    def stop_bare(self) -> None:
        if self.bare is not None:
            self.bare.stop()
            self.bare = None

    def stop(self, keep_logs: bool = False) -> None:
        self.http.close()
        if self._redis is not None:
            self._redis.close()
        if self.generator.popen.stdin is not None:
            try:
                self.generator.popen.stdin.write(b'{"op": "quit"}\n')
                self.generator.popen.stdin.flush()
            except OSError:
                pass
        self.procs.cleanup(keep_logs=keep_logs)

    def check_alive(self) -> None:
        for proc in (self.redis, self.sandbox, self.fake, self.bot, self.generator):
            if not proc.alive():
                raise RuntimeError(f"{proc.name} exited; see {proc.log}")

    # -- the generator -----------------------------------------------------------------------------

    def _ask(self, step: dict[str, Any]) -> dict[str, Any]:
        popen = self.generator.popen
        assert popen.stdin is not None and popen.stdout is not None
        popen.stdin.write(json.dumps(step).encode() + b"\n")
        popen.stdin.flush()
        line = popen.stdout.readline()
        if not line:
            raise RuntimeError(f"the load generator exited; see {self.generator.log}")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def prepare(self, phase: dict[str, Any]) -> dict[str, Any]:
        return self._ask({"op": "prepare", "signing_secret": self.signing_secret, "team_id": TEAM, **phase})

    def go(self) -> dict[str, Any]:
        return self._ask({"op": "go"})

    # -- what the parts count ----------------------------------------------------------------------

    @property
    def bot_url(self) -> str:
        return f"http://{LOOPBACK}:{self.bot_port}"

    @property
    def fake_url(self) -> str:
        return f"http://{LOOPBACK}:{self.fake_port}"

    @property
    def sandbox_url(self) -> str:
        return f"http://{LOOPBACK}:{self.sandbox_port}"

    def sandbox_calls(self) -> dict[str, int]:
        calls: dict[str, int] = self.http.get(f"{self.sandbox_url}/_sandbox/calls").json()["calls"]
        return calls

    def set_latency(self, seconds: float, endpoint: str | None = None) -> None:
        body: dict[str, Any] = {"seconds": seconds}
        if endpoint:
            body["endpoint"] = endpoint
        self.http.post(f"{self.sandbox_url}/_sandbox/latency", json=body).raise_for_status()

    def fake_stats(self) -> dict[str, dict[str, int]]:
        stats: dict[str, dict[str, int]] = self.http.get(f"{self.fake_url}/_bench/stats").json()
        return stats

    def arrivals(self, method: str) -> dict[str, float]:
        found: dict[str, float] = self.http.get(
            f"{self.fake_url}/_bench/arrivals", params={"method": method}
        ).json()
        return found

    def clear_fake(self) -> None:
        self.http.post(f"{self.fake_url}/_bench/clear").raise_for_status()

    def response_urls(self, count: int) -> list[str]:
        urls: list[str] = self.http.post(
            f"{self.fake_url}/_bench/response_urls", json={"n": count, "team_id": TEAM}
        ).json()
        return urls

    def view(self, callback_id: str, timeout: float = 10.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            response = self.http.get(f"{self.fake_url}/_bench/view", params={"callback_id": callback_id})
            if response.status_code == 200:
                view: dict[str, Any] = response.json()
                return view
            if time.monotonic() > deadline:
                raise RuntimeError(f"no view {callback_id!r} at the Slack fake: {response.text}")
            time.sleep(0.05)

    def redis_info(self) -> dict[str, Any]:
        """INFO over one connection kept open, so that our own traffic is exactly one read per call."""
        if self._redis is None:
            self._redis = Redis(host=LOOPBACK, port=self.redis_port)
            self._redis.ping()  # the connection's handshake happens here, not between two readings
        info: dict[str, Any] = self._redis.info("stats", "commandstats")
        return info

    # -- talking to the bot as Slack does ------------------------------------------------------------

    def slack(self) -> SlackRequests:
        return SlackRequests(self.signing_secret, team_id=TEAM, response_url_factory=self._one_url)

    def _one_url(self, _team: str) -> str:
        return self.response_urls(1)[0]

    def send(self, request: SignedRequest) -> httpx.Response:
        response = self.http.post(
            f"{self.bot_url}/slack/events", content=request.body, headers=request.headers
        )
        if response.status_code != 200:
            raise RuntimeError(f"the bot answered {response.status_code}: {response.text}")
        return response

    def wait_posts(self, count: int, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while self.fake_stats()["counts"].get("chat.postMessage", 0) < count:
            if time.monotonic() > deadline:
                raise RuntimeError(f"fewer than {count} chat.postMessage calls; {self.fake_stats()}")
            time.sleep(0.05)

    def connect(self) -> None:
        """The real connect flow: the command, the modal, the submission with the sandbox's account."""
        slack = self.slack()
        posted = self.fake_stats()["counts"].get("chat.postMessage", 0)
        self.send(slack.command("connect", user_id=ADMIN, channel_id="CSETUP"))
        view = self.view("talkturo.connect")
        values = {"connect.slug": SLUG, "connect.token": TALKTURO_TOKEN}
        answer = self.send(slack.view_submission(view, values, user_id=ADMIN))
        if answer.text not in ("", "null"):
            raise RuntimeError(f"connect refused: {answer.text}")
        self.wait_posts(posted + 1)

    def account(self) -> Account:
        return Account(base_url=f"{self.sandbox_url}/api", slug=SLUG, token=SecretStr(TALKTURO_TOKEN))

    def create_assistants(self, count: int, name: str, concurrency: int = 32) -> list[list[str]]:
        """[id, updated_at] of `count` new assistants, made directly at the sandbox (without latency)."""
        self.set_latency(0.0, "create_assistant")

        async def make() -> list[list[str]]:
            slots = asyncio.Semaphore(concurrency)
            async with TalkturoClient() as client:

                async def one() -> list[str]:
                    async with slots:
                        made = await client.create_assistant(self.account(), name, "custom")
                    return [made.id, made.updated_at or ""]

                return list(await asyncio.gather(*(one() for _ in range(count))))

        return asyncio.run(make())

    def wait_idle(
        self, proc: Proc, threshold: float = 0.05, window: float = 0.25, cap: float = 15.0
    ) -> float:
        """Wait until `proc` uses under `threshold` of a core over `window`; the seconds waited."""
        started = time.monotonic()
        while time.monotonic() - started < cap:
            mark = proc.cpu_mark()
            time.sleep(window)
            if proc.cpu_since(mark) < threshold:
                break
        return time.monotonic() - started
