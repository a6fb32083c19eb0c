"""The whole bot over real HTTP: uvicorn serving `serve`'s app, a real Redis, the Talkturo sandbox, and
the Slack fake as Slack's Web API. Tests act as Slack would: signed requests to /slack/events."""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

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
from bot.talkturo.client import TalkturoClient
from tests.support.servers import AsgiServer

SIGNING_SECRET = "test-signing-secret-8f1d2c"
BOT_TOKEN = "xoxb-test-bot-token-T1"
OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET = "1111.2222", "test-client-secret-4b7e"
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
    talkturo_log: TalkturoLog = field(default_factory=lambda: TalkturoLog())

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
                if (
                    call.method
                    in (
                        "response_url",
                        "chat.postEphemeral",
                        "chat.postMessage",
                    )
                    and delivered(call)
                    and contains in text_of(call)
                ):
                    return call
            time.sleep(0.02)
        seen = [(c.method, text_of(c)[:200]) for c in self.fake.calls()]
        raise AssertionError(f"no reply containing {contains!r}; saw {seen}")

    def opened_view(self, callback_id: str) -> dict[str, Any]:
        """The modal now shown with this callback_id (after views.open and any views.update).

        Waits for a views.open/views.update of that callback_id in the record, so a view left by an
        earlier test is not taken for the one about to open; without such a call in the record (e.g.
        after `fake.clear()`), the newest stored view with that callback_id.
        """
        deadline = time.monotonic() + 10
        while True:
            if any(
                call.method in ("views.open", "views.update")
                and call.ok
                and (call.params.get("view") or {}).get("callback_id") == callback_id
                for call in self.fake.calls()
            ):
                return self.fake.latest_view(callback_id)
            if time.monotonic() > deadline:
                return self.fake.latest_view(callback_id)
            time.sleep(0.01)

    def connect(self, *, user: str = ADMIN) -> None:
        """The real connect flow, so later steps act on a connected workspace."""
        self.command("connect", user=user)
        view = self.opened_view("talkturo.connect")
        response = self.submit(view, {"connect.slug": self.slug, "connect.token": self.token}, user=user)
        assert response.text in ("", "null"), response.text
        self.wait("chat.postMessage", where=lambda c: "connected this workspace" in text_of(c))
        self.fake.clear()
        self.talkturo_log.clear()

    def create(self, name: str, template: str = "outbound-setter") -> str:
        """Create through the modal; the new assistant's ID."""
        before = set(self.sandbox.assistants)
        self.command(f'create "{name}" --template {template}')
        self.submit(self.opened_view("talkturo.create"))
        self.wait("chat.postMessage", where=lambda c: "created" in text_of(c))
        (new_id,) = set(self.sandbox.assistants) - before
        self.fake.clear()
        self.talkturo_log.clear()
        return new_id

    # What Talkturo received and holds ------------------------------------------------------------

    def talkturo(self, method: str | None = None, path: str | None = None) -> list[TalkturoRequest]:
        """Requests the sandbox received (this test's only), optionally by method and path suffix."""
        return self.talkturo_log.matching(method, path)

    def patches(self, assistant_id: str) -> list[dict[str, Any]]:
        """JSON bodies of the PATCH /assistants/{id} requests (field updates, not numbers)."""
        return [r.body for r in self.talkturo("PATCH", f"/assistants/{assistant_id}")]

    def assignments(self, assistant_id: str) -> list[dict[str, Any]]:
        """JSON bodies of the PATCH .../telephony/phone-numbers requests for this assistant."""
        return [r.body for r in self.talkturo("PATCH", f"/assistants/{assistant_id}/telephony/phone-numbers")]

    def assistant_ids(self) -> list[str]:
        """IDs of the assistants of this test's Talkturo account, oldest first."""
        account_id = self.sandbox.accounts[self.slug].account_id
        return [i for i, r in list(self.sandbox.assistants.items()) if r["account_id"] == account_id]

    def assistant(self, assistant_id: str) -> dict[str, Any]:
        """The record the sandbox holds now."""
        return dict(self.sandbox.assistants[assistant_id])

    def change_upstream(self, assistant_id: str, **changes: Any) -> None:
        """Someone changes the assistant in Talkturo itself (not through the bot, so not logged)."""
        account = self.sandbox.accounts[self.slug]
        self.sandbox.update_assistant(account, assistant_id, {"accountSlug": self.slug, **changes})

    def holder_of(self, number_id: str) -> str | None:
        return self.sandbox.numbers[number_id]["assistant_id"]  # type: ignore[no-any-return]

    def ack(self, response: httpx.Response) -> dict[str, Any]:
        """What the bot acked with: its JSON, {"text": ...} for a plain-text ack, {} for an empty one."""
        if response.text.strip() in ("", "null"):
            return {}
        if not response.headers.get("content-type", "").startswith("application/json"):
            return {"text": response.text}  # Slack shows a plain-text ack as an ephemeral message
        return dict(json.loads(response.text))

    def posts(self, channel: str | None = None, contains: str = "") -> list[Call]:
        """chat.postMessage calls that succeeded, optionally to one channel and holding some text."""
        return [
            c
            for c in self.fake.calls("chat.postMessage")
            if c.ok and (channel is None or c.params.get("channel") == channel) and contains in text_of(c)
        ]


