"""What the page shows, built from what the bot does: channel messages, replies only one person sees,
and modals. Fed by the Slack fake's call record, by slash-command acks and by the bridge's notes."""

from __future__ import annotations

import copy
import itertools
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from bot.dev.stream import Event, Hub
from bot.slackfake.state import Call

JSON = dict[str, Any]
KEEP_MESSAGES = 500
KEEP_NOTES = 2000
_VIEW_METHODS = {"views.open": "open", "views.push": "push", "views.update": "update"}
_SHOWN_FAILURES = ("chat.", "views.", "users.", "conversations.", "usergroups.")


@dataclass
class Message:
    id: str
    ts: str
    channel: str
    author: str  # a user id; the bot's own user id for its messages
    text: str
    blocks: list[JSON]
    visible_to: str | None  # None: everyone in the channel
    kind: str = "message"  # message | command (what a person typed) | dm | system
    at: float = field(default_factory=time.time)

    def to_json(self) -> JSON:
        return {
            "id": self.id,
            "ts": self.ts,
            "channel": self.channel,
            "author": self.author,
            "text": self.text,
            "blocks": copy.deepcopy(self.blocks),
            "visible_to": self.visible_to,
            "kind": self.kind,
            "at": self.at,
        }


@dataclass
class _ResponseUrl:
    user: str
    channel: str
    target: str | None  # the message an action was taken on, which replace_original replaces
    last: str | None = None  # the message posted through this URL last


def _remember(table: dict[str, Any], key: str, value: Any) -> None:
    """Notes about triggers, URLs and views: a long session keeps only the latest ones."""
    table[key] = value
    while len(table) > KEEP_NOTES:
        del table[next(iter(table))]


def _blocks(value: Any) -> list[JSON]:
    return [b for b in value if isinstance(b, dict)] if isinstance(value, list) else []


