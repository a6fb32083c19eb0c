"""The page and its endpoints: `/` (the page), `/dev/static/*`, `/dev/events` (Server-Sent Events),
`GET /dev/info`, and `POST /dev/command|action|submit|close|suggest`, which the bridge turns into
signed Slack requests."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from bot.dev.bridge import Bridge, PageError
from bot.dev.feed import Feed
from bot.dev.stream import Hub, event_stream

STATIC = Path(__file__).parent / "static"
NO_CACHE = {"cache-control": "no-store"}

Handler = Callable[[Bridge, str, dict[str, Any]], Awaitable[dict[str, Any]]]


def _text(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value:
        raise PageError(f"missing {key}")
    return value


def _entered(body: dict[str, Any]) -> dict[str, Any]:
    values = body.get("values")
    return values if isinstance(values, dict) else {}


async def _command(bridge: Bridge, user: str, body: dict[str, Any]) -> dict[str, Any]:
    return await bridge.command(user, _text(body, "line"), body.get("channel") or None)


async def _action(bridge: Bridge, user: str, body: dict[str, Any]) -> dict[str, Any]:
    return await bridge.action(
        user,
        _text(body, "action_id"),
        body.get("block_id") or None,
        body.get("value"),
        message_id=body.get("message_id") or None,
        view_id=body.get("view_id") or None,
        entered=_entered(body),
    )


async def _submit(bridge: Bridge, user: str, body: dict[str, Any]) -> dict[str, Any]:
    return await bridge.submit(user, _text(body, "view_id"), _entered(body))


async def _close(bridge: Bridge, user: str, body: dict[str, Any]) -> dict[str, Any]:
    return await bridge.close(user, _text(body, "view_id"), cleared=bool(body.get("cleared")))


async def _suggest(bridge: Bridge, user: str, body: dict[str, Any]) -> dict[str, Any]:
    return await bridge.suggest(
        user,
        _text(body, "view_id"),
        _text(body, "action_id"),
        _text(body, "block_id"),
        str(body.get("value") or ""),
    )


HANDLERS: dict[str, Handler] = {
    "command": _command,
    "action": _action,
    "submit": _submit,
    "close": _close,
    "suggest": _suggest,
}


def page_routes(bridge: Bridge, feed: Feed, hub: Hub, info: dict[str, Any]) -> list[BaseRoute]:
    async def index(_: Request) -> Response:
        return FileResponse(STATIC / "index.html", headers=NO_CACHE)

    async def events(_: Request) -> Response:
        return event_stream(hub, feed.snapshot)

    async def dev_info(_: Request) -> Response:
        return JSONResponse(info, headers=NO_CACHE)

    def endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def handle(request: Request) -> Response:
            # JSON only: a cross-site form cannot send it without a CORS preflight, which nothing here
            # answers, so another web page cannot drive the bot through a browser on this machine.
            if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
                return JSONResponse({"ok": False, "error": "send JSON"}, status_code=415)
            try:
                body = await request.json()
                if not isinstance(body, dict):
                    raise PageError("send a JSON object")
                user = _text(body, "user")
                if user not in bridge.directory.users:
                    raise PageError(f"unknown user {user}")
                return JSONResponse(await handler(bridge, user, body))
            except PageError as error:
                return JSONResponse({"ok": False, "error": str(error)})
            except ValueError:
                return JSONResponse({"ok": False, "error": "bad JSON"}, status_code=400)

        return handle

    return [
        Route("/", index, methods=["GET"]),
        Route("/dev/events", events, methods=["GET"]),
        Route("/dev/info", dev_info, methods=["GET"]),
        *(Route(f"/dev/{name}", endpoint(handler), methods=["POST"]) for name, handler in HANDLERS.items()),
        Mount("/dev/static", StaticFiles(directory=STATIC), name="static"),
    ]
