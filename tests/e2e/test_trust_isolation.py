"""Two Slack workspaces connected to two Talkturo accounts: neither sees nor acts on the other's
settings, registry or assistants.

The bot runs with one bot token (single-workspace mode), so workspace T2 is driven by requests whose
team_id is T2, as Slack would send them; the store keys everything by that team. Both workspaces sit in
one Enterprise Grid org in the Slack fake, so the one token may look up T2's people. Forms T2 submits are
marked as opened by T2's own installation (`app_installed_team_id`), as Slack marks them when T2 has
installed the app; Bolt names a submission's workspace after that field.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from bot.slackfake import SlackRequests
from bot.ui.ids import Action
from tests.e2e.trust import quiet, redis_dump, writes
from tests.e2e.world import ADMIN, BOT_TOKEN, MEMBER, SIGNING_SECRET, World, text_of

ADMIN2, MEMBER2 = "U2ADMIN", "U2MEMBER"
CHANNEL2 = "C2GENERAL"
_accounts = itertools.count(1)


@dataclasses.dataclass
class InstalledInT2(World):
    """Workspace T2 as if it had installed the app itself: its forms carry app_installed_team_id T2."""

    def submit(
        self, view: dict[str, Any], values: dict[str, Any] | None = None, *, user: str = ADMIN2
    ) -> httpx.Response:
        return super().submit({**view, "app_installed_team_id": "T2", "team_id": "T2"}, values, user=user)


@dataclasses.dataclass
class Two:
    one: World  # workspace T1, account A
    two: World  # workspace T2, account B (same bot, fake and sandbox; requests signed for T2)


@pytest.fixture
def pair(world: World) -> Iterator[Two]:
    fake = world.fake
    fake.add_workspace(team_id="T1", bot_token=BOT_TOKEN, team_name="Acme", enterprise_id="E1")
    fake.add_workspace(team_id="T2", bot_token="xoxb-test-bot-token-T2", team_name="Beta", enterprise_id="E1")
    fake.add_user(ADMIN2, "T2", "bea", is_admin=True)
    fake.add_user(MEMBER2, "T2", "ben")
    n = next(_accounts)
    account = world.sandbox.add_account(f"beta-{n}", token=f"tk_test_beta_{n}_secret", numbers=3)
    slack2 = SlackRequests(SIGNING_SECRET, team_id="T2", response_url_factory=fake.response_url)
    fields = {f.name: getattr(world, f.name) for f in dataclasses.fields(world)}
    other = InstalledInT2(
        **{
            **fields,
            "slack": slack2,
            "slug": account.slug,
            "token": account.token,
            "number_ids": list(account.number_ids),
            "phone_numbers": list(account.phone_numbers),
        }
    )
    world.connect()
    other.connect(user=ADMIN2)
    yield Two(world, other)


def ask(world: World, text: str, expected: str, *, user: str, channel: str) -> str:
    world.fake.clear()
    world.command(text, user=user, channel=channel)
    return text_of(world.reply(expected))


def in_one(pair: Two, text: str, expected: str, user: str = ADMIN) -> str:
    return ask(pair.one, text, expected, user=user, channel="CGENERAL")


def in_two(pair: Two, text: str, expected: str, user: str = ADMIN2) -> str:
    return ask(pair.two, text, expected, user=user, channel=CHANNEL2)


def create(world: World, name: str, user: str, channel: str) -> str:
    before = set(world.sandbox.assistants)
    world.command(f'create "{name}"', user=user, channel=channel)
    world.submit(world.opened_view("talkturo.create"), user=user)
    world.wait("chat.postMessage", where=lambda c: f"created *{name}*" in text_of(c))
    (new_id,) = set(world.sandbox.assistants) - before
    world.fake.clear()
    return new_id


def test_neither_workspace_sees_or_changes_the_others_assistants(pair: Two) -> None:
    a_sales = create(pair.one, "Sales Agent", ADMIN, "CGENERAL")
    a_only = create(pair.one, "Acme Only", ADMIN, "CGENERAL")
    b_sales = create(pair.two, "Sales Agent", ADMIN2, CHANNEL2)
    a_before = {i: dict(pair.one.sandbox.assistants[i]) for i in (a_sales, a_only)}
    pair.one.sandbox.reset()

    # The same name means each workspace's own assistant.
    pair.one.command('show "Sales Agent"', user=ADMIN, channel="CGENERAL")
    assert b_sales not in text_of(pair.one.reply(a_sales))
    pair.two.command('show "Sales Agent"', user=ADMIN2, channel=CHANNEL2)
    assert a_sales not in text_of(pair.two.reply(b_sales))

    # T2's registry holds only its own; T1's names mean nothing there.
    listed = in_two(pair, "list", "Assistants")
    assert b_sales in listed and a_sales not in listed and "Acme Only" not in listed
    listed = in_one(pair, "list", "Acme Only")
    assert a_sales in listed and b_sales not in listed
    in_two(pair, 'show "Acme Only"', "I don't know an assistant named *Acme Only*")
    in_two(pair, 'set "Acme Only" temperature=1.5', "I don't know an assistant named *Acme Only*")

    # T1's IDs: Talkturo refuses B's token, and the bot says so.
    foreign = "That assistant belongs to another Talkturo account"
    for text in (
        f"show {a_sales}",
        f"set {a_sales} temperature=1.5",
        f"numbers {a_sales}",
        f"unassign {a_sales}",
        f"assign {a_sales} {pair.two.phone_numbers[0]}",
    ):
        in_two(pair, text, foreign)
    pair.two.fake.clear()
    pair.two.send(pair.two.slack.block_action(Action.REFRESH, a_sales, user_id=ADMIN2, channel_id=CHANNEL2))
    pair.two.reply(foreign)
    # T1's numbers are not T2's to hand out.
    in_two(pair, f'assign "Sales Agent" {pair.one.phone_numbers[0]}', "is not a free, active number")
    in_two(pair, f'assign "Sales Agent" {pair.one.number_ids[0]}', "Talkturo refused the change")

    # A T1 edit form submitted as T2's (its metadata names T1's assistant) saves nothing.
    pair.one.command('edit "Sales Agent"', user=ADMIN, channel="CGENERAL")
    form = pair.one.opened_view("talkturo.edit")
    ack = pair.two.ack(pair.two.submit(form, {"edit.temperature": "1.9"}, user=ADMIN2))
    assert ack.get("response_action") == "update" and "another workspace" in str(ack["view"]), ack

    quiet(pair.one, 0.1)
    assert {i: pair.one.sandbox.assistants[i] for i in a_before} == a_before
    assert writes(pair.one) == {"assign_numbers": 1}, "only T2's own assignment, refused by Talkturo"
    assert pair.one.holder_of(pair.one.number_ids[0]) is None


def test_settings_and_connections_stay_in_their_workspace(pair: Two) -> None:
    b_sales = create(pair.two, "Beta Agent", ADMIN2, CHANNEL2)
    a_sales = create(pair.one, "Acme Agent", ADMIN, "CGENERAL")

    status1 = in_one(pair, "status", "Connected to Talkturo account")
    status2 = in_two(pair, "status", "Connected to Talkturo account")
    assert f"*{pair.one.slug}*" in status1 and pair.two.slug not in status1
    assert f"*{pair.two.slug}*" in status2 and pair.one.slug not in status2
    assert pair.one.token[-4:] in status1 and pair.two.token[-4:] in status2
    assert f"<@{ADMIN}>" in status1 and f"<@{ADMIN2}>" in status2

    # Notify channels and permissions are per workspace.
    in_two(pair, "notify <#C2AUDIT|audit>", "set <#C2AUDIT>")
    in_two(pair, f"permissions <@{MEMBER2}|ben>", f"Only <@{MEMBER2}>")
    assert "No notify channel set" in in_one(pair, "status", "Connected")
    in_one(pair, "permissions", "Everyone in this workspace except guests", user=MEMBER)
    in_one(pair, 'set "Acme Agent" temperature=0.2', "changed *Acme Agent*", user=MEMBER)
    pair.one.fake.clear()
    in_one(pair, 'set "Acme Agent" temperature=0.3', "changed *Acme Agent*")
    quiet(pair.one, 0.1)
    assert not pair.one.posts("C2AUDIT"), "T1's changes never reach T2's audit channel"
    in_two(pair, 'set "Beta Agent" temperature=0.4', "changed *Beta Agent*", user=MEMBER2)
    pair.two.wait("chat.postMessage", where=lambda c: c.params.get("channel") == "C2AUDIT")

    # T2's permission list does not apply in T1, where members still may not change settings.
    in_one(pair, "notify off", "Only workspace admins and owners", user=MEMBER)

    # Redis: each workspace's keys carry its own hash tag and only its own assistants.
    dump = redis_dump(pair.one.settings.redis_url)
    for key, value in dump.items():
        assert key.startswith(("talkturo:{T1}:", "talkturo:{T2}:")), key
        text = str(value)
        if key.startswith("talkturo:{T1}:"):
            assert b_sales not in text and pair.two.slug not in text, key
        else:
            assert a_sales not in text and pair.one.slug not in text, key

    # Disconnecting or uninstalling T2 leaves T1 as it was.
    pair.two.fake.clear()
    press = pair.two.slack.block_action(
        Action.CONFIRM_DISCONNECT, pair.two.slug, user_id=ADMIN2, channel_id=CHANNEL2
    )
    pair.two.send(press)
    pair.two.reply("the token is deleted")
    in_one(pair, "status", f"Connected to Talkturo account *{pair.one.slug}*")
    pair.two.send(pair.two.slack.event({"type": "app_uninstalled"}))
    in_two(pair, "list", "isn't connected to Talkturo yet")
    in_one(pair, "list", "Acme Agent")
    assert not [
        key for key in redis_dump(pair.one.settings.redis_url) if "{T2}" in key and ":once:" not in key
    ]


def test_a_form_opened_for_one_workspace_cannot_change_another(pair: Two) -> None:
    """With one bot token, a T2 admin's connect form is opened by T1's installation, so Bolt hands its
    submission to T1 (app_installed_team_id). It must not repoint T1's Talkturo connection."""
    single_token = dataclasses.replace(
        pair.one, slack=pair.two.slack, slug=pair.two.slug, token=pair.two.token
    )
    single_token.fake.clear()
    single_token.command("connect", user=ADMIN2, channel=CHANNEL2)
    form = single_token.opened_view("talkturo.connect")
    assert form["app_installed_team_id"] == "T1"
    ack = single_token.ack(
        single_token.submit(
            form, {"connect.slug": pair.two.slug, "connect.token": pair.two.token}, user=ADMIN2
        )
    )
    assert ack.get("response_action") == "update" and "another workspace" in str(ack["view"]), ack
    status = in_one(pair, "status", "Connected to Talkturo account")
    assert f"*{pair.one.slug}*" in status and f"<@{ADMIN}>" in status
