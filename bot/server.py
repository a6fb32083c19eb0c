"""Wiring for `serve` and `socket`: services, the Bolt app, and the server around them."""

from __future__ import annotations

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from starlette.applications import Starlette

from bot.app import build_app, close_services, create_services
from bot.config import Settings
from bot.context import Services
from bot.web import create_web_app


async def _start(settings: Settings) -> tuple[AsyncApp, Services]:
    services = await create_services(settings)
    return build_app(services), services


def create_server_app(settings: Settings) -> Starlette:
    async def startup() -> tuple[AsyncApp, Services]:
        return await _start(settings)

    return create_web_app(startup, close_services)


async def run_socket_mode(settings: Settings) -> None:
    bolt, services = await _start(settings)
    assert settings.slack_app_token is not None
    handler = AsyncSocketModeHandler(bolt, settings.slack_app_token.get_secret_value())
    try:
        await handler.start_async()  # type: ignore[no-untyped-call]
    finally:
        await close_services(services)
