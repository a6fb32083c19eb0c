"""Records and pure helpers behind the Slack fake: what it stores, and the Block Kit checks Slack applies.

The checks mirror the limits in /work/shared/slack-platform.md §1.3, so a view or message the real API
would refuse is refused here too (with the same error codes and `response_metadata.messages` style).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]

# Element types whose value Slack reports in `view.state.values` (buttons and overflows carry none).
STATEFUL_ELEMENTS = frozenset(
    {
        "plain_text_input",
        "number_input",
        "email_text_input",
        "url_text_input",
        "rich_text_input",
        "static_select",
        "external_select",
        "users_select",
        "conversations_select",
        "channels_select",
        "multi_static_select",
        "multi_external_select",
        "multi_users_select",
        "multi_conversations_select",
        "multi_channels_select",
        "checkboxes",
        "radio_buttons",
        "datepicker",
        "timepicker",
        "datetimepicker",
    }
)


@dataclass
class Call:
    """One request the fake received. `status` and `response` are what it answered (for assertions)."""

    method: str
    params: JSON
    token: str | None
    at: float
    status: int = 200
    response: Any = None

    @property
    def ok(self) -> bool:
        return isinstance(self.response, dict) and self.response.get("ok") is True


@dataclass
class Workspace:
    team_id: str
    bot_token: str
    team_name: str
    domain: str
    enterprise_id: str | None
    bot_user_id: str
    bot_id: str
    app_id: str
    is_enterprise_install: bool = False


@dataclass
class TokenInfo:
    """Who a token belongs to: the bot of a workspace, or a user (xoxp) of it."""

    team_id: str
    user_id: str
    bot_id: str | None


@dataclass
class User:
    id: str
    team_id: str
    name: str
    is_admin: bool = False
    is_owner: bool = False
    is_restricted: bool = False
    is_ultra_restricted: bool = False
    is_bot: bool = False
    real_name: str = ""
    email: str | None = None
    tz: str = "Europe/Berlin"

    def to_api(self) -> JSON:
        """The `user` object of users.info."""
        profile: JSON = {
            "real_name": self.real_name or self.name,
            "display_name": self.name,
            "real_name_normalized": self.real_name or self.name,
            "display_name_normalized": self.name,
            "team": self.team_id,
        }
        if self.email is not None:
            profile["email"] = self.email
        return {
            "id": self.id,
            "team_id": self.team_id,
            "name": self.name,
            "deleted": False,
            "real_name": self.real_name or self.name,
            "tz": self.tz,
            "tz_label": self.tz,
            "tz_offset": 0,
            "profile": profile,
            "is_admin": self.is_admin,
            "is_owner": self.is_owner,
            "is_primary_owner": self.is_owner,
            "is_restricted": self.is_restricted,
            "is_ultra_restricted": self.is_ultra_restricted,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "updated": 1700000000,
        }


@dataclass
class Usergroup:
    id: str
    team_id: str
    handle: str
    users: list[str] = field(default_factory=list)
    name: str = ""

    def to_api(self, include_users: bool) -> JSON:
        group: JSON = {
            "id": self.id,
            "team_id": self.team_id,
            "is_usergroup": True,
            "is_subteam": True,
            "name": self.name or self.handle,
            "description": "",
            "handle": self.handle,
            "is_external": False,
            "date_create": 1700000000,
            "date_update": 1700000000,
            "date_delete": 0,
            "auto_type": None,
            "created_by": "",
            "updated_by": "",
            "deleted_by": None,
            "prefs": {"channels": [], "groups": []},
            "user_count": len(self.users),
        }
        if include_users:
            group["users"] = list(self.users)
        return group


@dataclass
class Channel:
    id: str
    name: str
    is_private: bool = False
    is_member: bool = True

    def to_api(self) -> JSON:
        is_im = self.id.startswith("D")
        return {
            "id": self.id,
            "name": self.name,
            "is_channel": not is_im and not self.is_private,
            "is_group": self.is_private,
            "is_im": is_im,
            "is_private": self.is_private or is_im,
            "is_archived": False,
            "is_general": False,
            "is_member": self.is_member,
            "created": 1700000000,
        }


@dataclass
class ResponseUrl:
    url: str
    team_id: str
    uses: int = 0


def default_bot_user_id(team_id: str) -> str:
    """The bot user id SlackFake.add_workspace assigns when none is given (SlackRequests.event uses it)."""
    return f"UB{team_id}"


def truthy(value: Any) -> bool:
    """Form fields arrive as strings: Slack reads "true"/"1" as true."""
    if isinstance(value, str):
        return value.lower() in {"1", "true", "yes"}
    return bool(value)


def short_id(seed: str, length: int = 5) -> str:
    """A stable pseudo-random id, like the block_ids Slack invents for blocks that have none."""
    digest = hashlib.sha1(seed.encode()).digest()
    return base64.b64encode(digest).decode()[:length].replace("/", "x").replace("+", "z")


def fill_ids(blocks: list[Any]) -> list[Any]:
    """Give every block a block_id and every interactive element an action_id, as Slack does on store."""
    out: list[Any] = []
    for index, block in enumerate(blocks):
        if not isinstance(block, dict):
            out.append(block)
            continue
        block = dict(block)
        if "block_id" not in block:
            block["block_id"] = short_id(f"{index}:{json.dumps(block, sort_keys=True)}")
        for key in ("element", "accessory"):
            if isinstance(block.get(key), dict) and "action_id" not in block[key]:
                block[key] = {**block[key], "action_id": short_id(f"{block['block_id']}:{key}", 4)}
        if isinstance(block.get("elements"), list) and block.get("type") == "actions":
            block["elements"] = [
                {**e, "action_id": short_id(f"{block['block_id']}:{i}", 4)}
                if isinstance(e, dict) and "action_id" not in e
                else e
                for i, e in enumerate(block["elements"])
            ]
        out.append(block)
    return out


def complete_view(
    view: JSON,
    *,
    view_id: str,
    view_hash: str,
    team_id: str,
    app_id: str,
    bot_id: str,
    root_view_id: str | None = None,
    previous_view_id: str | None = None,
) -> JSON:
    """The view as Slack returns and sends it: the fields it adds around what the app sent."""
    sent = copy.deepcopy(view)
    return {
        "id": view_id,
        "team_id": team_id,
        "type": sent.get("type", "modal"),
        "blocks": fill_ids(sent.get("blocks") or []),
        "private_metadata": sent.get("private_metadata", ""),
        "callback_id": sent.get("callback_id", ""),
        "state": {"values": {}},
        "hash": view_hash,
        "title": sent.get("title"),
        "clear_on_close": bool(sent.get("clear_on_close", False)),
        "notify_on_close": bool(sent.get("notify_on_close", False)),
        "close": sent.get("close"),
        "submit": sent.get("submit"),
        "previous_view_id": previous_view_id,
        "root_view_id": root_view_id or view_id,
        "app_id": app_id,
        "external_id": sent.get("external_id", ""),
        "app_installed_team_id": team_id,
        "bot_id": bot_id,
    }


# --- Block Kit checks ------------------------------------------------------------------------------


def _text_of(obj: Any) -> str | None:
    if isinstance(obj, dict) and isinstance(obj.get("text"), str):
        return str(obj["text"])
    return None


def _too_long(problems: list[str], value: str | None, limit: int, pointer: str) -> None:
    if value is not None and len(value) > limit:
        problems.append(f"[ERROR] must be less than {limit + 1} characters [json-pointer:{pointer}]")


def _options_of(element: JSON) -> list[JSON]:
    options = [o for o in element.get("options") or [] if isinstance(o, dict)]
    for group in element.get("option_groups") or []:
        if isinstance(group, dict):
            options.extend(o for o in group.get("options") or [] if isinstance(o, dict))
    return options


def _check_option(problems: list[str], option: Any, pointer: str) -> None:
    if not isinstance(option, dict) or _text_of(option.get("text")) is None or "value" not in option:
        problems.append(f"[ERROR] must provide an object with text and value [json-pointer:{pointer}]")
        return
    _too_long(problems, _text_of(option["text"]), 75, f"{pointer}/text/text")
    _too_long(problems, str(option["value"]), 150, f"{pointer}/value")


def _check_element(problems: list[str], element: Any, pointer: str) -> None:
    if not isinstance(element, dict) or not isinstance(element.get("type"), str):
        problems.append(f"[ERROR] missing required field: type [json-pointer:{pointer}]")
        return
    etype = element["type"]
    _too_long(problems, element.get("action_id"), 255, f"{pointer}/action_id")
    _too_long(problems, _text_of(element.get("placeholder")), 150, f"{pointer}/placeholder/text")
    if etype == "button":
        _too_long(problems, _text_of(element.get("text")), 75, f"{pointer}/text/text")
        _too_long(problems, element.get("value"), 2000, f"{pointer}/value")
        _too_long(problems, element.get("url"), 3000, f"{pointer}/url")
    if etype == "plain_text_input":
        max_length = element.get("max_length")
        if max_length is not None and not 1 <= int(max_length) <= 3000:
            problems.append(f"[ERROR] must be between 1 and 3000 [json-pointer:{pointer}/max_length]")
        min_length = element.get("min_length")
        if min_length is not None and not 0 <= int(min_length) <= 3000:
            problems.append(f"[ERROR] must be between 0 and 3000 [json-pointer:{pointer}/min_length]")
    if etype in {"static_select", "multi_static_select", "checkboxes", "radio_buttons", "overflow"}:
        has_options = "options" in element
        has_groups = "option_groups" in element
        if has_options and has_groups:
            problems.append(f"[ERROR] cannot have both options and option_groups [json-pointer:{pointer}]")
        if not has_options and not has_groups:
            problems.append(f"[ERROR] must provide either options or option_groups [json-pointer:{pointer}]")
        if len(element.get("options") or []) > 100 or len(element.get("option_groups") or []) > 100:
            problems.append(f"[ERROR] no more than 100 items allowed [json-pointer:{pointer}/options]")
        if etype == "overflow" and not 1 <= len(element.get("options") or []) <= 5:
            problems.append(f"[ERROR] must provide between 1 and 5 items [json-pointer:{pointer}/options]")
        for i, option in enumerate(element.get("options") or []):
            _check_option(problems, option, f"{pointer}/options/{i}")
        for g, group in enumerate(element.get("option_groups") or []):
            for i, option in enumerate((group or {}).get("options") or []):
                _check_option(problems, option, f"{pointer}/option_groups/{g}/options/{i}")
        # An initial option that is not among the options is refused (a common bug with prefilled forms).
        values = {str(o.get("value")) for o in _options_of(element)}
        initial = [element["initial_option"]] if isinstance(element.get("initial_option"), dict) else []
        initial += [o for o in element.get("initial_options") or [] if isinstance(o, dict)]
        for option in initial:
            if str(option.get("value")) not in values:
                problems.append(
                    f"[ERROR] initial option {option.get('value')!r} must exactly match one of the options "
                    f"[json-pointer:{pointer}]"
                )


def block_problems(blocks: Any, *, limit: int) -> list[str]:
    """Everything Slack would complain about in a list of blocks (empty list: fine)."""
    if not isinstance(blocks, list):
        return ["[ERROR] must be an array [json-pointer:/blocks]"]
    problems: list[str] = []
    if len(blocks) > limit:
        problems.append(f"[ERROR] no more than {limit} items allowed [json-pointer:/blocks]")
    seen: set[str] = set()
    for index, block in enumerate(blocks):
        pointer = f"/blocks/{index}"
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            problems.append(f"[ERROR] missing required field: type [json-pointer:{pointer}]")
            continue
        block_id = block.get("block_id")
        if isinstance(block_id, str):
            _too_long(problems, block_id, 255, f"{pointer}/block_id")
            if block_id in seen:
                problems.append(f"[ERROR] duplicate block_id {block_id!r} [json-pointer:{pointer}/block_id]")
            seen.add(block_id)
        btype = block["type"]
        if btype == "section":
            _too_long(problems, _text_of(block.get("text")), 3000, f"{pointer}/text/text")
            fields = block.get("fields") or []
            if len(fields) > 10:
                problems.append(f"[ERROR] no more than 10 items allowed [json-pointer:{pointer}/fields]")
            for i, item in enumerate(fields):
                _too_long(problems, _text_of(item), 2000, f"{pointer}/fields/{i}/text")
            if block.get("text") is None and not fields:
                problems.append(f"[ERROR] must provide either text or fields [json-pointer:{pointer}]")
            if "accessory" in block:
                _check_element(problems, block["accessory"], f"{pointer}/accessory")
        elif btype == "header":
            text = block.get("text")
            if not isinstance(text, dict) or text.get("type") != "plain_text":
                problems.append(f"[ERROR] must be a plain_text object [json-pointer:{pointer}/text]")
            _too_long(problems, _text_of(text), 150, f"{pointer}/text/text")
        elif btype == "input":
            if _text_of(block.get("label")) is None:
                problems.append(f"[ERROR] missing required field: label [json-pointer:{pointer}]")
            _too_long(problems, _text_of(block.get("label")), 2000, f"{pointer}/label/text")
            _too_long(problems, _text_of(block.get("hint")), 2000, f"{pointer}/hint/text")
            _check_element(problems, block.get("element"), f"{pointer}/element")
        elif btype in {"actions", "context"}:
            elements = block.get("elements") or []
            cap = 25 if btype == "actions" else 10
            if len(elements) > cap:
                problems.append(f"[ERROR] no more than {cap} items allowed [json-pointer:{pointer}/elements]")
            if btype == "actions":
                for i, element in enumerate(elements):
                    _check_element(problems, element, f"{pointer}/elements/{i}")
    return problems


def view_problems(view: Any) -> list[str]:
    """Everything views.open/update/push/publish would refuse about a view."""
    if not isinstance(view, dict):
        return ["[ERROR] missing required field: view"]
    problems: list[str] = []
    vtype = view.get("type")
    if vtype not in {"modal", "home"}:
        return [f"[ERROR] unsupported type {vtype!r} [json-pointer:/view/type]"]
    if vtype == "modal":
        title = view.get("title")
        if not isinstance(title, dict) or title.get("type") != "plain_text":
            problems.append("[ERROR] missing required field: title [json-pointer:/view/title]")
        for key in ("title", "submit", "close"):
            obj = view.get(key)
            if obj is not None and (not isinstance(obj, dict) or obj.get("type") != "plain_text"):
                problems.append(f"[ERROR] must be a plain_text object [json-pointer:/view/{key}]")
            _too_long(problems, _text_of(obj), 24, f"/view/{key}/text")
        blocks = view.get("blocks") or []
        has_input = isinstance(blocks, list) and any(
            isinstance(b, dict) and b.get("type") == "input" for b in blocks
        )
        if has_input and view.get("submit") is None:
            problems.append("[ERROR] must define `submit` to use `input` blocks [json-pointer:/view]")
    _too_long(problems, view.get("private_metadata"), 3000, "/view/private_metadata")
    _too_long(problems, view.get("callback_id"), 255, "/view/callback_id")
    _too_long(problems, view.get("external_id"), 255, "/view/external_id")
    if "blocks" not in view:
        problems.append("[ERROR] missing required field: blocks [json-pointer:/view]")
    else:
        for problem in block_problems(view["blocks"], limit=100):
            problems.append(problem.replace("[json-pointer:/", "[json-pointer:/view/"))
    return problems
