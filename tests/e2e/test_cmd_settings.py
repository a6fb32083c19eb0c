"""`notify` and `permissions`, and change notices reaching the notify channel exactly once."""

from __future__ import annotations

from tests.e2e.world import ADMIN, CHANNEL, MEMBER, OTHER, World, text_of

AUDIT = "CAUDIT"


def _notify(world: World, channel: str) -> None:
    world.command(f"notify <#{channel}|audit>")
    # Said where the command was typed and in the new notify channel.
    world.wait("chat.postMessage", count=2, where=lambda c: "to receive every change" in text_of(c))
    world.fake.clear()


def _create(world: World, name: str) -> str:
    """Create with a notify channel set: wait for both copies of the notice, so none arrives later."""
    world.command(f'create "{name}" --template outbound-setter')
    world.submit(world.opened_view("talkturo.create"))
    world.wait("chat.postMessage", count=2, where=lambda c: "created" in text_of(c))
    world.fake.clear()
    world.talkturo_log.clear()
    (new_id,) = world.assistant_ids()
    return new_id


# --- notify ----------------------------------------------------------------------------------------


def test_notify_sets_the_audit_channel_and_both_channels_hear_it(world: World) -> None:
    world.connect()
    world.command(f"notify <#{AUDIT}|audit>")
    here = world.wait("chat.postMessage", count=2)
    said = f"<@{ADMIN}> set <#{AUDIT}> to receive every change made with /talkturo"
    assert sorted(c.params["channel"] for c in here) == sorted([CHANNEL, AUDIT])
    assert all(said in text_of(c) for c in here)

    world.fake.clear()
    world.command("notify")
    reply = world.reply("Every change is also posted")
    assert text_of(reply).startswith(f"Every change is also posted to <#{AUDIT}>.")
    assert reply.params["response_type"] == "ephemeral"
    world.command("status")
    assert f"• Change notices also go to <#{AUDIT}>" in text_of(world.reply("Connected to"))


def test_every_change_reaches_the_notify_channel_once(world: World) -> None:
    world.connect()
    _notify(world, AUDIT)
    new_id = _create(world, "Sales Agent")
    world.command('set "Sales Agent" temperature=0.3')
    world.wait("chat.postMessage", count=2, where=lambda c: "changed" in text_of(c))
    changed = world.posts(contains="changed *Sales Agent*")
    assert sorted(c.params["channel"] for c in changed) == sorted([CHANNEL, AUDIT])
    for call in changed:
        assert f"<@{ADMIN}> changed *Sales Agent* (`{new_id}`)" in text_of(call)
        assert "• *Temperature*: 0.7 → 0.3" in text_of(call)

    world.fake.clear()
    world.command(f"assign {new_id} {world.number_ids[0]}")
    world.wait("chat.postMessage", count=2, where=lambda c: "assigned" in text_of(c))
    assigned = world.posts(contains="assigned numbers")
    assert sorted(c.params["channel"] for c in assigned) == sorted([CHANNEL, AUDIT])
    # The audit channel gets the notice without the channel-only details (e.g. a summary).
    assert all(f"• *Numbers*: none → {world.phone_numbers[0]}" in text_of(c) for c in assigned)


def test_create_notice_reaches_the_notify_channel_without_the_summary(world: World) -> None:
    world.connect()
    _notify(world, AUDIT)
    world.command('create "Sales Agent"')
    world.submit(world.opened_view("talkturo.create"))
    (here, audit) = sorted(
        world.wait("chat.postMessage", count=2), key=lambda c: c.params["channel"] != CHANNEL
    )
    assert here.params["channel"] == CHANNEL and audit.params["channel"] == AUDIT
    assert "created *Sales Agent*" in text_of(here) and "created *Sales Agent*" in text_of(audit)
    assert "Assign numbers" in text_of(here)  # the summary with its buttons, where it happened
    assert "Assign numbers" not in text_of(audit)


def test_a_notify_channel_equal_to_the_current_one_gets_the_notice_once(world: World) -> None:
    world.connect()
    world.command(f"notify <#{CHANNEL}|general>")
    world.wait("chat.postMessage")
    assert len(world.posts()) == 1  # the notify notice itself, once
    world.fake.clear()
    world.create("Sales Agent")
    world.command('set "Sales Agent" model=gpt-4o')
    world.wait("chat.postMessage", where=lambda c: "changed" in text_of(c))
    world.reply("• *LLM model*: gpt-4o-mini → gpt-4o")
    changed = world.posts(contains="changed *Sales Agent*")
    assert [c.params["channel"] for c in changed] == [CHANNEL]


