"""The create modal."""

from __future__ import annotations

from typing import Any

from bot.talkturo.models import DEFAULT_TEMPLATE, TEMPLATES
from bot.ui.ids import Block, Callback
from bot.ui.modals import input_block, modal, option, selected_value, text_input, text_value

NAME_MAX = 200


def create_modal(name: str | None, template: str | None, private_metadata: str) -> dict[str, Any]:
    options = [option(key.replace("-", " ").capitalize(), key, desc) for key, desc in TEMPLATES.items()]
    chosen = template if template in TEMPLATES else DEFAULT_TEMPLATE
    blocks = [
        input_block(
            Block.CREATE_NAME,
            "Name",
            text_input(name, max_length=NAME_MAX, placeholder="Sales Agent EU"),
        ),
        input_block(
            Block.CREATE_TEMPLATE,
            "Template",
            {
                "type": "radio_buttons",
                "options": options,
                "initial_option": next(o for o in options if o["value"] == chosen),
            },
            hint="The template sets prompt, voice and telephony defaults; change any of them later.",
        ),
    ]
    return modal(Callback.CREATE, "New assistant", blocks, submit="Create", private_metadata=private_metadata)


def read_create_form(state: dict[str, Any]) -> tuple[str, str, dict[str, str]]:
    """(name, template, errors by block)."""
    name = (text_value(state, Block.CREATE_NAME) or "").strip()
    template = selected_value(state, Block.CREATE_TEMPLATE) or DEFAULT_TEMPLATE
    errors: dict[str, str] = {}
    if not name:
        errors[Block.CREATE_NAME] = "Give the assistant a name."
    if template not in TEMPLATES:
        errors[Block.CREATE_TEMPLATE] = "Choose one of the templates."
    return name, template, errors
