"""Page → Slack: what a person does on the page becomes the request Slack would send, signed with the
session's secret and POSTed over loopback HTTP to the bot's own /slack/events; the ack is read back as
Slack reads it (ephemeral replies, field errors, response actions)."""

from __future__ import annotations

import copy
import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from bot.dev.feed import Feed
from bot.slackfake import SignedRequest, SlackFake, SlackRequests
from bot.slackfake.state import STATEFUL_ELEMENTS

log = logging.getLogger("bot.dev")

JSON = dict[str, Any]
ACK_SECONDS = 3.0  # Slack shows an error when the app takes longer to answer
_MENTION = re.compile(r"(?<![\w<|/])([@#])([A-Za-z0-9][\w.-]*)")


class PageError(Exception):
    """Something the page asked for cannot be done; the message is shown there."""


@dataclass(frozen=True)
class Directory:
    """Who and where: the dev workspace's people and channels, by id and by name."""

    team_id: str
    channel_id: str
    command: str
    bot_token: str
    users: Mapping[str, str]  # id -> name
    channels: Mapping[str, str]  # id -> name

    def user_id(self, name: str) -> str | None:
        return next((uid for uid, known in self.users.items() if known == name), None)

    def channel(self, name: str) -> str | None:
        return next((cid for cid, known in self.channels.items() if known == name), None)


def dm_channel(user_id: str) -> str:
    """The app's DM with a person, as the fake names it (posting to U… lands in D…)."""
    return "D" + user_id[1:]


def _json(response: httpx.Response) -> JSON:
    if not response.content:
        return {}
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _stateful_elements(view: JSON) -> dict[str, list[str]]:
    """block_id -> action_ids of the elements whose value Slack reports in `state.values`."""
    found: dict[str, list[str]] = {}
    for block in view.get("blocks") or []:
        if not isinstance(block, dict):
            continue
        elements = [block.get("element"), block.get("accessory"), *(block.get("elements") or [])]
        for element in elements:
            if isinstance(element, dict) and element.get("type") in STATEFUL_ELEMENTS:
                found.setdefault(str(block.get("block_id")), []).append(str(element.get("action_id")))
    return found


def state_values(view: JSON, entered: Mapping[str, Any]) -> dict[str, Any]:
    """The page sends {block_id: {action_id: value}}; `view_state` wants a block's value directly when
    the block has one input, and {action_id: value} only when it has several."""
    values: dict[str, Any] = {}
    for block_id, action_ids in _stateful_elements(view).items():
        given = entered.get(block_id)
        if not isinstance(given, dict):
            continue
        if len(action_ids) == 1:
            if action_ids[0] in given:
                values[block_id] = given[action_ids[0]]
        else:
            values[block_id] = {a: v for a, v in given.items() if a in action_ids}
    return values


