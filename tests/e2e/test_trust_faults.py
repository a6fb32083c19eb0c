"""Faults: Talkturo errors and timeouts on each endpoint, Redis stopped and started again, and the Slack
Web API rate limiting or refusing a channel. Safe calls are retried until the fault passes; otherwise
the person gets one clear sentence that says whether anything changed."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from bot.talkturo.client import RetryPolicy, TalkturoClient
from bot.talkturo.transport import AiohttpTransport
from tests.e2e.trust import quiet, with_sales_agent, writes
from tests.e2e.world import ADMIN, CHANNEL, World, running_world, text_of
from tests.support.servers import RedisServer

NOTHING = "Nothing was changed."
MAYBE = "It may have gone through anyway"
STORAGE = "The bot's storage (Redis) is unavailable right now"
TRANSIENT = [
    pytest.param({"status": 429}, id="429"),
    pytest.param({"status": 502}, id="502"),
    pytest.param({"status": 503, "html": True}, id="503-html"),
    pytest.param({"status": 504}, id="504"),
    pytest.param({"timeout": True}, id="timeout"),
]


class ShortClient(TalkturoClient):
    """The bot's client (same transport as `serve`) with a 0.5 s read timeout and quick retries, so a
    hang costs half a second. Made by the server in its own event loop."""

    def __init__(self) -> None:
        self._own_http = httpx.AsyncClient(
            timeout=httpx.Timeout(0.5, connect=1.0), transport=AiohttpTransport(max_connections=32)
        )
        super().__init__(self._own_http, retry=RetryPolicy(attempts=3, base=0.01, cap=0.05, budget=3.0))

    async def aclose(self) -> None:
        await self._own_http.aclose()


@pytest.fixture(scope="module")
def world_server(redis_server: RedisServer) -> Iterator[World]:
    with running_world(redis_server.url, talkturo=ShortClient) as world:
        yield world


@pytest.fixture
def ready(world: World) -> Iterator[World]:
    yield with_sales_agent(world)
    world.sandbox.reset()
    world.fake.clear_failures()


def sales_id(world: World) -> str:
    (assistant_id,) = world.assistant_ids()
    return assistant_id


def private_answers(world: World) -> list[str]:
    """What only the caller was told (response_url, ephemeral), after the bot settled."""
    quiet(world, 0.15)
    return [
        text_of(c)
        for c in world.fake.calls()
        if c.method in ("response_url", "chat.postEphemeral")
        and c.params.get("response_type") != "in_channel"
    ]


def one_answer(world: World, *fragments: str) -> str:
    world.reply(fragments[0])  # retries take a while; then nothing more may come
    answers = private_answers(world)
    assert len(answers) == 1, answers
    for fragment in fragments:
        assert fragment in answers[0], answers[0]
    return answers[0]


# --- Talkturo: safe calls are retried and succeed when the fault passes ---------------------------


@pytest.mark.parametrize("fault", TRANSIENT)
def test_show_retries_a_passing_fault_on_get_assistant(ready: World, fault: dict[str, object]) -> None:
    world = ready
    world.sandbox.inject_fault("get_assistant", **fault)  # type: ignore[arg-type]
    world.command('show "Sales Agent"')
    world.wait("chat.postMessage", where=lambda c: sales_id(world) in text_of(c))
    assert world.sandbox.calls["get_assistant"] == 2
    assert private_answers(world) == []


@pytest.mark.parametrize("fault", TRANSIENT)
def test_numbers_retries_a_passing_fault_on_list_numbers(ready: World, fault: dict[str, object]) -> None:
    world = ready
    world.sandbox.inject_fault("list_numbers", **fault)  # type: ignore[arg-type]
    world.command('numbers "Sales Agent"')
    world.reply(world.phone_numbers[0])
    assert world.sandbox.calls["list_numbers"] == 2


@pytest.mark.parametrize("fault", TRANSIENT)
def test_set_retries_a_passing_fault_on_update(ready: World, fault: dict[str, object]) -> None:
    world = ready
    world.sandbox.inject_fault("update_assistant", **fault)  # type: ignore[arg-type]
    world.command('set "Sales Agent" temperature=0.3')
    world.wait("chat.postMessage", where=lambda c: "changed *Sales Agent*" in text_of(c))
    assert world.sandbox.calls["update_assistant"] == 2
    assert world.assistant(sales_id(world))["temperature"] == 0.3
    assert private_answers(world) == []


@pytest.mark.parametrize("fault", TRANSIENT)
def test_assign_retries_a_passing_fault_on_assign_numbers(ready: World, fault: dict[str, object]) -> None:
    world = ready
    world.sandbox.inject_fault("assign_numbers", **fault)  # type: ignore[arg-type]
    world.command(f'assign "Sales Agent" {world.phone_numbers[0]}')
    world.wait("chat.postMessage", where=lambda c: "assigned numbers" in text_of(c))
    assert world.sandbox.calls["assign_numbers"] == 2
    assert world.holder_of(world.number_ids[0]) == sales_id(world)


@pytest.mark.parametrize("fault", TRANSIENT)
def test_connect_retries_a_passing_fault_on_the_credential_check(
    world: World, fault: dict[str, object]
) -> None:
    world.sandbox.inject_fault("test_api_key", **fault)  # type: ignore[arg-type]
    world.connect()  # waits for "connected this workspace"
    assert world.sandbox.calls["test_api_key"] == 2


def test_edit_form_retries_a_passing_fault_within_slacks_three_seconds(ready: World) -> None:
    world = ready
    world.command('edit "Sales Agent"')
    form = world.opened_view("talkturo.edit")
    world.sandbox.inject_fault("get_assistant", status=503)
    world.sandbox.inject_fault("update_assistant", timeout=True)
    response = world.submit(form, {"edit.temperature": "0.6"})
    assert response.text in ("", "null"), response.text  # saved: the modal closes
    world.reply("changed *Sales Agent*")
    assert world.assistant(sales_id(world))["temperature"] == 0.6


def test_retry_after_is_honoured(ready: World) -> None:
    world = ready
    world.sandbox.inject_fault("get_assistant", status=429, retry_after=1)
    started = time.monotonic()
    world.command('show "Sales Agent"')
    world.wait("chat.postMessage", where=lambda c: sales_id(world) in text_of(c))
    assert time.monotonic() - started >= 1.0
    assert world.sandbox.calls["get_assistant"] == 2


# --- Talkturo: when retrying cannot help, one sentence that says whether anything changed -------


@pytest.mark.parametrize(
    ("fault", "told"),
    [
        pytest.param({"status": 500}, "Talkturo had an internal error", id="500"),
        pytest.param({"status": 502, "times": 3}, "Talkturo had an internal error", id="502-persisting"),
        pytest.param(
            {"timeout": True, "times": 3}, "Talkturo did not answer in time", id="timeout-persisting"
        ),
        pytest.param(
            {"status": 429, "times": 3}, "Talkturo is rate limiting this account", id="429-persisting"
        ),
        pytest.param({"status": 404}, "Talkturo has no such assistant", id="404"),
        pytest.param({"status": 403}, "belongs to another Talkturo account", id="403"),
        pytest.param({"status": 401}, "refused this workspace's API token", id="401"),
    ],
)
def test_a_failing_read_says_nothing_changed(ready: World, fault: dict[str, object], told: str) -> None:
    world = ready
    world.sandbox.inject_fault("get_assistant", **fault)  # type: ignore[arg-type]
    world.command('set "Sales Agent" temperature=0.3')  # reads first, so nothing is sent
    one_answer(world, told, NOTHING)
    assert writes(world) == {}
    assert not world.posts(CHANNEL)


@pytest.mark.parametrize(
    ("endpoint", "command", "fault", "told", "applied"),
    [
        # A PATCH answered 500 (never resent) or still failing after its retries may have been applied.
        ("update_assistant", "set", {"status": 500, "after_apply": True}, MAYBE, True),
        ("update_assistant", "set", {"status": 502, "times": 3}, MAYBE, False),
        ("update_assistant", "set", {"timeout": True, "times": 3}, MAYBE, False),
        ("assign_numbers", "assign", {"status": 500, "after_apply": True}, MAYBE, True),
        ("assign_numbers", "assign", {"timeout": True, "times": 3}, MAYBE, False),
        # A refusal changed nothing.
        ("update_assistant", "set", {"status": 400}, NOTHING, False),
        ("assign_numbers", "assign", {"status": 400}, NOTHING, False),
        ("update_assistant", "set", {"status": 429, "times": 3}, NOTHING, False),
        ("assign_numbers", "assign", {"status": 409}, NOTHING, False),
    ],
    ids=[
        "set-500-applied",
        "set-502-persisting",
        "set-timeout-persisting",
        "assign-500-applied",
        "assign-timeout-persisting",
        "set-400",
        "assign-400",
        "set-429-persisting",
        "assign-409",
    ],
)
def test_a_failing_change_says_whether_it_went_through(
    ready: World, endpoint: str, command: str, fault: dict[str, object], told: str, applied: bool
) -> None:
    world = ready
    world.sandbox.inject_fault(endpoint, **fault)  # type: ignore[arg-type]
    if command == "set":
        world.command('set "Sales Agent" temperature=0.3')
    else:
        world.command(f'assign "Sales Agent" {world.phone_numbers[0]}')
    one_answer(world, told)
    assert not world.posts(CHANNEL), "no change notice for a change the bot cannot confirm"
    if command == "set":
        assert (world.assistant(sales_id(world))["temperature"] == 0.3) is applied
        assert world.sandbox.calls[endpoint] == int(fault.get("times", 1))  # type: ignore[call-overload]
    else:
        assert (world.holder_of(world.number_ids[0]) == sales_id(world)) is applied


@pytest.mark.parametrize(
    ("fault", "told", "outcome", "applied"),
    [
        pytest.param({"status": 500, "after_apply": True}, "internal error", MAYBE, True, id="500-applied"),
        pytest.param({"status": 500}, "internal error", MAYBE, False, id="500"),
        pytest.param({"status": 502}, "internal error", MAYBE, False, id="502"),
        pytest.param({"status": 503}, "internal error", MAYBE, False, id="503"),
        pytest.param({"status": 504, "html": True}, "internal error", MAYBE, False, id="504-html"),
        pytest.param({"timeout": True}, "did not answer in time", MAYBE, False, id="timeout"),
        pytest.param({"status": 429}, "rate limiting this account", NOTHING, False, id="429"),
        pytest.param({"status": 400}, "Talkturo refused the change", NOTHING, False, id="400"),
    ],
)
def test_create_is_never_resent_and_says_whether_it_went_through(
    ready: World, fault: dict[str, object], told: str, outcome: str, applied: bool
) -> None:
    world = ready
    before = set(world.assistant_ids())
    world.command('create "Second Agent"')
    form = world.opened_view("talkturo.create")
    world.sandbox.inject_fault("create_assistant", **fault)  # type: ignore[arg-type]
    world.submit(form)
    one_answer(world, told, outcome)
    assert world.sandbox.calls["create_assistant"] == 1, "a create is never sent twice"
    assert (len(set(world.assistant_ids()) - before) == 1) is applied
    assert not world.posts(CHANNEL)


@pytest.mark.parametrize(
    ("fault", "field_error"),
    [
        pytest.param({"status": 500}, "Talkturo had an internal error", id="500"),
        pytest.param({"timeout": True, "times": 5}, "No Talkturo API answered", id="timeout"),
        pytest.param({"status": 401}, "Talkturo refused this API key", id="401"),
    ],
)
def test_connect_that_cannot_be_checked_saves_nothing(
    world: World, fault: dict[str, object], field_error: str
) -> None:
    world.command("connect")
    form = world.opened_view("talkturo.connect")
    world.sandbox.inject_fault("test_api_key", **fault)  # type: ignore[arg-type]
    response = world.submit(form, {"connect.slug": world.slug, "connect.token": world.token})
    ack = world.ack(response)
    assert ack.get("response_action") == "errors", ack
    assert any(field_error in message for message in ack["errors"].values()), ack
    world.fake.clear()
    world.command("status")
    world.reply("isn't connected to Talkturo yet")


# --- Redis stopped, then started again on the same port -----------------------------------------


def test_redis_down_answers_storage_unavailable_and_recovers_without_restart(
    ready: World, redis_server: RedisServer
) -> None:
    world = ready
    world.command('create "Third Agent"')
    create_form = world.opened_view("talkturo.create")
    world.command("connect")
    connect_form = world.opened_view("talkturo.connect")
    world.fake.clear()
    ready_url = f"{world.bot.url}/readyz"

    redis_server.stop()
    try:
        assert world.http.get(ready_url).status_code == 503
        for text in ('show "Sales Agent"', "list", "status", 'set "Sales Agent" temperature=0.3', "create x"):
            world.fake.clear()
            world.command(text)
            one_answer(world, STORAGE, "nothing was read or changed")
        # Forms opened before Redis went away say so in the form, and save nothing.
        for form, values in (
            (create_form, {}),
            (connect_form, {"connect.slug": world.slug, "connect.token": world.token}),
        ):
            ack = world.ack(world.submit(form, values))
            assert ack.get("response_action") == "update", ack
            assert STORAGE in str(ack["view"]), ack
        # An event cannot be claimed: Slack gets an error, so it delivers the event again later.
        event = world.slack.event({"type": "app_uninstalled"}, event_id="Ev0REDIS01")
        assert world.send(event).status_code >= 500
        assert writes(world) == {}
    finally:
        redis_server.start()

    # Back without restarting the bot; what was stored before is all there (append-only file).
    assert world.http.get(ready_url).status_code == 200
    world.fake.clear()
    world.command("status")
    world.reply(f"Connected to Talkturo account *{world.slug}*")
    world.command("list")
    world.reply("Sales Agent")
    world.command('set "Sales Agent" temperature=0.3')
    world.wait("chat.postMessage", where=lambda c: "changed *Sales Agent*" in text_of(c))
    assert world.sandbox.calls["create_assistant"] == 0
    # Slack's redelivery of the event that failed is now handled.
    retry = world.slack.event({"type": "app_uninstalled"}, event_id="Ev0REDIS01", retry_num=1)
    assert world.send(retry).status_code == 200
    world.fake.clear()
    world.command("status")
    world.reply("isn't connected to Talkturo yet")


def test_data_survives_a_redis_restart(ready: World, redis_server: RedisServer) -> None:
    world = ready
    world.command("notify <#CAUDIT|audit>")
    world.reply("set <#CAUDIT>")
    world.command(f'assign "Sales Agent" {world.phone_numbers[0]}')
    world.reply("assigned numbers")
    redis_server.stop()
    redis_server.start()
    world.fake.clear()
    world.command("status")
    status = text_of(world.reply(f"Connected to Talkturo account *{world.slug}*"))
    assert "<#CAUDIT>" in status and "…" + world.token[-4:] in status
    world.command("list")
    assert world.phone_numbers[0] in text_of(world.reply("Sales Agent"))
    world.command('show "Sales Agent"')  # the name index survived too
    world.wait("chat.postMessage", where=lambda c: sales_id(world) in text_of(c))


def test_redis_lost_after_talkturo_changed_still_reports_the_change(
    ready: World, redis_server: RedisServer
) -> None:
    """Talkturo applied the change, then Redis failed before the registry was refreshed: the person must
    hear that the change was made, not that nothing changed."""
    world = ready
    world.sandbox.set_latency(0.3, "update_assistant")  # below the 0.5 s timeout
    world.command('set "Sales Agent" temperature=0.3')
    deadline = time.monotonic() + 5
    while world.sandbox.calls["update_assistant"] == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    redis_server.stop()
    try:
        world.reply("changed *Sales Agent*")
        assert world.assistant(sales_id(world))["temperature"] == 0.3
        assert not any(NOTHING in a or "nothing was read or changed" in a for a in private_answers(world))
    finally:
        redis_server.start()


# --- Slack Web API ---------------------------------------------------------------------------------


def test_slack_rate_limit_is_retried_by_slack_sdk(ready: World) -> None:
    world = ready
    world.fake.fail("chat.postMessage", "ratelimited", times=1, status=429, retry_after=0)
    world.command('show "Sales Agent"')
    calls = world.wait("chat.postMessage", count=2)
    assert [c.status for c in calls] == [429, 200]
    quiet(world)
    assert len(world.posts(CHANNEL)) == 1, "recorded twice, delivered once"


@pytest.mark.parametrize("error", ["not_in_channel", "channel_not_found"])
def test_a_channel_the_bot_cannot_post_in_falls_back_to_the_caller(ready: World, error: str) -> None:
    world = ready
    world.fake.channel_error(CHANNEL, error)
    world.command('show "Sales Agent"')
    summary = world.reply(sales_id(world))
    assert summary.method == "response_url" and summary.params.get("response_type") == "in_channel"
    world.fake.clear()
    world.command('set "Sales Agent" temperature=0.3')
    notice = world.reply("changed *Sales Agent*")
    assert notice.method == "response_url"


def test_without_channel_and_response_url_the_answer_arrives_as_a_direct_message(ready: World) -> None:
    world = ready
    world.fake.channel_error(CHANNEL, "channel_not_found", methods=("chat.postMessage", "chat.postEphemeral"))
    gone = f"{world.fake.base_url}/response/gone"  # answers 404 like a used-up response_url
    world.command('show "Nobody Here"', response_url=gone)
    dm = world.reply("I don't know an assistant named")
    assert dm.method == "chat.postMessage" and dm.params["channel"] == ADMIN
    world.fake.clear()
    world.command('show "Sales Agent"', response_url=gone)
    dm = world.reply(sales_id(world))
    assert dm.params["channel"] == ADMIN and "invite me" in text_of(dm)