class Feed:
    def __init__(self, hub: Hub, bot_user_id: str, channel_id: str) -> None:
        self.hub = hub
        self.bot_user_id = bot_user_id
        self.channel_id = channel_id
        self.messages: OrderedDict[str, Message] = OrderedDict()
        self._urls: dict[str, _ResponseUrl] = {}
        self._triggers: dict[str, str] = {}
        self._view_owner: dict[str, str] = {}
        self._seq = itertools.count(1)

    # --- notes from the bridge ------------------------------------------------------------------

    def expect_trigger(self, trigger_id: str, user_id: str) -> None:
        """A view opened or pushed with this trigger belongs to this person's page."""
        _remember(self._triggers, trigger_id, user_id)

    def register_url(self, url: str, user_id: str, channel: str, target: str | None) -> None:
        _remember(self._urls, url, _ResponseUrl(user_id, channel, target))

    def owner(self, view_id: str) -> str | None:
        return self._view_owner.get(view_id)

    def message(self, message_id: str) -> Message | None:
        return self.messages.get(message_id)

    # --- what the page is sent -------------------------------------------------------------------

    def snapshot(self) -> Event:
        return {"type": "snapshot", "messages": [m.to_json() for m in self.messages.values()]}

    def _ts(self) -> str:
        return f"{int(time.time())}.{next(self._seq):06d}"

    def add(
        self,
        *,
        text: str,
        blocks: list[JSON],
        visible_to: str | None,
        author: str | None = None,
        kind: str = "message",
        channel: str | None = None,
        ts: str | None = None,
    ) -> Message:
        message = Message(
            id=f"m{next(self._seq)}",
            ts=ts or self._ts(),
            channel=channel or self.channel_id,
            author=author or self.bot_user_id,
            text=text,
            blocks=blocks,
            visible_to=visible_to,
            kind=kind,
        )
        self.messages[message.id] = message
        while len(self.messages) > KEEP_MESSAGES:
            self.messages.popitem(last=False)
        self.hub.publish({"type": "message", "message": message.to_json()})
        return message

    def _update(self, message: Message, params: JSON) -> None:
        if params.get("text") is not None:
            message.text = str(params["text"])
        if params.get("blocks") is not None:
            message.blocks = _blocks(params["blocks"])
        self.hub.publish({"type": "update", "message": message.to_json()})

    def _delete(self, message_id: str) -> None:
        if self.messages.pop(message_id, None) is not None:
            self.hub.publish({"type": "delete", "id": message_id})

    def command_echo(self, user_id: str, channel: str, text: str) -> Message:
        """What the person typed, shown to them only (Slack posts nothing for a command itself)."""
        return self.add(
            text=text, blocks=[], visible_to=user_id, author=user_id, kind="command", channel=channel
        )

    def ack(self, user_id: str, channel: str, body: JSON, url: str) -> None:
        """A command ack that carries a message: only the caller sees it, unless `in_channel`."""
        if not (body.get("text") or body.get("blocks")):
            return
        visible = None if body.get("response_type") == "in_channel" else user_id
        text = str(body.get("text") or "")
        message = self.add(text=text, blocks=_blocks(body.get("blocks")), visible_to=visible, channel=channel)
        if url in self._urls:
            self._urls[url].last = message.id

    def view_event(self, op: str, view: JSON, owner: str | None) -> None:
        if owner is None:
            return
        _remember(self._view_owner, str(view.get("id")), owner)
        self.hub.publish({"type": "view", "op": op, "user": owner, "view": copy.deepcopy(view)})

    # --- the fake's record ----------------------------------------------------------------------

    def on_call(self, call: Call) -> None:
        if call.method == "response_url":
            if call.status == 200:
                self._response_url(call.params)
            else:
                self._failure(call, f"response_url answered {call.status} {call.response}")
            return
        if not call.ok:
            if call.method.startswith(_SHOWN_FAILURES):
                error = call.response.get("error") if isinstance(call.response, dict) else call.status
                self._failure(call, f"{call.method} failed: {error}")
            return
        response: JSON = call.response
        if call.method == "chat.postMessage":
            self._posted(call.params, response)
        elif call.method == "chat.postEphemeral":
            self.add(
                text=str(call.params.get("text") or ""),
                blocks=_blocks(call.params.get("blocks")),
                visible_to=str(call.params.get("user")),
                channel=str(call.params.get("channel")),
                ts=str(response.get("message_ts") or "") or None,
            )
        elif call.method == "chat.update":
            found = self._find(str(call.params.get("channel")), str(call.params.get("ts")))
            if found is not None:
                self._update(found, call.params)
        elif call.method == "chat.delete":
            found = self._find(str(call.params.get("channel")), str(call.params.get("ts")))
            if found is not None:
                self._delete(found.id)
        elif call.method in _VIEW_METHODS and isinstance(response.get("view"), dict):
            view: JSON = response["view"]
            if call.method == "views.update":
                owner = self._view_owner.get(str(view.get("id")))
            else:
                owner = self._triggers.pop(str(call.params.get("trigger_id")), None)
            self.view_event(_VIEW_METHODS[call.method], view, owner)

    def _failure(self, call: Call, summary: str) -> None:
        details = ""
        if isinstance(call.response, dict):
            messages = (call.response.get("response_metadata") or {}).get("messages") or []
            details = "\n".join(str(m) for m in messages)
        text = summary + (f"\n{details}" if details else "")
        self.add(text=text, blocks=[], visible_to=None, kind="system")

    def _posted(self, params: JSON, response: JSON) -> None:
        channel = str(response.get("channel") or params.get("channel"))
        dm = channel.startswith("D")
        self.add(
            text=str(params.get("text") or ""),
            blocks=_blocks(params.get("blocks")),
            visible_to="U" + channel[1:] if dm else None,
            channel=channel,
            kind="dm" if dm else "message",
            ts=str(response.get("ts")),
        )

    def _find(self, channel: str, ts: str) -> Message | None:
        return next((m for m in self.messages.values() if m.channel == channel and m.ts == ts), None)

    def _response_url(self, params: JSON) -> None:
        info = self._urls.get(str(params.get("_url")))
        if info is None:
            return
        target_id = info.target if info.target in self.messages else info.last
        target = self.messages.get(target_id) if target_id else None
        in_channel = params.get("response_type") == "in_channel"
        if params.get("delete_original"):
            if target is not None:
                self._delete(target.id)
        elif params.get("replace_original") and target is not None:
            if in_channel:
                target.visible_to = None
            # The new message replaces the whole original: no blocks given means none are left.
            self._update(target, {"text": params.get("text") or "", "blocks": params.get("blocks") or []})
        else:
            message = self.add(
                text=str(params.get("text") or ""),
                blocks=_blocks(params.get("blocks")),
                visible_to=None if in_channel else info.user,
                channel=info.channel,
            )
            info.last = message.id
