"""The HTTP face of `serve`: Slack's endpoint, health and readiness, on Starlette under uvicorn."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import parse_qsl

from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.context import Services

EVENTS_PATH = "/slack/events"


def bolt_request(raw: str, query: str, headers: dict[str, str | Sequence[str]]) -> AsyncBoltRequest:
    """Bolt's request, minus its `payload` quirk.

    Bolt 1.30 reads any form body that contains the text "payload" as an interactivity payload, so
    `/talkturo set x prompt="...payload..."` would parse to {} and be dropped. Such a body is a slash
    command after all: parse it as the form it is. The raw body stays as received for the signature.
    """
    request = AsyncBoltRequest(body=raw, query=query, headers=headers)
    if not request.body and "payload" in raw and not raw.startswith("{"):
        form = dict(parse_qsl(raw, keep_blank_values=True))
        if "payload" not in form and "command" in form:
            request.body = form
            request.context = build_async_context(AsyncBoltContext({}), form)
    return request


def create_web_app(
    startup: Callable[[], Awaitable[tuple[AsyncApp, Services]]],
    shutdown: Callable[[Services], Awaitable[None]],
    extra_routes: Sequence[BaseRoute] | None = None,
) -> Starlette:
    """`startup` runs inside the server's event loop, where the sessions and pools must be made."""
    state: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        bolt, services = await startup()
        state.update(bolt=bolt, services=services, adapter=AsyncSlackRequestHandler(bolt))
        try:
            yield
        finally:
            await shutdown(services)

    async def events(request: Request) -> Response:
        raw = (await request.body()).decode("utf-8", errors="replace")
        headers: dict[str, str | Sequence[str]] = dict(request.headers.items())
        bolt: AsyncApp = state["bolt"]
        try:
            # Bolt parses the body before it checks the signature, and reads the timestamp with int():
            # broken JSON, a JSON array or a timestamp like "yesterday" would be a 500 with a traceback.
            # Slack never sends those, so they are refused as an unsigned request is.
            int(request.headers.get("x-slack-request-timestamp") or 0)
            incoming = bolt_request(raw, request.url.query, headers)
        except (ValueError, TypeError, AttributeError):
            return JSONResponse({"error": "invalid request"}, status_code=401)
        result = await bolt.async_dispatch(incoming)
        return Response(
            content=result.body,
            status_code=result.status,
            headers={k: v[0] for k, v in result.headers.items() if k.lower() != "content-length"},
        )

    async def oauth(request: Request) -> Response:
        response: Response = await state["adapter"].handle(request)
        return response

    async def healthz(_: Request) -> Response:
        return JSONResponse({"ok": True})

    async def readyz(_: Request) -> Response:
        services: Services = state["services"]
        if await services.store.ping():
            return JSONResponse({"ok": True, "redis": "ok"})
        return JSONResponse({"ok": False, "redis": "unavailable"}, status_code=503)

    routes: list[BaseRoute] = [
        Route(EVENTS_PATH, events, methods=["POST"]),
        Route("/slack/install", oauth, methods=["GET"]),
        Route("/slack/oauth_redirect", oauth, methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        *(extra_routes or []),
    ]
    return Starlette(routes=routes, lifespan=lifespan)
