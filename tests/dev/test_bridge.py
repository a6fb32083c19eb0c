"""The dev bridge's translations, without a browser: mentions, view state, and what replies replace."""

from __future__ import annotations

import time

from bot.dev.bridge import Bridge, Directory, state_values
from bot.dev.feed import Feed
from bot.dev.stream import Hub
from bot.slackfake import SlackFake, SlackRequests
from bot.slackfake.state import Call

DIRECTORY = Directory(
    team_id="TDEV",
    channel_id="CDEV",
    command="/talkturo",
    bot_token="xoxb-x",
    users={"UADA": "ada"},
    channels={"CDEV": "general"},
)


def test_mentions_become_slack_tokens() -> None:
    bridge = Bridge(SlackRequests("secret"), SlackFake(), Feed(Hub(), "UB", "CDEV"), DIRECTORY)
    assert bridge.slack_text("notify #general for @ada, not @nobody or a@b.c") == (
        "notify <#CDEV|general> for <@UADA|ada>, not @nobody or a@b.c"
    )


def test_state_values_unwraps_blocks_with_one_input() -> None:
    view = {
        "blocks": [
            {
                "type": "input",
                "block_id": "name",
                "element": {"type": "plain_text_input", "action_id": "input"},
            },
            {
                "type": "actions",
                "block_id": "pair",
                "elements": [
                    {"type": "static_select", "action_id": "a", "options": []},
                    {"type": "button", "action_id": "go"},
                    {"type": "checkboxes", "action_id": "b", "options": []},
                ],
            },
        ]
    }
    entered = {"name": {"input": "Ann"}, "pair": {"a": "x", "b": ["y"], "go": None}, "ghost": {"input": 1}}
    assert state_values(view, entered) == {"name": "Ann", "pair": {"a": "x", "b": ["y"]}}


def _response_url(feed: Feed, url: str, **params: object) -> None:
    feed.on_call(Call("response_url", {"_url": url, **params}, None, time.time(), 200, "ok"))


def test_response_urls_post_replace_and_delete() -> None:
    feed = Feed(Hub(), "UB", "CDEV")
    question = feed.add(text="Sure?", blocks=[{"type": "actions", "elements": []}], visible_to="UADA")
    feed.register_url("u1", "UADA", "CDEV", question.id)
    _response_url(feed, "u1", text="Cancelled", replace_original=True)
    assert (question.text, question.blocks) == ("Cancelled", [])  # the whole message is replaced

    feed.register_url("u2", "UADA", "CAUDIT", None)
    _response_url(feed, "u2", text="Only for you")
    posted = list(feed.messages.values())[-1]
    assert (posted.channel, posted.visible_to, posted.text) == ("CAUDIT", "UADA", "Only for you")
    _response_url(feed, "u2", text="For all", response_type="in_channel", replace_original=True)
    assert (posted.visible_to, posted.text) == (None, "For all")
    _response_url(feed, "u2", delete_original=True)
    assert posted.id not in feed.messages


def test_views_reach_the_page_of_whoever_triggered_them() -> None:
    hub = Hub()
    events = hub.subscribe()
    feed = Feed(hub, "UB", "CDEV")
    feed.expect_trigger("t1", "UADA")
    view = {"id": "V1", "hash": "h1", "blocks": []}
    feed.on_call(Call("views.open", {"trigger_id": "t1"}, "x", 0, 200, {"ok": True, "view": view}))
    feed.on_call(Call("views.update", {"view_id": "V1"}, "x", 0, 200, {"ok": True, "view": view}))
    seen = [events.get_nowait() for _ in range(events.qsize())]
    assert [(e["op"], e["user"]) for e in seen] == [("open", "UADA"), ("update", "UADA")]
