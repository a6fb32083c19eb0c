"""Change notices: who changed which assistant, each field old → new."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.fields import BY_NAME
from bot.talkturo.models import Assistant
from bot.ui.text import context, escape, section, show_value


@dataclass(frozen=True)
class Change:
    label: str
    old: Any
    new: Any


@dataclass(frozen=True)
class Notice:
    """`what` is mrkdwn that is already escaped; the actor is mentioned in front of it."""

    actor: str
    what: str
    changes: tuple[Change, ...] = ()
    warning: str | None = None

    @property
    def text(self) -> str:
        return f"<@{self.actor}> {self.what}"


def assistant_ref(assistant: Assistant) -> str:
    return f"*{escape(assistant.name or assistant.id)}* (`{escape(assistant.id)}`)"


def field_changes(before: Assistant, after: Assistant, fields: Sequence[str]) -> tuple[Change, ...]:
    """The fields whose value differs between two versions of an assistant, in catalogue order."""
    return tuple(
        Change(BY_NAME[name].label, before.value(name), after.value(name))
        for name in BY_NAME
        if name in fields and before.value(name) != after.value(name)
    )


def notice_blocks(notice: Notice) -> list[dict[str, Any]]:
    blocks = [section(notice.text)]
    if notice.changes:
        lines = [f"• *{escape(c.label)}*: {show_value(c.old)} → {show_value(c.new)}" for c in notice.changes]
        blocks.append(section("\n".join(lines)))
    if notice.warning:
        blocks.append(section(f":warning: {notice.warning}"))
    blocks.append(context("Changed with /talkturo"))
    return blocks
