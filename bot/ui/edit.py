"""The edit modal: every field, grouped, with the right input for each; and reading it back."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.fields import FIELDS, FieldSpec, Group, Kind
from bot.talkturo.models import Assistant
from bot.ui.ids import Block, Callback, edit_block
from bot.ui.modals import (
    input_block,
    modal,
    option,
    selected_value,
    selected_values,
    state_value,
    text_input,
    text_value,
)
from bot.ui.text import PLAIN_INPUT_LIMIT, escape, shorten, show_value

NAME_MAX = 200
BOOLEANS = tuple(spec for spec in FIELDS if spec.kind is Kind.BOOLEAN)


def too_long_for_input(value: Any) -> bool:
    return isinstance(value, str) and len(value) > PLAIN_INPUT_LIMIT


def _choice_options(spec: FieldSpec, current: Any) -> list[dict[str, Any]]:
    values = list(spec.choices)
    # The current value stays selectable even when it is not a documented one.
    if isinstance(current, str) and current and current not in values and len(current) <= 150:
        values.insert(0, current)
    return [option(value, value) for value in values]


def _element(spec: FieldSpec, current: Any) -> tuple[dict[str, Any], str, str | None, bool]:
    """(element, label, hint, optional) for one field."""
    label, hint = spec.label, spec.hint
    if spec.kind is Kind.CHOICE:
        element: dict[str, Any] = {"type": "static_select", "options": _choice_options(spec, current)}
        initial = next((o for o in element["options"] if o["value"] == current), None)
        if initial:
            element["initial_option"] = initial
        return element, label, hint, True
    if spec.kind in (Kind.DECIMAL, Kind.INTEGER):
        element = {"type": "number_input", "is_decimal_allowed": spec.kind is Kind.DECIMAL}
        if spec.minimum is not None:
            element["min_value"] = f"{spec.minimum:g}"
        if spec.maximum is not None:
            element["max_value"] = f"{spec.maximum:g}"
        if isinstance(current, int | float) and not isinstance(current, bool):
            element["initial_value"] = f"{current:g}" if isinstance(current, float) else str(current)
        return element, label, hint, True
    if spec.kind is Kind.LONG_TEXT and too_long_for_input(current):
        # Slack inputs hold 3000 characters: never prefill a cut copy that a save would write back.
        size = len(current)
        label = f"Replace {spec.label.lower()}"
        hint = (
            f"The current {spec.label.lower()} has {size:,} characters, more than a Slack field holds. "
            "Leave this empty to keep it unchanged; text typed here replaces all of it."
        )
        return text_input(None, multiline=True), label, hint, True
    multiline = spec.kind is Kind.LONG_TEXT
    max_length = NAME_MAX if spec.name == "name" else PLAIN_INPUT_LIMIT
    if isinstance(current, str) and len(current) > max_length:
        # A name set in the dashboard may be longer; Slack refuses an initial value over max_length.
        max_length = PLAIN_INPUT_LIMIT
    initial = current if isinstance(current, str) else None
    return text_input(initial, multiline=multiline, max_length=max_length), label, hint, spec.name != "name"


def _telephony_block(assistant: Assistant) -> dict[str, Any]:
    options = [option(spec.label, spec.name) for spec in BOOLEANS]
    element: dict[str, Any] = {"type": "checkboxes", "options": options}
    chosen = [o for o, spec in zip(options, BOOLEANS, strict=True) if assistant.value(spec.name) is True]
    if chosen:
        element["initial_options"] = chosen
    return input_block(Block.EDIT_TELEPHONY, "Telephony", element, optional=True)


def edit_modal(assistant: Assistant, private_metadata: str, *, notice: str | None = None) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = []
    if notice:
        blocks.append(
            {"type": "section", "block_id": Block.NOTICE, "text": {"type": "mrkdwn", "text": notice}}
        )
    for group in Group:
        specs = [s for s in FIELDS if s.group is group and s.kind is not Kind.BOOLEAN]
        blocks.append({"type": "header", "text": {"type": "plain_text", "text": group.value}})
        for spec in specs:
            element, label, hint, optional = _element(spec, assistant.value(spec.name))
            blocks.append(input_block(edit_block(spec.name), label, element, optional=optional, hint=hint))
    blocks.append(_telephony_block(assistant))
    title = shorten(f"Edit {assistant.name or 'assistant'}", 24)
    return modal(Callback.EDIT, title, blocks, submit="Save", private_metadata=private_metadata)


@dataclass
class EditForm:
    """What the person submitted: a value per field they could change, and field errors by block."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def _number(spec: FieldSpec, raw: str) -> float | int | str:
    """The number typed, or an error sentence."""
    try:
        number = float(raw)
    except ValueError:
        return f"{spec.label} must be a number."
    if not math.isfinite(number):
        return f"{spec.label} must be a number."
    if spec.kind is Kind.INTEGER:
        if not number.is_integer():
            return f"{spec.label} must be a whole number."
        number = int(number)
    if spec.minimum is not None and number < spec.minimum:
        return f"{spec.label} must be at least {spec.minimum:g}."
    if spec.maximum is not None and number > spec.maximum:
        return f"{spec.label} must be at most {spec.maximum:g}."
    return number


