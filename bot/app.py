"""Assemble the bot: services (Redis, Talkturo, HTTP session) and the Bolt AsyncApp with its listeners."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot import listeners
from bot.config import Settings, SettingsError
from bot.context import Background, Services
from bot.crypto import KeyError_, TokenCipher
from bot.redact import hide_slack_tokens
from bot.store import Store
from bot.talkturo.client import TalkturoClient
from bot.talkturo.transport import AiohttpTransport

log = logging.getLogger("bot")

# Work after the ack, at once at most: a `show` holds its slot for a Talkturo round trip (100 ms and more),
# so 400 commands a second keep some 50-60 busy; 64 left no room and the backlog grew.
BACKGROUND_LIMIT = 256
# Open Talkturo connections at most: one per Background slot, plus the form submissions that call
# Talkturo before their ack (each waits for a free connection beyond that).
TALKTURO_CONNECTIONS = 320


def cipher_for(settings: Settings) -> TokenCipher:
    if settings.bot_encryption_key is None:
        raise SettingsError(
            "Missing setting: BOT_ENCRYPTION_KEY. The bot refuses to keep tokens in clear; "
            'make a key with: python -c "from cryptography.fernet import Fernet; '
            'print(Fernet.generate_key().decode())"'
        )
    try:
        return TokenCipher(settings.bot_encryption_key.get_secret_value())
    except KeyError_ as error:
        raise SettingsError(str(error)) from None


async def create_services(settings: Settings, *, talkturo: TalkturoClient | None = None) -> Services:
    """Process-wide resources; must run inside the event loop (aiohttp sessions bind to it)."""
    return Services(
        settings=settings,
        store=Store.from_url(settings.redis_url, cipher_for(settings)),
        talkturo=talkturo or TalkturoClient(transport=AiohttpTransport(max_connections=TALKTURO_CONNECTIONS)),
        background=Background(BACKGROUND_LIMIT),
        http=aiohttp.ClientSession(),
    )


async def close_services(services: Services) -> None:
    await services.background.drain()
    await services.talkturo.aclose()
    await services.store.aclose()
    await services.http.close()


def _slack_logger() -> logging.Logger:
    """slack_sdk formats the full request and response for its debug log whenever its logger's *own*
    level is NOTSET or DEBUG (`logger.level <= DEBUG`), then drops the text; a set level skips that.
    Same logger as slack_sdk's default, so its records keep their name."""
    logger = logging.getLogger("slack_sdk.web.async_base_client")
    if logger.level == logging.NOTSET:
        logger.setLevel(logger.getEffectiveLevel())
    return hide_slack_tokens(logger)  # at DEBUG it logs oauth.v2.access's answer, bot token and all


def slack_client(services: Services, token: str | None = None) -> AsyncWebClient:
    """The client Bolt copies per request: one shared session, and retries Slack asks for (429)."""
    return AsyncWebClient(
        token=token,
        base_url=services.settings.slack_api_url,
        session=services.http,
        timeout=10,
        logger=_slack_logger(),
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(),
            AsyncRateLimitErrorRetryHandler(max_retry_count=2),
        ],
    )


@contextmanager
def _hidden_from_bolt(*names: str) -> Iterator[None]:
    """AsyncApp switches to its file-based OAuth by itself when SLACK_CLIENT_ID and SLACK_CLIENT_SECRET
    are in the environment (even empty); whether OAuth runs is Settings' decision, passed as options."""
    saved = {name: os.environ.pop(name) for name in names if name in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)


def build_app(services: Services, **bolt_options: Any) -> AsyncApp:
    """`bolt_options` chooses how Bolt authorizes: a bot token, or an installation store with OAuth."""
    settings = services.settings
    single_team = "authorize" not in bolt_options and "oauth_settings" not in bolt_options
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token and single_team else None
    options: dict[str, Any] = {
        # The handler returns as soon as the listener does; listeners ack and hand slow work to
        # `Background`, so the ack is not held up by Bolt's 10 ms polling of the default runner.
        "process_before_response": True,
        # Bolt takes the bot token from the client it is given (single-workspace mode).
        "client": slack_client(services, token),
        "signing_secret": settings.slack_signing_secret.get_secret_value()
        if settings.slack_signing_secret
        else "",
        "logger": logging.getLogger("bot.bolt"),
    }
    with _hidden_from_bolt("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET"):
        app = AsyncApp(**{**options, **bolt_options})
    listeners.register(app, services)
    return app
