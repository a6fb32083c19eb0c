"""No secret leaves the places it belongs: not in logs (every logger at DEBUG), not in anything sent
to Slack, not in Redis. Without BOT_ENCRYPTION_KEY, `serve` refuses to start."""

from __future__ import annotations

import base64
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
import redis
from cryptography.fernet import Fernet

from bot.slackfake import Call
from bot.ui.ids import Action
from tests.e2e import test_oauth as oauth
from tests.e2e.trust import quiet, redis_dump
from tests.e2e.world import (
    ADMIN,
    BOT_TOKEN,
    OAUTH_CLIENT_SECRET,
    SIGNING_SECRET,
    World,
    fresh_account,
    running_world,
    text_of,
)
from tests.support.servers import RedisServer

ROOT = Path(__file__).resolve().parents[2]


class Everything(logging.Handler):
    """Every record of every logger, formatted with its traceback and its raw arguments."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(self.format(record))
            self.lines.append(repr(record.args))
        except Exception as error:  # a record that cannot be formatted is a finding of its own
            self.lines.append(f"unformattable record from {record.name}: {error!r}")


@pytest.fixture
def all_logs() -> Iterator[Everything]:
    """DEBUG on the root logger and on every logger that exists, restored afterwards.

    The bot runs in a thread of this process, so its records reach this handler.
    """
    handler = Everything()
    root = logging.getLogger()
    loggers = [root] + [
        logger for logger in logging.root.manager.loggerDict.values() if isinstance(logger, logging.Logger)
    ]
    saved = {logger.name: (logger.level, logger.disabled) for logger in loggers}
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
        logger.disabled = False
    root.addHandler(handler)
    # Loggers that do not propagate (uvicorn's access log) get the handler directly.
    extra = [logger for logger in loggers if not logger.propagate]
    for logger in extra:
        logger.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        for logger in extra:
            logger.removeHandler(handler)
        for logger in loggers:
            level, disabled = saved[logger.name]
            logger.setLevel(level)
            logger.disabled = disabled


def encodings(secret: str) -> set[str]:
    """The secret and the obvious ways it could be written down."""
    raw = secret.encode()
    forms = {
        secret,
        base64.b64encode(raw).decode(),
        base64.urlsafe_b64encode(raw).decode(),
        base64.b64encode(raw).decode().rstrip("="),
        raw.hex(),
        quote(secret, safe=""),
        quote_plus(secret),
        repr(raw),
    }
    # A secret inside longer base64 lands on one of three alignments: check each's stable middle.
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + raw).decode()
        forms.add(encoded[4 : len(encoded) - 4])
    return {form for form in forms if len(form) >= 8}


def flatten(value: Any) -> str:
    """Every string in a nested structure (bytes decoded), joined, so a search sees them all."""
    parts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, bytes):
            parts.append(node.decode("utf-8", "replace"))
            parts.append(repr(node))
        elif isinstance(node, str):
            parts.append(node)
        elif isinstance(node, dict):
            for key, item in node.items():
                walk(key)
                walk(item)
        elif isinstance(node, list | tuple | set):
            for item in node:
                walk(item)
        else:
            parts.append(repr(node))

    walk(value)
    return "\n".join(parts)


def found_in(haystacks: dict[str, str], secrets: dict[str, str]) -> list[str]:
    hits = []
    for secret_name, secret in secrets.items():
        for form in encodings(secret):
            for place, text in haystacks.items():
                if form in text:
                    hits.append(f"{secret_name} ({form[:6]}…) in {place}")
    return hits


def test_the_whole_flow_leaks_no_secret(world: World, all_logs: Everything) -> None:
    slack_calls: list[Call] = []  # every call, though the helpers clear the fake's record as they go
    world.fake.add_listener(slack_calls.append)
    # connect, create, show, edit, set, assign (by command and by form), a failure, disconnect
    world.connect()
    assistant_id = world.create("Sales Agent")
    world.command('show "Sales Agent"')
    world.wait("chat.postMessage")
    world.command('edit "Sales Agent"')
    form = world.opened_view("talkturo.edit")
    world.submit(form, {"edit.temperature": "0.4", "edit.system_prompt": "Be brief."})
    world.reply("changed *Sales Agent*")
    world.command('set "Sales Agent" max_tokens=300 model=gpt-4o')
    world.reply("Max tokens")
    world.command(f'assign "Sales Agent" {world.phone_numbers[0]}')
    world.reply("assigned numbers")
    world.fake.clear()
    world.command('assign "Sales Agent"')
    form = world.opened_view("talkturo.assign")
    world.submit(form, {"assign.numbers": [world.number_ids[1]]})
    world.reply("assigned numbers")
    world.sandbox.inject_fault("get_assistant", status=401)  # Talkturo refusing the token
    world.command('show "Sales Agent"')
    world.reply("refused this workspace's API token")
    world.command("status")
    world.reply("Token:")
    world.press(Action.CONFIRM_DISCONNECT, world.slug)
    world.reply("the token is deleted")
    world.connect()  # again, so Redis holds a token at the end
    quiet(world)
    assert world.sandbox.assistants[assistant_id]["max_tokens"] == 300

    secrets = {
        "Talkturo token": world.token,
        "Slack bot token": BOT_TOKEN,
        "signing secret": SIGNING_SECRET,
        "encryption key": world.settings.bot_encryption_key.get_secret_value(),  # type: ignore[union-attr]
    }
    haystacks = {
        "logs": "\n".join(all_logs.lines),
        "Slack calls": flatten([[c.method, c.params, c.response] for c in slack_calls]),
        "Redis": flatten(redis_dump(world.settings.redis_url)),
    }
    assert len(all_logs.lines) > 100, "DEBUG logging reached the handler"
    assert any(line.startswith(("bot", "slack")) or " bot" in line for line in all_logs.lines)
    assert any(key == "talkturo:{T1}:workspace" for key in redis_dump(world.settings.redis_url))
    methods = {c.method for c in slack_calls}
    assert {
        "auth.test",
        "users.info",
        "views.open",
        "views.update",
        "chat.postMessage",
        "response_url",
    } <= methods
    assert found_in(haystacks, secrets) == []
    # The bot does show the token's last four characters, and only those.
    status = next(c for c in slack_calls if "Token:" in text_of(c))
    assert "…" + world.token[-4:] in text_of(status)


@pytest.fixture(scope="module")
def oauth_world(redis_server: RedisServer) -> Iterator[World]:
    with running_world(redis_server.url, oauth=True) as world:
        yield world


def test_oauth_mode_keeps_slack_tokens_encrypted_too(
    oauth_world: World, redis_server: RedisServer, all_logs: Everything
) -> None:
    """Multi-workspace mode stores each workspace's bot token in Redis: encrypted, like Talkturo's."""
    world = oauth_world
    if redis_server.proc is None:
        redis_server.start()
    client = redis.Redis.from_url(redis_server.url)
    client.flushall()
    client.close()
    world.fake.clear()
    fresh_account(world)
    slack_calls: list[Call] = []
    world.fake.add_listener(slack_calls.append)

    bot_token = oauth.install(world, "T1")
    oauth.connect(world, ADMIN, bot_token)
    oauth.create(world, "Sales Agent", ADMIN)
    world.wait("chat.postMessage", where=lambda c: "created" in text_of(c))
    quiet(world)

    secrets = {
        "Talkturo token": world.token,
        "Slack bot token (OAuth)": bot_token,
        "client secret": OAUTH_CLIENT_SECRET,
        "signing secret": SIGNING_SECRET,
        "encryption key": world.settings.bot_encryption_key.get_secret_value(),  # type: ignore[union-attr]
    }
    dump = redis_dump(redis_server.url)
    assert "talkturo:{T1}:installation:bot" in dump
    # oauth.v2.access is where Slack hands the token over for the client secret: both belong there.
    others = [[c.method, c.params, c.response] for c in slack_calls if c.method != "oauth.v2.access"]
    haystacks = {"logs": "\n".join(all_logs.lines), "Slack calls": flatten(others), "Redis": flatten(dump)}
    assert found_in(haystacks, secrets) == []


def test_encodings_catch_a_planted_secret() -> None:
    """The search itself works: a token written raw, in base64 or inside longer base64 is found."""
    token = "tk_test_planted_secret_1234"
    inside = base64.b64encode(b'{"token": "' + token.encode() + b'"}').decode()
    for text in (f"x {token} y", base64.b64encode(token.encode()).decode(), inside, quote_plus(token)):
        assert found_in({"here": text}, {"t": token}), text
    assert found_in({"here": "nothing to see"}, {"t": token}) == []


def _serve(env_extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
    keep = {"PATH", "HOME", "LANG", "LC_ALL", "SYSTEMROOT", "TMPDIR"}
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update(
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        REDIS_URL="redis://127.0.0.1:1/0",
        PORT="1",  # never reached: the check comes first
        **env_extra,
    )
    return subprocess.run(
        [sys.executable, "-m", "bot", "serve"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_serve_refuses_to_start_without_an_encryption_key() -> None:
    result = _serve({})
    assert result.returncode == 2, result.stderr
    assert "BOT_ENCRYPTION_KEY" in result.stderr
    assert "Fernet.generate_key()" in result.stderr  # says how to make one
    assert BOT_TOKEN not in result.stderr + result.stdout


@pytest.mark.parametrize("key", ["", "not-a-fernet-key", ",  ,"])
def test_serve_refuses_an_unusable_encryption_key(key: str) -> None:
    result = _serve({"BOT_ENCRYPTION_KEY": key})
    assert result.returncode == 2, result.stderr
    assert "BOT_ENCRYPTION_KEY" in result.stderr


def test_rotated_keys_still_read_old_tokens() -> None:
    """A new key goes first; tokens encrypted with the old one still decrypt, new ones use the new key."""
    from bot.crypto import TokenCipher

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    stored = TokenCipher(old).encrypt("tk_live_rotation")
    rotated = TokenCipher(f"{new}, {old}")
    assert rotated.decrypt(stored) == "tk_live_rotation"
    assert Fernet(new.encode()).decrypt(rotated.encrypt("tk_live_rotation").encode()) == b"tk_live_rotation"


def test_slack_tokens_are_hidden_from_log_records() -> None:
    from bot.redact import hide_slack_tokens

    handler = Everything()
    logger = hide_slack_tokens(logging.getLogger("tests.trust.redact"))
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    logger.debug("answer: %s", {"access_token": "xoxb-1-2-secret", "refresh_token": "xoxe-1-abc"})
    logger.debug("app token xapp-1-A1-9-deadbeef, user xoxp-9-9")
    text = "\n".join(handler.lines)
    assert "secret" not in text and "abc" not in text and "deadbeef" not in text and "xoxp-9" not in text
    assert "xoxb-…" in text and "xapp-…" in text
