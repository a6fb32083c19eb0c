"""`help`: the grammar with examples, built from the same usage lines as the parse errors."""

from __future__ import annotations

from typing import Any, Final

from bot.fields import FIELDS, Kind
from bot.grammar import USAGE
from bot.ui.text import context, header, section

WHAT: Final[dict[str, str]] = {
    "help": "This help, or help on one sub-command",
    "connect": "Connect this workspace to a Talkturo account (admins)",
    "status": "Which Talkturo account this workspace uses",
    "disconnect": "Forget the Talkturo token (admins, asks first)",
    "create": "Create an assistant from a template",
    "show": "Post an assistant's configuration to the channel",
    "edit": "Change any setting in a form",
    "set": "Change settings without a form",
    "assign": "Give an assistant phone numbers (replaces its set)",
    "unassign": "Remove all numbers from an assistant (asks first)",
    "numbers": "Numbers an assistant has and can take",
    "list": "Assistants this workspace knows",
    "notify": "A channel that gets every change (admins)",
    "permissions": "Who may change assistants (admins)",
}
assert set(WHAT) == set(USAGE), "every sub-command needs a line of help"


def _kind(kind: Kind) -> str:
    return {
        Kind.BOOLEAN: "on/off",
        Kind.DECIMAL: "number",
        Kind.INTEGER: "whole number",
        Kind.CHOICE: "provider",
    }.get(kind, "text")


def _set_keys() -> str:
    lines = []
    for spec in FIELDS:
        aliases = f" (or {', '.join(spec.aliases)})" if spec.aliases else ""
        lines.append(f"• `{spec.name}`{aliases}: {_kind(spec.kind)}")
    return "*Keys for `set`*\n" + "\n".join(lines)


def help_blocks(topic: str | None) -> list[dict[str, Any]]:
    if topic:
        blocks = [section(f"*{topic}*: {WHAT[topic]}\n{USAGE[topic]}")]
        if topic == "set":
            blocks.append(section(_set_keys()))
        return blocks
    lines = [f"• *{name}*: {WHAT[name]}\n      {usage}" for name, usage in USAGE.items()]
    half = len(lines) // 2
    return [
        header("Talkturo for Slack"),
        section("\n".join(lines[:half])),
        section("\n".join(lines[half:])),
        context("An assistant is its name in quotes or its ID. Only you can see this."),
    ]


def help_text() -> str:
    return "Talkturo for Slack: " + ", ".join(USAGE)
