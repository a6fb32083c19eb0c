"""TalkturoClient against the project's Talkturo sandbox, over real HTTP on loopback.

A recording ASGI wrapper in front of the sandbox shows the exact requests the client sent. Answers the
sandbox cannot give (success:false on a 200, a 2xx without its record, 405, HTTP-date Retry-After, ...)
come from a small scripted server, also over real HTTP.
"""

from __future__ import annotations

import itertools
import json
import logging
import secrets
import time
from collections import deque
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.sandbox import SandboxState, create_app
from bot.talkturo import errors
from bot.talkturo.client import Account, TalkturoClient
from bot.talkturo.models import AssistantFields
from bot.talkturo.retry import RetryPolicy, parse_retry_after
from tests.support.servers import AsgiServer, free_port

FAST = RetryPolicy(attempts=4, base=0.01, cap=0.02, budget=3.0)
READ_TIMEOUT = 0.5  # how long a test client waits for a hanging sandbox

# -- request recording ----------------------------------------------------------------------------


@dataclass
class Seen:
    method: str
    path: str  # decoded, as the app routes it
    raw_path: bytes  # as it went over the wire
    query: bytes
    headers: dict[str, str]
    body: bytes
    status: int = 0

    def json(self) -> Any:
        return json.loads(self.body)


