"""Options loads for external selects (numbers, when an account has more than a static select holds)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.context import Services
from bot.listeners.request import request_for
from bot.store import StorageUnavailable
from bot.talkturo.errors import TalkturoError
from bot.ui.ids import Action, Block
from bot.usecases import numbers
from bot.usecases.common import Stop


def register(app: AsyncApp, services: Services) -> None:
    async def on_options(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        req = request_for(services, client, context, body)
        try:
            found = await numbers.number_options(req, body.get("view") or {}, body.get("value") or "")
        except (TalkturoError, StorageUnavailable, Stop):
            found = []  # an options load can only answer options; the submit reports the failure
        await ack(options=found)

    async def in_numbers_select(body: dict[str, Any]) -> bool:
        return body.get("block_id") == Block.ASSIGN_NUMBERS

    # Every input element carries the action_id `input` (see ui.modals.input_block), and Bolt matches
    # options loads by action_id only: the block tells the number select apart.
    app.options(Action.INPUT, matchers=[in_numbers_select])(on_options)
