"""`assign`, `unassign` and `numbers`: phone numbers by ID and by E.164, the modal, replace semantics,
numbers held elsewhere, the inbound-off warning, and the confirmation before removing."""

from __future__ import annotations

import itertools
from typing import Any

from tests.e2e.world import ADMIN, CHANNEL, World, text_of

_big = itertools.count(1)
INBOUND_OFF = (
    ":warning: Inbound calling is off for this assistant, so calls to these numbers will not reach it."
)


def _assigned(world: World) -> str:
    return text_of(world.wait("chat.postMessage", where=lambda c: "numbers" in text_of(c))[0])


def _select(view: dict[str, Any]) -> dict[str, Any]:
    block = next(b for b in view["blocks"] if b.get("block_id") == "assign.numbers")
    return dict(block["element"])


# --- assign with numbers ---------------------------------------------------------------------------


def test_assign_by_id_sends_the_ids_and_warns_when_inbound_is_off(world: World) -> None:
    world.connect()
    new_id = world.create("Sales Agent")  # outbound-setter: inbound calling off
    first, second = world.number_ids[:2]
    world.command(f'assign "Sales Agent" {first},{second}')
    notice = _assigned(world)
    assert world.assignments(new_id) == [{"accountSlug": world.slug, "phoneNumberIds": [first, second]}]
    assert world.holder_of(first) == new_id
    assert world.holder_of(second) == new_id
    assert f"<@{ADMIN}> assigned numbers to *Sales Agent* (`{new_id}`)" in notice
    assert f"• *Numbers*: none → {world.phone_numbers[0]}, {world.phone_numbers[1]}" in notice
    assert INBOUND_OFF in notice


def test_assign_by_e164_resolves_the_record_ids(world: World) -> None:
    world.connect()
    new_id = world.create("Support", "inbound-support")  # inbound calling on: no warning
    phone = world.phone_numbers[2]
    spaced = f"{phone[:2]} {phone[2:5]} {phone[5:8]}-{phone[8:]}"  # +1 415 555-0102
    world.command(f'assign Support "{spaced}"')
    notice = _assigned(world)
    assert world.assignments(new_id) == [{"accountSlug": world.slug, "phoneNumberIds": [world.number_ids[2]]}]
    (listing,) = world.talkturo("GET", f"/assistants/{new_id}/telephony/phone-numbers")
    assert listing.query == {"accountSlug": world.slug}
    assert f"• *Numbers*: none → {phone}" in notice
    assert "Inbound calling is off" not in notice
    # Slack sends a phone number it linked as <tel:...|...>.
    world.fake.clear()
    world.command(f"assign Support <tel:{world.phone_numbers[3]}|{world.phone_numbers[3]}>")
    _assigned(world)
    assert world.assignments(new_id)[-1] == {
        "accountSlug": world.slug,
        "phoneNumberIds": [world.number_ids[3]],
    }


def test_assign_replaces_the_whole_set(world: World) -> None:
    world.connect()
    new_id = world.create("Sales Agent")
    a, b, c = world.number_ids[:3]
    world.command(f"assign {new_id} {a} {b}")
    _assigned(world)
    world.fake.clear()
    world.command(f"assign {new_id} {c}")
    notice = _assigned(world)
    assert world.assignments(new_id)[-1] == {"accountSlug": world.slug, "phoneNumberIds": [c]}
    assert [world.holder_of(n) for n in (a, b, c)] == [None, None, new_id]
    assert f"• *Numbers*: {world.phone_numbers[0]}, {world.phone_numbers[1]} → {world.phone_numbers[2]}" in (
        notice
    )


def test_assign_a_number_held_by_another_assistant_names_the_holder(world: World) -> None:
    world.connect()
    holder = world.create("Holder Bot")
    taker = world.create("Sales Agent")
    number = world.number_ids[0]
    world.command(f"assign {holder} {number}")
    _assigned(world)
    world.fake.clear()

    world.command(f'assign "Sales Agent" {number}')
    reply = world.reply("Talkturo refused")
    assert reply.params["response_type"] == "ephemeral"
    assert text_of(reply) == (
        f"Talkturo refused: Phone number {world.phone_numbers[0]} is assigned to assistant Holder Bot "
        f"({holder}). Nothing was changed."
    )
    assert world.assignments(taker) == [{"accountSlug": world.slug, "phoneNumberIds": [number]}]
    assert world.holder_of(number) == holder
    assert world.posts() == []


