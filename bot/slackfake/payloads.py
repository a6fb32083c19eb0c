"""Requests exactly as Slack sends them to the bot: slash commands, interactivity payloads and events, signed.

Builders are pure apart from fresh ids and the clock: data in, `(body, headers)` out. Send them with any
HTTP client, e.g. ``httpx.post(url + "/slack/events", content=body, headers=headers)``.
"""

from __future__ import annotations

import copy
import itertools
import json
import re
import secrets
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urlencode

from slack_sdk.signature import SignatureVerifier

from bot.slackfake.state import JSON, STATEFUL_ELEMENTS, complete_view, default_bot_user_id

__all__ = [
    "SignedRequest",
    "SlackRequests",
    "element_state",
    "find_element",
    "parse_body",
    "slack_escape",
    "view_state",
]

FORM = "application/x-www-form-urlencoded"
USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"

# Slack's own markup in command text: user/channel mentions, special mentions, links. These arrive
# unescaped; everything else the user typed has & < > escaped.
_SLACK_TOKEN = re.compile(r"<(?:[@#!]|https?://|mailto:)[^<>]*>")

_TEXT_INPUTS = {"plain_text_input", "email_text_input", "url_text_input", "number_input"}
_OPTION_ELEMENTS = {"static_select", "radio_buttons", "overflow"}
_MULTI_OPTION_ELEMENTS = {"multi_static_select", "checkboxes"}
_SINGLE_PICKS = {
    "users_select": ("selected_user", "initial_user"),
    "conversations_select": ("selected_conversation", "initial_conversation"),
    "channels_select": ("selected_channel", "initial_channel"),
    "datepicker": ("selected_date", "initial_date"),
    "timepicker": ("selected_time", "initial_time"),
    "datetimepicker": ("selected_date_time", "initial_date_time"),
}
_MULTI_PICKS = {
    "multi_users_select": ("selected_users", "initial_users"),
    "multi_conversations_select": ("selected_conversations", "initial_conversations"),
    "multi_channels_select": ("selected_channels", "initial_channels"),
}

_NOT_GIVEN: Any = object()


class SignedRequest(NamedTuple):
    body: bytes
    headers: dict[str, str]


def slack_escape(text: str) -> str:
    """Escape &, <, > as Slack does in command text, leaving Slack's own <@U…>, <#C…>, <!…> tokens."""

    def escape(part: str) -> str:
        return part.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    out: list[str] = []
    last = 0
    for match in _SLACK_TOKEN.finditer(text):
        out.append(escape(text[last : match.start()]))
        out.append(match.group(0))
        last = match.end()
    out.append(escape(text[last:]))
    return "".join(out)


def parse_body(body: bytes) -> JSON:
    """The dict a builder encoded: JSON bodies, `payload=` forms, or plain command forms."""
    text = body.decode("utf-8")
    if text.startswith("{"):
        return dict(json.loads(text))
    fields = dict(parse_qsl(text, keep_blank_values=True))
    if set(fields) == {"payload"}:
        return dict(json.loads(fields["payload"]))
    return fields


# --- elements and view state ----------------------------------------------------------------------


def _iter_elements(blocks: list[Any]) -> Iterator[tuple[str, JSON]]:
    """(block_id, element) of every interactive element, in the places Slack allows them."""
    for block in blocks:
        if not isinstance(block, dict):
            continue
        block_id = str(block.get("block_id", ""))
        btype = block.get("type")
        if btype == "input" and isinstance(block.get("element"), dict):
            yield block_id, block["element"]
        elif btype == "section" and isinstance(block.get("accessory"), dict):
            yield block_id, block["accessory"]
        elif btype == "actions":
            for element in block.get("elements") or []:
                if isinstance(element, dict):
                    yield block_id, element


def find_element(blocks: list[Any], action_id: str, block_id: str | None = None) -> tuple[str, JSON] | None:
    """The (block_id, element) with this action_id (and block_id when given), or None."""
    for found_block, element in _iter_elements(blocks):
        if element.get("action_id") == action_id and (block_id is None or found_block == block_id):
            return found_block, element
    return None


