"""Bad input over the real HTTP endpoint: forged, unsigned and stale requests are refused with 401 and
change nothing; the catalogue of bad commands gets specific answers and never reaches Talkturo."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.grammar import SUBCOMMANDS
from bot.slackfake import SignedRequest, SlackRequests
from bot.ui.ids import Action
from tests.e2e.trust import ack_text, quiet, redis_dump, talkturo_calls, with_sales_agent, writes
from tests.e2e.world import ADMIN, CHANNEL, MEMBER, SIGNING_SECRET, World, text_of
from tests.test_bad_inputs import CATALOGUE, check_message
from tests.test_grammar import BAD as GRAMMAR_BAD

WRITE_COMMANDS = (
    "set", "hset", "hdel", "del", "unlink", "expire", "eval", "evalsha", "exec", "multi", "flushall",
    "flushdb", "getdel", "getex", "hsetnx", "incr", "rename", "restore", "setex", "psetex", "copy",
)  # fmt: skip


# --- forged, unsigned and stale requests ------------------------------------------------------------


def _strip(request: SignedRequest, *names: str) -> SignedRequest:
    return SignedRequest(request.body, {k: v for k, v in request.headers.items() if k not in names})


def _with(request: SignedRequest, **headers: str) -> SignedRequest:
    changed = {name.replace("_", "-"): value for name, value in headers.items()}
    return SignedRequest(request.body, {**request.headers, **changed})


Forge = Callable[[SlackRequests, SlackRequests, SlackRequests, SignedRequest], SignedRequest]
FORGERIES: dict[str, Forge] = {
    # (genuine requests, requests signed with another secret, requests signed 6 minutes ago, a genuine one)
    "wrong secret": lambda genuine, forged, stale, real: forged_like(forged, real),
    "unsigned": lambda genuine, forged, stale, real: _strip(
        real, "x-slack-signature", "x-slack-request-timestamp"
    ),
    "no signature": lambda genuine, forged, stale, real: _strip(real, "x-slack-signature"),
    "no timestamp": lambda genuine, forged, stale, real: _strip(real, "x-slack-request-timestamp"),
    "stale (6 min)": lambda genuine, forged, stale, real: forged_like(stale, real),
    "future (6 min)": lambda genuine, forged, stale, real: SignedRequest(
        real.body, {**real.headers, **genuine.sign(real.body, int(time.time()) + 360)}
    ),
    "tampered body": lambda genuine, forged, stale, real: SignedRequest(
        real.body.replace(b"Sales", b"Sa1es") + b"&x=1", real.headers
    ),
    "garbage signature": lambda genuine, forged, stale, real: _with(real, x_slack_signature="v0=deadbeef"),
    "v1 scheme": lambda genuine, forged, stale, real: _with(
        real, x_slack_signature="v1=" + real.headers["x-slack-signature"][3:]
    ),
    "non-numeric timestamp": lambda genuine, forged, stale, real: _with(
        real, x_slack_request_timestamp="yesterday"
    ),
    "empty signature": lambda genuine, forged, stale, real: _with(real, x_slack_signature=""),
}


JSON, FORM = "application/json", "application/x-www-form-urlencoded"
JUNK = [
    (b"{not json", JSON),
    (b"[1, 2, 3]", JSON),
    (b"null", JSON),
    (b'"a string"', JSON),
    (b"123", JSON),
    (b"{", "text/plain"),
    (b"payload=%7Bbroken", FORM),
    (b"payload=%5B1%5D", FORM),
    (b"payload=null", FORM),
    (b"\xff\xfe\x00garbage", FORM),
    (b"command=/talkturo&text=set x temperature=1", FORM),
]


def forged_like(signer: SlackRequests, real: SignedRequest) -> SignedRequest:
    """The genuine body, signed by `signer` (another secret, or a clock 6 minutes behind)."""
    headers = dict(real.headers)
    headers.update(signer.sign(real.body))
    return SignedRequest(real.body, headers)


@pytest.fixture
def connected(world: World) -> Iterator[World]:
    yield with_sales_agent(world)


def test_forged_unsigned_and_stale_requests_are_refused_without_side_effects(connected: World) -> None:
    world = connected
    genuine = world.slack
    forged = SlackRequests(
        "not-the-signing-secret", team_id="T1", response_url_factory=world.fake.response_url
    )
    stale = SlackRequests(
        SIGNING_SECRET,
        team_id="T1",
        response_url_factory=world.fake.response_url,
        clock=lambda: time.time() - 360,
    )
    world.command('create "Forged Agent"')
    create_form = world.opened_view("talkturo.create")
    world.fake.clear()
    # Requests that would each change something if they were accepted.
    requests = {
        "set": genuine.command('set "Sales Agent" temperature=1.9', user_id=ADMIN, channel_id=CHANNEL),
        "permissions": genuine.command("permissions <@UMEMBER|max>", user_id=ADMIN, channel_id=CHANNEL),
        "create form": genuine.view_submission(create_form, user_id=ADMIN),
        "disconnect button": genuine.block_action(
            Action.CONFIRM_DISCONNECT, world.slug, user_id=ADMIN, channel_id=CHANNEL
        ),
        "uninstall event": genuine.event({"type": "app_uninstalled"}),
    }
    store = redis.Redis.from_url(world.settings.redis_url)
    before = redis_dump(world.settings.redis_url)
    store.config_resetstat()

    refused = 0
    for forgery, make in FORGERIES.items():
        for kind, real in requests.items():
            response = world.send(make(genuine, forged, stale, real))
            assert response.status_code == 401, (forgery, kind, response.status_code, response.text)
            refused += 1
    assert refused == len(FORGERIES) * len(requests) >= 50
    # Junk nobody signed, in shapes Bolt would choke on before it checks any signature.
    for body, content_type in JUNK:
        headers = {
            "content-type": content_type,
            "x-slack-request-timestamp": str(int(time.time())),
            "x-slack-signature": "v0=" + "0" * 64,
        }
        response = world.http.post(f"{world.bot.url}/slack/events", content=body, headers=headers)
        assert response.status_code == 401, (body[:40], response.status_code, response.text)
        refused += 1

    time.sleep(0.3)  # anything the bot started would have called out by now
    assert world.fake.calls() == [], "no Slack call"
    assert talkturo_calls(world) == 0, "no Talkturo call"
    stats = store.info("commandstats")
    store.close()
    assert not [c for c in WRITE_COMMANDS if f"cmdstat_{c}" in stats], stats
    assert redis_dump(world.settings.redis_url) == before, "no Redis write"

    # The genuine requests, sent as Slack would, do work: the forgeries failed for their forgery alone.
    world.send(requests["set"])
    world.reply("changed *Sales Agent*")


# --- the catalogue, through the HTTP endpoint -------------------------------------------------------

EVERY_BAD = [*CATALOGUE, *[(text, ()) for text, _ in GRAMMAR_BAD if text not in dict(CATALOGUE)]]


def test_the_catalogue_is_answered_in_the_ack_and_reaches_no_one(connected: World) -> None:
    world = connected
    answered = 0
    for text, fragments in EVERY_BAD:
        for user in (ADMIN, MEMBER):
            response = world.command(text, user=user)
            message = ack_text(response)
            check_message(message, fragments)
            answered += 1
    assert answered >= 200
    quiet(world, 0.1)
    # Parse errors travel in the ack: the bot asked nobody anything.
    assert talkturo_calls(world) == 0
    assert world.fake.calls() == []


# --- inputs only the bot or Talkturo can judge: the full flow ---------------------------------------


@pytest.fixture
def two_accounts(connected: World) -> Iterator[dict[str, Any]]:
    """A second Talkturo account with an assistant of its own: a foreign ID for this workspace."""
    world = connected
    n = len(world.sandbox.accounts)
    other = world.sandbox.add_account(f"foreign-{n}", token=f"tk_test_foreign_{n}", numbers=2)
    foreign = world.sandbox.create_assistant(other, {"accountSlug": other.slug, "name": "Their Agent"})
    world.sandbox.reset()
    yield {"id": foreign["id"], "record": dict(foreign), "numbers": other.phone_numbers}


def judged(world: World) -> list[tuple[str, str]]:
    own = world.assistant_ids()[0]
    suspended = world.phone_numbers[-1]  # the last seeded number is suspended
    return [
        ('show "Nobody Here"', "I don't know an assistant named *Nobody Here*"),
        ("show *bold* _it_ ~x~", "I don't know an assistant named **bold* _it_ ~x~*"),
        ("edit Nobody", "I don't know an assistant named *Nobody*"),
        ("numbers Nobody", "I don't know an assistant named"),
        ("unassign Nobody", "I don't know an assistant named"),
        ("set Nobody temperature=0.5", "I don't know an assistant named"),
        ("assign Nobody +14155550100", "I don't know an assistant named"),
        ("show payload", "I don't know an assistant named *payload*"),
        ("show the payload agent", "I don't know an assistant named *the payload agent*"),
        ("show \u202eevil", "I don't know an assistant named"),
        ("show Ｓａｌｅｓ Ａｇｅｎｔ", "I don't know an assistant named"),
        ("show asst_doesnotexist000", "Talkturo has no such assistant"),
        ("set asst_doesnotexist000 temperature=0.5", "Talkturo has no such assistant"),
        ("show 12345678-1234-1234-1234-123456789abc", "Talkturo has no such assistant"),
        (f"set {own}x temperature=0.5", "Talkturo has no such assistant"),
        ('set "Sales Agent" provider=skynet', "LLM provider can't be `skynet`: choose one of openai"),
        ('set "Sales Agent" voice_provider=bogus', "Voice provider can't be `bogus`"),
        ('set "Sales Agent" stt_provider=zzz temperature=0.5', "Transcriber provider can't be `zzz`"),
        ('assign "Sales Agent" +19995550100', "*+19995550100* is not a free, active number"),
        (f'assign "Sales Agent" {suspended}', f"*{suspended}* is not a free, active number"),
        ('set "Sales Agent" temperature=0.75 name="Sales Agent"', "Nothing to change"),
    ]


def _escaped_out(text: str) -> bool:
    """No live mention or markup from user text made it into the message."""
    return all(bad not in text for bad in ("<!channel>", "<!everyone>", "<!here>", "<b>", "<script", "<!sub"))


def test_inputs_judged_by_the_bot_get_a_clear_answer_and_send_no_invalid_value(
    connected: World, two_accounts: dict[str, Any]
) -> None:
    world = connected
    world.command('set "Sales Agent" temperature=0.75')
    world.reply("changed *Sales Agent*")
    quiet(world, 0.05)
    world.sandbox.reset()
    own_before = world.assistant(world.assistant_ids()[0])
    for text, expected in judged(world):
        world.fake.clear()
        world.command(text)
        answer = text_of(world.reply(expected))
        assert _escaped_out(answer), answer
    # Mentions and markup in a name are shown, not acted on.
    for text in ("show <!channel>", "show &lt;b&gt;Sales&lt;/b&gt;", "show <!subteam^S1|@all>"):
        world.fake.clear()
        world.command(text)
        answer = text_of(world.reply("I don't know an assistant named"))
        assert _escaped_out(answer) and "<!subteam" not in answer, answer
    quiet(world, 0.1)
    assert writes(world) == {}, "no invalid value was sent to Talkturo"
    assert world.assistant(world.assistant_ids()[0]) == own_before


def test_foreign_and_unknown_ids_change_nothing(connected: World, two_accounts: dict[str, Any]) -> None:
    """Another account's assistant: Talkturo answers 403, the bot says so, and nothing changes anywhere."""
    world = connected
    foreign = two_accounts["id"]
    for text in (
        f"show {foreign}",
        f"set {foreign} temperature=1.5",
        f"numbers {foreign}",
        f"unassign {foreign}",
        f"assign {foreign} {world.phone_numbers[0]}",
        f"assign {foreign} {two_accounts['numbers'][0]}",
    ):
        world.fake.clear()
        world.command(text)
        world.reply("That assistant belongs to another Talkturo account")
    world.fake.clear()
    world.command(f"edit {foreign}")
    deadline = time.monotonic() + 5
    while "belongs to another Talkturo account" not in str(world.fake.calls("views.update")):
        assert time.monotonic() < deadline, world.fake.calls()
        time.sleep(0.02)
    # A number ID Talkturo does not know: only Talkturo can tell (IDs are opaque), and it refuses.
    world.fake.clear()
    world.command('assign "Sales Agent" pn_000000000000')
    answer = text_of(world.reply("Talkturo refused the change"))
    assert "Nothing was changed." in answer
    quiet(world, 0.1)
    assert world.sandbox.assistants[foreign] == two_accounts["record"]
    assert world.sandbox.calls["update_assistant"] == 0
    assert world.sandbox.calls["create_assistant"] == 0
    assert all(world.holder_of(n) is None for n in world.number_ids)


# --- a cheap fuzz of the whole HTTP command path ----------------------------------------------------

_WORDS = st.sampled_from(
    [*SUBCOMMANDS, "Sales Agent", '"Sales Agent"', "temperature=", "max_tokens=", "=", '"', "'", "payload",
     "&lt;", "&gt;", "&amp;", "<!channel>", "<@UADMIN|ada>", "<#C1|c>", "+14155550100", "pn_1", "--template",
     "\u202e", "\x00", "%", "+", "&", "=="]
)  # fmt: skip


@pytest.fixture
def bot_errors(caplog: pytest.LogCaptureFixture) -> Iterator[Callable[[], list[str]]]:
    caplog.set_level(logging.WARNING)
    yield lambda: [
        r.getMessage() for r in caplog.records if r.name.startswith("bot") and r.levelno >= logging.ERROR
    ]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.one_of(st.text(max_size=120), st.lists(_WORDS, max_size=8).map(" ".join)))
def test_fuzz_the_http_command_path(connected: World, bot_errors: Callable[[], list[str]], text: str) -> None:
    response = connected.command(text, user=MEMBER)  # asserts HTTP 200
    assert len(response.content) < 40_000
    assert bot_errors() == []