def test_assign_a_held_number_by_e164_says_it_is_not_free(world: World) -> None:
    world.connect()
    holder = world.create("Holder Bot")
    taker = world.create("Sales Agent")
    world.command(f"assign {holder} {world.number_ids[0]}")
    _assigned(world)
    world.fake.clear()
    world.command(f'assign "Sales Agent" {world.phone_numbers[0]}')
    reply = world.reply("is not a free, active number")
    assert f"*{world.phone_numbers[0]}* is not a free, active number" in text_of(reply)
    assert f"`/talkturo numbers {taker}`" in text_of(reply)
    assert world.assignments(taker) == []


def test_assign_a_number_without_country_code_is_answered_in_the_ack(world: World) -> None:
    world.connect()
    world.create("Sales Agent")
    ack = world.ack(world.command('assign "Sales Agent" 4155550100'))
    assert ack["text"] == (
        "Write phone numbers in international form with `+` and the country code, e.g. `+14155550100`; "
        "got `4155550100`."
    )
    assert world.talkturo() == []


# --- the assign modal ------------------------------------------------------------------------------


def test_assign_without_numbers_opens_a_modal_with_the_current_ones_preselected(world: World) -> None:
    world.connect()
    new_id = world.create("Sales Agent")
    a, b, c = world.number_ids[:3]
    world.command(f"assign {new_id} {a}")
    _assigned(world)
    world.fake.clear()

    world.command('assign "Sales Agent"')
    view = world.opened_view("talkturo.assign")
    assert world.fake.calls("views.open")[0].params["view"]["callback_id"] == "talkturo.loading"
    select = _select(view)
    assert select["type"] == "multi_static_select"
    # Active numbers that are free or its own; the suspended fifth is not offered.
    assert [o["value"] for o in select["options"]] == world.number_ids[:4]
    assert [o["text"]["text"] for o in select["options"]] == world.phone_numbers[:4]
    assert [o["value"] for o in select["initial_options"]] == [a]
    shown = str(view["blocks"])
    assert "The selection replaces the numbers it has now" in shown
    assert "Inbound calling is off for this assistant" in shown
    assert view["submit"]["text"] == "Assign"

    # The choice replaces the set: a goes, b and c come.
    assert world.ack(world.submit(view, {"assign.numbers": [b, c]})) == {}
    notice = _assigned(world)
    assert world.assignments(new_id)[-1] == {"accountSlug": world.slug, "phoneNumberIds": [b, c]}
    assert [world.holder_of(n) for n in (a, b, c)] == [None, new_id, new_id]
    assert f"• *Numbers*: {world.phone_numbers[0]} → {world.phone_numbers[1]}, {world.phone_numbers[2]}" in (
        notice
    )
    assert INBOUND_OFF in notice


def test_assign_modal_cleared_removes_every_number(world: World) -> None:
    world.connect()
    new_id = world.create("Sales Agent")
    world.command(f"assign {new_id} {world.number_ids[0]}")
    _assigned(world)
    world.fake.clear()
    world.command(f"assign {new_id}")
    view = world.opened_view("talkturo.assign")
    world.submit(view, {"assign.numbers": []})
    notice = text_of(world.wait("chat.postMessage", where=lambda c: "removed all numbers" in text_of(c))[0])
    assert world.assignments(new_id)[-1] == {"accountSlug": world.slug, "phoneNumberIds": []}
    assert f"• *Numbers*: {world.phone_numbers[0]} → none" in notice
    assert "Inbound calling is off" not in notice  # nothing assigned, nothing to warn about


def test_assign_modal_uses_an_external_select_past_100_numbers(world: World) -> None:
    n = next(_big)
    account = world.sandbox.add_account(f"big-{n}", token=f"tk_test_big_{n}_secret", numbers=150)
    world.slug, world.token = account.slug, account.token
    world.number_ids, world.phone_numbers = list(account.number_ids), list(account.phone_numbers)
    world.connect()
    new_id = world.create("Sales Agent")
    world.command(f"assign {new_id}")
    view = world.opened_view("talkturo.assign")
    select = _select(view)
    assert select["type"] == "multi_external_select"
    assert "options" not in select

    # Slack asks the bot for options as the person types.
    wanted = world.phone_numbers[120]
    request = world.slack.block_suggestion("input", wanted[-4:], user_id=ADMIN, view=view)
    response = world.send(request)
    assert response.status_code == 200, response.text
    options = response.json()["options"]
    assert [o["value"] for o in options] == [world.number_ids[120]]
    assert options[0]["text"]["text"] == wanted
    everything = world.send(world.slack.block_suggestion("input", "", user_id=ADMIN, view=view)).json()
    assert len(everything["options"]) == 100  # a select holds at most 100

    world.submit(view, {"assign.numbers": [world.number_ids[120]]})
    _assigned(world)
    assert world.assignments(new_id)[-1] == {
        "accountSlug": world.slug,
        "phoneNumberIds": [world.number_ids[120]],
    }