def _options(element: JSON) -> list[JSON]:
    options = [o for o in element.get("options") or [] if isinstance(o, dict)]
    for group in element.get("option_groups") or []:
        if isinstance(group, dict):
            options.extend(o for o in group.get("options") or [] if isinstance(o, dict))
    return options


def _pick_option(element: JSON, value: Any) -> JSON:
    """The option object Slack sends for a chosen value: the one in the element, verbatim."""
    if isinstance(value, dict):
        return copy.deepcopy(value)
    options = _options(element)
    for option in options:
        if str(option.get("value")) == str(value):
            return copy.deepcopy(option)
    if element.get("type", "").endswith("external_select"):
        # External options come from the app's options handler; the fake builds the object Slack echoes.
        return {"text": {"type": "plain_text", "text": str(value), "emoji": True}, "value": str(value)}
    known = [o.get("value") for o in options]
    raise ValueError(f"{value!r} is not an option of {element.get('action_id')!r}; options: {known}")


def _rich_text(value: Any) -> Any:
    if value is None or isinstance(value, dict):
        return value
    return {
        "type": "rich_text",
        "elements": [{"type": "rich_text_section", "elements": [{"type": "text", "text": str(value)}]}],
    }


def element_state(element: JSON, value: Any = _NOT_GIVEN) -> JSON:
    """The `state.values[block_id][action_id]` entry for an element.

    `value` not given: what Slack sends for an untouched element (its initial value, else empty).
    For selects, `value` is the option's value (or a whole option object); multi-selects take a list.
    """
    etype = str(element.get("type"))
    untouched = value is _NOT_GIVEN
    if etype in _TEXT_INPUTS:
        text = element.get("initial_value") if untouched else value
        # Slack sends numbers as strings and a cleared input as null.
        return {"type": etype, "value": None if text is None or text == "" else str(text)}
    if etype == "rich_text_input":
        return {"type": etype, "rich_value": _rich_text(element.get("initial_value") if untouched else value)}
    if etype in _OPTION_ELEMENTS or etype == "external_select":
        if untouched:
            initial = element.get("initial_option")
            return {"type": etype, "selected_option": copy.deepcopy(initial) if initial else None}
        return {"type": etype, "selected_option": None if value is None else _pick_option(element, value)}
    if etype in _MULTI_OPTION_ELEMENTS or etype == "multi_external_select":
        if untouched:
            return {"type": etype, "selected_options": copy.deepcopy(element.get("initial_options") or [])}
        chosen = [] if value is None else value if isinstance(value, list | tuple) else [value]
        return {"type": etype, "selected_options": [_pick_option(element, v) for v in chosen]}
    if etype in _SINGLE_PICKS:
        key, initial_key = _SINGLE_PICKS[etype]
        return {"type": etype, key: element.get(initial_key) if untouched else value}
    if etype in _MULTI_PICKS:
        key, initial_key = _MULTI_PICKS[etype]
        picked = element.get(initial_key) if untouched else value
        return {"type": etype, key: list(picked or [])}
    raise ValueError(f"element type {etype!r} keeps no state")


def view_state(view: JSON, values: Mapping[str, Any]) -> JSON:
    """`view.state.values` Slack would send with this view after the user entered `values`.

    `values` maps block_id to the value of its element; for a block with several stateful elements
    (an actions block), map block_id to {action_id: value}. Elements not mentioned keep their initial
    values, as Slack reports untouched prefilled inputs.
    """
    state: dict[str, dict[str, JSON]] = {}
    stateful: dict[str, list[JSON]] = {}
    for block_id, element in _iter_elements(view.get("blocks") or []):
        if element.get("type") in STATEFUL_ELEMENTS:
            stateful.setdefault(block_id, []).append(element)
    unknown = set(values) - set(stateful)
    if unknown:
        raise ValueError(f"no input in block(s) {sorted(unknown)}; blocks with inputs: {sorted(stateful)}")
    for block_id, elements in stateful.items():
        given = values.get(block_id, _NOT_GIVEN)
        per_action = len(elements) > 1 and isinstance(given, dict) and "value" not in given
        entries: dict[str, JSON] = {}
        for element in elements:
            action_id = str(element.get("action_id", ""))
            value = given
            if per_action:
                value = given.get(action_id, _NOT_GIVEN)
            elif len(elements) > 1 and given is not _NOT_GIVEN:
                raise ValueError(f"block {block_id!r} has several inputs: give {{action_id: value}}")
            entries[action_id] = element_state(element, value)
        state[block_id] = entries
    return state