class Recorder:
    """ASGI wrapper that keeps every request (and the status answered) before passing it on."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.seen: list[Seen] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if message["type"] != "http.request" or not message.get("more_body"):
                break
        entry = Seen(
            method=scope["method"],
            path=scope["path"],
            raw_path=scope.get("raw_path") or scope["path"].encode(),
            query=scope["query_string"],
            headers={k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]},
            body=b"".join(chunks),
        )
        self.seen.append(entry)
        replayed = False

        async def replay() -> dict[str, Any]:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": entry.body, "more_body": False}
            return dict(await receive())

        async def watch(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                entry.status = message["status"]
            await send(message)

        await self.app(scope, replay, watch)

    def only(self) -> Seen:
        assert len(self.seen) == 1, [(s.method, s.path) for s in self.seen]
        return self.seen[0]


@dataclass
class Sandbox:
    state: SandboxState
    recorder: Recorder
    server: AsgiServer

    @property
    def api(self) -> str:
        return f"{self.server.url}/api"


_serial = itertools.count(1)


@dataclass
class Tenant:
    """One sandbox account and the client-side Account for it."""

    account: Account
    token: str
    account_id: str
    number_ids: list[str]
    phone_numbers: list[str]


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    state = SandboxState(hang_seconds=2.0)  # short hangs, so stopping the server never waits long
    recorder = Recorder(create_app(state))
    server = AsgiServer(recorder).start()
    yield Sandbox(state, recorder, server)
    server.stop()


@pytest.fixture
def sb(sandbox: Sandbox) -> Sandbox:
    """The shared sandbox with no faults, latency, counts or recorded requests left from other tests."""
    sandbox.state.reset()
    sandbox.recorder.seen.clear()
    return sandbox


def make_tenant(sb: Sandbox, numbers: int = 5) -> Tenant:
    slug = f"acme-{next(_serial)}"
    token = f"tk_test_{secrets.token_hex(12)}"
    acct = sb.state.add_account(slug, token=token, numbers=numbers)
    return Tenant(
        account=Account(base_url=sb.api, slug=slug, token=SecretStr(token)),
        token=token,
        account_id=acct.account_id,
        number_ids=list(acct.number_ids),
        phone_numbers=list(acct.phone_numbers),
    )


@pytest.fixture
def tenant(sb: Sandbox) -> Tenant:
    return make_tenant(sb)


@pytest.fixture
async def client() -> AsyncIterator[TalkturoClient]:
    http = httpx.AsyncClient(timeout=httpx.Timeout(READ_TIMEOUT, connect=1.0))
    yield TalkturoClient(http, retry=FAST)
    await http.aclose()


def total_calls(sb: Sandbox) -> int:
    return sum(sb.state.calls.values())


def assistants_of(sb: Sandbox, tenant: Tenant) -> list[dict[str, Any]]:
    return [a for a in sb.state.assistants.values() if a["account_id"] == tenant.account_id]


def assert_safe(error: errors.TalkturoError, token: str) -> None:
    """What the bot may show or log: no token, no HTML, a bounded sentence."""
    for text in (str(error), repr(error), error.message, repr(error.details)):
        assert token not in text
    assert "<" not in error.message
    assert 0 < len(error.message) <= 300


async def fresh_assistant(client: TalkturoClient, tenant: Tenant, sb: Sandbox, name: str = "Setter") -> str:
    assistant = await client.create_assistant(tenant.account, name, "outbound-setter")
    sb.state.reset()
    sb.recorder.seen.clear()
    return assistant.id


# -- happy paths with exact requests --------------------------------------------------------------


async def test_check_credentials(client: TalkturoClient, tenant: Tenant, sb: Sandbox) -> None:
    await client.check_credentials(tenant.account)
    seen = sb.recorder.only()
    assert (seen.method, seen.path) == ("GET", "/api/test-api-key")
    assert httpx.QueryParams(seen.query.decode()) == httpx.QueryParams({"accountSlug": tenant.account.slug})
    assert seen.headers["authorization"] == f"Bearer {tenant.token}"
    assert seen.headers["accept"] == "application/json"
    assert sb.state.calls["test_api_key"] == 1


async def test_create_assistant_sends_exact_body(client: TalkturoClient, tenant: Tenant, sb: Sandbox) -> None:
    assistant = await client.create_assistant(tenant.account, "Q3 Setter", "outbound-setter")
    seen = sb.recorder.only()
    assert (seen.method, seen.path) == ("POST", "/api/assistants")
    assert seen.json() == {
        "accountSlug": tenant.account.slug,
        "name": "Q3 Setter",
        "templateId": "outbound-setter",
    }
    assert seen.headers["content-type"] == "application/json"
    assert seen.headers["authorization"] == f"Bearer {tenant.token}"
    assert assistant.name == "Q3 Setter"
    assert assistant.template == "outbound-setter"
    assert assistant.account_id == tenant.account_id
    assert [a["id"] for a in assistants_of(sb, tenant)] == [assistant.id]


async def test_create_defaults_to_custom(client: TalkturoClient, tenant: Tenant, sb: Sandbox) -> None:
    assistant = await client.create_assistant(tenant.account, "Plain")
    assert sb.recorder.only().json()["templateId"] == "custom"
    assert assistant.template == "custom"


async def test_get_assistant(client: TalkturoClient, tenant: Tenant, sb: Sandbox) -> None:
    assistant_id = await fresh_assistant(client, tenant, sb)
    assistant = await client.get_assistant(tenant.account, assistant_id)
    assert assistant.id == assistant_id
    assert assistant.to_wire() == sb.state.assistants[assistant_id]
    seen = sb.recorder.only()
    assert (seen.method, seen.path) == ("GET", f"/api/assistants/{assistant_id}")
    assert httpx.QueryParams(seen.query.decode()) == httpx.QueryParams({"accountSlug": tenant.account.slug})
    assert "content-type" not in seen.headers
    assert seen.body == b""


async def test_update_sends_only_the_changed_keys(
    client: TalkturoClient, tenant: Tenant, sb: Sandbox
) -> None:
    assistant_id = await fresh_assistant(client, tenant, sb)
    before = dict(sb.state.assistants[assistant_id])
    updated = await client.update_assistant(
        tenant.account, assistant_id, {"temperature": 1.2, "system_prompt": "Be brief."}
    )
    seen = sb.recorder.only()
    assert (seen.method, seen.path) == ("PATCH", f"/api/assistants/{assistant_id}")
    assert seen.json() == {
        "accountSlug": tenant.account.slug,
        "temperature": 1.2,
        "system_prompt": "Be brief.",
    }
    assert seen.headers["content-type"] == "application/json"
    assert (updated.temperature, updated.system_prompt) == (1.2, "Be brief.")
    stored = sb.state.assistants[assistant_id]
    changed = {key for key in stored if stored[key] != before.get(key)}
    assert changed == {"temperature", "system_prompt", "updated_at"}


async def test_update_with_assistant_fields(client: TalkturoClient, tenant: Tenant, sb: Sandbox) -> None:
    assistant_id = await fresh_assistant(client, tenant, sb)
    updated = await client.update_assistant(
        tenant.account, assistant_id, AssistantFields(max_tokens=64, inbound_enabled=True, temperature=0)
    )
    assert sb.recorder.only().json() == {
        "accountSlug": tenant.account.slug,
        "max_tokens": 64,
        "inbound_enabled": True,
        "temperature": 0,
    }
    assert (updated.max_tokens, updated.inbound_enabled, updated.temperature) == (64, True, 0.0)


async def test_assign_numbers_replaces_the_set(client: TalkturoClient, tenant: Tenant, sb: Sandbox) -> None:
    assistant_id = await fresh_assistant(client, tenant, sb)
    first, second, third = tenant.number_ids[:3]
    assigned = await client.assign_numbers(tenant.account, assistant_id, [first, second, first])
    assert assigned == [first, second]
    seen = sb.recorder.only()
    assert (seen.method, seen.path) == ("PATCH", f"/api/assistants/{assistant_id}/telephony/phone-numbers")
    assert seen.json() == {"accountSlug": tenant.account.slug, "phoneNumberIds": [first, second]}
    assert seen.headers["content-type"] == "application/json"

    assert await client.assign_numbers(tenant.account, assistant_id, (third,)) == [third]
    holders = {n: sb.state.numbers[n]["assistant_id"] for n in (first, second, third)}
    assert holders == {first: None, second: None, third: assistant_id}

    assert await client.assign_numbers(tenant.account, assistant_id, []) == []
    assert sb.recorder.seen[-1].json() == {"accountSlug": tenant.account.slug, "phoneNumberIds": []}
    assert all(sb.state.numbers[n]["assistant_id"] is None for n in tenant.number_ids)


async def test_list_numbers(client: TalkturoClient, tenant: Tenant, sb: Sandbox) -> None:
    assistant_id = await fresh_assistant(client, tenant, sb)
    await client.assign_numbers(tenant.account, assistant_id, [tenant.number_ids[0]])
    sb.recorder.seen.clear()
    numbers = await client.list_numbers(tenant.account, assistant_id)
    seen = sb.recorder.only()
    assert (seen.method, seen.path) == ("GET", f"/api/assistants/{assistant_id}/telephony/phone-numbers")
    assert httpx.QueryParams(seen.query.decode()) == httpx.QueryParams({"accountSlug": tenant.account.slug})
    # The last seeded number is suspended, so the sandbox lists only the active ones.
    assert [n.id for n in numbers] == tenant.number_ids[:-1]
    assert [n.phone_number for n in numbers] == tenant.phone_numbers[:-1]
    assert numbers[0].assistant_id == assistant_id
    assert {n.status for n in numbers} == {"active"}
    assert numbers[0].to_wire() == sb.state.numbers[tenant.number_ids[0]]  # extra keys kept


async def test_ids_are_escaped_in_paths(client: TalkturoClient, tenant: Tenant, sb: Sandbox) -> None:
    with pytest.raises(errors.NotFound):
        await client.get_assistant(tenant.account, "a/b?c")
    with pytest.raises(errors.NotFound):
        await client.update_assistant(tenant.account, "a/b?c", {"name": "x"})
    with pytest.raises(errors.NotFound):
        await client.assign_numbers(tenant.account, "a/b?c", [])
    with pytest.raises(errors.NotFound) as caught:
        await client.list_numbers(tenant.account, "x?y #z")
    raw = [seen.raw_path for seen in sb.recorder.seen]
    assert raw == [
        b"/api/assistants/a%2Fb%3Fc",
        b"/api/assistants/a%2Fb%3Fc",
        b"/api/assistants/a%2Fb%3Fc/telephony/phone-numbers",
        b"/api/assistants/x%3Fy%20%23z/telephony/phone-numbers",
    ]
    # "?" and "#" stayed in the id instead of starting a query or fragment.
    assert sb.recorder.seen[-1].path == "/api/assistants/x?y #z/telephony/phone-numbers"
    assert httpx.QueryParams(sb.recorder.seen[-1].query.decode()) == httpx.QueryParams(
        {"accountSlug": tenant.account.slug}
    )
    assert "x?y #z" in caught.value.message


# -- errors --------------------------------------------------------------------------------------


async def test_400_carries_the_servers_message(client: TalkturoClient, tenant: Tenant, sb: Sandbox) -> None:
    assistant_id = await fresh_assistant(client, tenant, sb)
    with pytest.raises(errors.BadRequest) as caught:
        await client.assign_numbers(tenant.account, assistant_id, ["pn_nope"])
    assert caught.value.status == 400
    assert caught.value.message == "Unknown phone number id: pn_nope"
    assert caught.value.may_have_applied is False
    assert_safe(caught.value, tenant.token)

    suspended = tenant.number_ids[-1]
    with pytest.raises(errors.BadRequest) as caught:
        await client.assign_numbers(tenant.account, assistant_id, [suspended])
    assert "not active" in caught.value.message
    assert sb.state.calls["assign_numbers"] == 2  # 4xx is never retried


async def test_401_wrong_token(client: TalkturoClient, tenant: Tenant, sb: Sandbox) -> None:
    wrong = "tk_test_" + secrets.token_hex(12)
    account = Account(base_url=sb.api, slug=tenant.account.slug, token=SecretStr(wrong))
    with pytest.raises(errors.Unauthorized) as caught:
        await client.check_credentials(account)
    assert caught.value.status == 401
    assert caught.value.may_have_applied is False
    assert_safe(caught.value, wrong)
    assert sb.state.calls["test_api_key"] == 1


async def test_403_foreign_assistant_and_slug_mismatch(
    client: TalkturoClient, tenant: Tenant, sb: Sandbox
) -> None:
    other = make_tenant(sb)
    foreign_id = (await client.create_assistant(other.account, "Theirs")).id
    with pytest.raises(errors.Forbidden) as caught:
        await client.get_assistant(tenant.account, foreign_id)
    assert caught.value.status == 403
    assert_safe(caught.value, tenant.token)
    with pytest.raises(errors.Forbidden):
        await client.update_assistant(tenant.account, foreign_id, {"name": "Mine now"})
    assert sb.state.assistants[foreign_id]["name"] == "Theirs"

    mismatched = Account(base_url=sb.api, slug=other.account.slug, token=tenant.account.token)
    with pytest.raises(errors.Forbidden):
        await client.check_credentials(mismatched)


async def test_404_unknown_id(client: TalkturoClient, tenant: Tenant, sb: Sandbox) -> None:
    with pytest.raises(errors.NotFound) as caught:
        await client.get_assistant(tenant.account, "asst_missing")
    assert caught.value.status == 404
    assert "asst_missing" in caught.value.message
    assert caught.value.may_have_applied is False
    assert sb.state.calls["get_assistant"] == 1


async def test_409_names_the_holder(client: TalkturoClient, tenant: Tenant, sb: Sandbox) -> None:
    holder = await client.create_assistant(tenant.account, "Holder")
    taker = await client.create_assistant(tenant.account, "Taker")
    number = tenant.number_ids[0]
    await client.assign_numbers(tenant.account, holder.id, [number])
    with pytest.raises(errors.Conflict) as caught:
        await client.assign_numbers(tenant.account, taker.id, [number])
    assert caught.value.status == 409
    assert caught.value.details == {"assistantId": holder.id}
    assert caught.value.may_have_applied is False
    assert sb.state.numbers[number]["assistant_id"] == holder.id
    assert_safe(caught.value, tenant.token)


async def test_429_on_create_is_not_retried(client: TalkturoClient, tenant: Tenant, sb: Sandbox) -> None:
    sb.state.inject_fault("create_assistant", status=429, retry_after=7)
    with pytest.raises(errors.RateLimited) as caught:
        await client.create_assistant(tenant.account, "Busy")
    assert caught.value.retry_after == 7
    assert caught.value.status == 429
    assert caught.value.may_have_applied is False
    assert sb.state.calls["create_assistant"] == 1
    assert_safe(caught.value, tenant.token)


async def test_retry_after_beyond_budget_gives_up_at_once(
    client: TalkturoClient, tenant: Tenant, sb: Sandbox
) -> None:
    sb.state.inject_fault("get_assistant", status=429, retry_after=30, times=5)
    started = time.monotonic()
    with pytest.raises(errors.RateLimited) as caught:
        await client.get_assistant(tenant.account, "asst_any")
    assert time.monotonic() - started < 1.0
    assert caught.value.retry_after == 30
    assert sb.state.calls["get_assistant"] == 1


async def test_500_on_get_is_not_retried(client: TalkturoClient, tenant: Tenant, sb: Sandbox) -> None:
    assistant_id = await fresh_assistant(client, tenant, sb)
    sb.state.inject_fault("get_assistant", status=500, times=3)
    with pytest.raises(errors.ServerError) as caught:
        await client.get_assistant(tenant.account, assistant_id)
    assert caught.value.status == 500
    assert caught.value.may_have_applied is False  # a GET changes nothing
    assert sb.state.calls["get_assistant"] == 1
    assert_safe(caught.value, tenant.token)


async def test_html_error_page(client: TalkturoClient, tenant: Tenant, sb: Sandbox) -> None:
    assistant_id = await fresh_assistant(client, tenant, sb)
    sb.state.inject_fault("get_assistant", status=502, html=True, times=10)
    with pytest.raises(errors.ServerError) as caught:
        await client.get_assistant(tenant.account, assistant_id)
    assert caught.value.status == 502
    assert "non-JSON" in caught.value.message
    assert "502" in caught.value.message
    assert sb.recorder.seen[-1].status == 502
    assert sb.state.calls["get_assistant"] == FAST.attempts  # 502 is transient: every try used
    assert_safe(caught.value, tenant.token)


async def test_unreachable_port(client: TalkturoClient) -> None:
    token = "tk_test_" + secrets.token_hex(12)
    account = Account(base_url=f"http://127.0.0.1:{free_port()}/api", slug="acme", token=SecretStr(token))
    with pytest.raises(errors.Unreachable) as caught:
        await client.get_assistant(account, "asst_1")
    assert caught.value.may_have_applied is False
    assert "127.0.0.1" in caught.value.message
    assert_safe(caught.value, token)
    with pytest.raises(errors.Unreachable) as caught:
        await client.create_assistant(account, "Nobody home")
    assert caught.value.may_have_applied is False  # the request never left


async def test_timeout_on_create_is_not_repeated(client: TalkturoClient, tenant: Tenant, sb: Sandbox) -> None:
    sb.state.inject_fault("create_assistant", timeout=True, times=1)
    with pytest.raises(errors.Unreachable) as caught:
        await client.create_assistant(tenant.account, "Slow")
    assert caught.value.may_have_applied is True
    assert "did not answer in time" in caught.value.message
    assert sb.state.calls["create_assistant"] == 1
    assert_safe(caught.value, tenant.token)


async def test_timeout_on_get_is_retried(client: TalkturoClient, tenant: Tenant, sb: Sandbox) -> None:
    assistant_id = await fresh_assistant(client, tenant, sb)
    sb.state.inject_fault("get_assistant", timeout=True, times=1)
    assert (await client.get_assistant(tenant.account, assistant_id)).id == assistant_id
    assert sb.state.calls["get_assistant"] == 2


async def test_timeouts_exhaust_the_tries(tenant: Tenant, sb: Sandbox) -> None:
    sb.state.inject_fault("list_numbers", timeout=True, times=5)
    policy = RetryPolicy(attempts=2, base=0.01, cap=0.01, budget=5)
    async with httpx.AsyncClient(timeout=httpx.Timeout(0.2)) as http:
        client = TalkturoClient(http, retry=policy)
        with pytest.raises(errors.Unreachable) as caught:
            await client.list_numbers(tenant.account, "asst_any")
    assert caught.value.may_have_applied is False
    assert sb.state.calls["list_numbers"] == 2


# -- retries that happen ---------------------------------------------------------------------------


async def test_get_after_two_503_succeeds(client: TalkturoClient, tenant: Tenant, sb: Sandbox) -> None:
    assistant_id = await fresh_assistant(client, tenant, sb)
    sb.state.inject_fault("get_assistant", status=503, times=2)
    assert (await client.get_assistant(tenant.account, assistant_id)).id == assistant_id
    assert sb.state.calls["get_assistant"] == 3


async def test_patch_after_429_with_retry_after_zero(
    client: TalkturoClient, tenant: Tenant, sb: Sandbox
) -> None:
    assistant_id = await fresh_assistant(client, tenant, sb)
    sb.state.inject_fault("update_assistant", status=429, retry_after=0)
    updated = await client.update_assistant(tenant.account, assistant_id, {"voice_name": "Katie 2"})
    assert updated.voice_name == "Katie 2"
    assert sb.state.calls["update_assistant"] == 2
    assert [s.status for s in sb.recorder.seen] == [429, 200]


async def test_retry_after_is_honoured(client: TalkturoClient, tenant: Tenant, sb: Sandbox) -> None:
    sb.state.inject_fault("test_api_key", status=503, retry_after=0.4)
    started = time.monotonic()
    await client.check_credentials(tenant.account)
    assert time.monotonic() - started >= 0.4
    assert sb.state.calls["test_api_key"] == 2


async def test_assign_after_504_succeeds(client: TalkturoClient, tenant: Tenant, sb: Sandbox) -> None:
    assistant_id = await fresh_assistant(client, tenant, sb)
    sb.state.inject_fault("assign_numbers", status=504, after_apply=True)
    number = tenant.number_ids[1]
    assert await client.assign_numbers(tenant.account, assistant_id, [number]) == [number]
    assert sb.state.calls["assign_numbers"] == 2
    assert sb.state.numbers[number]["assistant_id"] == assistant_id


async def test_create_is_retried_when_the_connection_failed(tenant: Tenant, sb: Sandbox) -> None:
    transport = RefusingTransport(refusals=2)
    async with httpx.AsyncClient(transport=transport, timeout=2.0) as http:
        client = TalkturoClient(http, retry=FAST)
        assistant = await client.create_assistant(tenant.account, "Second try")
    assert transport.refused == 2
    assert sb.state.calls["create_assistant"] == 1
    assert [a["id"] for a in assistants_of(sb, tenant)] == [assistant.id]


async def test_budget_exhaustion_gives_the_error(tenant: Tenant, sb: Sandbox) -> None:
    sb.state.inject_fault("get_assistant", status=503, times=1000)
    policy = RetryPolicy(attempts=1000, base=0.05, cap=0.05, budget=0.3)
    started = time.monotonic()
    async with httpx.AsyncClient(timeout=2.0) as http:
        with pytest.raises(errors.ServerError) as caught:
            await TalkturoClient(http, retry=policy).get_assistant(tenant.account, "asst_any")
    assert time.monotonic() - started < 1.5
    assert caught.value.status == 503
    assert 2 <= sb.state.calls["get_assistant"] < 1000


async def test_tries_are_capped(client: TalkturoClient, tenant: Tenant, sb: Sandbox) -> None:
    sb.state.inject_fault("get_assistant", status=503, times=10)
    with pytest.raises(errors.ServerError):
        await client.get_assistant(tenant.account, "asst_any")
    assert sb.state.calls["get_assistant"] == FAST.attempts


# -- retries that must not happen -------------------------------------------------------------------


async def test_create_after_500_that_applied_is_not_repeated(
    client: TalkturoClient, tenant: Tenant, sb: Sandbox
) -> None:
    sb.state.inject_fault("create_assistant", status=500, after_apply=True)
    with pytest.raises(errors.ServerError) as caught:
        await client.create_assistant(tenant.account, "Maybe")
    assert caught.value.may_have_applied is True
    assert sb.state.calls["create_assistant"] == 1
    assert len(assistants_of(sb, tenant)) == 1
    assert_safe(caught.value, tenant.token)


async def test_create_after_503_is_not_repeated(client: TalkturoClient, tenant: Tenant, sb: Sandbox) -> None:
    sb.state.inject_fault("create_assistant", status=503, times=3)
    with pytest.raises(errors.ServerError) as caught:
        await client.create_assistant(tenant.account, "Maybe")
    assert caught.value.may_have_applied is True
    assert sb.state.calls["create_assistant"] == 1
    assert assistants_of(sb, tenant) == []


async def test_patch_500_is_not_retried_and_may_have_applied(
    client: TalkturoClient, tenant: Tenant, sb: Sandbox
) -> None:
    assistant_id = await fresh_assistant(client, tenant, sb)
    sb.state.inject_fault("update_assistant", status=500, after_apply=True)
    with pytest.raises(errors.ServerError) as caught:
        await client.update_assistant(tenant.account, assistant_id, {"language": "de"})
    assert caught.value.may_have_applied is True
    assert sb.state.calls["update_assistant"] == 1
    assert sb.state.assistants[assistant_id]["language"] == "de"


async def test_may_have_applied_sticks_across_tries(
    client: TalkturoClient, tenant: Tenant, sb: Sandbox
) -> None:
    assistant_id = await fresh_assistant(client, tenant, sb)
    sb.state.inject_fault("update_assistant", status=503, after_apply=True)
    sb.state.inject_fault("update_assistant", status=429, retry_after=30)
    with pytest.raises(errors.RateLimited) as caught:
        await client.update_assistant(tenant.account, assistant_id, {"model": "gpt-4o"})
    # The last answer was a 429, but the first try (a 503) may have applied, and here did.
    assert caught.value.may_have_applied is True
    assert sb.state.assistants[assistant_id]["model"] == "gpt-4o"


# -- validation makes no request ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({}, "changes"),
        (AssistantFields(), "changes"),
        ({"temperature": 2.5}, "temperature"),
        ({"temperature": -1}, "temperature"),
        ({"temperature": float("nan")}, "temperature"),
        ({"temperature": True}, "temperature"),
        ({"temperature": "0.5"}, "temperature"),
        ({"max_tokens": 0}, "max_tokens"),
        ({"max_tokens": 1.5}, "max_tokens"),
        ({"max_tokens": "100"}, "max_tokens"),
        ({"recording_enabled": "yes"}, "recording_enabled"),
        ({"inbound_enabled": 1}, "inbound_enabled"),
        ({"system_prompt": 42}, "system_prompt"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": None}, "name"),
        ({"llmModel": "gpt-4o"}, "llmModel"),
        ({"id": "asst_2"}, "id"),
        ({"accountSlug": "other"}, "accountSlug"),
        (["temperature"], "changes"),
    ],
)
async def test_invalid_changes_make_no_request(
    client: TalkturoClient, tenant: Tenant, sb: Sandbox, changes: Any, field: str
) -> None:
    with pytest.raises(errors.InvalidValue) as caught:
        await client.update_assistant(tenant.account, "asst_1", changes)
    assert caught.value.field == field
    assert caught.value.may_have_applied is False
    assert caught.value.message.endswith(".")
    assert total_calls(sb) == 0
    assert sb.recorder.seen == []


async def test_unknown_field_names_the_valid_ones(client: TalkturoClient, tenant: Tenant) -> None:
    with pytest.raises(errors.InvalidValue) as caught:
        await client.update_assistant(tenant.account, "asst_1", {"colour": "blue"})
    assert "'colour'" in caught.value.message
    assert "temperature" in caught.value.message and "voice_id" in caught.value.message


async def test_range_message_is_a_clear_sentence(client: TalkturoClient, tenant: Tenant) -> None:
    with pytest.raises(errors.InvalidValue) as caught:
        await client.update_assistant(tenant.account, "asst_1", {"temperature": 3})
    assert caught.value.message == "temperature must be a number from 0.0 to 2.0 (got 3)."


@pytest.mark.parametrize(
    ("name", "template", "field"),
    [
        ("", "custom", "name"),
        ("  ", "custom", "name"),
        (None, "custom", "name"),
        ("Ok", "sales", "template"),
        ("Ok", "Custom", "template"),
    ],
)
async def test_invalid_create_makes_no_request(
    client: TalkturoClient, tenant: Tenant, sb: Sandbox, name: Any, template: Any, field: str
) -> None:
    with pytest.raises(errors.InvalidValue) as caught:
        await client.create_assistant(tenant.account, name, template)
    assert caught.value.field == field
    assert total_calls(sb) == 0


@pytest.mark.parametrize("assistant_id", ["", "   ", None, 7])
async def test_invalid_id_makes_no_request(
    client: TalkturoClient, tenant: Tenant, sb: Sandbox, assistant_id: Any
) -> None:
    calls = [
        client.get_assistant(tenant.account, assistant_id),
        client.update_assistant(tenant.account, assistant_id, {"name": "x"}),
        client.assign_numbers(tenant.account, assistant_id, []),
        client.list_numbers(tenant.account, assistant_id),
    ]
    for call in calls:
        with pytest.raises(errors.InvalidValue) as caught:
            await call
        assert caught.value.field == "assistant_id"
    assert total_calls(sb) == 0


@pytest.mark.parametrize("number_ids", ["pn_1", [""], ["pn_1", 2], None, {"pn_1"}])
async def test_invalid_number_ids_make_no_request(
    client: TalkturoClient, tenant: Tenant, sb: Sandbox, number_ids: Any
) -> None:
    with pytest.raises(errors.InvalidValue) as caught:
        await client.assign_numbers(tenant.account, "asst_1", number_ids)
    assert caught.value.field == "number_ids"
    assert total_calls(sb) == 0


@pytest.mark.parametrize(
    ("base_url", "slug", "token", "field"),
    [
        ("ftp://example.com/api", "acme", "tk_test_1", "base_url"),
        ("{api}", "", "tk_test_1", "slug"),
        ("{api}", "acme", "", "token"),
        ("{api}", "acme", "tk_test_1\r\nX-Evil: 1", "token"),
    ],
)
async def test_invalid_account_makes_no_request(
    client: TalkturoClient, sb: Sandbox, base_url: str, slug: str, token: str, field: str
) -> None:
    account = Account(base_url=base_url.format(api=sb.api), slug=slug, token=SecretStr(token))
    with pytest.raises(errors.InvalidValue) as caught:
        await client.check_credentials(account)
    assert caught.value.field == field
    if token:
        assert token not in str(caught.value)
    assert total_calls(sb) == 0


# -- secrets stay secret ----------------------------------------------------------------------------


def test_account_repr_hides_the_token() -> None:
    account = Account(base_url="https://api.talkturo.com/api", slug="acme", token=SecretStr("tk_live_s3cr3t"))
    assert "tk_live_s3cr3t" not in repr(account)
    assert "tk_live_s3cr3t" not in str(account)


async def test_logs_hold_no_token_and_no_body(
    client: TalkturoClient, tenant: Tenant, sb: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    assistant_id = await fresh_assistant(client, tenant, sb)
    sb.state.inject_fault("update_assistant", status=503)
    await client.update_assistant(tenant.account, assistant_id, {"system_prompt": "PROMPT-MARKER"})
    with pytest.raises(errors.NotFound):
        await client.get_assistant(tenant.account, "asst_missing")
    ours = [r for r in caplog.records if r.name == "bot.talkturo"]
    lines = [r.getMessage() for r in ours]
    assert all(r.levelno == logging.DEBUG for r in ours)
    assert any("PATCH /assistants/{id} -> 503 (attempt 1" in line for line in lines)
    assert any("PATCH /assistants/{id} -> 200 (attempt 2" in line for line in lines)
    assert any("GET /assistants/{id} -> 404 (attempt 1" in line for line in lines)
    everything = "\n".join(r.getMessage() for r in caplog.records)
    for secret in (tenant.token, "Bearer", "PROMPT-MARKER", assistant_id):
        assert secret not in everything.replace(f"/assistants/{assistant_id}", "")


# -- answers only a scripted server gives -----------------------------------------------------------

SCRIPT_TOKEN = "tk_test_scripted_0123456789"


@dataclass
class Script:
    replies: deque[tuple[int, dict[str, str], bytes]] = field(default_factory=deque)
    hits: int = 0

    def reply(self, status: int, body: Any = None, *, raw: bytes | None = None, **headers: str) -> None:
        if raw is None:
            raw = json.dumps(body).encode()
            headers.setdefault("content-type", "application/json")
        self.replies.append((status, {k.replace("_", "-"): v for k, v in headers.items()}, raw))


@pytest.fixture(scope="module")
def script_server() -> Iterator[tuple[Script, AsgiServer]]:
    script = Script()

    async def answer(request: Request) -> Response:
        script.hits += 1
        await request.body()
        status, headers, raw = script.replies.popleft() if script.replies else (599, {}, b"")
        return Response(raw, status_code=status, headers=headers)

    app = Starlette(routes=[Route("/api/{rest:path}", answer, methods=["GET", "POST", "PATCH"])])
    server = AsgiServer(app).start()
    yield script, server
    server.stop()


@pytest.fixture
def script(script_server: tuple[Script, AsgiServer]) -> Script:
    script_server[0].replies.clear()
    script_server[0].hits = 0
    return script_server[0]


@pytest.fixture
def scripted(script_server: tuple[Script, AsgiServer]) -> Account:
    return Account(base_url=f"{script_server[1].url}/api/", slug="acme", token=SecretStr(SCRIPT_TOKEN))


ASSISTANT = {"id": "asst_1", "name": "One", "type": "custom", "future_key": {"x": 1}}


async def test_success_false_on_200_is_bad_request(
    client: TalkturoClient, script: Script, scripted: Account
) -> None:
    script.reply(200, {"success": False, "error": "Template disabled for this plan", "plan": "free"})
    with pytest.raises(errors.BadRequest) as caught:
        await client.create_assistant(scripted, "X")
    assert caught.value.message == "Template disabled for this plan"
    assert caught.value.status == 200
    assert caught.value.details == {"plan": "free"}
    assert caught.value.may_have_applied is False
    assert script.hits == 1


async def test_2xx_without_the_record_is_a_server_error(
    client: TalkturoClient, script: Script, scripted: Account
) -> None:
    script.reply(200, {"success": True})
    with pytest.raises(errors.ServerError) as caught:
        await client.get_assistant(scripted, "asst_1")
    assert caught.value.may_have_applied is False
    script.reply(200, {"success": True, "data": ASSISTANT})
    with pytest.raises(errors.ServerError) as caught:
        await client.update_assistant(scripted, "asst_1", {"name": "Two"})
    assert caught.value.may_have_applied is True  # a 2xx to a PATCH: the change probably went through
    script.reply(200, {"success": True, "numbers": {"id": "pn_1"}})
    with pytest.raises(errors.ServerError):
        await client.list_numbers(scripted, "asst_1")
    script.reply(200, {"success": True, "numbers": [{"phone_number": "+15550100"}]})
    with pytest.raises(errors.ServerError):
        await client.list_numbers(scripted, "asst_1")
    script.reply(200, raw=b"<html>ok</html>", content_type="text/html")
    with pytest.raises(errors.ServerError) as caught:
        await client.get_assistant(scripted, "asst_1")
    assert caught.value.message == "Talkturo answered HTTP 200 OK with a non-JSON page."
    assert script.hits == 5


async def test_lenient_success_envelopes(client: TalkturoClient, script: Script, scripted: Account) -> None:
    script.reply(201, {"assistant": ASSISTANT})  # no `success` key, 201 instead of 200
    assistant = await client.create_assistant(scripted, "One")
    assert assistant.to_wire() == ASSISTANT
    script.reply(200, {"success": True, "message": "Phone numbers updated"})  # S: no echo of the IDs
    assert await client.assign_numbers(scripted, "asst_1", ["pn_2", "pn_1"]) == ["pn_2", "pn_1"]
    script.reply(200, {"success": True, "phoneNumberIds": ["pn_1"]})  # D: the server's word wins
    assert await client.assign_numbers(scripted, "asst_1", ["pn_2", "pn_1"]) == ["pn_1"]
    script.reply(200, {"success": True, "message": "API key is valid"})
    await client.check_credentials(scripted)


async def test_error_bodies_are_read_leniently(
    client: TalkturoClient, script: Script, scripted: Account
) -> None:
    script.reply(401, {"error": "Unauthorized"})  # P's literal 401, without `success`
    with pytest.raises(errors.Unauthorized) as caught:
        await client.check_credentials(scripted)
    assert caught.value.message == "Unauthorized"

    script.reply(405, raw=b"Method Not Allowed", content_type="text/plain")
    with pytest.raises(errors.NotFound) as caught:
        await client.get_assistant(scripted, "asst_1")
    assert caught.value.status == 405

    script.reply(402, {"success": False, "message": "Insufficient credits", "balance": 0})
    with pytest.raises(errors.BadRequest) as caught:
        await client.create_assistant(scripted, "X")
    assert (caught.value.status, caught.value.message, caught.value.details) == (
        402,
        "Insufficient credits",
        {"balance": 0},
    )

    script.reply(400, {"success": False, "error": {"message": "nested reason"}})
    with pytest.raises(errors.BadRequest) as caught:
        await client.create_assistant(scripted, "X")
    assert caught.value.message == "nested reason"

    script.reply(500, raw=b"", content_type="text/plain")
    with pytest.raises(errors.ServerError) as caught:
        await client.create_assistant(scripted, "X")
    assert caught.value.message == "Talkturo answered HTTP 500 Internal Server Error with an empty body."


async def test_messages_are_capped_and_redacted(
    client: TalkturoClient, script: Script, scripted: Account
) -> None:
    echo = f"Invalid API key {SCRIPT_TOKEN} " + "x" * 1000
    script.reply(401, {"success": False, "error": echo, "seen": [SCRIPT_TOKEN]})
    with pytest.raises(errors.Unauthorized) as caught:
        await client.check_credentials(scripted)
    assert_safe(caught.value, SCRIPT_TOKEN)
    assert caught.value.message.startswith("Invalid API key *** xxx")
    assert caught.value.details == {"seen": ["***"]}

    page = b"<!DOCTYPE html><html><body>" + b"<p>Bad gateway</p>" * 500 + b"</body></html>"
    script.reply(500, raw=page, content_type="text/html")
    with pytest.raises(errors.ServerError) as caught:
        await client.create_assistant(scripted, "X")
    assert caught.value.message == "Talkturo answered HTTP 500 Internal Server Error with a non-JSON page."

    script.reply(400, {"success": False, "error": "<html>proxy</html>"})
    with pytest.raises(errors.BadRequest) as caught:
        await client.create_assistant(scripted, "X")
    assert_safe(caught.value, SCRIPT_TOKEN)


async def test_retry_after_http_date(client: TalkturoClient, script: Script, scripted: Account) -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)
    script.reply(429, {"success": False, "error": "Slow down"}, retry_after=later)
    with pytest.raises(errors.RateLimited) as caught:
        await client.get_assistant(scripted, "asst_1")
    assert caught.value.retry_after is not None and 110 < caught.value.retry_after <= 120
    assert caught.value.message == "Slow down"
    assert script.hits == 1  # beyond the budget: no waiting, no second try


async def test_client_owns_only_what_it_made(scripted: Account, script: Script) -> None:
    async with TalkturoClient(retry=FAST) as own:
        script.reply(200, {"success": True, "assistant": ASSISTANT})
        assert (await own.get_assistant(scripted, "asst_1")).id == "asst_1"
    assert own._http.is_closed
    async with httpx.AsyncClient() as http:
        await TalkturoClient(http).aclose()
        assert not http.is_closed


# -- retry timing -----------------------------------------------------------------------------------


class RefusingTransport(httpx.AsyncHTTPTransport):
    """The real transport, except that the first `refusals` connections fail before anything is sent."""

    def __init__(self, refusals: int) -> None:
        super().__init__()
        self.left = refusals
        self.refused = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.left > 0:
            self.left -= 1
            self.refused += 1
            raise httpx.ConnectError("connection refused (test)", request=request)
        return await super().handle_async_request(request)


def test_parse_retry_after() -> None:
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    assert parse_retry_after("5", now=now) == 5
    assert parse_retry_after(" 0 ", now=now) == 0
    assert parse_retry_after("1.5", now=now) == 1.5
    assert parse_retry_after("-3", now=now) == 0
    assert parse_retry_after("Mon, 23 Nov 2026 12:00:30 GMT", now=now) == 30
    assert parse_retry_after("Mon, 23 Nov 2026 11:00:00 GMT", now=now) == 0
    for junk in (None, "", "soon", "inf", "nan", "Mon, 99 Nov"):
        assert parse_retry_after(junk, now=now) is None


def test_backoff_is_capped_full_jitter() -> None:
    policy = RetryPolicy(base=0.2, cap=2.0)
    for failed, ceiling in [(1, 0.2), (2, 0.4), (3, 0.8), (4, 1.6), (5, 2.0), (30, 2.0)]:
        waits = [policy.backoff(failed) for _ in range(200)]
        assert all(0 <= wait <= ceiling for wait in waits)
        assert max(waits) > ceiling / 2  # spread over the range, not a fixed step
    assert RetryPolicy() == RetryPolicy(attempts=4, base=0.2, cap=2.0, budget=8.0)
    with pytest.raises(ValueError):
        RetryPolicy(attempts=0)
    with pytest.raises(ValueError):
        RetryPolicy(budget=-1)
