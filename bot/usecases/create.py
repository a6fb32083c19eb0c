"""`create`: a modal prefilled from the command, then the assistant and its summary in the channel."""

from __future__ import annotations

from typing import Any

from bot import grammar
from bot.context import Request
from bot.permissions import require_change
from bot.ui.assistant import summary_blocks
from bot.ui.create import create_modal, read_create_form
from bot.ui.modals import metadata, read_metadata
from bot.ui.notices import Notice, assistant_ref
from bot.usecases.common import answering_errors, connected, remember


async def open_create(req: Request, cmd: grammar.Create) -> None:
    loaded, _ = await connected(req, with_user=True)
    await require_change(req, loaded)
    view = create_modal(cmd.name, cmd.template, metadata(c=req.channel_id, r=req.response_url, t=req.team_id))
    await req.client.views_open(trigger_id=req.trigger_id, view=view)


async def submit_create(req: Request, view: dict[str, Any]) -> dict[str, Any] | None:
    name, template, errors = read_create_form(view["state"]["values"])
    if errors:
        return {"response_action": "errors", "errors": errors}
    # A double click or a redelivery submits the same view twice: only the first one creates.
    if not await req.services.store.claim(req.team_id, f"view:{view['id']}"):
        return None
    meta = read_metadata(view)
    req.channel_id, req.response_url = meta.get("c"), meta.get("r")
    req.services.background.spawn(answering_errors(req, _create(req, name, template)))
    return None


async def _create(req: Request, name: str, template: str) -> None:
    loaded, account = await connected(req, with_user=True)
    await require_change(req, loaded)
    assistant = await req.services.talkturo.create_assistant(account, name, template)
    await remember(req, assistant, None)
    notice = Notice(req.user_id, f"created {assistant_ref(assistant)} from the *{template}* template")
    await req.announce(notice, loaded.workspace.notify_channel, summary_blocks(assistant, ()))