def test_notify_off_stops_the_copies(world: World) -> None:
    world.connect()
    _notify(world, AUDIT)
    world.command("notify off")
    # The old channel hears that it stops receiving changes.
    here = world.wait("chat.postMessage", count=2)
    assert sorted(c.params["channel"] for c in here) == sorted([CHANNEL, AUDIT])
    assert all("stopped sending changes to a notify channel" in text_of(c) for c in here)
    world.fake.clear()
    world.create("Sales Agent")
    world.command('set "Sales Agent" model=gpt-4o')
    world.reply("• *LLM model*")
    assert world.posts(AUDIT) == []
    world.command("notify")
    assert world.reply("No notify channel").params["text"] == "No notify channel is set."


def test_notify_is_for_admins_only(world: World) -> None:
    world.connect()
    world.command(f"notify <#{AUDIT}|audit>", user=MEMBER)
    refusal = world.reply(":no_entry:")
    assert text_of(refusal).startswith(":no_entry: Only workspace admins and owners")
    assert refusal.params["response_type"] == "ephemeral"
    assert world.posts() == []
    world.command("notify")
    assert world.reply("No notify channel").params["text"] == "No notify channel is set."


def test_notify_needs_a_linked_channel(world: World) -> None:
    world.connect()
    ack = world.ack(world.command("notify audit"))
    assert ack["text"].startswith("`notify` takes one channel, picked with `#` so Slack links it, or `off`")
    assert world.posts() == []


def test_a_notify_channel_the_bot_is_not_in_does_not_stop_the_change(world: World) -> None:
    world.connect()
    _notify(world, AUDIT)
    _create(world, "Sales Agent")
    world.fake.channel_error(AUDIT, "not_in_channel")
    try:
        world.command('set "Sales Agent" model=gpt-4o')
        notice = world.reply("changed *Sales Agent*")
        assert notice.params["channel"] == CHANNEL
        world.wait("chat.postMessage", count=2)
        assert world.posts(AUDIT) == []
    finally:
        world.fake.channel_error(AUDIT, None)


# --- permissions -----------------------------------------------------------------------------------


def test_permissions_show_then_restrict_to_named_people(world: World) -> None:
    world.connect()
    new_id = world.create("Sales Agent")
    world.command("permissions", user=MEMBER)
    shown = world.reply("may change assistants")
    assert text_of(shown).startswith(
        "Everyone in this workspace except guests may change assistants. Viewing is open to everyone."
    )

    world.command(f"permissions <@{MEMBER}|max>")
    notice = world.wait("chat.postMessage", where=lambda c: "who may change" in text_of(c))[0]
    assert (
        f"<@{ADMIN}> changed who may change assistants: Only <@{MEMBER}> and workspace admins may change "
        "assistants." in text_of(notice)
    )

    world.fake.clear()
    world.command(f"set {new_id} temperature=0.2", user=OTHER)
    refusal = world.reply(":no_entry:")
    assert text_of(refusal).startswith(
        ":no_entry: Only the people and groups set with `/talkturo permissions` can change assistants here "
        f"(<@{MEMBER}>)"
    )
    assert world.patches(new_id) == []
    world.command(f"set {new_id} temperature=0.2", user=MEMBER)
    world.reply("• *Temperature*: 0.7 → 0.2")
    assert world.patches(new_id) == [{"accountSlug": world.slug, "temperature": 0.2}]

    world.fake.clear()
    world.command("permissions everyone")
    world.reply("Everyone in this workspace except guests may change assistants.")
    world.command(f"set {new_id} temperature=0.4", user=OTHER)
    world.reply("• *Temperature*: 0.2 → 0.4")


def test_permissions_are_set_by_admins_only(world: World) -> None:
    world.connect()
    world.command(f"permissions <@{MEMBER}|max>", user=MEMBER)
    refusal = world.reply(":no_entry:")
    assert "Only workspace admins and owners" in text_of(refusal)
    assert world.posts() == []
    world.command("permissions")
    assert "Everyone in this workspace" in text_of(world.reply("Viewing is open"))


def test_permissions_need_mentions(world: World) -> None:
    world.connect()
    ack = world.ack(world.command("permissions alice"))
    assert ack["text"].startswith("`alice` is not a person or user group. @-mention them so Slack links them")
