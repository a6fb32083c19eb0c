"""Views of `connect`, `status` and `disconnect`."""

from __future__ import annotations

from typing import Any

from bot.store import Connection
from bot.ui.ids import Action, Block, Callback
from bot.ui.modals import input_block, modal, text_input
from bot.ui.text import button, context, escape, section


def connect_modal(
    default_api_url: str, current: Connection | None, private_metadata: str, *, token_preset: bool = False
) -> dict[str, Any]:
    intro = (
        "Connect this Slack workspace to your Talkturo account. Create an API key in the Talkturo "
        "dashboard under *Settings → API Keys*; it is checked before it is saved, stored encrypted, "
        "and never shown again."
    )
    blocks = [
        section(intro),
        input_block(
            Block.CONNECT_SLUG,
            "Account slug",
            text_input(current.slug if current else None, max_length=100, placeholder="my-team"),
            hint="The part after /home/ in your dashboard's address: app.talkturo.com/home/<slug>",
        ),
        input_block(
            Block.CONNECT_TOKEN,
            "API token",
            text_input(max_length=500, placeholder="tk_live_…"),
            optional=token_preset,
            hint="Leave empty to use the token this deployment was configured with."
            if token_preset
            else None,
        ),
        input_block(
            Block.CONNECT_API_URL,
            "API URL (advanced)",
            text_input(None, max_length=300, placeholder=default_api_url),
            optional=True,
            hint=f"Leave empty for {default_api_url}.",
        ),
    ]
    return modal(
        Callback.CONNECT, "Connect Talkturo", blocks, submit="Connect", private_metadata=private_metadata
    )


def status_blocks(
    connection: Connection | None, default_api_url: str, notify_channel: str | None
) -> list[dict[str, Any]]:
    if connection is None:
        return [section(not_connected_text())]
    lines = [
        f"Connected to Talkturo account *{escape(connection.slug)}*",
        f"• API: {escape(connection.api_url or default_api_url)}",
        f"• Token: `{escape(connection.token_hint)}`",
        f"• Connected by <@{connection.connected_by}> on {escape(connection.connected_at)}",
        f"• Change notices also go to <#{notify_channel}>" if notify_channel else "• No notify channel set",
    ]
    return [section("\n".join(lines))]


def not_connected_text() -> str:
    return "This workspace isn't connected to Talkturo yet. An admin can connect it with `/talkturo connect`."


def disconnect_confirm_blocks(slug: str) -> list[dict[str, Any]]:
    confirm = {
        "title": {"type": "plain_text", "text": "Disconnect Talkturo?"},
        "text": {"type": "mrkdwn", "text": "Nobody here can manage assistants until someone connects again."},
        "confirm": {"type": "plain_text", "text": "Disconnect"},
        "deny": {"type": "plain_text", "text": "Keep it"},
        "style": "danger",
    }
    return [
        section(
            f"Disconnect this workspace from Talkturo account *{escape(slug)}*? The token is deleted; "
            "assistants in Talkturo are not touched."
        ),
        {
            "type": "actions",
            "elements": [
                button("Disconnect", Action.CONFIRM_DISCONNECT, slug, style="danger", confirm=confirm),
                button("Cancel", Action.CANCEL, "disconnect"),
            ],
        },
        context("Only you can see this."),
    ]
