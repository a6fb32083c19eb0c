"""Modal submissions. Field errors can only travel in the ack, so validation happens before it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.context import Request, Services
from bot.listeners.request import request_for
from bot.permissions import Refusal
from bot.store import StorageUnavailable
from bot.ui.errors import explain
from bot.ui.ids import Callback
from bot.ui.modals import message_modal, read_metadata
from bot.usecases import connection, create, edit, numbers

Submit = Callable[[Request, dict[str, Any]], Awaitable[dict[str, Any] | None]]


async def _assign(req: Request, view: dict[str, Any]) -> None:
    await numbers.submit_assign(req, view)


SUBMITS: dict[str, Submit] = {
    Callback.CONNECT: connection.submit_connect,
    Callback.CREATE: create.submit_create,
    Callback.EDIT: edit.submit_edit,
    Callback.ASSIGN: _assign,
}


def register(app: AsyncApp, services: Services) -> None:
    def listener(submit: Submit) -> Callable[..., Awaitable[None]]:
        async def on_submit(
            ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
        ) -> None:
            req = request_for(services, client, context, body)
            opened_for = read_metadata(body["view"]).get("t")
            try:
                if opened_for and opened_for != req.team_id and not context.is_enterprise_install:
                    # Bolt names a submission's workspace after the installation that opened the form
                    # (view.app_installed_team_id) and a command after the person's workspace; where they
                    # differ (Slack Connect, one bot token), a form opened for one must not change the other.
                    raise Refusal("This form was opened for another workspace; nothing was changed here.")
                answer = await submit(req, body["view"])
            except Refusal as refusal:
                answer = {"response_action": "update", "view": message_modal("Not allowed", str(refusal))}
            except StorageUnavailable as error:
                answer = {
                    "response_action": "update",
                    "view": message_modal("Try again later", explain(error)),
                }
            await ack(**(answer or {}))

        return on_submit

    for callback_id, submit in SUBMITS.items():
        app.view(callback_id)(listener(submit))
