"""Buttons on summaries, lists and confirmations."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot import grammar
from bot.context import Request, Services
from bot.listeners.request import request_for
from bot.ui.ids import Action
from bot.usecases import connection, edit, numbers, show
from bot.usecases.common import answering_errors

Press = Callable[[Request, str], Awaitable[None]]


async def _cancel(req: Request, _: str) -> None:
    await req.private("Cancelled; nothing was changed.", replace_original=True)


PRESSES: dict[str, Press] = {
    Action.EDIT: edit.open_edit,
    Action.ASSIGN: numbers.open_assign,
    Action.REFRESH: show.refresh,
    Action.SHOW: lambda req, ref: show.show(req, grammar.Show(assistant=ref)),
    Action.CONFIRM_DISCONNECT: lambda req, _: connection.disconnect(req),
    Action.CONFIRM_UNASSIGN: numbers.unassign,
    Action.CANCEL: _cancel,
}


def register(app: AsyncApp, services: Services) -> None:
    def listener(press: Press) -> Callable[..., Awaitable[None]]:
        async def on_press(
            ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
        ) -> None:
            await ack()
            value = (body.get("actions") or [{}])[0].get("value") or ""
            req = request_for(services, client, context, body)
            services.background.spawn(answering_errors(req, press(req, value)))

        return on_press

    for action_id, press in PRESSES.items():
        app.action(action_id)(listener(press))
