"""HTTP layer of the Talkturo sandbox: Starlette routes over a `SandboxState`.

This module only translates HTTP to state calls and back, and applies the injected latency and
faults; every rule lives in `state.py`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from http import HTTPStatus
from typing import Any, Final

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from bot.talkturo.models import (
    ACCOUNT_SLUG_KEY,
    ASSISTANT_KEY,
    ERROR_KEYS,
    NUMBERS_KEY,
    PHONE_NUMBER_IDS_KEY,
    SUCCESS_KEY,
)

from .state import ENDPOINTS, ERROR_KEY, Fault, SandboxAccount, SandboxError, SandboxState

MESSAGE_KEY: Final = ERROR_KEYS[1]
_FAULT_ARGS: Final = frozenset({"status", "times", "retry_after", "html", "after_apply", "timeout"})
# What nginx in front of an app server answers; clients must cope with non-JSON error bodies.
_PROXY_PAGE: Final = (
    "<html>\r\n<head><title>{code} {phrase}</title></head>\r\n<body>\r\n"
    "<center><h1>{code} {phrase}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)

# An operation gets the authenticated account, the request (path and query) and the JSON body
# ({} for GET) and returns the success body.
Operation = Callable[[SandboxAccount, Request, dict[str, Any]], dict[str, Any]]


def create_app(state: SandboxState | None = None, *, control: bool = True) -> Starlette:
    """The sandbox as an ASGI app; `control=False` leaves out the unauthenticated /_sandbox routes."""
    state = state if state is not None else SandboxState()

    def test_api_key(account: SandboxAccount, request: Request, body: dict[str, Any]) -> dict[str, Any]:
        state.check_api_key(account, request.query_params.get(ACCOUNT_SLUG_KEY))
        return {SUCCESS_KEY: True, MESSAGE_KEY: "API key is valid"}

    def create_assistant(account: SandboxAccount, request: Request, body: dict[str, Any]) -> dict[str, Any]:
        return {SUCCESS_KEY: True, ASSISTANT_KEY: state.create_assistant(account, body)}

    def get_assistant(account: SandboxAccount, request: Request, body: dict[str, Any]) -> dict[str, Any]:
        assistant = state.get_assistant(
            account, request.path_params["assistant_id"], request.query_params.get(ACCOUNT_SLUG_KEY)
        )
        return {SUCCESS_KEY: True, ASSISTANT_KEY: assistant}

    def update_assistant(account: SandboxAccount, request: Request, body: dict[str, Any]) -> dict[str, Any]:
        assistant = state.update_assistant(account, request.path_params["assistant_id"], body)
        return {SUCCESS_KEY: True, ASSISTANT_KEY: assistant}

    def assign_numbers(account: SandboxAccount, request: Request, body: dict[str, Any]) -> dict[str, Any]:
        assistant_id = request.path_params["assistant_id"]
        ids = state.assign_numbers(account, assistant_id, body)
        return {
            SUCCESS_KEY: True,
            MESSAGE_KEY: f"Assistant {assistant_id} now has {len(ids)} phone number(s)",
            PHONE_NUMBER_IDS_KEY: ids,
        }

    def list_numbers(account: SandboxAccount, request: Request, body: dict[str, Any]) -> dict[str, Any]:
        numbers = state.list_numbers(
            account, request.path_params["assistant_id"], request.query_params.get(ACCOUNT_SLUG_KEY)
        )
        return {SUCCESS_KEY: True, NUMBERS_KEY: numbers}

    def route(path: str, method: str, endpoint: str, operation: Operation) -> Route:
        async def handle(request: Request) -> Response:
            fault = state.record_call(endpoint)
            delay = state.latency_for(endpoint)
            if delay > 0:
                await asyncio.sleep(delay)
            if fault is not None and not fault.after_apply:
                return await _fault_response(request, fault, state.hang_seconds)
            response = await _apply(state, request, operation)
            if fault is not None:  # after_apply: the change is made, the reply is lost
                return await _fault_response(request, fault, state.hang_seconds)
            return response

        return Route(path, handle, methods=[method], name=endpoint)

    numbers_path = "/api/assistants/{assistant_id}/telephony/phone-numbers"
    routes = [
        route("/api/test-api-key", "GET", "test_api_key", test_api_key),
        route("/api/assistants", "POST", "create_assistant", create_assistant),
        # The contract has no list endpoint; answer 404 (not 405) like an unknown route.
        Route("/api/assistants", _not_found, methods=["GET"]),
        route("/api/assistants/{assistant_id}", "GET", "get_assistant", get_assistant),
        route("/api/assistants/{assistant_id}", "PATCH", "update_assistant", update_assistant),
        route(numbers_path, "PATCH", "assign_numbers", assign_numbers),
        route(numbers_path, "GET", "list_numbers", list_numbers),
    ]
    if control:
        routes += _control_routes(state)
    return Starlette(routes=routes, exception_handlers={HTTPException: _http_error})


async def _apply(state: SandboxState, request: Request, operation: Operation) -> Response:
    try:
        account = state.authenticate(_bearer(request))
        body = await _json_body(request) if request.method in {"POST", "PATCH"} else {}
        return JSONResponse(operation(account, request, body))
    except SandboxError as exc:
        return JSONResponse(exc.body(), status_code=exc.status)


def _bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


async def _json_body(request: Request) -> dict[str, Any]:
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type != "application/json":
        raise SandboxError(400, "Content-Type must be application/json")
    try:
        data = json.loads(await request.body(), parse_constant=_reject_constant)
    except ValueError:  # bad JSON, bad UTF-8, NaN/Infinity
        raise SandboxError(400, "Request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise SandboxError(400, "Request body must be a JSON object")
    return data


async def _fault_response(request: Request, fault: Fault, hang_seconds: float) -> Response:
    if fault.timeout:
        await _hang(request, hang_seconds)
    headers = {} if fault.retry_after is None else {"Retry-After": _seconds(fault.retry_after)}
    phrase = _phrase(fault.status)
    if fault.html:
        page = _PROXY_PAGE.format(code=fault.status, phrase=phrase)
        return HTMLResponse(page, status_code=fault.status, headers=headers)
    return JSONResponse({SUCCESS_KEY: False, ERROR_KEY: phrase}, status_code=fault.status, headers=headers)


async def _hang(request: Request, seconds: float) -> None:
    """Sleep, but stop as soon as the client goes away so a server can shut down promptly."""

    async def disconnected() -> None:
        while (await request.receive())["type"] != "http.disconnect":
            pass

    sleeper = asyncio.ensure_future(asyncio.sleep(seconds))
    watcher = asyncio.ensure_future(disconnected())
    try:
        await asyncio.wait({sleeper, watcher}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        sleeper.cancel()
        watcher.cancel()


def _seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


async def _not_found(request: Request) -> Response:
    return JSONResponse({SUCCESS_KEY: False, ERROR_KEY: "Not found"}, status_code=404)


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    message = {404: "Not found", 405: "Method not allowed"}.get(status, _phrase(status))
    return JSONResponse({SUCCESS_KEY: False, ERROR_KEY: message}, status_code=status)


# ----- control API -----
# These routes need no auth on purpose: the sandbox is a loopback dev and test tool, and benchmarks
# in another process must steer it. Never expose it beyond localhost.


def _control_routes(state: SandboxState) -> list[Route]:
    def ok(**extra: Any) -> JSONResponse:
        return JSONResponse({SUCCESS_KEY: True, **extra})

    def refused(status: int, message: str) -> JSONResponse:
        return JSONResponse({SUCCESS_KEY: False, ERROR_KEY: message}, status_code=status)

    async def faults(request: Request) -> Response:
        try:
            data = await _json_body(request)
        except SandboxError as exc:
            return JSONResponse(exc.body(), status_code=exc.status)
        args = {k: v for k, v in data.items() if k != "endpoint"}
        if unknown := sorted(set(args) - _FAULT_ARGS):
            return refused(400, f"unknown fault argument(s): {', '.join(unknown)}")
        endpoint = data.get("endpoint")
        if not isinstance(endpoint, str):
            return refused(400, f"endpoint must be one of: {', '.join(ENDPOINTS)}")
        try:
            fault = state.inject_fault(endpoint, **args)
        except (ValueError, TypeError) as exc:
            return refused(400, str(exc))
        return ok(fault=fault.to_json())

    async def latency(request: Request) -> Response:
        try:
            data = await _json_body(request)
        except SandboxError as exc:
            return JSONResponse(exc.body(), status_code=exc.status)
        seconds, endpoint = data.get("seconds"), data.get("endpoint")
        if isinstance(seconds, bool) or not isinstance(seconds, int | float):
            return refused(400, "seconds must be a number")
        if endpoint is not None and not isinstance(endpoint, str):
            return refused(400, "endpoint must be a string")
        try:
            state.set_latency(seconds, endpoint)
        except ValueError as exc:
            return refused(400, str(exc))
        return ok()

    async def calls(request: Request) -> Response:
        return JSONResponse({"calls": {name: state.calls[name] for name in ENDPOINTS}})

    async def reset(request: Request) -> Response:
        state.reset()
        return ok()

    async def accounts(request: Request) -> Response:
        try:
            data = await _json_body(request)
        except SandboxError as exc:
            return JSONResponse(exc.body(), status_code=exc.status)
        slug, token, numbers = data.get("slug"), data.get("token"), data.get("numbers", 5)
        if not isinstance(slug, str) or not isinstance(token, str):
            return refused(400, "slug and token must be strings")
        if isinstance(numbers, bool) or not isinstance(numbers, int):
            return refused(400, "numbers must be an integer")
        if slug in state.accounts:
            return refused(409, f"account {slug!r} already exists")
        try:
            account = state.add_account(slug, token=token, numbers=numbers)
        except ValueError as exc:
            return refused(400, str(exc))
        return ok(account=account.to_json())

    return [
        Route("/_sandbox/faults", faults, methods=["POST"]),
        Route("/_sandbox/latency", latency, methods=["POST"]),
        Route("/_sandbox/calls", calls, methods=["GET"]),
        Route("/_sandbox/reset", reset, methods=["POST"]),
        Route("/_sandbox/accounts", accounts, methods=["POST"]),
    ]
