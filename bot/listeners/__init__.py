"""Thin Bolt handlers: ack at once, then hand the work to a use case."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.context import Services
from bot.listeners import actions, commands, events, options, views


def register(app: AsyncApp, services: Services) -> None:
    commands.register(app, services)
    views.register(app, services)
    actions.register(app, services)
    options.register(app, services)
    events.register(app, services)
