"""Modal building blocks shared by every form: the view shell, inputs, and the loading/result views."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from bot.ui.ids import Action, Callback
from bot.ui.text import OPTION_TEXT_LIMIT, plain, section

METADATA_LIMIT = 3000
TITLE_LIMIT = 24


def metadata(**values: Any) -> str:
    """Small JSON for `private_metadata`; IDs only, never objects (Slack allows 3000 characters)."""
    raw = json.dumps({k: v for k, v in values.items() if v is not None}, separators=(",", ":"))
    if len(raw) > METADATA_LIMIT:
        raise ValueError("private_metadata over Slack's 3000-character limit")
    return raw


def read_metadata(view: Mapping[str, Any]) -> dict[str, Any]:
    try:
        data = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def modal(
    callback_id: str,
    title: str,
    blocks: list[dict[str, Any]],
    *,
    submit: str | None = None,
    close: str = "Cancel",
    private_metadata: str = "",
) -> dict[str, Any]:
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain(title, TITLE_LIMIT),
        "close": plain(close, TITLE_LIMIT),
        "blocks": blocks,
        "private_metadata": private_metadata,
    }
    if submit:
        view["submit"] = plain(submit, TITLE_LIMIT)
    return view


def loading_modal(title: str, what: str) -> dict[str, Any]:
    """Opened at once with the trigger_id (it lives ~3 s), then replaced by views.update."""
    return modal(Callback.LOADING, title, [section(f":hourglass_flowing_sand: {what}")], close="Close")


def message_modal(title: str, text: str) -> dict[str, Any]:
    return modal(Callback.DONE, title, [section(text)], close="Close")


def option(text: str, value: str, description: str | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"text": plain(text, OPTION_TEXT_LIMIT), "value": value}
    if description:
        item["description"] = plain(description, OPTION_TEXT_LIMIT)
    return item


def input_block(
    block_id: str,
    label: str,
    element: dict[str, Any],
    *,
    optional: bool = False,
    hint: str | None = None,
) -> dict[str, Any]:
    block: dict[str, Any] = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label, 2000),
        "element": {**element, "action_id": Action.INPUT},
        "optional": optional,
    }
    if hint:
        block["hint"] = plain(hint, 2000)
    return block


def text_input(
    initial: str | None = None,
    *,
    multiline: bool = False,
    max_length: int = 3000,
    placeholder: str | None = None,
) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "plain_text_input", "multiline": multiline, "max_length": max_length}
    if initial:
        element["initial_value"] = initial
    if placeholder:
        element["placeholder"] = plain(placeholder, 150)
    return element


def state_value(values: Mapping[str, Any], block_id: str) -> dict[str, Any]:
    """The submitted state of the one element inside an input block."""
    block = values.get(block_id) or {}
    state = block.get(Action.INPUT) or {}
    return state if isinstance(state, dict) else {}


def text_value(values: Mapping[str, Any], block_id: str) -> str | None:
    value = state_value(values, block_id).get("value")
    return value if isinstance(value, str) else None


def selected_value(values: Mapping[str, Any], block_id: str) -> str | None:
    selected = state_value(values, block_id).get("selected_option") or {}
    value = selected.get("value") if isinstance(selected, dict) else None
    return value if isinstance(value, str) else None


def selected_values(values: Mapping[str, Any], block_id: str) -> list[str]:
    selected = state_value(values, block_id).get("selected_options") or []
    return [o["value"] for o in selected if isinstance(o, dict) and isinstance(o.get("value"), str)]
