"""Text helpers: mrkdwn escaping, shortening to Slack's limits, value formatting."""

from __future__ import annotations

from typing import Any

SECTION_LIMIT = 3000
FIELD_LIMIT = 2000
OPTION_TEXT_LIMIT = 75
PLAIN_INPUT_LIMIT = 3000


def escape(text: str) -> str:
    """Escape user and Talkturo text for mrkdwn, so `<!channel>` or `<@U1>` ping nobody."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def shorten(text: str, limit: int, *, mark: str = "…") -> str:
    """At most `limit` characters; a cut says how much was left out."""
    if len(text) <= limit:
        return text
    more = f"{mark} ({len(text):,} characters in all)"
    if len(more) > limit // 2:
        # Short limits (modal titles, labels): the count would crowd out the text, or overflow the limit.
        return text[: limit - 1] + "…"
    return text[: limit - len(more)] + more


def show_value(value: Any, *, limit: int = 80) -> str:
    """A setting as a person reads it: on/off, numbers as typed, text shortened, unset as a dash."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        return f"{value:g}"
    return escape(shorten(" ".join(str(value).split()), limit))


def plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": shorten(text, limit), "emoji": True}


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": mrkdwn(shorten(text, SECTION_LIMIT))}


def context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [mrkdwn(shorten(text, SECTION_LIMIT))]}


def header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": plain(text, 150)}


def button(
    text: str, action_id: str, value: str, *, style: str | None = None, confirm: dict[str, Any] | None = None
) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "button",
        "text": plain(text, 75),
        "action_id": action_id,
        "value": value,
    }
    if style:
        element["style"] = style
    if confirm:
        element["confirm"] = confirm
    return element
