"""A local fake of the Slack Web API that records every call, served as a Starlette app.

Start it next to the bot and point the bot's `AsyncWebClient(base_url=f"{url}/api/")` at it::

    fake = SlackFake()
    fake.add_workspace(team_id="T1", bot_token="xoxb-t1")
    server = AsgiServer(create_app(fake)).start()
    fake.base_url = server.url          # needed only for fake.response_url()

Answers have the shapes of the real API (HTTP 200 with `{"ok": false, "error": ...}` on failure, HTTP 429 plus
`Retry-After` when rate limiting is injected). The state is guarded by one lock, so tests in another
thread can wait on calls (`wait_for`) while uvicorn serves the fake; code on an event loop uses
`wait_for_async`, which polls instead of blocking the loop (the dev mode runs the fake in the bot's loop).

`base_url` is set by whoever starts the server rather than derived from requests, because response URLs
are handed out (`response_url()`) before any request reaches the fake.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import copy
import itertools
import json
import logging
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot.slackfake.state import (
    JSON,
    Call,
    Channel,
    ResponseUrl,
    TokenInfo,
    User,
    Usergroup,
    Workspace,
    block_problems,
    complete_view,
    default_bot_user_id,
    fill_ids,
    truthy,
    view_problems,
)

__all__ = ["Answer", "Call", "SlackFake", "create_app", "default_bot_user_id"]

log = logging.getLogger(__name__)

# Fields slack-sdk (or a hand-written form post) sends as JSON strings inside form bodies.
JSON_STRING_FIELDS = ("view", "blocks", "attachments", "metadata")

RESPONSE_URL_USES = 5  # Slack accepts at most 5 posts per response_url
MAX_VIEW_STACK = 3  # root + 2 pushes
VIEW_SIZE_LIMIT = 250_000

# Methods that authenticate with client credentials, not a token.
NO_TOKEN_METHODS = frozenset({"oauth.v2.access", "oauth.access", "oauth.v2.exchange", "api.test"})


class Answer(NamedTuple):
    status: int
    body: Any  # a JSON object for the Web API, a str for response URLs
    headers: dict[str, str]


class _ApiError(Exception):
    def __init__(self, error: str, messages: list[str] | None = None) -> None:
        super().__init__(error)
        self.error = error
        self.messages = messages or []


@dataclass
class _Failure:
    error: str
    remaining: int | None  # None: until clear_failures()
    status: int
    retry_after: int | None


class SlackFake:
    """Recorder plus the state behind the fake Web API (workspaces, users, views, messages)."""

    def __init__(self, base_url: str | None = None, *, keep_calls: int | None = None) -> None:
        self.base_url = base_url
        # Public state tests may read directly (written only under the lock by the server thread).
        self.views: dict[str, JSON] = {}
        self.messages: dict[str, list[JSON]] = {}
        self.paid_plan: dict[str, bool] = {}  # team_id -> False for a free plan (usergroups.* refuse)
        # chat.update of a message the fake never saw: Slack says message_not_found, but messages posted
        # through response URLs or acks never pass the fake, so this is lenient unless switched on.
        self.strict_updates = False

        self._cond = threading.Condition()
        self._calls: deque[Call] = deque(maxlen=keep_calls)
        self._listeners: list[Callable[[Call], None]] = []
        self._workspaces: dict[str, Workspace] = {}
        self._tokens: dict[str, TokenInfo] = {}
        self._revoked: set[str] = set()
        self._users: dict[str, User] = {}
        self._usergroups: dict[str, Usergroup] = {}
        self._channels: dict[str, Channel] = {}
        self._oauth_codes: dict[str, JSON] = {}
        self._failures: dict[str, list[_Failure]] = {}
        self._channel_errors: dict[str, tuple[str, frozenset[str]]] = {}
        self._response_urls: dict[str, ResponseUrl] = {}
        self._used_triggers: set[str] = set()
        self._stacks: dict[str, list[str]] = {}  # root view id -> view ids, bottom first
        self._team_root: dict[str, str] = {}  # team -> root of the modal stack opened last
        self._home_views: dict[tuple[str, str], str] = {}  # (team, user) -> view id
        self._externals: dict[tuple[str, str], str] = {}  # (team, external_id) -> view id
        self._touched: dict[str, int] = {}  # view id -> sequence of its last change
        self._seq = itertools.count(1)
        self._handlers: dict[str, Callable[[JSON, TokenInfo | None], JSON]] = {
            "api.test": self._api_test,
            "auth.test": self._auth_test,
            "auth.revoke": self._auth_revoke,
            "chat.postMessage": self._chat_post_message,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "views.open": self._views_open,
            "views.update": self._views_update,
            "views.push": self._views_push,
            "views.publish": self._views_publish,
            "users.info": self._users_info,
            "users.list": self._users_list,
            "usergroups.list": self._usergroups_list,
            "usergroups.users.list": self._usergroups_users_list,
            "conversations.info": self._conversations_info,
            "oauth.v2.access": self._oauth_v2_access,
        }

    # --- setup ------------------------------------------------------------------------------------

    def add_workspace(
        self,
        team_id: str = "T1",
        bot_token: str | None = None,
        team_name: str | None = None,
        enterprise_id: str | None = None,
        *,
        bot_user_id: str | None = None,
        bot_id: str | None = None,
        app_id: str = "A1",
        domain: str | None = None,
        is_enterprise_install: bool = False,
    ) -> Workspace:
        """Register an installed workspace; its bot token then works for every method."""
        workspace = Workspace(
            team_id=team_id,
            bot_token=bot_token or f"xoxb-fake-{team_id}",
            team_name=team_name or f"Team {team_id}",
            domain=domain or f"team-{team_id.lower()}",
            enterprise_id=enterprise_id,
            bot_user_id=bot_user_id or default_bot_user_id(team_id),
            bot_id=bot_id or f"B{team_id}",
            app_id=app_id,
            is_enterprise_install=is_enterprise_install,
        )
        with self._cond:
            self._workspaces[team_id] = workspace
            self._tokens[workspace.bot_token] = TokenInfo(team_id, workspace.bot_user_id, workspace.bot_id)
            self._revoked.discard(workspace.bot_token)
            self._users.setdefault(
                workspace.bot_user_id,
                User(workspace.bot_user_id, team_id, "talkturo", is_bot=True),
            )
        return workspace

    def add_user(
        self,
        user_id: str,
        team_id: str = "T1",
        name: str | None = None,
        is_admin: bool = False,
        is_owner: bool = False,
        is_restricted: bool = False,
        is_ultra_restricted: bool = False,
        is_bot: bool = False,
        *,
        real_name: str = "",
        email: str | None = None,
    ) -> User:
        user = User(
            id=user_id,
            team_id=team_id,
            name=name or user_id.lower(),
            is_admin=is_admin,
            is_owner=is_owner,
            is_restricted=is_restricted,
            is_ultra_restricted=is_ultra_restricted,
            is_bot=is_bot,
            real_name=real_name,
            email=email,
        )
        with self._cond:
            self._users[user_id] = user
        return user

    def add_usergroup(self, team_id: str, group_id: str, handle: str, users: Iterable[str]) -> Usergroup:
        group = Usergroup(id=group_id, team_id=team_id, handle=handle, users=list(users))
        with self._cond:
            self._usergroups[group_id] = group
        return group

    def add_channel(
        self, channel_id: str, name: str | None = None, *, is_private: bool = False, is_member: bool = True
    ) -> Channel:
        channel = Channel(channel_id, name or channel_id.lower(), is_private=is_private, is_member=is_member)
        with self._cond:
            self._channels[channel_id] = channel
        return channel

    def add_oauth_code(self, code: str, response: JSON) -> None:
        """oauth.v2.access with this code answers `{"ok": true, **response}` once; its tokens then work."""
        with self._cond:
            self._oauth_codes[code] = copy.deepcopy(response)

    def fail(
        self,
        method: str,
        error: str = "ratelimited",
        times: int | None = 1,
        status: int = 200,
        retry_after: int | None = None,
    ) -> None:
        """The next `times` calls of `method` (None: all, until clear_failures) fail with `error`.

        With status=429 the answer carries `Retry-After` (default 1 s) like Slack's rate limiting.
        """
        with self._cond:
            self._failures.setdefault(method, []).append(_Failure(error, times, status, retry_after))

    def clear_failures(self) -> None:
        with self._cond:
            self._failures.clear()
            self._channel_errors.clear()

    def channel_error(
        self,
        channel_id: str,
        error: str | None = "not_in_channel",
        methods: Iterable[str] = ("chat.postMessage",),
    ) -> None:
        """Posting to `channel_id` fails with `error` (the call is still recorded); None lifts it."""
        with self._cond:
            if error is None:
                self._channel_errors.pop(channel_id, None)
            else:
                self._channel_errors[channel_id] = (error, frozenset(methods))

    def response_url(self, team_id: str = "T1") -> str:
        """A fresh `<base_url>/response/<n>`, usable 5 times like Slack's."""
        if not self.base_url:
            raise RuntimeError("set fake.base_url to the fake's server URL before asking for response URLs")
        with self._cond:
            key = str(next(self._seq))
            url = f"{self.base_url.rstrip('/')}/response/{key}"
            self._response_urls[key] = ResponseUrl(url, team_id)
        return url

    @property
    def api_url(self) -> str:
        """The `base_url` to give an AsyncWebClient."""
        if not self.base_url:
            raise RuntimeError("fake.base_url is not set")
        return f"{self.base_url.rstrip('/')}/api/"

    def add_listener(self, listener: Callable[[Call], None]) -> None:
        """Called (in the server's thread) after each recorded call, e.g. to refresh the dev page."""
        with self._cond:
            self._listeners.append(listener)

    # --- reading the record -----------------------------------------------------------------------

    def calls(self, method: str | None = None) -> list[Call]:
        with self._cond:
            return [c for c in self._calls if method is None or c.method == method]

    def clear(self) -> None:
        """Forget the recorded calls (state such as views and messages stays)."""
        with self._cond:
            self._calls.clear()

    def _matching(self, method: str | None, where: Callable[[Call], bool] | None) -> list[Call]:
        return [
            c for c in self._calls if (method is None or c.method == method) and (where is None or where(c))
        ]

    def _timeout_message(self, method: str | None, count: int, timeout: float, found: int) -> str:
        recorded = [c.method for c in self._calls]
        return (
            f"expected {count} call(s) of {method or 'any method'} within {timeout}s, "
            f"found {found}; recorded: {recorded}"
        )

    def wait_for(
        self,
        method: str | None,
        count: int = 1,
        timeout: float = 5.0,
        where: Callable[[Call], bool] | None = None,
    ) -> list[Call]:
        """Block until `count` matching calls exist; return them all. Not for use on the fake's loop."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = self._matching(method, where)
                if len(found) >= count:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(self._timeout_message(method, count, timeout, len(found)))
                self._cond.wait(remaining)

    async def wait_for_async(
        self,
        method: str | None,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109 - same signature as wait_for, on purpose
        where: Callable[[Call], bool] | None = None,
    ) -> list[Call]:
        """Like wait_for, but polls so the event loop (possibly the fake's own) keeps running."""
        deadline = time.monotonic() + timeout
        while True:
            with self._cond:
                found = self._matching(method, where)
                if len(found) >= count:
                    return found
                if time.monotonic() >= deadline:
                    raise AssertionError(self._timeout_message(method, count, timeout, len(found)))
            await asyncio.sleep(0.005)

    def latest_view(self, callback_id: str | None = None) -> JSON:
        """A copy of the view opened, pushed, updated or published last (optionally by callback_id)."""
        with self._cond:
            candidates = [
                v for v in self.views.values() if callback_id is None or v.get("callback_id") == callback_id
            ]
            if not candidates:
                known = sorted({str(v.get("callback_id")) for v in self.views.values()})
                raise AssertionError(f"no view with callback_id {callback_id!r}; known: {known}")
            newest = max(candidates, key=lambda v: self._touched[v["id"]])
            return copy.deepcopy(newest)

    # --- serving ----------------------------------------------------------------------------------

    def handle(self, method: str, params: JSON, token: str | None, decode_error: str | None = None) -> Answer:
        """Answer one Web API call and record it."""
        with self._cond:
            try:
                answer = self._answer(method, params, token, decode_error)
            except Exception:
                # A bug in the fake must show up in the record, not only as a bare 500.
                log.exception("slackfake failed to answer %s", method)
                answer = Answer(500, {"ok": False, "error": "fatal_error"}, {})
            call = Call(method, params, token, time.time(), answer.status, answer.body)
            self._record(call)
        self._notify(call)
        return answer

    def handle_response_url(self, key: str, raw: bytes) -> Answer:
        """Answer a post to a response URL (text/plain like Slack) and record it as "response_url"."""
        with self._cond:
            entry = self._response_urls.get(key)
            params: JSON = {}
            if entry is None:
                answer = Answer(404, "no_service", {})
            else:
                try:
                    decoded = json.loads(raw or b"{}")
                except ValueError:
                    decoded = None
                if isinstance(decoded, dict):
                    params = decoded
                params["_url"] = entry.url
                if entry.uses >= RESPONSE_URL_USES:
                    answer = Answer(404, "used_url", {})
                elif not isinstance(decoded, dict):
                    params["_body"] = raw.decode("utf-8", "replace")
                    answer = Answer(400, "invalid_payload", {})
                else:
                    entry.uses += 1
                    answer = Answer(200, "ok", {})
            call = Call("response_url", params, None, time.time(), answer.status, answer.body)
            self._record(call)
        self._notify(call)
        return answer

    def _record(self, call: Call) -> None:
        self._calls.append(call)
        self._cond.notify_all()

    def _notify(self, call: Call) -> None:
        for listener in list(self._listeners):
            try:
                listener(call)
            except Exception:
                log.exception("slackfake listener failed")

    def _answer(self, method: str, params: JSON, token: str | None, decode_error: str | None) -> Answer:
        injected = self._injected_failure(method, params)
        if injected is not None:
            return injected
        if decode_error is not None:
            return Answer(200, {"ok": False, "error": decode_error}, {})
        try:
            auth = None if method in NO_TOKEN_METHODS else self._authenticate(token)
            handler = self._handlers.get(method)
            body = handler(params, auth) if handler is not None else {"ok": True}
        except _ApiError as exc:
            body = {"ok": False, "error": exc.error}
            if exc.messages:
                body["response_metadata"] = {"messages": exc.messages}
        return Answer(200, body, {})

    def _injected_failure(self, method: str, params: JSON) -> Answer | None:
        queue = self._failures.get(method)
        if queue:
            failure = queue[0]
            if failure.remaining is not None:
                failure.remaining -= 1
                if failure.remaining <= 0:
                    queue.pop(0)
            headers: dict[str, str] = {}
            if failure.retry_after is not None or failure.status == 429:
                headers["Retry-After"] = str(1 if failure.retry_after is None else failure.retry_after)
            return Answer(failure.status, {"ok": False, "error": failure.error}, headers)
        channel = params.get("channel")
        if isinstance(channel, str) and channel in self._channel_errors:
            error, methods = self._channel_errors[channel]
            if method in methods:
                return Answer(200, {"ok": False, "error": error}, {})
        return None

    def _authenticate(self, token: str | None) -> TokenInfo:
        if not token:
            raise _ApiError("not_authed")
        if token in self._revoked:
            raise _ApiError("token_revoked")
        info = self._tokens.get(token)
        if info is None:
            raise _ApiError("invalid_auth")
        return info

    # --- helpers ----------------------------------------------------------------------------------

    def _workspace(self, auth: TokenInfo | None) -> Workspace:
        assert auth is not None  # only NO_TOKEN_METHODS run without a token
        return self._workspaces[auth.team_id]

    def _next_ts(self) -> str:
        micros = 1_700_000_000_000_000 + next(self._seq) * 100
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _new_view_id(self) -> str:
        return f"V{next(self._seq):010d}"

    @staticmethod
    def _new_hash() -> str:
        return f"{int(time.time())}.{secrets.token_hex(4)}"

    def _store_view(self, view: JSON) -> JSON:
        self.views[view["id"]] = view
        self._touched[view["id"]] = next(self._seq)
        if view.get("external_id"):
            self._externals[(view["team_id"], view["external_id"])] = view["id"]
        return copy.deepcopy(view)

    @staticmethod
    def _require(params: JSON, name: str) -> Any:
        value = params.get(name)
        if value is None or value == "":
            raise _ApiError("invalid_arguments", [f"[ERROR] missing required field: {name}"])
        return value

    def _check_view(self, view: Any, expected_type: str | None) -> JSON:
        if isinstance(view, str):
            raise _ApiError("invalid_arguments", ["[ERROR] failed to parse the view as JSON"])
        problems = view_problems(view)
        if problems:
            raise _ApiError("invalid_arguments", problems)
        assert isinstance(view, dict)
        if expected_type is not None and view.get("type") != expected_type:
            raise _ApiError("invalid_arguments", [f"[ERROR] view type must be {expected_type}"])
        if len(json.dumps(view)) > VIEW_SIZE_LIMIT:
            raise _ApiError("view_too_large")
        return view

    def _use_trigger(self, params: JSON) -> None:
        trigger = params.get("trigger_id") or params.get("interactivity_pointer")
        if not trigger:
            raise _ApiError("invalid_arguments", ["[ERROR] missing required field: trigger_id"])
        if trigger in self._used_triggers:
            raise _ApiError("exchanged_trigger_id")
        self._used_triggers.add(str(trigger))

    def _message(self, workspace: Workspace, params: JSON, ts: str) -> JSON:
        message: JSON = {
            "type": "message",
            "text": params.get("text") or "",
            "user": workspace.bot_user_id,
            "bot_id": workspace.bot_id,
            "app_id": workspace.app_id,
            "team": workspace.team_id,
            "ts": ts,
        }
        for key in ("blocks", "attachments", "thread_ts", "metadata"):
            if params.get(key) is not None:
                message[key] = copy.deepcopy(params[key])
        if isinstance(message.get("blocks"), list):
            message["blocks"] = fill_ids(message["blocks"])  # Slack names unnamed blocks in messages too
        return message

    @staticmethod
    def _check_content(params: JSON) -> None:
        if not params.get("text") and not params.get("blocks") and not params.get("attachments"):
            raise _ApiError("no_text")
        blocks = params.get("blocks")
        if blocks is not None:
            if isinstance(blocks, str):
                raise _ApiError("invalid_blocks_format")
            problems = block_problems(blocks, limit=50)
            if problems:
                raise _ApiError("invalid_blocks", problems)

    # --- methods ----------------------------------------------------------------------------------

    def _api_test(self, params: JSON, auth: TokenInfo | None) -> JSON:
        if params.get("error"):
            raise _ApiError(str(params["error"]))
        return {"ok": True, "args": {k: v for k, v in params.items() if k != "error"}}

    def _auth_test(self, params: JSON, auth: TokenInfo | None) -> JSON:
        workspace = self._workspace(auth)
        assert auth is not None
        user = self._users.get(auth.user_id)
        body: JSON = {
            "ok": True,
            "url": f"https://{workspace.domain}.slack.com/",
            "team": workspace.team_name,
            "user": user.name if user else auth.user_id.lower(),
            "team_id": workspace.team_id,
            "user_id": auth.user_id,
            "is_enterprise_install": workspace.is_enterprise_install,
        }
        if auth.bot_id is not None:
            body["bot_id"] = auth.bot_id
        if workspace.enterprise_id is not None:
            body["enterprise_id"] = workspace.enterprise_id
        return body

    def _auth_revoke(self, params: JSON, auth: TokenInfo | None) -> JSON:
        if truthy(params.get("test", False)):
            return {"ok": True, "revoked": False}
        for token, info in self._tokens.items():
            if info is auth:
                self._revoked.add(token)
        return {"ok": True, "revoked": True}

    def _chat_post_message(self, params: JSON, auth: TokenInfo | None) -> JSON:
        workspace = self._workspace(auth)
        channel = params.get("channel")
        if not channel:
            raise _ApiError("channel_not_found")
        self._check_content(params)
        channel = str(channel)
        if channel[:1] in {"U", "W"}:  # posting to a user id lands in the DM with them
            channel = "D" + channel[1:]
        ts = self._next_ts()
        message = self._message(workspace, params, ts)
        self.messages.setdefault(channel, []).append(message)
        return {"ok": True, "channel": channel, "ts": ts, "message": copy.deepcopy(message)}

    def _chat_post_ephemeral(self, params: JSON, auth: TokenInfo | None) -> JSON:
        self._workspace(auth)
        if not params.get("channel"):
            raise _ApiError("channel_not_found")
        self._require(params, "user")
        self._check_content(params)
        return {"ok": True, "message_ts": self._next_ts()}

    def _find_message(self, channel: str, ts: str) -> JSON | None:
        for message in self.messages.get(channel, []):
            if message.get("ts") == ts:
                return message
        return None

    def _chat_update(self, params: JSON, auth: TokenInfo | None) -> JSON:
        workspace = self._workspace(auth)
        channel = params.get("channel")
        if not channel:
            raise _ApiError("channel_not_found")
        ts = params.get("ts")
        if not ts:
            raise _ApiError("message_not_found")
        self._check_content(params)
        message = self._find_message(str(channel), str(ts))
        if message is None:
            if self.strict_updates:
                raise _ApiError("message_not_found")
            message = self._message(workspace, {}, str(ts))
            self.messages.setdefault(str(channel), []).append(message)
        for key in ("text", "blocks", "attachments", "metadata"):
            if params.get(key) is not None:
                message[key] = copy.deepcopy(params[key])
        message["edited"] = {"user": workspace.bot_user_id, "ts": self._next_ts()}
        return {
            "ok": True,
            "channel": channel,
            "ts": ts,
            "text": message.get("text", ""),
            "message": copy.deepcopy(message),
        }

    def _chat_delete(self, params: JSON, auth: TokenInfo | None) -> JSON:
        self._workspace(auth)
        channel, ts = str(params.get("channel") or ""), str(params.get("ts") or "")
        message = self._find_message(channel, ts)
        if message is None:
            if self.strict_updates:
                raise _ApiError("message_not_found")
        else:
            self.messages[channel].remove(message)
        return {"ok": True, "channel": channel, "ts": ts}

    def _views_open(self, params: JSON, auth: TokenInfo | None) -> JSON:
        workspace = self._workspace(auth)
        view = self._check_view(params.get("view"), "modal")
        self._check_external_id(workspace.team_id, view, None)
        self._use_trigger(params)
        view_id = self._new_view_id()
        stored = complete_view(
            view,
            view_id=view_id,
            view_hash=self._new_hash(),
            team_id=workspace.team_id,
            app_id=workspace.app_id,
            bot_id=workspace.bot_id,
        )
        self._stacks[view_id] = [view_id]
        self._team_root[workspace.team_id] = view_id
        return {"ok": True, "view": self._store_view(stored)}

    def _check_external_id(self, team_id: str, view: JSON, own_id: str | None) -> None:
        external_id = view.get("external_id")
        if external_id:
            holder = self._externals.get((team_id, external_id))
            if holder is not None and holder != own_id:
                raise _ApiError("duplicate_external_id")

    def _views_update(self, params: JSON, auth: TokenInfo | None) -> JSON:
        workspace = self._workspace(auth)
        view_id = params.get("view_id")
        if not view_id and params.get("external_id"):
            view_id = self._externals.get((workspace.team_id, str(params["external_id"])))
            if view_id is None:
                raise _ApiError("not_found")
        if not view_id:
            raise _ApiError("invalid_arguments", ["[ERROR] either view_id or external_id is required"])
        current = self.views.get(str(view_id))
        if current is None or current["team_id"] != workspace.team_id:
            raise _ApiError("not_found")
        if params.get("hash") and params["hash"] != current["hash"]:
            raise _ApiError("hash_conflict")
        view = self._check_view(params.get("view"), current["type"])
        self._check_external_id(workspace.team_id, view, current["id"])
        stored = complete_view(
            view,
            view_id=current["id"],
            view_hash=self._new_hash(),
            team_id=workspace.team_id,
            app_id=workspace.app_id,
            bot_id=workspace.bot_id,
            root_view_id=current["root_view_id"],
            previous_view_id=current["previous_view_id"],
        )
        return {"ok": True, "view": self._store_view(stored)}

    def _views_push(self, params: JSON, auth: TokenInfo | None) -> JSON:
        # Slack ties the trigger to the modal it came from; the fake pushes onto the stack opened last
        # in the token's workspace, which is exact as long as one modal is open per workspace.
        workspace = self._workspace(auth)
        view = self._check_view(params.get("view"), "modal")
        root = self._team_root.get(workspace.team_id)
        if root is None:
            raise _ApiError("invalid_trigger_id")
        stack = self._stacks[root]
        if len(stack) >= MAX_VIEW_STACK:
            raise _ApiError("push_limit_reached")
        self._check_external_id(workspace.team_id, view, None)
        self._use_trigger(params)
        view_id = self._new_view_id()
        stored = complete_view(
            view,
            view_id=view_id,
            view_hash=self._new_hash(),
            team_id=workspace.team_id,
            app_id=workspace.app_id,
            bot_id=workspace.bot_id,
            root_view_id=root,
            previous_view_id=stack[-1],
        )
        stack.append(view_id)
        return {"ok": True, "view": self._store_view(stored)}

    def _views_publish(self, params: JSON, auth: TokenInfo | None) -> JSON:
        workspace = self._workspace(auth)
        user_id = str(self._require(params, "user_id"))
        view = self._check_view(params.get("view"), "home")
        key = (workspace.team_id, user_id)
        view_id = self._home_views.get(key)
        if view_id is not None and params.get("hash") and params["hash"] != self.views[view_id]["hash"]:
            raise _ApiError("hash_conflict")
        view_id = view_id or self._new_view_id()
        self._home_views[key] = view_id
        stored = complete_view(
            view,
            view_id=view_id,
            view_hash=self._new_hash(),
            team_id=workspace.team_id,
            app_id=workspace.app_id,
            bot_id=workspace.bot_id,
        )
        return {"ok": True, "view": self._store_view(stored)}

    def _visible_user(self, workspace: Workspace, user_id: str) -> User | None:
        user = self._users.get(user_id)
        if user is None:
            return None
        if user.team_id == workspace.team_id:
            return user
        # Users of another workspace are visible only inside the same Enterprise Grid org.
        other = self._workspaces.get(user.team_id)
        same_org = other is not None and other.enterprise_id is not None
        return (
            user
            if same_org and other is not None and other.enterprise_id == workspace.enterprise_id
            else None
        )

    def _users_info(self, params: JSON, auth: TokenInfo | None) -> JSON:
        workspace = self._workspace(auth)
        user = self._visible_user(workspace, str(params.get("user") or ""))
        if user is None:
            raise _ApiError("user_not_found")
        return {"ok": True, "user": user.to_api()}

    def _users_list(self, params: JSON, auth: TokenInfo | None) -> JSON:
        workspace = self._workspace(auth)
        members = [u.to_api() for u in self._users.values() if u.team_id == workspace.team_id]
        return {"ok": True, "members": members, "response_metadata": {"next_cursor": ""}}

    def _check_paid(self, workspace: Workspace) -> None:
        if not self.paid_plan.get(workspace.team_id, True):
            raise _ApiError("plan_upgrade_required")

    def _usergroups_list(self, params: JSON, auth: TokenInfo | None) -> JSON:
        workspace = self._workspace(auth)
        self._check_paid(workspace)
        include_users = truthy(params.get("include_users", False))
        groups = [
            g.to_api(include_users) for g in self._usergroups.values() if g.team_id == workspace.team_id
        ]
        return {"ok": True, "usergroups": groups}

    def _usergroups_users_list(self, params: JSON, auth: TokenInfo | None) -> JSON:
        workspace = self._workspace(auth)
        self._check_paid(workspace)
        group = self._usergroups.get(str(params.get("usergroup") or ""))
        if group is None or group.team_id != workspace.team_id:
            raise _ApiError("no_such_subteam")
        return {"ok": True, "users": list(group.users)}

    def _conversations_info(self, params: JSON, auth: TokenInfo | None) -> JSON:
        self._workspace(auth)
        channel_id = str(params.get("channel") or "")
        if not channel_id:
            raise _ApiError("channel_not_found")
        channel = self._channels.get(channel_id) or Channel(channel_id, channel_id.lower())
        info = channel.to_api()
        error = self._channel_errors.get(channel_id)
        if error is not None and error[0] == "not_in_channel":
            info["is_member"] = False
        return {"ok": True, "channel": info}

    def _oauth_v2_access(self, params: JSON, auth: TokenInfo | None) -> JSON:
        code = str(params.get("code") or "")
        response = self._oauth_codes.pop(code, None)
        if response is None:
            raise _ApiError("invalid_code")
        self._install_from_oauth(response)
        return {"ok": True, **response}

    def _install_from_oauth(self, response: JSON) -> None:
        """Make the tokens an OAuth exchange hands out work, as they would on Slack."""
        team = response.get("team") or {}
        enterprise = response.get("enterprise") or {}
        team_id = team.get("id") or enterprise.get("id")
        if not team_id:
            return
        bot_token = response.get("access_token")
        workspace = self._workspaces.get(team_id)
        if workspace is None and isinstance(bot_token, str):
            workspace = Workspace(
                team_id=team_id,
                bot_token=bot_token,
                team_name=team.get("name") or f"Team {team_id}",
                domain=f"team-{team_id.lower()}",
                enterprise_id=enterprise.get("id"),
                bot_user_id=response.get("bot_user_id") or default_bot_user_id(team_id),
                bot_id=response.get("bot_id") or f"B{team_id}",
                app_id=response.get("app_id") or "A1",
                is_enterprise_install=bool(response.get("is_enterprise_install")),
            )
            self._workspaces[team_id] = workspace
        if workspace is not None and isinstance(bot_token, str):
            self._tokens[bot_token] = TokenInfo(team_id, workspace.bot_user_id, workspace.bot_id)
            self._revoked.discard(bot_token)
        authed = response.get("authed_user") or {}
        if isinstance(authed.get("access_token"), str) and authed.get("id"):
            self._tokens[authed["access_token"]] = TokenInfo(team_id, authed["id"], None)


# --- HTTP ----------------------------------------------------------------------------------------


async def _read_call(request: Request) -> tuple[JSON, str | None, str | None]:
    """(params, token, decode error) of a Web API request, whatever encoding the client chose."""
    params: JSON = dict(request.query_params.items())
    raw = await request.body()
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    error: str | None = None
    if content_type == "application/json":
        try:
            data = json.loads(raw) if raw.strip() else {}
        except ValueError:
            data = None
        if isinstance(data, dict):
            params.update(data)
        else:
            error = "invalid_json"
    elif content_type.startswith("multipart/"):
        params["_multipart"] = True  # file uploads: not modelled, only recorded
    elif raw:
        params.update(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    for key in JSON_STRING_FIELDS:
        value = params.get(key)
        if isinstance(value, str) and value[:1] in {"{", "["}:
            # Undecodable: left as a string, the method answers invalid_arguments / invalid_blocks_format.
            with contextlib.suppress(ValueError):
                params[key] = json.loads(value)
    token: str | None = None
    authorization = request.headers.get("authorization", "")
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        token = credentials.strip()
    elif scheme.lower() == "basic":
        try:
            client_id, _, client_secret = base64.b64decode(credentials).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            client_id = client_secret = ""
        params.setdefault("client_id", client_id)
        params.setdefault("client_secret", client_secret)
    form_token = params.pop("token", None)
    if token is None and isinstance(form_token, str) and form_token:
        token = form_token
    return params, token, error


def create_app(fake: SlackFake) -> Starlette:
    """The fake as an ASGI app: `/api/<method>` (GET or POST) and `POST /response/<n>`."""

    async def web_api(request: Request) -> Response:
        params, token, error = await _read_call(request)
        answer = fake.handle(request.path_params["method"], params, token, error)
        return JSONResponse(answer.body, status_code=answer.status, headers=answer.headers)

    async def response_url(request: Request) -> Response:
        answer = fake.handle_response_url(request.path_params["key"], await request.body())
        return PlainTextResponse(str(answer.body), status_code=answer.status, headers=answer.headers)

    return Starlette(
        routes=[
            Route("/api/{method}", web_api, methods=["GET", "POST"]),
            Route("/response/{key}", response_url, methods=["POST"]),
        ]
    )
