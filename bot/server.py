"""Wiring for `serve` and `socket`: services, the Bolt app, and the server around them."""

from __future__ import annotations

from collections.abc import Callable

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from starlette.applications import Starlette

from bot.app import build_app, close_services, create_services
from bot.config import Settings
from bot.context import Services
from bot.oauth import oauth_options
from bot.talkturo.client import TalkturoClient
from bot.web import create_web_app


async def _start(
    settings: Settings, *, oauth: bool = False, talkturo: Callable[[], TalkturoClient] | None = None
) -> tuple[AsyncApp, Services]:
    services = await create_services(settings, talkturo=talkturo() if talkturo else None)
    # Settings decide the mode: OAuth when SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are set (serve only).
    options = oauth_options(services) if oauth and settings.oauth_enabled else {}
    return build_app(services, **options), services


def create_server_app(
    settings: Settings, *, talkturo: Callable[[], TalkturoClient] | None = None
) -> Starlette:
    """`talkturo` makes the Talkturo client inside the server's loop (tests: short timeouts and retries)."""

    async def startup() -> tuple[AsyncApp, Services]:
        return await _start(settings, oauth=True, talkturo=talkturo)

    return create_web_app(startup, close_services)


async def run_socket_mode(settings: Settings) -> None:
    bolt, services = await _start(settings)
    assert settings.slack_app_token is not None
    handler = AsyncSocketModeHandler(bolt, settings.slack_app_token.get_secret_value())
    try:
        await handler.start_async()  # type: ignore[no-untyped-call]
    finally:
        await close_services(services)
