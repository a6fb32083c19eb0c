"""Views of `assign`, `unassign` and `numbers`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.talkturo.models import Assistant, PhoneNumber
from bot.ui.ids import Action, Block, Callback
from bot.ui.modals import input_block, modal, option
from bot.ui.text import button, context, escape, section, shorten

STATIC_SELECT_LIMIT = 100


def number_option(number: PhoneNumber) -> dict[str, Any]:
    status = f" ({number.status})" if number.status and number.status != "active" else ""
    return option(f"{number.phone_number or number.id}{status}", number.id)


def assign_modal(
    assistant: Assistant, numbers: Sequence[PhoneNumber], private_metadata: str
) -> dict[str, Any]:
    """The account's assignable numbers with the current ones preselected; the choice replaces the set."""
    current = [number_option(n) for n in numbers if n.assistant_id == assistant.id]
    if not numbers:
        text = "This Talkturo account has no free active numbers. Buy one in the Talkturo dashboard."
        return modal(Callback.DONE, "Assign numbers", [section(text)], close="Close")
    element: dict[str, Any]
    if len(numbers) <= STATIC_SELECT_LIMIT:
        element = {"type": "multi_static_select", "options": [number_option(n) for n in numbers]}
    else:
        # A static select holds 100 options; beyond that Slack asks us for matches as the user types.
        element = {"type": "multi_external_select", "min_query_length": 0}
    if current:
        element["initial_options"] = current
    element["placeholder"] = {"type": "plain_text", "text": "Choose numbers"}
    blocks = [
        section(
            f"Numbers for *{escape(assistant.name or assistant.id)}*. The selection replaces the numbers it "
            "has now; clear it to remove all."
        ),
        input_block(Block.ASSIGN_NUMBERS, "Phone numbers", element, optional=True),
    ]
    if assistant.inbound_enabled is False:
        blocks.append(context(inbound_off_warning(assistant)))
    return modal(
        Callback.ASSIGN, "Assign numbers", blocks, submit="Assign", private_metadata=private_metadata
    )


def inbound_off_warning(assistant: Assistant) -> str:
    command = f"/talkturo set {escape(assistant.id)} inbound=on"
    return (
        "Inbound calling is off for this assistant, so calls to these numbers will not reach it. "
        f"Turn it on with `{command}` or in the edit form."
    )


def numbers_blocks(assistant: Assistant, numbers: Sequence[PhoneNumber]) -> list[dict[str, Any]]:
    mine = [n for n in numbers if n.assistant_id == assistant.id]
    free = [n for n in numbers if n.assistant_id != assistant.id]
    title = f"Numbers of *{escape(assistant.name or assistant.id)}*"

    def lines(items: Sequence[PhoneNumber]) -> str:
        return "\n".join(f"• {escape(n.phone_number or '?')}  `{escape(n.id)}`" for n in items) or "• none"

    return [
        section(f"{title}\n*Assigned now*\n{lines(mine)}"),
        section(f"*Free to assign*\n{lines(free)}"),
        {
            "type": "actions",
            "elements": [button("Assign numbers", Action.ASSIGN, assistant.id, style="primary")],
        },
    ]


def unassign_confirm_blocks(assistant: Assistant, count: int) -> list[dict[str, Any]]:
    name = escape(assistant.name or assistant.id)
    confirm = {
        "title": {"type": "plain_text", "text": "Remove all numbers?"},
        # A confirm dialog's text holds 300 characters.
        "text": {
            "type": "mrkdwn",
            "text": shorten(f"Calls to these numbers will no longer reach {name}.", 300),
        },
        "confirm": {"type": "plain_text", "text": "Remove"},
        "deny": {"type": "plain_text", "text": "Keep them"},
        "style": "danger",
    }
    return [
        section(f"Remove all {count} number(s) from *{name}*?"),
        {
            "type": "actions",
            "elements": [
                button(
                    "Remove all numbers",
                    Action.CONFIRM_UNASSIGN,
                    assistant.id,
                    style="danger",
                    confirm=confirm,
                ),
                button("Cancel", Action.CANCEL, "unassign"),
            ],
        },
    ]