@dataclass(frozen=True)
class TalkturoRequest:
    """One request the Talkturo sandbox received, as sent over HTTP."""

    method: str
    path: str
    query: dict[str, str]
    body: Any  # the parsed JSON body, or None
    authorization: str


class TalkturoLog:
    """An ASGI wrapper around the sandbox that records every /api request with its exact JSON body."""

    def __init__(self, app: Any = None) -> None:
        self.app = app
        self._lock = threading.Lock()
        self._requests: list[TalkturoRequest] = []

    def clear(self) -> None:
        with self._lock:
            self._requests.clear()

    def matching(self, method: str | None = None, path: str | None = None) -> list[TalkturoRequest]:
        with self._lock:
            return [
                r
                for r in self._requests
                if (method is None or r.method == method) and (path is None or r.path.endswith(path))
            ]

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        raw = b"".join(chunks)
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        headers = {k.decode().lower(): v.decode() for k, v in scope.get("headers", [])}
        query = dict(parse_qsl(scope.get("query_string", b"").decode()))
        entry = TalkturoRequest(scope["method"], scope["path"], query, body, headers.get("authorization", ""))
        with self._lock:
            self._requests.append(entry)
        replayed = False

        async def replay() -> dict[str, Any]:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": raw, "more_body": False}
            return dict(await receive())

        await self.app(scope, replay, send)


def delivered(call: Call) -> bool:
    """Did Slack accept this post (a Web API `ok`, or a 200 on a response_url)?"""
    return call.status == 200 if call.method == "response_url" else call.ok


def mrkdwn_texts(call: Call) -> list[str]:
    """The texts Slack parses for mentions and links: the top-level `text` and every mrkdwn object."""
    texts = [str(call.params.get("text") or "")]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn" and isinstance(node.get("text"), str):
                texts.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(call.params.get("blocks"))
    return texts


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
def running_world(
    redis_url: str, *, oauth: bool = False, talkturo: Callable[[], TalkturoClient] | None = None
) -> Iterator[World]:
    """`oauth=True`: multi-workspace mode; workspaces install through /slack/install (test_oauth.py).
    `talkturo` makes the bot's Talkturo client (e.g. short timeouts and retries for fault tests)."""
    sandbox = SandboxState()
    talkturo_log = TalkturoLog(create_sandbox(sandbox))
    fake = SlackFake()
    fake.add_workspace(team_id="T1", bot_token=BOT_TOKEN, team_name="Acme")
    fake.add_user(ADMIN, "T1", "ada", is_admin=True)
    fake.add_user(MEMBER, "T1", "max")
    fake.add_user(GUEST, "T1", "gus", is_restricted=True)
    fake.add_user(OTHER, "T1", "olga")
    with (
        AsgiServer(talkturo_log) as sandbox_server,
        AsgiServer(create_slack_fake(fake)) as fake_server,
    ):
        fake.base_url = fake_server.url
        settings = Settings(
            slack_signing_secret=SecretStr(SIGNING_SECRET),
            slack_bot_token=None if oauth else SecretStr(BOT_TOKEN),
            slack_api_url=f"{fake_server.url}/api/",
            redis_url=redis_url,
            talkturo_api_url=f"{sandbox_server.url}/api",
            bot_encryption_key=SecretStr(Fernet.generate_key().decode()),
            slack_client_id=OAUTH_CLIENT_ID if oauth else None,
            slack_client_secret=SecretStr(OAUTH_CLIENT_SECRET) if oauth else None,
        )
        slack = SlackRequests(SIGNING_SECRET, team_id="T1", response_url_factory=fake.response_url)
        with AsgiServer(create_server_app(settings, talkturo=talkturo)) as bot:
            world = World(bot=bot, sandbox=sandbox, fake=fake, settings=settings, slack=slack)
            world.talkturo_log = talkturo_log
            yield world
            world.http.close()


def fresh_account(world: World) -> None:
    """A new Talkturo account per test: numbers and names never leak between tests."""
    n = next(_slugs)
    account = world.sandbox.add_account(f"acme-{n}", token=f"tk_test_acme_{n}_secret", numbers=5)
    world.slug, world.token = account.slug, account.token
    world.number_ids, world.phone_numbers = list(account.number_ids), list(account.phone_numbers)
    world.talkturo_log.clear()
