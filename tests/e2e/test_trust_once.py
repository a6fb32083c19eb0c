"""Exactly once: a form submitted twice (double click, redelivery) changes Talkturo once; an event
redelivered with X-Slack-Retry-Num is handled once (Redis SET NX EX keyed by view or event ID)."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from bot.slackfake import SignedRequest
from tests.e2e.trust import quiet
from tests.e2e.world import World, text_of


def twice_at_once(world: World, first: SignedRequest, second: SignedRequest) -> list[httpx.Response]:
    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(world.send, (first, second)))


def notices(world: World, words: str) -> int:
    return len([c for c in world.fake.calls("chat.postMessage") if c.ok and words in text_of(c)])


def test_a_create_submitted_twice_creates_one_assistant(world: World) -> None:
    world.connect()
    before = set(world.sandbox.assistants)
    world.command('create "Sales Agent" --template follow-up')
    view = world.opened_view("talkturo.create")

    # The same delivery twice (a redelivery), then two deliveries at the same moment (a double click).
    request = world.slack.view_submission(view, user_id="UADMIN")
    for response in (world.send(request), world.send(request)):
        assert response.status_code == 200 and response.text in ("", "null")
    again = [world.slack.view_submission(view, user_id="UADMIN") for _ in range(2)]
    assert all(r.status_code == 200 for r in twice_at_once(world, *again))

    world.wait("chat.postMessage", where=lambda c: "created" in text_of(c))
    quiet(world)
    assert world.sandbox.calls["create_assistant"] == 1
    assert len(set(world.sandbox.assistants) - before) == 1
    assert notices(world, "created") == 1


def test_a_new_form_creates_again(world: World) -> None:
    """The guard is per form, not per name: opening the form again and submitting creates another."""
    world.connect()
    world.create("Sales Agent")
    world.create("Sales Agent")
    assert world.sandbox.calls["create_assistant"] == 2


def test_an_edit_and_an_assignment_submitted_twice_change_once(world: World) -> None:
    world.connect()
    assistant_id = world.create("Sales Agent")
    world.command('edit "Sales Agent"')
    form = world.opened_view("talkturo.edit")
    submissions = [world.slack.view_submission(form, {"edit.temperature": "0.4"}, user_id="UADMIN")] * 2
    twice_at_once(world, *submissions)
    world.reply("changed *Sales Agent*")

    world.command('assign "Sales Agent"')
    form = world.opened_view("talkturo.assign")
    submissions = [
        world.slack.view_submission(form, {"assign.numbers": world.number_ids[:2]}, user_id="UADMIN")
    ]
    twice_at_once(world, submissions[0], submissions[0])
    world.reply("assigned numbers")

    quiet(world)
    assert world.sandbox.calls["update_assistant"] == 1
    assert world.sandbox.calls["assign_numbers"] == 1
    assert notices(world, "changed *Sales Agent*") == 1
    assert notices(world, "assigned numbers") == 1
    assert world.sandbox.assistants[assistant_id]["temperature"] == 0.4


@pytest.mark.parametrize("event_type", ["app_uninstalled", "tokens_revoked"])
def test_a_redelivered_event_is_handled_once(
    world: World, event_type: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.events")
    world.connect()
    event = {"type": event_type, "event_ts": "1700000000.000100"}
    if event_type == "tokens_revoked":
        event["tokens"] = {"bot": ["UBT1"]}

    first = world.send(world.slack.event(event, event_id="Ev0ONCE01"))
    assert first.status_code == 200
    world.command("status")
    world.reply("isn't connected to Talkturo yet")

    # The workspace connects again; then Slack redelivers the old event, as it does after a timeout.
    world.connect()
    for retry in (1, 2, 3):
        again = world.send(world.slack.event(event, event_id="Ev0ONCE01", retry_num=retry))
        assert again.status_code == 200
        assert again.headers.get("x-slack-no-retry") == "1"
    world.fake.clear()
    world.command("status")
    world.reply(f"Connected to Talkturo account *{world.slug}*")
    handled = [r for r in caplog.records if r.name == "bot.events" and "uninstalled" in r.getMessage()]
    assert len(handled) == 1, [r.getMessage() for r in handled]

    # A new event (another ID) is not mistaken for the old one.
    world.send(world.slack.event(event, event_id="Ev0ONCE02"))
    world.fake.clear()
    world.command("status")
    world.reply("isn't connected to Talkturo yet")


def test_simultaneous_deliveries_of_one_event_are_handled_once(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.events")
    world.connect()
    event = {"type": "app_uninstalled", "event_ts": "1700000000.000200"}
    original = world.slack.event(event, event_id="Ev0TWICE01")
    retry = world.slack.event(event, event_id="Ev0TWICE01", retry_num=1, retry_reason="http_timeout")
    assert [r.status_code for r in twice_at_once(world, original, retry)] == [200, 200]
    handled = [r for r in caplog.records if r.name == "bot.events" and "uninstalled" in r.getMessage()]
    assert len(handled) == 1