def read_edit_form(state: Mapping[str, Any], long_fields: frozenset[str]) -> EditForm:
    """Submitted state → field values. A field absent from the result is left as it is.

    `long_fields` were shown empty because their value is too long for an input: empty means keep.
    """
    form = EditForm()
    for spec in FIELDS:
        if spec.kind is Kind.BOOLEAN:
            continue
        block_id = edit_block(spec.name)
        if spec.kind is Kind.CHOICE:
            chosen = selected_value(state, block_id)
            if chosen is not None:
                form.values[spec.name] = chosen
        elif spec.kind in (Kind.DECIMAL, Kind.INTEGER):
            raw = state_value(state, block_id).get("value")
            if isinstance(raw, str) and raw.strip():
                number = _number(spec, raw.strip())
                if isinstance(number, str):
                    form.errors[block_id] = number
                else:
                    form.values[spec.name] = number
        else:
            text = text_value(state, block_id) or ""
            if spec.name == "name" and not text.strip():
                form.errors[block_id] = "The name can't be empty."
            elif spec.name in long_fields and not text:
                continue
            else:
                form.values[spec.name] = text.strip() if spec.name == "name" else text
    if Block.EDIT_TELEPHONY in state:
        checked = set(selected_values(state, Block.EDIT_TELEPHONY))
        for spec in BOOLEANS:
            form.values[spec.name] = spec.name in checked
    return form


def same_value(current: Any, submitted: Any) -> bool:
    """Unset and empty are the same to a person; so are unset and off."""
    if isinstance(submitted, bool):
        return bool(current) == submitted
    if isinstance(submitted, str):
        return (current or "") == submitted
    return bool(current == submitted)


def _digest(value: Any) -> str:
    return hashlib.blake2s(repr(value).encode(), digest_size=2).hexdigest()


def fingerprint(assistant: Assistant) -> str:
    """Four hex digits per field, in catalogue order: what the form showed, small enough for
    private_metadata, so a later submission can tell which fields changed in Talkturo meanwhile."""
    return "".join(_digest(assistant.value(spec.name)) for spec in FIELDS)


def changed_since(assistant: Assistant, shown: str) -> list[FieldSpec]:
    """The fields whose value in Talkturo is no longer the one the form was opened with (all of them
    when the fingerprint is unreadable: better a needless warning than a silent overwrite)."""
    now, then = _chunks(fingerprint(assistant)), _chunks(shown)
    if len(then) != len(now):
        return list(FIELDS)
    return [spec for spec, a, b in zip(FIELDS, now, then, strict=True) if a != b]


def _chunks(prints: str) -> list[str]:
    return [prints[i : i + 4] for i in range(0, len(prints), 4)]


def conflict_notice(assistant: Assistant, changed: list[FieldSpec]) -> str:
    now = "\n".join(
        f"• *{escape(spec.label)}* is now {show_value(assistant.value(spec.name))}" for spec in changed
    )
    return (
        ":warning: *Someone changed this assistant in Talkturo after you opened this form.* "
        f"Nothing was saved. Talkturo now has:\n{now}\nCheck these fields and save again."
    )
