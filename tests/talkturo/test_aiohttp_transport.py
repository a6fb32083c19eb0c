"""The client's tests again, over AiohttpTransport: the wire `serve` uses (bot/app.py).

Every test of test_client.py that takes the `client` fixture runs here with a client whose httpx
requests go through aiohttp's pool: same requests on the wire, same answers, same errors and retries.
"""

from __future__ import annotations

import asyncio
import gzip
import inspect
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.talkturo.client import TalkturoClient
from bot.talkturo.transport import AiohttpTransport
from tests.support.servers import AsgiServer, free_port
from tests.talkturo import test_client as suite
from tests.talkturo.test_client import FAST, READ_TIMEOUT


@pytest.fixture
async def client() -> AsyncIterator[TalkturoClient]:
    transport = AiohttpTransport()
    http = httpx.AsyncClient(timeout=httpx.Timeout(READ_TIMEOUT, connect=1.0), transport=transport)
    yield TalkturoClient(http, retry=FAST)
    await http.aclose()


# The suite's other fixtures, and each of its tests that uses `client`, under their names in this module.
for _name, _value in vars(suite).items():
    if _name == "client":
        continue
    if hasattr(_value, "_fixture_function_marker") or (
        _name.startswith("test_") and "client" in inspect.signature(_value).parameters
    ):
        globals()[_name] = _value


async def test_owned_transport_is_closed_with_the_client() -> None:
    transport = AiohttpTransport()
    client = TalkturoClient(transport=transport)
    app = Starlette(routes=[Route("/api/x", lambda _: Response("{}"), methods=["GET"])])
    with AsgiServer(app) as server:
        async with httpx.AsyncClient(transport=transport) as http:
            assert (await http.get(f"{server.url}/api/x")).status_code == 200
        await client.aclose()
    assert transport._session is None


async def test_gzip_body_is_decoded_once_and_headers_pass() -> None:
    seen: dict[str, Any] = {}

    async def zipped(request: Request) -> Response:
        seen.update(headers=dict(request.headers), body=await request.body())
        return Response(gzip.compress(b'{"ok": true}'), headers={"content-encoding": "gzip"})

    app = Starlette(routes=[Route("/z", zipped, methods=["POST"])])
    with AsgiServer(app) as server:
        async with httpx.AsyncClient(transport=AiohttpTransport(), headers={"User-Agent": "ua/1"}) as http:
            response = await http.post(
                f"{server.url}/z", json={"a": 1}, headers={"Authorization": "Bearer t"}
            )
    assert response.json() == {"ok": True}
    assert seen["body"] == b'{"a":1}'
    assert seen["headers"]["authorization"] == "Bearer t"
    assert seen["headers"]["user-agent"] == "ua/1"
    assert seen["headers"]["content-type"] == "application/json"
    assert seen["headers"]["content-length"] == "7"


async def test_refused_connection_is_a_connect_error() -> None:
    async with httpx.AsyncClient(transport=AiohttpTransport()) as http:
        with pytest.raises(httpx.ConnectError):
            await http.get(f"http://127.0.0.1:{free_port()}/")


async def test_slow_answer_is_a_read_timeout() -> None:
    async def slow(_: Request) -> Response:
        await asyncio.sleep(1.0)
        return Response("late")

    app = Starlette(routes=[Route("/slow", slow, methods=["GET"])])
    with AsgiServer(app) as server:
        async with httpx.AsyncClient(transport=AiohttpTransport(), timeout=0.2) as http:
            with pytest.raises(httpx.ReadTimeout):
                await http.get(f"{server.url}/slow")
