"""The `/talkturo` slash command: parse, ack at once, run the use case after the ack."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot import grammar
from bot.context import Request, Services
from bot.listeners.request import request_for
from bot.ui.help import help_blocks, help_text
from bot.usecases import connection, create, edit, numbers, settings, show
from bot.usecases.common import answering_errors

Route = Callable[[Request, Any], Awaitable[None]]

ROUTES: dict[type, Route] = {
    grammar.Connect: lambda req, _: connection.open_connect(req),
    grammar.Status: lambda req, _: connection.status(req),
    grammar.Disconnect: lambda req, _: connection.ask_disconnect(req),
    grammar.Create: create.open_create,
    grammar.Show: show.show,
    grammar.List: lambda req, _: show.list_assistants(req),
    grammar.Edit: lambda req, cmd: edit.open_edit(req, cmd.assistant),
    grammar.Set: edit.set_fields,
    grammar.Assign: numbers.assign,
    grammar.Unassign: numbers.ask_unassign,
    grammar.Numbers: numbers.numbers,
    grammar.Notify: settings.notify,
    grammar.Permissions: settings.permissions,
}


def register(app: AsyncApp, services: Services) -> None:
    async def on_command(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        command = grammar.parse(body.get("text") or "")
        # Help and parse errors need no I/O: they travel in the ack itself, seen only by the caller.
        if isinstance(command, grammar.ParseError):
            await ack(text=command.message)
            return
        if isinstance(command, grammar.Help):
            await ack(text=help_text(), blocks=help_blocks(command.topic))
            return
        await ack()
        req = request_for(services, client, context, body)
        services.background.spawn(answering_errors(req, ROUTES[type(command)](req, command)))

    app.command(services.settings.slash_command)(on_command)
