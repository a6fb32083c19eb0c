"""`connect`, `status` and `disconnect`: the workspace's link to its Talkturo account."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from pydantic import SecretStr

from bot.config import Settings
from bot.context import Request
from bot.permissions import require_admin
from bot.store import Connection, now_iso
from bot.talkturo import errors as tk
from bot.talkturo.client import Account
from bot.ui.connection import connect_modal, disconnect_confirm_blocks, not_connected_text, status_blocks
from bot.ui.errors import explain
from bot.ui.ids import Block
from bot.ui.modals import metadata, read_metadata, text_value
from bot.ui.notices import Notice
from bot.ui.text import escape
from bot.usecases.common import Stop

# Slack closes a modal submission after 3 s: the credential check must answer within this.
CHECK_SECONDS = 2.3
_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")


async def open_connect(req: Request) -> None:
    loaded = await req.services.store.load(req.team_id, user_id=req.user_id)
    await require_admin(req, loaded)
    view = connect_modal(
        req.services.settings.talkturo_api_url,
        loaded.workspace.connection,
        metadata(c=req.channel_id, r=req.response_url, t=req.team_id),
        token_preset=req.services.settings.talkturo_api_token is not None,
    )
    await req.client.views_open(trigger_id=req.trigger_id, view=view)


def _read(view: dict[str, Any], settings: Settings) -> tuple[str, str, str, dict[str, str]]:
    state = view["state"]["values"]
    default_token = settings.talkturo_api_token.get_secret_value() if settings.talkturo_api_token else ""
    slug = (text_value(state, Block.CONNECT_SLUG) or "").strip()
    # A single-tenant deployment may preset a token; one typed here wins.
    token = (text_value(state, Block.CONNECT_TOKEN) or "").strip() or default_token
    api_url = (text_value(state, Block.CONNECT_API_URL) or "").strip().rstrip("/")
    errors: dict[str, str] = {}
    if not _SLUG.match(slug):
        errors[Block.CONNECT_SLUG] = "Use the slug from your dashboard's address: letters, digits, - and _."
    if not token or any(ch.isspace() for ch in token):
        errors[Block.CONNECT_TOKEN] = "Paste the API key exactly as Talkturo showed it."
    if api_url and not re.match(r"^https?://[^\s/]+", api_url):
        errors[Block.CONNECT_API_URL] = (
            "Give a full address such as https://api.talkturo.com/api, or leave it empty."
        )
    return slug, token, api_url or settings.talkturo_api_url, errors


def _field_error(error: tk.TalkturoError) -> dict[str, str]:
    if isinstance(error, tk.Unauthorized):
        return {
            Block.CONNECT_TOKEN: "Talkturo refused this API key. Check it was copied whole and not revoked."
        }
    if isinstance(error, tk.Forbidden):
        return {Block.CONNECT_SLUG: "This API key does not belong to that account slug."}
    if isinstance(error, tk.NotFound | tk.Unreachable):
        return {Block.CONNECT_API_URL: "No Talkturo API answered at this address. Check the API URL."}
    return {Block.CONNECT_TOKEN: explain(error)}


async def submit_connect(req: Request, view: dict[str, Any]) -> dict[str, Any] | None:
    """Check the credentials before saving; problems go under the field they concern."""
    settings = req.services.settings
    slug, token, api_url, errors = _read(view, settings)
    if errors:
        return {"response_action": "errors", "errors": errors}
    loaded = await req.services.store.load(req.team_id, user_id=req.user_id)
    await require_admin(req, loaded)
    account = Account(base_url=api_url, slug=slug, token=SecretStr(token))
    try:
        await asyncio.wait_for(req.services.talkturo.check_credentials(account), CHECK_SECONDS)
    except TimeoutError:
        message = "Talkturo did not answer in time; nothing was saved. Check the API URL or try again."
        return {"response_action": "errors", "errors": {Block.CONNECT_API_URL: message}}
    except tk.TalkturoError as error:
        return {"response_action": "errors", "errors": _field_error(error)}
    stored_url = "" if api_url == settings.talkturo_api_url else api_url
    connection = Connection(slug, SecretStr(token), stored_url, req.user_id, now_iso())
    await req.services.store.save_connection(req.team_id, connection)
    meta = read_metadata(view)
    req.channel_id, req.response_url = meta.get("c"), meta.get("r")
    notice = Notice(req.user_id, f"connected this workspace to Talkturo account *{escape(slug)}*")
    req.services.background.spawn(req.announce(notice, loaded.workspace.notify_channel))
    return None


async def status(req: Request) -> None:
    loaded = await req.services.store.load(req.team_id)
    ws = loaded.workspace
    blocks = status_blocks(ws.connection, req.services.settings.talkturo_api_url, ws.notify_channel)
    await req.private("Talkturo connection status", blocks)


async def ask_disconnect(req: Request) -> None:
    loaded = await req.services.store.load(req.team_id, user_id=req.user_id)
    connection = loaded.workspace.connection
    if connection is None:
        raise Stop(not_connected_text())
    await require_admin(req, loaded)
    await req.private("Disconnect Talkturo?", disconnect_confirm_blocks(connection.slug))


async def disconnect(req: Request) -> None:
    loaded = await req.services.store.load(req.team_id, user_id=req.user_id)
    connection = loaded.workspace.connection
    if connection is None:
        raise Stop("This workspace is already disconnected from Talkturo.")
    await require_admin(req, loaded)
    await req.services.store.forget_connection(req.team_id)
    await req.private(
        f"Disconnected from Talkturo account *{escape(connection.slug)}*; the token is deleted.",
        replace_original=True,
    )
    notice = Notice(
        req.user_id, f"disconnected this workspace from Talkturo account *{escape(connection.slug)}*"
    )
    await req.announce(notice, loaded.workspace.notify_channel)
