"""The Talkturo sandbox answers like the contract says, and misbehaves exactly when told to."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.sandbox import DEMO_TOKEN, ENDPOINTS, SandboxState, create_app
from tests.support.servers import AsgiServer, free_port, wait_for_port

ACME = "tk_test_acme"
GLOBEX = "tk_test_globex"
AUTH = {"Authorization": f"Bearer {ACME}"}
GLOBEX_AUTH = {"Authorization": f"Bearer {GLOBEX}"}
ASSISTANT_KEYS = [
    "id",
    "account_id",
    "name",
    "type",
    "provider",
    "model",
    "temperature",
    "max_tokens",
    "first_message",
    "system_prompt",
    "voice_provider",
    "voice_model",
    "voice_id",
    "voice_name",
    "stt_provider",
    "stt_model",
    "language",
    "recording_enabled",
    "inbound_enabled",
    "outbound_enabled",
    "created_at",
    "updated_at",
]
NUMBER_KEYS = ["id", "phone_number", "status", "is_trial", "assistant_id", "provider"]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def state() -> SandboxState:
    state = SandboxState(seed=7)
    state.add_account("acme", token=ACME)
    state.add_account("globex", token=GLOBEX, numbers=3)
    return state


@pytest.fixture
async def client(state: SandboxState) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(state))
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        yield client


async def create(
    client: httpx.AsyncClient, name: str = "Q3 Setter", template: str | None = None, token: str = ACME
) -> dict[str, Any]:
    slug = "acme" if token == ACME else "globex"
    body: dict[str, Any] = {"accountSlug": slug, "name": name}
    if template is not None:
        body["templateId"] = template
    response = await client.post("/api/assistants", json=body, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    assistant: dict[str, Any] = response.json()["assistant"]
    return assistant


def error(message: str, **extra: Any) -> dict[str, Any]:
    return {"success": False, "error": message, **extra}


# ----- auth and test-api-key -----


async def test_api_key_valid(client: httpx.AsyncClient) -> None:
    for params in ({}, {"accountSlug": "acme"}):
        response = await client.get("/api/test-api-key", params=params, headers=AUTH)
        assert response.status_code == 200
        assert response.json() == {"success": True, "message": "API key is valid"}


async def test_missing_bearer_is_the_bare_401(client: httpx.AsyncClient) -> None:
    for headers in ({}, {"Authorization": "Basic YWNtZTp4"}, {"Authorization": "Bearer "}):
        response = await client.get("/api/test-api-key", headers=headers)
        assert response.status_code == 401
        assert response.json() == {"error": "Unauthorized"}


async def test_wrong_token_is_invalid_api_key(client: httpx.AsyncClient) -> None:
    bad = {"Authorization": "Bearer tk_test_nope"}
    for response in (
        await client.get("/api/test-api-key", headers=bad),
        await client.post("/api/assistants", json={"accountSlug": "acme", "name": "x"}, headers=bad),
    ):
        assert response.status_code == 401
        assert response.json() == error("Invalid API key")


async def test_slug_of_another_account_is_403(client: httpx.AsyncClient) -> None:
    for slug in ("globex", "no-such-team"):
        response = await client.get("/api/test-api-key", params={"accountSlug": slug}, headers=AUTH)
        assert response.status_code == 403
        assert response.json() == error(f"This API key does not belong to account '{slug}'")


# ----- create -----


async def test_create_defaults_to_custom(client: httpx.AsyncClient, state: SandboxState) -> None:
    response = await client.post(
        "/api/assistants", json={"accountSlug": "acme", "name": "Bare"}, headers=AUTH
    )
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["success", "assistant"]
    assert body["success"] is True
    assistant = body["assistant"]
    assert list(assistant) == ASSISTANT_KEYS
    assert re.fullmatch(r"asst_01j[0-9a-hjkmnp-tv-z]{23}", assistant["id"])
    assert assistant["account_id"] == state.accounts["acme"].account_id
    assert assistant["account_id"].startswith("acct_")
    assert (assistant["name"], assistant["type"]) == ("Bare", "custom")
    assert assistant["first_message"] is None
    assert assistant["system_prompt"] is None
    assert assistant["voice_provider"] is None
    assert assistant["created_at"] == assistant["updated_at"]
    assert assistant["created_at"].endswith("Z")
    datetime.fromisoformat(assistant["created_at"])
    assert state.assistants[assistant["id"]] == assistant


async def test_outbound_setter_defaults(client: httpx.AsyncClient) -> None:
    assistant = await create(client, template="outbound-setter")
    assert assistant["type"] == "outbound-setter"
    assert (assistant["provider"], assistant["model"]) == ("openai", "gpt-4o-mini")
    assert (assistant["temperature"], assistant["max_tokens"]) == (0.7, 1024)
    assert assistant["voice_provider"] == "cartesia"
    assert (assistant["outbound_enabled"], assistant["inbound_enabled"]) == (True, False)
    assert assistant["first_message"] and assistant["system_prompt"]


async def test_templates_have_distinct_defaults(client: httpx.AsyncClient) -> None:
    made = {t: await create(client, template=t) for t in ("outbound-setter", "inbound-support", "follow-up")}
    assert made["inbound-support"]["inbound_enabled"] is True
    assert "support" in made["inbound-support"]["system_prompt"]
    assert "re-engage" in made["follow-up"]["system_prompt"]
    prompts = {a["system_prompt"] for a in made.values()}
    assert len(prompts) == 3
    assert len({a["id"] for a in made.values()}) == 3


@pytest.mark.parametrize(
    ("body", "status", "expected"),
    [
        (
            {"accountSlug": "acme", "name": "x", "templateId": "sales"},
            400,
            error(
                "Unknown templateId 'sales'; "
                "valid values: outbound-setter, inbound-support, follow-up, custom"
            ),
        ),
        ({"accountSlug": "acme"}, 400, error("name is required")),
        ({"accountSlug": "acme", "name": "  "}, 400, error("name must be a non-empty string")),
        ({"name": "x"}, 400, error("accountSlug is required")),
        (
            {"accountSlug": "globex", "name": "x"},
            403,
            error("This API key does not belong to account 'globex'"),
        ),
    ],
)
async def test_create_refusals(
    client: httpx.AsyncClient,
    state: SandboxState,
    body: dict[str, Any],
    status: int,
    expected: dict[str, Any],
) -> None:
    response = await client.post("/api/assistants", json=body, headers=AUTH)
    assert (response.status_code, response.json()) == (status, expected)
    assert state.assistants == {}


@pytest.mark.parametrize(
    ("content", "content_type", "message"),
    [
        (b'{"accountSlug": "acme", "name": "x"}', "text/plain", "Content-Type must be application/json"),
        (b'{"accountSlug": "acme", "name": ', "application/json", "Request body is not valid JSON"),
        (b'{"accountSlug": "acme", "name": NaN}', "application/json", "Request body is not valid JSON"),
        (b'["acme"]', "application/json; charset=utf-8", "Request body must be a JSON object"),
    ],
)
async def test_bad_bodies_are_400(
    client: httpx.AsyncClient, content: bytes, content_type: str, message: str
) -> None:
    headers = {**AUTH, "Content-Type": content_type}
    response = await client.post("/api/assistants", content=content, headers=headers)
    assert (response.status_code, response.json()) == (400, error(message))


# ----- retrieve, missing list, unknown routes -----


async def test_get_assistant(client: httpx.AsyncClient) -> None:
    made = await create(client)
    for params in ({}, {"accountSlug": "acme"}):
        response = await client.get(f"/api/assistants/{made['id']}", params=params, headers=AUTH)
        assert response.status_code == 200
        assert response.json() == {"success": True, "assistant": made}


async def test_get_refusals(client: httpx.AsyncClient) -> None:
    made = await create(client)
    foreign = await client.get(f"/api/assistants/{made['id']}", headers=GLOBEX_AUTH)
    assert (foreign.status_code, foreign.json()) == (
        403,
        error(f"Assistant {made['id']} belongs to another account"),
    )
    slug = await client.get(f"/api/assistants/{made['id']}", params={"accountSlug": "globex"}, headers=AUTH)
    assert (slug.status_code, slug.json()) == (403, error("This API key does not belong to account 'globex'"))
    missing = await client.get("/api/assistants/asst_01jnope", headers=AUTH)
    assert (missing.status_code, missing.json()) == (404, error("Assistant asst_01jnope not found"))


async def test_there_is_no_list_endpoint(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/assistants", headers=AUTH)
    assert (response.status_code, response.json()) == (404, {"success": False, "error": "Not found"})
    other = await client.get("/api/phone-numbers", headers=AUTH)
    assert (other.status_code, other.json()) == (404, {"success": False, "error": "Not found"})
    deleted = await client.delete("/api/assistants/asst_01jx", headers=AUTH)
    assert (deleted.status_code, deleted.json()) == (405, {"success": False, "error": "Method not allowed"})


# ----- update -----


async def test_patch_saves_and_returns_the_record(client: httpx.AsyncClient, state: SandboxState) -> None:
    made = await create(client, template="outbound-setter")
    changes = {
        "name": "Renamed",
        "temperature": 2,
        "max_tokens": 1,
        "recording_enabled": False,
        "voice_id": None,
        "language": "de",
        "transcriptor_options": {"keyterms": ["Talkturo"]},  # unknown to us: kept as sent
    }
    response = await client.patch(
        f"/api/assistants/{made['id']}", json={"accountSlug": "acme", **changes}, headers=AUTH
    )
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    saved = body["assistant"]
    assert saved == {**made, **changes, "updated_at": saved["updated_at"]}
    assert saved["updated_at"] > made["updated_at"]
    assert saved["created_at"] == made["created_at"]
    again = await client.get(f"/api/assistants/{made['id']}", headers=AUTH)
    assert again.json()["assistant"] == saved == state.assistants[made["id"]]

    second = await client.patch(
        f"/api/assistants/{made['id']}", json={"accountSlug": "acme", "temperature": 0.1}, headers=AUTH
    )
    assert second.json()["assistant"]["updated_at"] > saved["updated_at"]


async def test_patch_may_echo_read_only_keys_unchanged(client: httpx.AsyncClient) -> None:
    made = await create(client)
    same = await client.patch(
        f"/api/assistants/{made['id']}",
        json={"accountSlug": "acme", "id": made["id"], "type": "custom", "name": "Echo"},
        headers=AUTH,
    )
    assert same.status_code == 200
    changed = await client.patch(
        f"/api/assistants/{made['id']}", json={"accountSlug": "acme", "type": "follow-up"}, headers=AUTH
    )
    assert (changed.status_code, changed.json()) == (400, error("type is read-only"))


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("temperature", 2.5, "temperature must be a number between 0.0 and 2.0, got 2.5"),
        ("temperature", -0.1, "temperature must be a number between 0.0 and 2.0, got -0.1"),
        ("temperature", "0.5", "temperature must be a number between 0.0 and 2.0, got '0.5'"),
        ("temperature", True, "temperature must be a number between 0.0 and 2.0, got True"),
        ("max_tokens", 0, "max_tokens must be an integer >= 1, got 0"),
        ("max_tokens", 1.5, "max_tokens must be an integer >= 1, got 1.5"),
        ("max_tokens", True, "max_tokens must be an integer >= 1, got True"),
        ("max_tokens", "10", "max_tokens must be an integer >= 1, got '10'"),
        ("recording_enabled", "yes", "recording_enabled must be a boolean, got 'yes'"),
        ("inbound_enabled", 1, "inbound_enabled must be a boolean, got 1"),
        ("outbound_enabled", None, None),  # null clears: accepted
        ("voice_id", 5, "voice_id must be a string or null, got 5"),
        ("system_prompt", ["x"], "system_prompt must be a string or null, got ['x']"),
        ("name", "", "name must be a non-empty string"),
        ("name", None, "name must be a non-empty string"),
        ("id", "asst_01jother", "id is read-only"),
    ],
)
async def test_patch_validation(
    client: httpx.AsyncClient, state: SandboxState, key: str, value: Any, message: str | None
) -> None:
    made = await create(client)
    response = await client.patch(
        f"/api/assistants/{made['id']}", json={"accountSlug": "acme", key: value}, headers=AUTH
    )
    if message is None:
        assert response.status_code == 200
        return
    assert (response.status_code, response.json()) == (400, error(message))
    assert state.assistants[made["id"]] == made


async def test_patch_refusals(client: httpx.AsyncClient) -> None:
    made = await create(client)
    url = f"/api/assistants/{made['id']}"
    no_slug = await client.patch(url, json={"name": "x"}, headers=AUTH)
    assert (no_slug.status_code, no_slug.json()) == (400, error("accountSlug is required"))
    foreign = await client.patch(url, json={"accountSlug": "globex", "name": "x"}, headers=GLOBEX_AUTH)
    assert foreign.status_code == 403
    missing = await client.patch("/api/assistants/asst_01jnope", json={"accountSlug": "acme"}, headers=AUTH)
    assert missing.status_code == 404
    no_auth = await client.patch(url, json={"accountSlug": "acme", "name": "x"})
    assert (no_auth.status_code, no_auth.json()) == (401, {"error": "Unauthorized"})


# ----- phone numbers -----


def test_seeded_numbers(state: SandboxState) -> None:
    acme, globex = state.accounts["acme"], state.accounts["globex"]
    assert len(acme.number_ids) == 5 and len(globex.number_ids) == 3
    phones = acme.phone_numbers + globex.phone_numbers
    assert len(set(phones)) == len(phones)
    for number_id, phone in zip(acme.number_ids, acme.phone_numbers, strict=True):
        assert re.fullmatch(r"pn_[0-9a-f]{12}", number_id)
        assert re.fullmatch(r"\+1415555\d{4}", phone)
        record = state.numbers[number_id]
        assert list(record) == NUMBER_KEYS
        assert (record["provider"], record["is_trial"], record["assistant_id"]) == ("talkturo", False, None)
    statuses = [state.numbers[i]["status"] for i in acme.number_ids]
    assert statuses == ["active"] * 4 + ["suspended"]


async def assign(
    client: httpx.AsyncClient, assistant_id: str, ids: list[str], token: str = ACME
) -> httpx.Response:
    slug = "acme" if token == ACME else "globex"
    return await client.patch(
        f"/api/assistants/{assistant_id}/telephony/phone-numbers",
        json={"accountSlug": slug, "phoneNumberIds": ids},
        headers={"Authorization": f"Bearer {token}"},
    )


async def test_assign_replaces_the_whole_set(client: httpx.AsyncClient, state: SandboxState) -> None:
    made = await create(client, name="Setter")
    n = state.accounts["acme"].number_ids
    first = await assign(client, made["id"], [n[0], n[1], n[0]])
    assert first.status_code == 200
    assert first.json() == {
        "success": True,
        "message": f"Assistant {made['id']} now has 2 phone number(s)",
        "phoneNumberIds": [n[0], n[1]],
    }
    assert [state.numbers[i]["assistant_id"] for i in n] == [made["id"], made["id"], None, None, None]
    after_first = state.assistants[made["id"]]["updated_at"]
    assert after_first > made["updated_at"]

    second = await assign(client, made["id"], [n[1], n[2]])
    assert second.json()["phoneNumberIds"] == [n[1], n[2]]
    assert [state.numbers[i]["assistant_id"] for i in n] == [None, made["id"], made["id"], None, None]

    cleared = await assign(client, made["id"], [])
    assert cleared.json() == {
        "success": True,
        "message": f"Assistant {made['id']} now has 0 phone number(s)",
        "phoneNumberIds": [],
    }
    assert all(state.numbers[i]["assistant_id"] is None for i in n)
    assert state.assistants[made["id"]]["updated_at"] > after_first


async def test_assign_refusals(client: httpx.AsyncClient, state: SandboxState) -> None:
    holder = await create(client, name="Holder")
    other = await create(client, name="Other")
    acme, globex = state.accounts["acme"], state.accounts["globex"]
    assert (await assign(client, holder["id"], [acme.number_ids[0]])).status_code == 200
    before = {i: dict(r) for i, r in state.numbers.items()}

    unknown = await assign(client, other["id"], [acme.number_ids[1], "pn_000000000000"])
    assert (unknown.status_code, unknown.json()) == (400, error("Unknown phone number id: pn_000000000000"))
    foreign = await assign(client, other["id"], [globex.number_ids[0]])
    assert (foreign.status_code, foreign.json()) == (
        400,
        error(f"Unknown phone number id: {globex.number_ids[0]}"),
    )
    suspended = await assign(client, other["id"], [acme.number_ids[4]])
    assert (suspended.status_code, suspended.json()) == (
        400,
        error(f"Phone number {acme.phone_numbers[4]} is not active (status: suspended)"),
    )
    taken = await assign(client, other["id"], [acme.number_ids[1], acme.number_ids[0]])
    assert (taken.status_code, taken.json()) == (
        409,
        error(
            f"Phone number {acme.phone_numbers[0]} is assigned to assistant Holder ({holder['id']})",
            assistantId=holder["id"],
        ),
    )
    not_a_list = await assign(client, other["id"], "pn_1")  # type: ignore[arg-type]
    assert (not_a_list.status_code, not_a_list.json()) == (
        400,
        error("phoneNumberIds must be a list of phone number ids"),
    )
    foreign_assistant = await assign(client, holder["id"], [globex.number_ids[0]], token=GLOBEX)
    assert foreign_assistant.status_code == 403
    assert state.numbers == before  # all-or-nothing


async def test_a_held_number_may_stay_after_suspension(
    client: httpx.AsyncClient, state: SandboxState
) -> None:
    made = await create(client)
    n = state.accounts["acme"].number_ids
    await assign(client, made["id"], [n[0]])
    state.set_number_status(n[0], "suspended")
    response = await assign(client, made["id"], [n[0], n[1]])
    assert response.status_code == 200
    assert state.numbers[n[0]]["assistant_id"] == made["id"]


async def test_list_numbers_shows_active_free_or_own(client: httpx.AsyncClient, state: SandboxState) -> None:
    mine = await create(client, name="Mine")
    theirs = await create(client, name="Theirs")
    n = state.accounts["acme"].number_ids
    await assign(client, mine["id"], [n[0]])
    await assign(client, theirs["id"], [n[1]])
    response = await client.get(
        f"/api/assistants/{mine['id']}/telephony/phone-numbers", params={"accountSlug": "acme"}, headers=AUTH
    )
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["success", "numbers"] and body["success"] is True
    assert body["numbers"] == [state.numbers[i] for i in (n[0], n[2], n[3])]
    assert all(list(item) == NUMBER_KEYS for item in body["numbers"])
    assert body["numbers"][0]["assistant_id"] == mine["id"]

    foreign = await client.get(f"/api/assistants/{mine['id']}/telephony/phone-numbers", headers=GLOBEX_AUTH)
    assert foreign.status_code == 403
    missing = await client.get("/api/assistants/asst_01jnope/telephony/phone-numbers", headers=AUTH)
    assert missing.status_code == 404


# ----- faults, latency, counts -----


async def test_status_fault_then_normal(client: httpx.AsyncClient, state: SandboxState) -> None:
    made = await create(client)
    state.inject_fault("get_assistant", status=503, times=2)
    url = f"/api/assistants/{made['id']}"
    for _ in range(2):
        response = await client.get(url, headers=AUTH)
        assert (response.status_code, response.json()) == (503, error("Service Unavailable"))
        assert "retry-after" not in response.headers
    ok = await client.get(url, headers=AUTH)
    assert (ok.status_code, ok.json()) == (200, {"success": True, "assistant": made})
    assert state.calls["get_assistant"] == 3


async def test_faults_apply_in_order_and_before_auth(client: httpx.AsyncClient, state: SandboxState) -> None:
    state.inject_fault("test_api_key", status=500)
    state.inject_fault("test_api_key", status=429, retry_after=7)
    first = await client.get("/api/test-api-key")  # no token: the proxy answers first
    assert (first.status_code, first.json()) == (500, error("Internal Server Error"))
    second = await client.get("/api/test-api-key", headers=AUTH)
    assert (second.status_code, second.json()) == (429, error("Too Many Requests"))
    assert second.headers["retry-after"] == "7"
    third = await client.get("/api/test-api-key", headers=AUTH)
    assert third.status_code == 200


async def test_html_fault(client: httpx.AsyncClient, state: SandboxState) -> None:
    state.inject_fault("test_api_key", status=502, html=True, retry_after=0.5)
    response = await client.get("/api/test-api-key", headers=AUTH)
    assert response.status_code == 502
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["retry-after"] == "0.5"
    assert "<h1>502 Bad Gateway</h1>" in response.text
    with pytest.raises(ValueError):
        response.json()


async def test_after_apply_fault_makes_the_change(client: httpx.AsyncClient, state: SandboxState) -> None:
    state.inject_fault("create_assistant", status=504, after_apply=True)
    response = await client.post(
        "/api/assistants", json={"accountSlug": "acme", "name": "Lost"}, headers=AUTH
    )
    assert (response.status_code, response.json()) == (504, error("Gateway Timeout"))
    assert [a["name"] for a in state.assistants.values()] == ["Lost"]
    assert state.calls["create_assistant"] == 1


def test_inject_fault_checks_its_arguments(state: SandboxState) -> None:
    with pytest.raises(ValueError, match="unknown endpoint"):
        state.inject_fault("list_assistants", status=503)
    with pytest.raises(ValueError, match="times"):
        state.inject_fault("get_assistant", times=0)
    with pytest.raises(ValueError, match="status"):
        state.inject_fault("get_assistant", status=99)
    assert state.inject_fault("get_assistant", timeout=True).status == 504


async def test_latency(client: httpx.AsyncClient, state: SandboxState) -> None:
    state.set_latency(0.2)
    start = time.monotonic()
    assert (await client.get("/api/test-api-key", headers=AUTH)).status_code == 200
    assert time.monotonic() - start >= 0.2
    state.set_latency(0.0, endpoint="test_api_key")  # one endpoint overrides the global delay
    start = time.monotonic()
    await client.get("/api/test-api-key", headers=AUTH)
    assert time.monotonic() - start < 0.15
    assert state.latency_for("get_assistant") == 0.2


async def test_counts_and_reset(client: httpx.AsyncClient, state: SandboxState) -> None:
    made = await create(client)
    await client.get("/api/test-api-key")  # refused calls count too
    await client.get(f"/api/assistants/{made['id']}", headers=AUTH)
    state.inject_fault("get_assistant", status=503, times=5)
    state.set_latency(1.0)
    assert dict(state.calls) == {"create_assistant": 1, "test_api_key": 1, "get_assistant": 1}
    state.reset()
    assert state.calls == {}
    assert state.latency_for("get_assistant") == 0.0
    response = await client.get(f"/api/assistants/{made['id']}", headers=AUTH)
    assert response.status_code == 200
    assert made["id"] in state.assistants


async def test_control_api(client: httpx.AsyncClient, state: SandboxState) -> None:
    created = await client.post(
        "/_sandbox/accounts", json={"slug": "initech", "token": "tk_test_initech", "numbers": 2}
    )
    assert created.status_code == 200
    account = created.json()["account"]
    assert list(account) == ["slug", "account_id", "number_ids", "phone_numbers"]
    assert account["number_ids"] == state.accounts["initech"].number_ids and len(account["number_ids"]) == 2
    assert "tk_test_initech" not in created.text
    dup = await client.post("/_sandbox/accounts", json={"slug": "initech", "token": "tk_other"})
    assert (dup.status_code, dup.json()) == (409, error("account 'initech' already exists"))

    initech = {"Authorization": "Bearer tk_test_initech"}
    fault = await client.post(
        "/_sandbox/faults", json={"endpoint": "test_api_key", "status": 503, "times": 1}
    )
    assert fault.status_code == 200
    assert fault.json()["fault"]["status"] == 503
    assert (await client.get("/api/test-api-key", headers=initech)).status_code == 503
    assert (await client.get("/api/test-api-key", headers=initech)).status_code == 200

    bad = await client.post("/_sandbox/faults", json={"endpoint": "test_api_key", "colour": "red"})
    assert (bad.status_code, bad.json()) == (400, error("unknown fault argument(s): colour"))
    bad_endpoint = await client.post("/_sandbox/faults", json={"endpoint": "nope"})
    assert bad_endpoint.status_code == 400

    latency = await client.post("/_sandbox/latency", json={"seconds": 0.05, "endpoint": "get_assistant"})
    assert latency.json() == {"success": True}
    assert state.latency_for("get_assistant") == 0.05

    calls = await client.get("/_sandbox/calls")
    assert calls.json() == {"calls": {name: 2 if name == "test_api_key" else 0 for name in ENDPOINTS}}
    assert (await client.post("/_sandbox/reset")).json() == {"success": True}
    assert (await client.get("/_sandbox/calls")).json() == {"calls": dict.fromkeys(ENDPOINTS, 0)}
    assert state.latency_for("get_assistant") == 0.0


# ----- over real HTTP -----


async def test_over_real_http_with_a_hanging_call(state: SandboxState) -> None:
    with AsgiServer(create_app(state)) as server:
        async with httpx.AsyncClient(base_url=f"{server.url}/api", headers=AUTH, timeout=5) as client:
            response = await client.post("/assistants", json={"accountSlug": "acme", "name": "Wire"})
            assert response.status_code == 200
            made = response.json()["assistant"]

            state.inject_fault("get_assistant", timeout=True)
            start = time.monotonic()
            with pytest.raises(httpx.ReadTimeout):
                await client.get(f"/assistants/{made['id']}", timeout=0.3)
            assert time.monotonic() - start < 2

            again = await client.get(f"/assistants/{made['id']}")
            assert again.json() == {"success": True, "assistant": made}
            assert state.calls["get_assistant"] == 2
        stop_started = time.monotonic()
    assert time.monotonic() - stop_started < 5  # the abandoned hang does not hold the server


def test_python_m_bot_sandbox() -> None:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.sandbox", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for_port(port)
        response = httpx.get(
            f"http://127.0.0.1:{port}/api/test-api-key",
            params={"accountSlug": "demo"},
            headers={"Authorization": f"Bearer {DEMO_TOKEN}"},
        )
        assert (response.status_code, response.json()) == (
            200,
            {"success": True, "message": "API key is valid"},
        )
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=10)
    assert out.splitlines()[0] == (
        f"Talkturo sandbox at http://127.0.0.1:{port}/api (account 'demo', token {DEMO_TOKEN})"
    )