class Bridge:
    def __init__(self, requests: SlackRequests, fake: SlackFake, feed: Feed, directory: Directory) -> None:
        self.requests = requests
        self.fake = fake
        self.feed = feed
        self.directory = directory
        self.events_url = ""
        self._http: httpx.AsyncClient | None = None

    async def start(self, events_url: str) -> None:
        self.events_url = events_url
        self._http = httpx.AsyncClient(timeout=15)

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()

    # --- helpers --------------------------------------------------------------------------------

    def slack_text(self, text: str) -> str:
        """@name and #channel become the tokens Slack sends with should_escape (`<@U1|name>`)."""

        def token(match: re.Match[str]) -> str:
            sigil, name = match.groups()
            if sigil == "@" and (user_id := self.directory.user_id(name)):
                return f"<@{user_id}|{name}>"
            if sigil == "#" and (channel_id := self.directory.channel(name)):
                return f"<#{channel_id}|{name}>"
            return match.group(0)

        return _MENTION.sub(token, text)

    def _trigger(self, user_id: str) -> str:
        trigger = self.requests.trigger_id()
        self.feed.expect_trigger(trigger, user_id)
        return trigger

    def _view(self, view_id: str) -> JSON:
        view = self.fake.views.get(view_id)
        if view is None:
            raise PageError("This form is no longer open in Slack.")
        return copy.deepcopy(view)

    def _name(self, user_id: str) -> str:
        return self.directory.users.get(user_id, user_id.lower())

    async def _send(self, user_id: str, request: SignedRequest, what: str) -> httpx.Response:
        assert self._http is not None, "Bridge.start() first"
        started = time.monotonic()
        try:
            response = await self._http.post(self.events_url, content=request.body, headers=request.headers)
        except httpx.HTTPError as error:
            raise PageError(f"The app did not answer ({type(error).__name__}).") from None
        seconds = time.monotonic() - started
        if seconds > ACK_SECONDS:
            self.feed.add(
                text=f"The app took {seconds:.1f} s to acknowledge the {what}; Slack gives up after 3 s "
                "and shows the person an error.",
                blocks=[],
                visible_to=user_id,
                kind="system",
            )
        if response.status_code != 200:
            raise PageError(f"The app answered the {what} with HTTP {response.status_code}.")
        return response

    # --- what the page can do -------------------------------------------------------------------

    async def command(self, user_id: str, line: str, channel: str | None = None) -> JSON:
        """A slash command typed in a channel, or in the person's DM with the app (`D…`)."""
        command, _, text = line.strip().partition(" ")
        if command != self.directory.command:
            raise PageError(f"{command} is not a command here. Try {self.directory.command} help.")
        channel = channel or self.directory.channel_id
        if channel not in self.directory.channels and channel != dm_channel(user_id):
            raise PageError(f"unknown channel {channel}")
        self.feed.command_echo(user_id, channel, line.strip())
        url = self.fake.response_url(self.directory.team_id)
        self.feed.register_url(url, user_id, channel, None)
        request = self.requests.command(
            self.slack_text(text.strip()),
            user_id=user_id,
            user_name=self._name(user_id),
            channel_id=channel,
            channel_name=self.directory.channels.get(channel),
            command=command,
            response_url=url,
            trigger_id=self._trigger(user_id),
            escape=True,
        )
        response = await self._send(user_id, request, "command")
        # An ack with only text comes as text/plain; Slack shows either kind to the caller.
        body = _json(response) or ({"text": response.text} if response.text.strip() else {})
        self.feed.ack(user_id, channel, body, url)
        return {"ok": True}

    async def action(
        self,
        user_id: str,
        action_id: str,
        block_id: str | None,
        value: Any,
        *,
        message_id: str | None = None,
        view_id: str | None = None,
        entered: Mapping[str, Any] | None = None,
    ) -> JSON:
        """A click or a pick, on a message (`message_id`) or in a modal (`view_id`)."""
        if view_id:
            view = self._view(view_id)
            request = self.requests.block_action(
                action_id,
                value,
                user_id=user_id,
                user_name=self._name(user_id),
                block_id=block_id,
                view=view,
                values=state_values(view, entered or {}),
                trigger_id=self._trigger(user_id),
            )
        else:
            message = self.feed.message(message_id or "")
            if message is None:
                raise PageError("That message is gone.")
            url = self.fake.response_url(self.directory.team_id)
            self.feed.register_url(url, user_id, message.channel, message.id)
            shown = {
                "type": "message",
                "user": message.author,
                "ts": message.ts,
                "text": message.text,
                "blocks": copy.deepcopy(message.blocks),
            }
            request = self.requests.block_action(
                action_id,
                value,
                user_id=user_id,
                user_name=self._name(user_id),
                block_id=block_id,
                channel_id=message.channel,
                message=shown,
                response_url=url,
                trigger_id=self._trigger(user_id),
                is_ephemeral=message.visible_to is not None,
            )
        await self._send(user_id, request, "click")
        return {"ok": True}

    async def submit(self, user_id: str, view_id: str, entered: Mapping[str, Any]) -> JSON:
        """Submit a modal; the answer tells the page what Slack would do with the ack."""
        view = self._view(view_id)
        try:
            values = state_values(view, entered)
            request = self.requests.view_submission(
                view,
                values,
                user_id=user_id,
                user_name=self._name(user_id),
                trigger_id=self._trigger(user_id),
            )
        except ValueError as error:
            raise PageError(str(error)) from None
        ack = _json(await self._send(user_id, request, "form"))
        action = ack.get("response_action")
        if action == "errors":
            errors = ack.get("errors")
            return {"ok": True, "action": "errors", "errors": errors if isinstance(errors, dict) else {}}
        if action in ("update", "push"):
            view = self._apply(user_id, view_id, action, ack.get("view"))
            return {"ok": True, "action": action, "view": view}
        if action == "clear":
            return {"ok": True, "action": "clear"}
        return {"ok": True, "action": "close"}

    def _apply(self, user_id: str, view_id: str, action: str, new_view: Any) -> JSON:
        """Slack applies a response action to its own copy of the view, with the checks of views.*."""
        if action == "update":
            params: JSON = {"view_id": view_id, "view": new_view}
        else:
            params = {"trigger_id": self._trigger(user_id), "view": new_view}
        answer = self.fake.handle(f"views.{action}", params, self.directory.bot_token)
        body = answer.body if isinstance(answer.body, dict) else {}
        if not body.get("ok"):
            messages = (body.get("response_metadata") or {}).get("messages") or []
            raise PageError(
                f"Slack refused the view in response_action={action}: {body.get('error')} "
                + " ".join(str(m) for m in messages)
            )
        view: JSON = body["view"]
        return view

    async def close(self, user_id: str, view_id: str, *, cleared: bool = False) -> JSON:
        """Cancel or ✕: Slack tells the app only when the view asked (notify_on_close)."""
        view = self.fake.views.get(view_id)
        if view is not None and view.get("notify_on_close"):
            request = self.requests.view_closed(
                copy.deepcopy(view), user_id=user_id, user_name=self._name(user_id), is_cleared=cleared
            )
            await self._send(user_id, request, "close")
        return {"ok": True}

    async def suggest(self, user_id: str, view_id: str, action_id: str, block_id: str, value: str) -> JSON:
        """Options of an external select for what the person typed."""
        view = self._view(view_id)
        request = self.requests.block_suggestion(
            action_id, value, user_id=user_id, user_name=self._name(user_id), view=view, block_id=block_id
        )
        body = _json(await self._send(user_id, request, "options request"))
        options = body.get("options") if isinstance(body.get("options"), list) else []
        groups = body.get("option_groups") if isinstance(body.get("option_groups"), list) else []
        return {"ok": True, "options": options, "option_groups": groups}
