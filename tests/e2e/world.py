"""The whole bot over real HTTP: uvicorn serving `serve`'s app, a real Redis, the Talkturo sandbox, and
the Slack fake as Slack's Web API. Tests act as Slack would: signed requests to /slack/events."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from cryptography.fernet import Fernet
from pydantic import SecretStr

from bot.config import Settings
from bot.sandbox import SandboxState
from bot.sandbox import create_app as create_sandbox
from bot.server import create_server_app
from bot.slackfake import SlackFake
from bot.slackfake import create_app as create_slack_fake
from bot.slackfake.payloads import SignedRequest, SlackRequests
from bot.slackfake.state import Call
from tests.support.servers import AsgiServer

SIGNING_SECRET = "test-signing-secret-8f1d2c"
BOT_TOKEN = "xoxb-test-bot-token-T1"
ADMIN, MEMBER, GUEST, OTHER = "UADMIN", "UMEMBER", "UGUEST", "UOTHER"
CHANNEL = "CGENERAL"
_slugs = itertools.count(1)


@dataclass
class World:
    bot: AsgiServer
    sandbox: SandboxState
    fake: SlackFake
    settings: Settings
    slack: SlackRequests
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=10))
    slug: str = ""
    token: str = ""
    number_ids: list[str] = field(default_factory=list)
    phone_numbers: list[str] = field(default_factory=list)

    # Talking to the bot as Slack does ------------------------------------------------------------

    def send(self, request: SignedRequest) -> httpx.Response:
        return self.http.post(f"{self.bot.url}/slack/events", content=request.body, headers=request.headers)

    def command(
        self, text: str, *, user: str = ADMIN, channel: str = CHANNEL, **kwargs: Any
    ) -> httpx.Response:
        response = self.send(self.slack.command(text, user_id=user, channel_id=channel, **kwargs))
        assert response.status_code == 200, response.text
        return response

    def submit(
        self, view: dict[str, Any], values: dict[str, Any] | None = None, *, user: str = ADMIN
    ) -> httpx.Response:
        response = self.send(self.slack.view_submission(view, values or {}, user_id=user))
        assert response.status_code == 200, response.text
        return response

    def press(self, action_id: str, value: str, *, user: str = ADMIN, **kwargs: Any) -> httpx.Response:
        request = self.slack.block_action(action_id, value, user_id=user, channel_id=CHANNEL, **kwargs)
        response = self.send(request)
        assert response.status_code == 200, response.text
        return response

    # Waiting for what the bot does after the ack -------------------------------------------------

    def wait(self, method: str, count: int = 1, where: Callable[[Call], bool] | None = None) -> list[Call]:
        return self.fake.wait_for(method, count=count, timeout=10, where=where)

    def reply(self, contains: str) -> Call:
        """The first response_url post, ephemeral message or channel post whose text holds `contains`."""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            for call in self.fake.calls():
                if call.method in (
                    "response_url",
                    "chat.postEphemeral",
                    "chat.postMessage",
                ) and contains in text_of(call):
                    return call
            time.sleep(0.02)
        seen = [(c.method, text_of(c)[:200]) for c in self.fake.calls()]
        raise AssertionError(f"no reply containing {contains!r}; saw {seen}")

    def opened_view(self, callback_id: str) -> dict[str, Any]:
        """The modal now shown with this callback_id (after views.open and any views.update)."""
        deadline = time.monotonic() + 10
        while True:
            try:
                return self.fake.latest_view(callback_id)
            except AssertionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    def connect(self, *, user: str = ADMIN) -> None:
        """The real connect flow, so later steps act on a connected workspace."""
        self.command("connect", user=user)
        view = self.opened_view("talkturo.connect")
        response = self.submit(view, {"connect.slug": self.slug, "connect.token": self.token}, user=user)
        assert response.text in ("", "null"), response.text
        self.wait("chat.postMessage", where=lambda c: "connected this workspace" in text_of(c))
        self.fake.clear()

    def create(self, name: str, template: str = "outbound-setter") -> str:
        """Create through the modal; the new assistant's ID."""
        before = set(self.sandbox.assistants)
        self.command(f'create "{name}" --template {template}')
        self.submit(self.opened_view("talkturo.create"))
        self.wait("chat.postMessage", where=lambda c: "created" in text_of(c))
        (new_id,) = set(self.sandbox.assistants) - before
        self.fake.clear()
        return new_id


def text_of(call: Call) -> str:
    """All the text a person would read in a recorded call: `text` and every text inside blocks."""
    parts = [str(call.params.get("text") or "")]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "text" and isinstance(value, str):
                    parts.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(call.params.get("blocks"))
    return "\n".join(parts)


@contextmanager
def running_world(redis_url: str) -> Iterator[World]:
    sandbox = SandboxState()
    fake = SlackFake()
    fake.add_workspace(team_id="T1", bot_token=BOT_TOKEN, team_name="Acme")
    fake.add_user(ADMIN, "T1", "ada", is_admin=True)
    fake.add_user(MEMBER, "T1", "max")
    fake.add_user(GUEST, "T1", "gus", is_restricted=True)
    fake.add_user(OTHER, "T1", "olga")
    with (
        AsgiServer(create_sandbox(sandbox)) as sandbox_server,
        AsgiServer(create_slack_fake(fake)) as fake_server,
    ):
        fake.base_url = fake_server.url
        settings = Settings(
            slack_signing_secret=SecretStr(SIGNING_SECRET),
            slack_bot_token=SecretStr(BOT_TOKEN),
            slack_api_url=f"{fake_server.url}/api/",
            redis_url=redis_url,
            talkturo_api_url=f"{sandbox_server.url}/api",
            bot_encryption_key=SecretStr(Fernet.generate_key().decode()),
            slack_client_id=None,
            slack_client_secret=None,
        )
        slack = SlackRequests(SIGNING_SECRET, team_id="T1", response_url_factory=fake.response_url)
        with AsgiServer(create_server_app(settings)) as bot:
            world = World(bot=bot, sandbox=sandbox, fake=fake, settings=settings, slack=slack)
            yield world
            world.http.close()


def fresh_account(world: World) -> None:
    """A new Talkturo account per test: numbers and names never leak between tests."""
    n = next(_slugs)
    account = world.sandbox.add_account(f"acme-{n}", token=f"tk_test_acme_{n}_secret", numbers=5)
    world.slug, world.token = account.slug, account.token
    world.number_ids, world.phone_numbers = list(account.number_ids), list(account.phone_numbers)
