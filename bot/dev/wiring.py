"""The dev workspace and the pieces of `python -m bot dev`, wired on one Starlette app.

One server on 127.0.0.1 serves, by path:
  /slack/events, /healthz, /readyz   the bot, exactly as `serve` builds it (create_web_app)
  /                                  the page (bot/dev/static), /dev/* its endpoints
  /talkturo-sandbox/api              the Talkturo sandbox, with the demo account
  /slack-fake/api/                   the Slack Web API fake the bot's SLACK_API_URL points at
  /slack-fake/response/<n>           response URLs
"""

from __future__ import annotations

import dataclasses
import secrets
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

from cryptography.fernet import Fernet
from pydantic import SecretStr
from slack_bolt.async_app import AsyncApp
from starlette.applications import Starlette
from starlette.routing import Mount

from bot.app import build_app, close_services, create_services
from bot.config import Settings
from bot.context import Services
from bot.dev.bridge import Bridge, Directory
from bot.dev.feed import Feed
from bot.dev.routes import page_routes
from bot.dev.stream import Hub
from bot.grammar import USAGE
from bot.sandbox import DEMO_SLUG, DEMO_TOKEN, SandboxAccount, SandboxState
from bot.sandbox import create_app as create_sandbox
from bot.slackfake import SlackFake, SlackRequests, default_bot_user_id
from bot.slackfake import create_app as create_slack_fake
from bot.store import Connection, Store, now_iso
from bot.ui.help import WHAT
from bot.web import EVENTS_PATH, create_web_app

TEAM_ID: Final = "TDEV"
TEAM_NAME: Final = "Dev workspace"
CHANNEL_ID: Final = "CDEV"
CHANNELS: Final = {CHANNEL_ID: "general", "CAUDIT": "talkturo-audit"}
SANDBOX_PATH: Final = "/talkturo-sandbox"
FAKE_PATH: Final = "/slack-fake"
DEMO_NUMBERS: Final = 4
KEEP_CALLS: Final = 1000
DEFAULT_REDIS_URL: Final = str(Settings.model_fields["redis_url"].default)


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    real_name: str
    role: str  # admin | member | guest

    def to_json(self) -> dict[str, str]:
        return {"id": self.id, "name": self.name, "real_name": self.real_name, "role": self.role}


ADMIN: Final = Person("UADA", "ada", "Ada Admin", "admin")
PEOPLE: Final = (
    ADMIN,
    Person("UMAX", "max", "Max Member", "member"),
    Person("UGUS", "gus", "Gus Guest", "guest"),
)


@dataclass
class DevWorld:
    base_url: str
    settings: Settings  # the bot's: secrets made for this session, URLs pointing at this server
    fake: SlackFake
    sandbox: SandboxState
    account: SandboxAccount
    hub: Hub
    feed: Feed
    bridge: Bridge

    @property
    def sandbox_api_url(self) -> str:
        return self.settings.talkturo_api_url


def dev_settings(settings: Settings, base_url: str, signing_secret: str, bot_token: str) -> Settings:
    """One workspace with a bot token (OAuth off), Slack and Talkturo on this server, a cipher key."""
    key = settings.bot_encryption_key or SecretStr(Fernet.generate_key().decode())
    return settings.model_copy(
        update={
            # Replaced by dev's own store (see create_dev_app); only a URL redis-py can parse is needed.
            "redis_url": settings.redis_url if _parses(settings.redis_url) else DEFAULT_REDIS_URL,
            "slack_signing_secret": SecretStr(signing_secret),
            "slack_bot_token": SecretStr(bot_token),
            "slack_client_id": None,
            "slack_client_secret": None,
            "slack_state_secret": None,
            "slack_app_token": None,
            "slack_api_url": f"{base_url}{FAKE_PATH}/api/",
            "talkturo_api_url": f"{base_url}{SANDBOX_PATH}/api",
            "talkturo_api_token": None,
            "bot_encryption_key": key,
        }
    )


def _parses(url: str) -> bool:
    return urlsplit(url).scheme in {"redis", "rediss", "unix"}