# --- the factory ----------------------------------------------------------------------------------


class SlackRequests:
    """Signed requests of one workspace, as Slack would deliver them to the bot."""

    def __init__(
        self,
        signing_secret: str,
        team_id: str = "T1",
        api_app_id: str = "A1",
        enterprise_id: str | None = None,
        *,
        team_domain: str | None = None,
        is_enterprise_install: bool = False,
        bot_user_id: str | None = None,
        verification_token: str = "fake-verification-token",
        response_url_factory: Callable[[str], str] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`response_url_factory(team_id)` supplies response URLs (e.g. `SlackFake.response_url`);
        without it they point at hooks.slack.com, which nothing local answers."""
        self.verifier = SignatureVerifier(signing_secret)
        self.team_id = team_id
        self.api_app_id = api_app_id
        self.enterprise_id = enterprise_id
        self.team_domain = team_domain or f"team-{team_id.lower()}"
        self.is_enterprise_install = is_enterprise_install
        self.bot_user_id = bot_user_id or default_bot_user_id(team_id)  # as SlackFake.add_workspace
        self.verification_token = verification_token
        self.response_url_factory = response_url_factory
        self.clock = clock
        self._seq = itertools.count(1)

    # --- signing ---

    def sign(self, body: bytes, timestamp: int | str | None = None) -> dict[str, str]:
        """The signature headers for `body` (pass an old `timestamp` to forge a stale request)."""
        stamp = str(int(self.clock()) if timestamp is None else timestamp)
        signature = self.verifier.generate_signature(timestamp=stamp, body=body)
        assert signature is not None
        return {"x-slack-request-timestamp": stamp, "x-slack-signature": signature}

    def _signed(
        self, body: bytes, content_type: str, extra: Mapping[str, str] | None = None
    ) -> SignedRequest:
        headers = {"content-type": content_type, "user-agent": USER_AGENT, **self.sign(body)}
        headers.update(extra or {})
        return SignedRequest(body, headers)

    def _form(self, fields: Mapping[str, str]) -> SignedRequest:
        return self._signed(urlencode(fields).encode(), FORM)

    def _interaction(self, payload: JSON) -> SignedRequest:
        return self._form({"payload": json.dumps(payload, separators=(",", ":"))})

    # --- ids ---

    def trigger_id(self) -> str:
        """A fresh, unique trigger id in Slack's shape."""
        return (
            f"{next(self._seq)}{secrets.randbelow(10**9):09d}.{secrets.randbelow(10**9)}.{uuid.uuid4().hex}"
        )

    def _response_url(self) -> str:
        if self.response_url_factory is not None:
            return self.response_url_factory(self.team_id)
        return f"https://hooks.slack.com/actions/{self.team_id}/{next(self._seq)}/{secrets.token_hex(12)}"

    def _action_ts(self) -> str:
        return f"{self.clock():.6f}"

    # --- common parts of interactivity payloads ---

    def _user(self, user_id: str, user_name: str | None) -> JSON:
        name = user_name or user_id.lower()
        return {"id": user_id, "username": name, "name": name, "team_id": self.team_id}

    def _team(self) -> JSON:
        team: JSON = {"id": self.team_id, "domain": self.team_domain}
        if self.enterprise_id is not None:
            team["enterprise_id"] = self.enterprise_id
            team["enterprise_name"] = f"Org {self.enterprise_id}"
        return team

    def _enterprise(self) -> JSON | None:
        if self.enterprise_id is None:
            return None
        return {"id": self.enterprise_id, "name": f"Org {self.enterprise_id}"}

    def _envelope(self, kind: str, user_id: str, user_name: str | None) -> JSON:
        return {
            "type": kind,
            "user": self._user(user_id, user_name),
            "api_app_id": self.api_app_id,
            "token": self.verification_token,
            "team": self._team(),
            "enterprise": self._enterprise(),
            "is_enterprise_install": self.is_enterprise_install,
        }

    def _full_view(self, view: JSON) -> JSON:
        """A view as Slack holds it; views built by hand (not read from the fake) get the missing fields."""
        if "id" in view and "hash" in view:
            return copy.deepcopy(view)
        return complete_view(
            view,
            view_id=f"V{next(self._seq):04d}{secrets.token_hex(3).upper()}",
            view_hash=f"{int(self.clock())}.{secrets.token_hex(4)}",
            team_id=self.team_id,
            app_id=self.api_app_id,
            bot_id=f"B{self.team_id}",
        )

    # --- builders ---

    def command(
        self,
        text: str,
        *,
        user_id: str,
        channel_id: str = "C1",
        command: str = "/talkturo",
        response_url: str | None = None,
        trigger_id: str | None = None,
        user_name: str | None = None,
        team_domain: str | None = None,
        channel_name: str | None = None,
        escape: bool = False,
    ) -> SignedRequest:
        """A slash command, form-encoded in Slack's field order. `escape=True` escapes text like Slack."""
        fields: dict[str, str] = {
            "token": self.verification_token,
            "team_id": self.team_id,
            "team_domain": team_domain or self.team_domain,
        }
        if self.enterprise_id is not None:
            fields["enterprise_id"] = self.enterprise_id
            fields["enterprise_name"] = f"Org {self.enterprise_id}"
        fields.update(
            {
                "channel_id": channel_id,
                "channel_name": channel_name or ("directmessage" if channel_id[:1] == "D" else "general"),
                "user_id": user_id,
                "user_name": user_name or user_id.lower(),
                "command": command,
                "text": slack_escape(text) if escape else text,
                "api_app_id": self.api_app_id,
                "is_enterprise_install": "true" if self.is_enterprise_install else "false",
                "response_url": response_url or self._response_url(),
                "trigger_id": trigger_id or self.trigger_id(),
            }
        )
        return self._form(fields)

    def block_action(
        self,
        action_id: str,
        value: Any = None,
        *,
        user_id: str,
        block_id: str | None = None,
        channel_id: str = "C1",
        message: JSON | None = None,
        view: JSON | None = None,
        values: Mapping[str, Any] | None = None,
        response_url: str | None = None,
        trigger_id: str | None = None,
        selected_option: JSON | None = None,
        user_name: str | None = None,
        is_ephemeral: bool = False,
    ) -> SignedRequest:
        """A click or selection on an element of a message (default) or of a modal (`view=`).

        The element is looked up by action_id in the message/view so the action carries its real type;
        `value` is a button's value or a select's chosen value(s). `values` fills the modal's state
        (see view_state).
        """
        full = self._full_view(view) if view is not None else None
        shown: JSON = copy.deepcopy(message) if message is not None else {"type": "message", "blocks": []}
        blocks: list[Any] = (full or shown).get("blocks") or []
        found = find_element(blocks, action_id, block_id)
        if found is None:
            element: JSON = {"type": "button", "action_id": action_id, "text": _plain(action_id)}
            found_block = block_id or "actions"
        else:
            found_block, element = found
        action = _action(element, value, selected_option)
        action.update({"action_id": action_id, "block_id": found_block, "action_ts": self._action_ts()})
        # The state Slack sends already holds the value just picked in a stateful element.
        state_values = dict(values or {})
        if found is not None and element.get("type") in STATEFUL_ELEMENTS and found_block not in state_values:
            picked = selected_option if selected_option is not None else value
            siblings = [
                e
                for b, e in _iter_elements(blocks)
                if b == found_block and e.get("type") in STATEFUL_ELEMENTS
            ]
            state_values[found_block] = {action_id: picked} if len(siblings) > 1 else picked

        payload = self._envelope("block_actions", user_id, user_name)
        payload["trigger_id"] = trigger_id or self.trigger_id()
        if full is not None:
            full["state"] = {"values": view_state(full, state_values)}
            payload["container"] = {"type": "view", "view_id": full["id"]}
            payload["view"] = full
        else:
            shown.setdefault("ts", f"{int(self.clock())}.{next(self._seq):06d}")
            payload["container"] = {
                "type": "message",
                "message_ts": shown["ts"],
                "channel_id": channel_id,
                "is_ephemeral": is_ephemeral,
            }
            payload["channel"] = {"id": channel_id, "name": "general"}
            payload["message"] = shown
            payload["state"] = {"values": view_state(shown, state_values)}
            payload["response_url"] = response_url or self._response_url()
        payload["actions"] = [action]
        return self._interaction(payload)

    def view_submission(
        self,
        view: JSON,
        values: Mapping[str, Any] | None = None,
        *,
        user_id: str,
        user_name: str | None = None,
        trigger_id: str | None = None,
    ) -> SignedRequest:
        """Submitting `view` (read it from the fake, e.g. `fake.latest_view()`) after entering `values`."""
        full = self._full_view(view)
        full["state"] = {"values": view_state(full, values or {})}
        payload = self._envelope("view_submission", user_id, user_name)
        payload.update({"trigger_id": trigger_id or self.trigger_id(), "view": full, "response_urls": []})
        return self._interaction(payload)

    def block_suggestion(
        self,
        action_id: str,
        value: str,
        *,
        user_id: str,
        view: JSON,
        block_id: str | None = None,
        user_name: str | None = None,
    ) -> SignedRequest:
        """The options request of an external select while the user types `value`."""
        if block_id is None:
            found = find_element(view.get("blocks") or [], action_id)
            if found is None:
                raise ValueError(f"no element {action_id!r} in the view")
            block_id = found[0]
        full = self._full_view(view)
        payload = self._envelope("block_suggestion", user_id, user_name)
        payload.update(
            {
                "container": {"type": "view", "view_id": full["id"]},
                "action_id": action_id,
                "block_id": block_id,
                "value": value,
                "view": full,
            }
        )
        return self._interaction(payload)

    def view_closed(
        self, view: JSON, *, user_id: str, is_cleared: bool = False, user_name: str | None = None
    ) -> SignedRequest:
        """The user closed a modal that set `notify_on_close`."""
        payload = self._envelope("view_closed", user_id, user_name)
        payload.update({"view": self._full_view(view), "is_cleared": is_cleared})
        return self._interaction(payload)

    def event(
        self,
        event: JSON,
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str | None = None,
        event_time: int | None = None,
    ) -> SignedRequest:
        """An Events API delivery; `retry_num` makes it a retry (headers as Slack sets them)."""
        envelope: JSON = {
            "token": self.verification_token,
            "team_id": self.team_id,
            "api_app_id": self.api_app_id,
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(self._seq):04d}{secrets.token_hex(4).upper()}",
            "event_time": event_time if event_time is not None else int(self.clock()),
            "authorizations": [
                {
                    "enterprise_id": self.enterprise_id,
                    "team_id": self.team_id,
                    "user_id": self.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": self.is_enterprise_install,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": f"4-{secrets.token_hex(16)}",
        }
        if self.enterprise_id is not None:
            envelope["enterprise_id"] = self.enterprise_id
        extra: dict[str, str] = {}
        if retry_num is not None:
            extra = {
                "x-slack-retry-num": str(retry_num),
                "x-slack-retry-reason": retry_reason or "http_timeout",
            }
        body = json.dumps(envelope, separators=(",", ":")).encode()
        return self._signed(body, "application/json", extra)

    def url_verification(self, challenge: str = "challenge-token") -> SignedRequest:
        """The handshake Slack sends when the Events request URL is saved."""
        body = {"token": self.verification_token, "challenge": challenge, "type": "url_verification"}
        return self._signed(json.dumps(body).encode(), "application/json")


def _plain(text: str) -> JSON:
    return {"type": "plain_text", "text": text, "emoji": True}


def _action(element: JSON, value: Any, selected_option: JSON | None) -> JSON:
    """The `actions[0]` entry for an interaction with `element`."""
    etype = str(element.get("type", "button"))
    if etype == "button":
        action: JSON = {
            "type": "button",
            "text": copy.deepcopy(element.get("text") or _plain("")),
            "value": value if value is not None else element.get("value"),
        }
        if "style" in element:
            action["style"] = element["style"]
        return action
    if selected_option is not None:
        return {"type": etype, "selected_option": copy.deepcopy(selected_option)}
    if etype == "overflow":
        return {"type": etype, "selected_option": _pick_option(element, value)}
    if etype in STATEFUL_ELEMENTS:
        return element_state(element, value)
    return {"type": etype, "value": value}
