"""Who may do what: guests change nothing, settings belong to admins, owners and the connector,
`permissions` narrows who may change assistants, viewing stays open, users.info is cached in Redis."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from bot.ui.ids import Action
from tests.e2e.trust import quiet, talkturo_calls
from tests.e2e.world import ADMIN, CHANNEL, GUEST, MEMBER, OTHER, World, text_of

ULTRA = "UULTRA"  # single-channel guest (is_ultra_restricted)
OWNER = "UOWNER"
CONNECTOR = "UCONNECTOR"  # connects as an admin, then loses admin rights

GUEST_RULE = "Guests can't change assistants in this workspace"
GUEST_SETTINGS_RULE = "Guests can't change this workspace's Talkturo settings"
ADMIN_RULE = "Only workspace admins and owners"
PERMISSIONS_RULE = "Only the people and groups set with `/talkturo permissions` can change assistants"


@pytest.fixture
def people(world: World) -> Iterator[World]:
    world.fake.add_user(ULTRA, "T1", "uma", is_ultra_restricted=True)
    world.fake.add_user(OWNER, "T1", "owen", is_owner=True)
    world.fake.add_user(CONNECTOR, "T1", "cora", is_admin=True)
    world.fake.paid_plan.pop("T1", None)
    yield world
    world.fake.paid_plan.pop("T1", None)
    world.fake.clear_failures()


def said(world: World, text: str, user: str, expected: str) -> str:
    """Run one command and return the private answer, which must contain `expected`."""
    world.fake.clear()
    world.command(text, user=user)
    return text_of(world.reply(expected))


def ready(world: World) -> str:
    """Connected, with one assistant that holds a number; Talkturo counts reset."""
    world.connect()
    assistant_id = world.create("Sales Agent")
    world.command(f'assign "Sales Agent" {world.phone_numbers[0]}')
    world.wait("chat.postMessage", where=lambda c: "assigned numbers" in text_of(c))
    quiet(world)
    world.fake.clear()
    world.sandbox.reset()
    return assistant_id


@pytest.mark.parametrize("guest", [GUEST, ULTRA], ids=["multi-channel", "single-channel"])
def test_guests_change_nothing(people: World, guest: str) -> None:
    world = people
    assistant_id = ready(world)
    before = dict(world.sandbox.assistants[assistant_id])

    for text in (
        'create "Guest Agent" --template custom',
        'edit "Sales Agent"',
        'set "Sales Agent" temperature=0.5',
        f'assign "Sales Agent" {world.phone_numbers[1]}',
        'assign "Sales Agent"',
        'unassign "Sales Agent"',
    ):
        answer = said(world, text, guest, GUEST_RULE)
        assert ":no_entry:" in answer, text
    # The buttons on a summary and on a confirmation refuse the same way.
    for action, value in (
        (Action.EDIT, assistant_id),
        (Action.ASSIGN, assistant_id),
        (Action.CONFIRM_UNASSIGN, assistant_id),
    ):
        world.fake.clear()
        world.press(action, value, user=guest)
        world.reply(GUEST_RULE)
    # A create form submitted by a guest (say, opened before they became a guest) creates nothing.
    world.fake.clear()
    world.command('create "Sneaky"', user=ADMIN)
    view = world.opened_view("talkturo.create")
    world.submit(view, user=guest)
    world.reply(GUEST_RULE)
    # Workspace settings too, with their own rule.
    for text in ("connect", "disconnect", f"notify <#{CHANNEL}|general>", "permissions everyone"):
        said(world, text, guest, GUEST_SETTINGS_RULE)

    quiet(world)
    assert talkturo_calls(world) == 0, dict(world.sandbox.calls)
    assert not world.fake.calls("views.open"), "no form opens for a guest"
    assert world.sandbox.assistants[assistant_id] == before


def test_settings_belong_to_admins_owners_and_the_connector(people: World) -> None:
    world = people
    world.connect(user=CONNECTOR)
    # A member may not touch the connection, the notify channel or permissions.
    settings = ("connect", "disconnect", f"notify <#{CHANNEL}|general>", "notify off", "permissions everyone")
    for text in settings:
        answer = said(world, text, MEMBER, ADMIN_RULE)
        assert f"<@{CONNECTOR}> who connected Talkturo" in answer, answer
    assert not world.fake.calls("views.open")

    # Owners may.
    said(world, "notify <#CAUDIT|audit>", OWNER, "set <#CAUDIT> to receive every change")

    # The connector keeps these rights after losing admin rights (users.info cache dropped too).
    world.fake.add_user(CONNECTOR, "T1", "cora")
    cache = redis.Redis.from_url(world.settings.redis_url)
    cache.delete("talkturo:{T1}:user:" + CONNECTOR)
    cache.close()
    said(world, "notify off", CONNECTOR, "stopped sending changes to a notify channel")
    said(world, f"permissions <@{MEMBER}|max>", CONNECTOR, "changed who may change assistants")
    world.fake.clear()
    world.command("connect", user=CONNECTOR)
    world.wait("views.open")

    # Admins may; and a member still may not, whatever the connector did.
    said(world, "permissions everyone", ADMIN, "changed who may change assistants")
    said(world, "notify off", MEMBER, ADMIN_RULE)


def test_permissions_show_and_set_users_and_groups(people: World) -> None:
    world = people
    assistant_id = ready(world)
    everyone = "Everyone in this workspace except guests may change assistants."
    said(world, "permissions", MEMBER, everyone)
    said(world, "permissions", GUEST, everyone)  # showing is viewing

    # Only named people (and admins) may change assistants.
    said(world, f"permissions <@{MEMBER}|max>", ADMIN, f"Only <@{MEMBER}> and workspace admins")
    answer = said(world, 'set "Sales Agent" temperature=0.5', OTHER, PERMISSIONS_RULE)
    assert f"<@{MEMBER}>" in answer
    said(world, 'create "Other Agent"', OTHER, PERMISSIONS_RULE)
    assert world.sandbox.calls["update_assistant"] == 0
    said(world, 'set "Sales Agent" temperature=0.5', MEMBER, "changed *Sales Agent*")
    said(world, 'set "Sales Agent" temperature=0.6', ADMIN, "changed *Sales Agent*")

    # A user group on a paid plan: its members may.
    world.fake.add_usergroup("T1", "S0SALES", "sales", [OTHER])
    only_sales = "Only <!subteam^S0SALES> and workspace admins"
    said(world, "permissions <!subteam^S0SALES|@sales>", ADMIN, only_sales)
    said(world, "permissions", MEMBER, only_sales)
    said(world, 'set "Sales Agent" temperature=0.7', OTHER, "changed *Sales Agent*")
    said(world, 'set "Sales Agent" temperature=0.8', MEMBER, PERMISSIONS_RULE)

    # On a free plan user groups cannot be named: one clear sentence, and the rule stays as it was.
    world.fake.paid_plan["T1"] = False
    text = f"permissions <!subteam^S0SALES|@sales> <@{MEMBER}|max>"
    answer = said(world, text, ADMIN, "User groups need a paid Slack plan")
    assert "Nothing was changed." in answer
    said(world, "permissions", MEMBER, only_sales)
    world.fake.paid_plan.pop("T1")

    # Back to everyone.
    said(world, "permissions everyone", ADMIN, "changed who may change assistants: " + everyone)
    said(world, 'set "Sales Agent" temperature=0.9', OTHER, "changed *Sales Agent*")
    assert world.sandbox.assistants[assistant_id]["temperature"] == 0.9


def test_viewing_stays_open_to_members_and_guests(people: World) -> None:
    world = people
    assistant_id = ready(world)
    for user in (MEMBER, GUEST, ULTRA):
        world.fake.clear()
        world.command('show "Sales Agent"', user=user)
        world.wait("chat.postMessage", where=lambda c: assistant_id in text_of(c))
        said(world, "list", user, "Sales Agent")
        said(world, 'numbers "Sales Agent"', user, world.phone_numbers[0])
        said(world, "status", user, f"Connected to Talkturo account *{world.slug}*")
        world.fake.clear()
        world.press(Action.REFRESH, assistant_id, user=user)
        world.reply(assistant_id)
    assert world.sandbox.calls["update_assistant"] == 0
    assert not world.fake.calls("users.info"), "viewing needs no look-up of the person"


def test_user_lookups_are_cached_in_redis(people: World) -> None:
    world = people
    ready(world)
    world.command('create "First"', user=MEMBER)
    world.wait("views.open")
    assert len(world.fake.calls("users.info")) == 1
    world.command('set "Sales Agent" temperature=0.4', user=MEMBER)
    world.reply("changed *Sales Agent*")
    world.command('create "Second"', user=MEMBER)
    world.wait("views.open", count=2)
    assert len(world.fake.calls("users.info")) == 1, "the second and third command used the cache"

    cache = redis.Redis.from_url(world.settings.redis_url)
    key = "talkturo:{T1}:user:" + MEMBER
    ttl = cache.ttl(key)
    cached = cache.get(key)
    cache.close()
    assert 0 < ttl <= 300, ttl
    assert cached is not None and b'"is_restricted":false' in cached