def test_assign_modal_for_an_account_without_free_numbers_says_so(world: World) -> None:
    n = next(_big)
    account = world.sandbox.add_account(f"empty-{n}", token=f"tk_test_empty_{n}_secret", numbers=0)
    world.slug, world.token = account.slug, account.token
    world.connect()
    new_id = world.create("Sales Agent")
    world.command(f"assign {new_id}")
    view = world.opened_view("talkturo.done")
    assert "has no free active numbers" in view["blocks"][0]["text"]["text"]
    assert view.get("submit") is None


# --- unassign --------------------------------------------------------------------------------------


def test_unassign_asks_first_then_removes_every_number(world: World) -> None:
    world.connect()
    new_id = world.create("Sales Agent")
    a, b = world.number_ids[:2]
    world.command(f"assign {new_id} {a} {b}")
    _assigned(world)
    world.fake.clear()

    world.command('unassign "Sales Agent"')
    ask = world.reply("Remove all 2 number(s) from *Sales Agent*?")
    assert ask.params["response_type"] == "ephemeral"
    buttons = [e for block in ask.params["blocks"] if block["type"] == "actions" for e in block["elements"]]
    assert [(e["action_id"], e["value"]) for e in buttons] == [
        ("talkturo.unassign.confirm", new_id),
        ("talkturo.cancel", "unassign"),
    ]
    assert buttons[0]["confirm"]["text"]["text"] == "Calls to these numbers will no longer reach Sales Agent."
    assert world.assignments(new_id) == [{"accountSlug": world.slug, "phoneNumberIds": [a, b]}]  # asked only

    world.press("talkturo.unassign.confirm", new_id)
    notice = text_of(world.wait("chat.postMessage", where=lambda c: "removed all numbers" in text_of(c))[0])
    assert world.assignments(new_id)[-1] == {"accountSlug": world.slug, "phoneNumberIds": []}
    assert (world.holder_of(a), world.holder_of(b)) == (None, None)
    assert f"<@{ADMIN}> removed all numbers from *Sales Agent* (`{new_id}`)" in notice
    assert f"• *Numbers*: {world.phone_numbers[0]}, {world.phone_numbers[1]} → none" in notice
    assert world.reply("Removing the numbers…").params["replace_original"] is True


def test_unassign_cancel_keeps_the_numbers(world: World) -> None:
    world.connect()
    new_id = world.create("Sales Agent")
    world.command(f"assign {new_id} {world.number_ids[0]}")
    _assigned(world)
    world.fake.clear()
    world.command(f"unassign {new_id}")
    world.reply("Remove all 1 number(s)")
    world.press("talkturo.cancel", "unassign")
    assert text_of(world.reply("Cancelled")) == "Cancelled; nothing was changed."
    assert len(world.assignments(new_id)) == 1
    assert world.holder_of(world.number_ids[0]) == new_id
    assert world.posts() == []


def test_unassign_without_numbers_has_nothing_to_remove(world: World) -> None:
    world.connect()
    new_id = world.create("Sales Agent")
    world.command('unassign "Sales Agent"')
    reply = world.reply("has no numbers")
    assert text_of(reply) == "*Sales Agent* has no numbers; nothing to remove."
    assert world.assignments(new_id) == []


# --- numbers ---------------------------------------------------------------------------------------


def test_numbers_lists_assigned_and_free_ones_privately(world: World) -> None:
    world.connect()
    new_id = world.create("Sales Agent")
    other = world.create("Other Bot")
    world.command(f"assign {new_id} {world.number_ids[1]}")
    _assigned(world)
    world.command(f"assign {other} {world.number_ids[2]}")
    world.wait("chat.postMessage", count=2)
    world.fake.clear()

    world.command('numbers "Sales Agent"')
    reply = world.reply("Numbers of *Sales Agent*")
    assert reply.params["response_type"] == "ephemeral"
    shown = text_of(reply)
    assigned, free = shown.split("*Free to assign*")
    assert f"• {world.phone_numbers[1]}  `{world.number_ids[1]}`" in assigned
    for i in (0, 3):
        assert f"• {world.phone_numbers[i]}  `{world.number_ids[i]}`" in free
    assert world.phone_numbers[2] not in shown  # held by another assistant
    assert world.phone_numbers[4] not in shown  # suspended
    buttons = [e for block in reply.params["blocks"] if block["type"] == "actions" for e in block["elements"]]
    assert [(e["action_id"], e["value"]) for e in buttons] == [("talkturo.assistant.assign", new_id)]
    assert world.posts() == []
    assert world.posts(CHANNEL) == []


def test_numbers_of_an_unknown_assistant(world: World) -> None:
    world.connect()
    world.command('numbers "Nobody"')
    assert "I don't know an assistant named *Nobody*" in text_of(world.reply("I don't know"))
    assert world.talkturo() == []
