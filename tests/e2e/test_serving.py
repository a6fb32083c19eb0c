"""Serving: health and readiness over HTTP, request signatures, and `python -m bot serve | socket`
refusing to start, with a message naming what is missing, when a required setting is absent."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet

from tests.e2e.world import ADMIN, World
from tests.support.servers import RedisServer, free_port

ROOT = Path(__file__).resolve().parents[2]
KEY = Fernet.generate_key().decode()
# Everything `serve` needs; each test takes some away. Only these reach the process: no stray
# SLACK_* or TALKTURO_* variable of the machine running the tests can change the outcome.
COMPLETE = {
    "SLACK_SIGNING_SECRET": "test-signing-secret",
    "SLACK_BOT_TOKEN": "xoxb-test-token",
    "SLACK_APP_TOKEN": "xapp-test-token",
    "BOT_ENCRYPTION_KEY": KEY,
}


def _env(settings: dict[str, str]) -> dict[str, str]:
    base = {name: os.environ[name] for name in ("PATH", "HOME", "LANG", "SYSTEMROOT") if name in os.environ}
    return {**base, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1", **settings}


def _run(mode: str, settings: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", mode],
        cwd=ROOT,
        env=_env(settings),
        capture_output=True,
        text=True,
        timeout=30,
        stdin=subprocess.DEVNULL,
    )


def _without(*names: str) -> dict[str, str]:
    return {k: v for k, v in COMPLETE.items() if k not in names}


# --- health and readiness --------------------------------------------------------------------------


def test_healthz_and_readyz_answer_with_redis_up(world: World) -> None:
    health = httpx.get(f"{world.bot.url}/healthz")
    assert (health.status_code, health.json()) == (200, {"ok": True})
    ready = httpx.get(f"{world.bot.url}/readyz")
    assert (ready.status_code, ready.json()) == (200, {"ok": True, "redis": "ok"})


def test_readyz_answers_503_while_redis_is_down(world: World, redis_server: RedisServer) -> None:
    redis_server.stop()
    try:
        ready = httpx.get(f"{world.bot.url}/readyz", timeout=10)
        assert (ready.status_code, ready.json()) == (503, {"ok": False, "redis": "unavailable"})
        assert httpx.get(f"{world.bot.url}/healthz").status_code == 200  # the process itself is fine
    finally:
        redis_server.start()
    deadline = time.monotonic() + 10
    while httpx.get(f"{world.bot.url}/readyz").status_code != 200:
        assert time.monotonic() < deadline, "readyz did not recover after Redis came back"
        time.sleep(0.05)


def test_requests_with_a_bad_or_stale_signature_are_refused(world: World) -> None:
    request = world.slack.command("help", user_id=ADMIN)
    forged = {**request.headers, "x-slack-signature": "v0=" + "0" * 64}
    response = world.http.post(f"{world.bot.url}/slack/events", content=request.body, headers=forged)
    assert response.status_code == 401
    stale = {**request.headers, **world.slack.sign(request.body, timestamp=int(time.time()) - 600)}
    response = world.http.post(f"{world.bot.url}/slack/events", content=request.body, headers=stale)
    assert response.status_code == 401
    assert world.send(request).status_code == 200  # the genuine one passes


# --- refusing to start -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "settings", "message"),
    [
        ("serve", _without("SLACK_SIGNING_SECRET"), "Missing setting: SLACK_SIGNING_SECRET."),
        (
            "serve",
            _without("SLACK_BOT_TOKEN"),
            "Missing setting: SLACK_BOT_TOKEN (one workspace), or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET",
        ),
        ("serve", _without("BOT_ENCRYPTION_KEY"), "Missing setting: BOT_ENCRYPTION_KEY."),
        (
            "socket",
            _without("SLACK_APP_TOKEN", "SLACK_BOT_TOKEN"),
            "Missing settings: SLACK_APP_TOKEN, SLACK_BOT_TOKEN.",
        ),
        ("socket", _without("BOT_ENCRYPTION_KEY"), "Missing setting: BOT_ENCRYPTION_KEY."),
    ],
    ids=["serve-signing-secret", "serve-bot-token", "serve-key", "socket-tokens", "socket-key"],
)
def test_a_missing_setting_stops_the_start_with_a_clear_message(
    mode: str, settings: dict[str, str], message: str
) -> None:
    done = _run(mode, settings)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stderr.strip().splitlines()[-1].startswith(f"talkturo: {message}"), done.stderr
    assert "Traceback" not in done.stderr
    assert not any(secret in done.stderr for secret in settings.values())  # names, never values


def test_serve_with_every_setting_starts_and_answers_healthz(redis_server: RedisServer) -> None:
    port = free_port()
    env = _env({**COMPLETE, "HOST": "127.0.0.1", "PORT": str(port), "REDIS_URL": redis_server.url})
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            assert process.poll() is None, process.communicate()
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "serve did not answer within 20 s"
                time.sleep(0.05)
        assert (health.status_code, health.json()) == (200, {"ok": True})
        ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5)
        assert (ready.status_code, ready.json()) == (200, {"ok": True, "redis": "ok"})
    finally:
        process.terminate()
        process.communicate(timeout=10)
