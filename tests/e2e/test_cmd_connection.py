"""`help`, `connect`, `status`, `disconnect`, and the answer every other sub-command gives when the
workspace is not connected. Over real HTTP: signed requests in; the Slack fake's and the Talkturo
sandbox's records out."""

from __future__ import annotations

import json

import pytest
import redis

from bot.grammar import USAGE
from tests.e2e.world import ADMIN, CHANNEL, GUEST, MEMBER, World, text_of

NOT_CONNECTED = (
    "This workspace isn't connected to Talkturo yet. An admin can connect it with `/talkturo connect`."
)


def _blocks_text(blocks: list[dict[str, object]]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


# --- help ------------------------------------------------------------------------------------------


def test_help_lists_every_subcommand_only_to_the_caller(world: World) -> None:
    for text in ("help", ""):
        ack = world.ack(world.command(text))
        assert ack.get("response_type") != "in_channel"  # an ack without it is ephemeral
        shown = _blocks_text(ack["blocks"])
        for sub, usage in USAGE.items():
            assert f"*{sub}*" in shown, sub
            assert json.dumps(usage)[1:-1] in shown, sub
        assert "Only you can see this." in shown
    # Help needs nothing from Slack's Web API or Talkturo, connected or not.
    assert [c.method for c in world.fake.calls() if c.method != "auth.test"] == []
    assert world.talkturo() == []


def test_help_on_one_topic_lists_the_set_keys(world: World) -> None:
    ack = world.ack(world.command("help set"))
    shown = _blocks_text(ack["blocks"])
    assert "*set*: Change settings without a form" in shown
    assert "*Keys for `set`*" in shown
    assert "• `temperature` (or temp): number" in shown
    assert "• `inbound_enabled` (or inbound): on/off" in shown


def test_help_on_an_unknown_topic_suggests_the_closest(world: World) -> None:
    ack = world.ack(world.command("help sett"))
    assert ack["text"].startswith("There is no help on `sett`. Did you mean `set`?")
    assert "Topics: help, connect, status" in ack["text"]


def test_unknown_subcommand_is_answered_in_the_ack(world: World) -> None:
    ack = world.ack(world.command("shwo x"))
    assert ack["text"] == (
        "I don't know the sub-command `shwo`. Did you mean `show`? See `/talkturo help` for what I can do."
    )
    assert [c.method for c in world.fake.calls() if c.method != "auth.test"] == []


# --- connect ---------------------------------------------------------------------------------------


def test_connect_checks_the_credentials_then_stores_them_encrypted(world: World, redis_url: str) -> None:
    world.command("connect")
    view = world.opened_view("talkturo.connect")
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert blocks["connect.slug"]["label"]["text"] == "Account slug"
    assert blocks["connect.token"]["label"]["text"] == "API token"
    assert blocks["connect.token"]["optional"] is False
    assert blocks["connect.api_url"]["optional"] is True
    assert world.settings.talkturo_api_url in blocks["connect.api_url"]["hint"]["text"]
    assert view["submit"]["text"] == "Connect"

    response = world.submit(view, {"connect.slug": world.slug, "connect.token": world.token})
    assert world.ack(response) == {}  # the modal closes

    (check,) = world.talkturo("GET", "/test-api-key")
    assert check.query == {"accountSlug": world.slug}
    assert check.authorization == f"Bearer {world.token}"

    notice = world.wait("chat.postMessage", where=lambda c: "connected this workspace" in text_of(c))[0]
    assert notice.params["channel"] == CHANNEL
    assert f"<@{ADMIN}> connected this workspace to Talkturo account *{world.slug}*" in text_of(notice)
    assert world.token not in text_of(notice)

    # Stored per workspace under a hash-tagged key, the token encrypted.
    client = redis.Redis.from_url(redis_url)
    try:
        stored = client.hgetall("talkturo:{T1}:workspace")
    finally:
        client.close()
    assert stored[b"slug"] == world.slug.encode()
    assert stored[b"connected_by"] == ADMIN.encode()
    assert world.token.encode() not in stored[b"token"]
    assert not any(world.token.encode() in value for value in stored.values())


def test_connect_with_a_wrong_token_answers_under_the_token_field(world: World) -> None:
    world.command("connect")
    view = world.opened_view("talkturo.connect")
    response = world.submit(view, {"connect.slug": world.slug, "connect.token": "tk_wrong_key"})
    assert world.ack(response) == {
        "response_action": "errors",
        "errors": {
            "connect.token": "Talkturo refused this API key. Check it was copied whole and not revoked."
        },
    }
    assert len(world.talkturo("GET", "/test-api-key")) == 1
    # Nothing was saved: the workspace is still not connected.
    world.fake.clear()
    world.command("status")
    assert NOT_CONNECTED in text_of(world.reply("isn't connected"))


def test_connect_with_a_foreign_slug_answers_under_the_slug_field(world: World) -> None:
    world.command("connect")
    view = world.opened_view("talkturo.connect")
    response = world.submit(view, {"connect.slug": "someone-else", "connect.token": world.token})
    assert world.ack(response)["errors"] == {
        "connect.slug": "This API key does not belong to that account slug."
    }


def test_connect_validates_the_form_before_calling_talkturo(world: World) -> None:
    world.command("connect")
    view = world.opened_view("talkturo.connect")
    response = world.submit(
        view, {"connect.slug": "has spaces", "connect.token": "tk with space", "connect.api_url": "ftp:x"}
    )
    errors = world.ack(response)["errors"]
    assert set(errors) == {"connect.slug", "connect.token", "connect.api_url"}
    assert world.talkturo() == []


def test_connect_is_refused_to_members_who_are_not_admins(world: World) -> None:
    world.command("connect", user=MEMBER)
    reply = world.reply("Only workspace admins")
    assert text_of(reply).startswith(":no_entry: Only workspace admins and owners can change")
    assert world.fake.calls("views.open") == []


# --- status ----------------------------------------------------------------------------------------


def test_status_shows_the_account_and_only_the_last_four_token_characters(world: World) -> None:
    world.connect()
    world.command("status")
    reply = world.reply("Connected to Talkturo account")
    assert reply.method == "response_url"
    assert reply.params["response_type"] == "ephemeral"
    shown = text_of(reply)
    assert f"Connected to Talkturo account *{world.slug}*" in shown
    assert f"• Token: `…{world.token[-4:]}`" in shown
    assert world.token not in shown
    assert world.token[:-4] not in shown
    assert f"• Connected by <@{ADMIN}> on " in shown
    assert "• No notify channel set" in shown
    assert world.posts() == []  # nothing in the channel


def test_status_when_not_connected_says_how_to_connect(world: World) -> None:
    world.command("status", user=MEMBER)
    reply = world.reply("isn't connected")
    assert reply.params["response_type"] == "ephemeral"
    assert text_of(reply).count(NOT_CONNECTED) >= 1


# --- disconnect ------------------------------------------------------------------------------------


def test_disconnect_asks_first_then_forgets_the_token(world: World) -> None:
    world.connect()
    world.command("disconnect")
    ask = world.reply("Disconnect this workspace")
    assert ask.params["response_type"] == "ephemeral"
    assert f"Disconnect this workspace from Talkturo account *{world.slug}*?" in text_of(ask)
    buttons = [e for b in ask.params["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [b["action_id"] for b in buttons] == ["talkturo.disconnect.confirm", "talkturo.cancel"]
    assert buttons[0]["confirm"]["confirm"]["text"] == "Disconnect"
    assert world.posts() == []  # only asked so far

    world.press("talkturo.disconnect.confirm", world.slug)
    done = world.reply("Disconnected from Talkturo")
    assert done.params.get("replace_original") is True
    assert f"Disconnected from Talkturo account *{world.slug}*; the token is deleted." in text_of(done)
    (notice,) = world.wait("chat.postMessage", where=lambda c: "disconnected this workspace" in text_of(c))
    assert notice.params["channel"] == CHANNEL
    assert f"<@{ADMIN}> disconnected this workspace from Talkturo account *{world.slug}*" in text_of(notice)

    world.fake.clear()
    world.command("status")
    assert NOT_CONNECTED in text_of(world.reply("isn't connected"))


def test_disconnect_cancel_changes_nothing(world: World) -> None:
    world.connect()
    world.command("disconnect")
    world.reply("Disconnect this workspace")
    world.press("talkturo.cancel", "disconnect")
    cancelled = world.reply("Cancelled")
    assert text_of(cancelled) == "Cancelled; nothing was changed."
    assert cancelled.params.get("replace_original") is True
    world.fake.clear()
    world.command("status")
    assert f"Connected to Talkturo account *{world.slug}*" in text_of(world.reply("Connected to"))


def test_disconnect_is_refused_to_guests_and_members(world: World) -> None:
    world.connect()
    for user in (MEMBER, GUEST):
        world.fake.clear()
        world.command("disconnect", user=user)
        refusal = world.reply(":no_entry:")
        assert "can't change" in text_of(refusal) or "Only workspace admins" in text_of(refusal)
        # A stale confirm button pressed by someone else is refused too.
        world.fake.clear()
        world.press("talkturo.disconnect.confirm", world.slug, user=user)
        world.reply(":no_entry:")
    world.fake.clear()
    world.command("status")
    assert "Connected to Talkturo account" in text_of(world.reply("Connected to"))


# --- every other sub-command needs a connection ----------------------------------------------------

NEEDS_CONNECTION = [
    "disconnect",
    'create "Sales Agent"',
    'show "Sales Agent"',
    "show asst_01jabcdefghjkmnpqrstvwxyz0",
    'edit "Sales Agent"',
    'set "Sales Agent" temperature=0.3',
    'assign "Sales Agent" +14155550100',
    'assign "Sales Agent"',
    'unassign "Sales Agent"',
    'numbers "Sales Agent"',
    "list",
    "notify <#CAUDIT|audit>",
    "notify",
    "permissions everyone",
    "permissions",
]


@pytest.mark.parametrize("text", NEEDS_CONNECTION)
def test_not_connected_answers_with_one_sentence(world: World, text: str) -> None:
    world.command(text)
    reply = world.reply("connected to Talkturo")
    assert reply.method == "response_url"
    assert reply.params["response_type"] == "ephemeral"
    assert text_of(reply) == NOT_CONNECTED
    assert world.fake.calls("views.open") == []
    assert world.posts() == []
    assert world.talkturo() == []
