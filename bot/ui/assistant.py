"""The assistant's configuration summary (`show`, after create, Refresh) and the `list` reply."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.fields import BY_NAME
from bot.store import KnownNumber, RegistryEntry
from bot.talkturo.models import Assistant
from bot.ui.ids import Action
from bot.ui.text import FIELD_LIMIT, button, context, escape, header, mrkdwn, section, shorten, show_value

PROMPT_PREVIEW = 600


def _field(label: str, value: Any) -> dict[str, Any]:
    return mrkdwn(shorten(f"*{label}*\n{show_value(value, limit=300)}", FIELD_LIMIT))


def _fields(assistant: Assistant, names: Sequence[str]) -> list[dict[str, Any]]:
    return [_field(BY_NAME[name].label, assistant.value(name)) for name in names]


def _numbers_text(numbers: Sequence[KnownNumber]) -> str:
    if not numbers:
        return "none"
    return ", ".join(escape(n.phone_number or n.id) for n in numbers)


def _long_text(label: str, text: str | None) -> dict[str, Any]:
    if not text:
        return section(f"*{label}*\n—")
    body = shorten(text, PROMPT_PREVIEW, mark="… _(shortened)_")
    quoted = "\n".join("> " + escape(line) if line else ">" for line in body.splitlines())
    return section(f"*{label}*\n{quoted}")


def assistant_actions(assistant_id: str) -> dict[str, Any]:
    return {
        "type": "actions",
        "elements": [
            button("Edit", Action.EDIT, assistant_id, style="primary"),
            button("Assign numbers", Action.ASSIGN, assistant_id),
            button("Refresh", Action.REFRESH, assistant_id),
        ],
    }


def summary_blocks(assistant: Assistant, numbers: Sequence[KnownNumber]) -> list[dict[str, Any]]:
    """Everything a person checks on an assistant, grouped as in the Talkturo dashboard."""
    name = assistant.name or assistant.id
    telephony = [
        _field("Inbound calls", assistant.inbound_enabled),
        _field("Outbound calls", assistant.outbound_enabled),
        _field("Call recording", assistant.recording_enabled),
        mrkdwn(shorten(f"*Numbers*\n{_numbers_text(numbers)}", FIELD_LIMIT)),
    ]
    return [
        header(name),
        {
            "type": "section",
            "fields": [_field("Template", assistant.template), mrkdwn(f"*ID*\n`{escape(assistant.id)}`")],
        },
        {"type": "divider"},
        section("*LLM*"),
        {"type": "section", "fields": _fields(assistant, ("provider", "model", "temperature", "max_tokens"))},
        section("*Voice*"),
        {
            "type": "section",
            "fields": _fields(assistant, ("voice_provider", "voice_model", "voice_name", "voice_id")),
        },
        section("*Transcriber*"),
        {"type": "section", "fields": _fields(assistant, ("stt_provider", "stt_model", "language"))},
        section("*Telephony*"),
        {"type": "section", "fields": telephony},
        {"type": "divider"},
        _long_text("First message", assistant.first_message),
        _long_text("System prompt", assistant.system_prompt),
        context(f"Last updated {escape(assistant.updated_at or 'unknown')}"),
        assistant_actions(assistant.id),
    ]


def summary_text(assistant: Assistant) -> str:
    """Notification fallback for the summary message (mrkdwn too: Slack parses it for mentions)."""
    return f"Assistant {escape(assistant.name or assistant.id)} ({escape(assistant.id)})"


def list_blocks(entries: Sequence[RegistryEntry]) -> list[dict[str, Any]]:
    if not entries:
        return [
            section(
                "This workspace knows no assistants yet. Create one with `/talkturo create`, or look one "
                "up by its ID with `/talkturo show asst_…` and it will be listed here."
            )
        ]
    # A message holds 50 blocks: header + context + 2 per assistant leaves room for 23.
    shown = entries[:23]
    blocks: list[dict[str, Any]] = [header(f"Assistants ({len(entries)})")]
    for entry in shown:
        line = f"*{escape(entry.name)}*  `{escape(entry.id)}`"
        details = [escape(entry.template or ""), _numbers_text(entry.numbers) if entry.numbers else ""]
        extra = " · ".join(d for d in details if d)
        blocks.append(section(f"{line}\n{extra}" if extra else line))
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    button("Show", Action.SHOW, entry.id),
                    button("Edit", Action.EDIT, entry.id),
                ],
            }
        )
    if len(entries) > len(shown):
        blocks.append(context(f"{len(entries) - len(shown)} more not shown; use `/talkturo show <name>`."))
    return blocks