def build_world(settings: Settings, port: int) -> DevWorld:
    base_url = f"http://127.0.0.1:{port}"
    signing_secret = secrets.token_hex(16)
    bot_token = f"xoxb-dev-{secrets.token_hex(12)}"
    dev = dev_settings(settings, base_url, signing_secret, bot_token)

    fake = SlackFake(base_url=f"{base_url}{FAKE_PATH}", keep_calls=KEEP_CALLS)
    fake.add_workspace(team_id=TEAM_ID, bot_token=bot_token, team_name=TEAM_NAME)
    for person in PEOPLE:
        fake.add_user(
            person.id,
            TEAM_ID,
            person.name,
            is_admin=person.role == "admin",
            is_restricted=person.role == "guest",
            real_name=person.real_name,
        )
    for channel_id, name in CHANNELS.items():
        fake.add_channel(channel_id, name)

    sandbox = SandboxState()
    account = sandbox.add_account(DEMO_SLUG, token=DEMO_TOKEN, numbers=DEMO_NUMBERS)

    hub = Hub()
    feed = Feed(hub, default_bot_user_id(TEAM_ID), CHANNEL_ID)
    requests = SlackRequests(
        signing_secret, team_id=TEAM_ID, team_domain="dev", response_url_factory=fake.response_url
    )
    directory = Directory(
        team_id=TEAM_ID,
        channel_id=CHANNEL_ID,
        command=dev.slash_command,
        bot_token=bot_token,
        users={p.id: p.name for p in PEOPLE},
        channels=dict(CHANNELS),
    )
    bridge = Bridge(requests, fake, feed, directory)
    return DevWorld(base_url, dev, fake, sandbox, account, hub, feed, bridge)


async def connect_demo(world: DevWorld, store: Store, *, fresh: bool) -> None:
    """The demo account, connected for the dev workspace through the real store and cipher.

    `fresh`: forget what an earlier run left in a real Redis; the sandbox starts empty every time, so
    the assistants remembered there would name nothing.
    """
    if fresh:
        await store.delete_workspace(TEAM_ID)
    connection = Connection(
        slug=world.account.slug,
        token=SecretStr(world.account.token),
        api_url=world.sandbox_api_url,
        connected_by=ADMIN.id,
        connected_at=now_iso(),
    )
    await store.save_connection(TEAM_ID, connection)


def page_info(world: DevWorld) -> dict[str, Any]:
    """What the page needs to draw the workspace: people, channels, the command and its help."""
    return {
        "team": TEAM_NAME,
        "channel": {"id": CHANNEL_ID, "name": CHANNELS[CHANNEL_ID]},
        "channels": [{"id": cid, "name": name} for cid, name in CHANNELS.items()],
        "bot": {"id": world.feed.bot_user_id, "name": "Talkturo"},
        "users": [p.to_json() for p in PEOPLE],
        "command": world.settings.slash_command,
        "help": [{"name": name, "usage": usage, "what": WHAT[name]} for name, usage in USAGE.items()],
        "sandbox": {"slug": world.account.slug, "numbers": list(world.account.phone_numbers)},
    }


def create_dev_app(world: DevWorld, store: Store) -> Starlette:
    """`serve`'s app (same /slack/events, same signature check) plus the page, the sandbox and the fake."""

    async def startup() -> tuple[AsyncApp, Services]:
        # The services `serve` makes, with dev's store in place of the one made from REDIS_URL.
        made = await create_services(world.settings)
        await made.store.aclose()
        services = dataclasses.replace(made, store=store)
        await world.bridge.start(f"{world.base_url}{EVENTS_PATH}")
        return build_app(services), services

    async def shutdown(services: Services) -> None:
        world.hub.close()
        await world.bridge.aclose()
        await close_services(services)

    routes = [
        *page_routes(world.bridge, world.feed, world.hub, page_info(world)),
        Mount(SANDBOX_PATH, app=create_sandbox(world.sandbox)),
        Mount(FAKE_PATH, app=create_slack_fake(world.fake)),
    ]
    return create_web_app(startup, shutdown, routes)
