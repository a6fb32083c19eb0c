"""`create`, `show`, `list` and the buttons on summaries and lists; mrkdwn escaping; the fallback when
the bot cannot post in the channel."""

from __future__ import annotations

from typing import Any

from bot.slackfake.state import Call
from tests.e2e.world import ADMIN, CHANNEL, GUEST, World, mrkdwn_texts, text_of

NASTY = "<!channel> & <b>"
NASTY_ESCAPED = "&lt;!channel&gt; &amp; &lt;b&gt;"


def _buttons(blocks: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """(label, action_id, value) of every button, in order."""
    return [
        (e["text"]["text"], e["action_id"], e["value"])
        for b in blocks
        if b["type"] == "actions"
        for e in b["elements"]
    ]


def _summary_buttons(assistant_id: str) -> list[tuple[str, str, str]]:
    return [
        ("Edit", "talkturo.assistant.edit", assistant_id),
        ("Assign numbers", "talkturo.assistant.assign", assistant_id),
        ("Refresh", "talkturo.assistant.refresh", assistant_id),
    ]


def _assert_escaped(call: Call) -> None:
    """No mrkdwn text carries the raw name (it would ping the channel); its escaped form is there."""
    texts = mrkdwn_texts(call)
    assert not any("<!channel>" in t for t in texts), texts
    assert not any("<b>" in t for t in texts), texts
    assert any(NASTY_ESCAPED in t for t in texts), texts


# --- create ----------------------------------------------------------------------------------------


def test_create_opens_a_prefilled_modal_then_posts_the_summary(world: World) -> None:
    world.connect()
    world.command('create "Sales Agent" --template inbound-support')
    view = world.opened_view("talkturo.create")
    name_block, template_block = (b for b in view["blocks"] if b["type"] == "input")
    assert name_block["element"]["initial_value"] == "Sales Agent"
    radios = template_block["element"]
    assert radios["type"] == "radio_buttons"
    assert radios["initial_option"]["value"] == "inbound-support"
    described = {o["value"]: o["description"]["text"] for o in radios["options"]}
    assert described["outbound-setter"] == "Calls leads and books meetings (prospecting defaults)"
    assert set(described) == {"outbound-setter", "inbound-support", "follow-up", "custom"}
    assert world.talkturo() == []  # nothing created before the submit

    assert world.ack(world.submit(view)) == {}
    post = world.wait("chat.postMessage", where=lambda c: "created" in text_of(c))[0]

    (request,) = world.talkturo("POST", "/api/assistants")
    assert request.body == {"accountSlug": world.slug, "name": "Sales Agent", "templateId": "inbound-support"}
    (new_id,) = world.assistant_ids()
    assert post.params["channel"] == CHANNEL
    shown = text_of(post)
    assert f"<@{ADMIN}> created *Sales Agent* (`{new_id}`) from the *inbound-support* template" in shown
    assert _buttons(post.params["blocks"]) == _summary_buttons(new_id)
    assert "*Inbound calls*\non" in shown  # the template's defaults, as Talkturo answered them
    assert "*LLM model*\ngpt-4o-mini" in shown
    # Exactly one post: there is no notify channel.
    assert len(world.posts()) == 1


def test_create_takes_the_name_typed_in_the_modal(world: World) -> None:
    world.connect()
    world.command("create")
    view = world.opened_view("talkturo.create")
    name_block = next(b for b in view["blocks"] if b["block_id"] == "create.name")
    assert "initial_value" not in name_block["element"]
    template = next(b for b in view["blocks"] if b["block_id"] == "create.template")
    assert template["element"]["initial_option"]["value"] == "custom"
    world.submit(view, {"create.name": "  Support Bot  ", "create.template": "follow-up"})
    world.wait("chat.postMessage", where=lambda c: "created" in text_of(c))
    (request,) = world.talkturo("POST", "/api/assistants")
    assert request.body == {"accountSlug": world.slug, "name": "Support Bot", "templateId": "follow-up"}


def test_create_with_an_empty_name_answers_a_field_error(world: World) -> None:
    world.connect()
    world.command("create")
    view = world.opened_view("talkturo.create")
    ack = world.ack(world.submit(view, {"create.name": "   "}))
    assert ack == {"response_action": "errors", "errors": {"create.name": "Give the assistant a name."}}
    assert world.talkturo() == []


def test_create_with_an_unknown_template_is_answered_in_the_ack(world: World) -> None:
    world.connect()
    ack = world.ack(world.command('create "Sales Agent" --template outbound'))
    assert ack["text"].startswith("There is no template `outbound`. Did you mean `outbound-setter`?")
    assert world.fake.calls("views.open") == []


def test_create_refused_by_talkturo_tells_the_user_and_posts_nothing(world: World) -> None:
    world.connect()
    world.command('create "Sales Agent"')
    view = world.opened_view("talkturo.create")
    world.sandbox.inject_fault("create_assistant", status=400)
    assert world.ack(world.submit(view)) == {}
    reply = world.reply("Talkturo refused")
    assert reply.params["response_type"] == "ephemeral"
    assert text_of(reply) == "Talkturo refused the change: Bad Request. Nothing was changed."
    assert world.posts() == []
    assert world.assistant_ids() == []


def test_create_is_refused_to_guests(world: World) -> None:
    world.connect()
    world.command('create "Sales Agent"', user=GUEST)
    refusal = world.reply(":no_entry:")
    assert text_of(refusal) == (
        ":no_entry: Guests can't change assistants in this workspace; ask a member to do it."
    )
    assert world.fake.calls("views.open") == []


# --- show ------------------------------------------------------------------------------------------


def test_show_posts_the_whole_configuration_to_the_channel(world: World) -> None:
    world.connect()
    new_id = world.create("Sales Agent")
    world.command('show "sales   agent"')  # names match case- and space-insensitively
    (post,) = world.wait("chat.postMessage")
    assert post.params["channel"] == CHANNEL
    (request,) = world.talkturo("GET", f"/assistants/{new_id}")
    assert request.query == {"accountSlug": world.slug}
    record = world.assistant(new_id)
    blocks = post.params["blocks"]
    assert blocks[0]["type"] == "header"
    assert blocks[0]["text"] == {"type": "plain_text", "text": "Sales Agent", "emoji": True}
    shown = text_of(post)
    expected = [
        "*Template*\noutbound-setter",
        f"*ID*\n`{new_id}`",
        "*LLM provider*\nopenai",
        "*LLM model*\ngpt-4o-mini",
        "*Temperature*\n0.7",
        "*Max tokens*\n1024",
        "*Voice provider*\ncartesia",
        "*Voice model*\nsonic-2",
        "*Voice name*\nKatie",
        "*Voice ID*\nf786b574-daa5-4673-aa0c-cbe3e8534c02",
        "*Transcriber provider*\ndeepgram",
        "*Transcriber model*\nnova-3",
        "*Language*\nen",
        "*Inbound calls*\noff",
        "*Outbound calls*\non",
        "*Call recording*\non",
        "*Numbers*\nnone",
        "*First message*\n> Hi {{contact.first_name}}, this is Alex",
        "*System prompt*\n> You are Alex, an outbound sales development rep.",
        f"Last updated {record['updated_at']}",
    ]
    for part in expected:
        assert part in shown, part
    assert _buttons(blocks) == _summary_buttons(new_id)


def test_show_by_id_looks_up_an_assistant_the_workspace_did_not_know(world: World) -> None:
    world.connect()
    account = world.sandbox.accounts[world.slug]
    record = world.sandbox.create_assistant(
        account, {"accountSlug": world.slug, "name": "Made In Dashboard", "templateId": "custom"}
    )
    world.command("list")
    assert "knows no assistants yet" in text_of(world.reply("knows no assistants"))
    world.command(f"show {record['id']}")
    post = world.wait("chat.postMessage")[0]
    assert "*Template*\ncustom" in text_of(post)
    assert "*Max tokens*\n—" in text_of(post)  # unset shows as a dash
    world.fake.clear()
    # Now known by name too.
    world.command('show "Made In Dashboard"')
    assert record["id"] in text_of(world.wait("chat.postMessage")[0])
    world.command("list")
    assert f"*Made In Dashboard*  `{record['id']}`" in text_of(world.reply("Assistants (1)"))


def test_show_an_unknown_name_or_id_says_so_privately(world: World) -> None:
    world.connect()
    world.command('show "Nobody Here"')
    reply = world.reply("I don't know")
    assert text_of(reply) == (
        "I don't know an assistant named *Nobody Here* in this workspace. See the ones I know with "
        "`/talkturo list`, or give its ID (`asst_…`)."
    )
    assert world.talkturo() == []
    world.command("show asst_01jzzzzzzzzzzzzzzzzzzzzzzz")
    reply = world.reply("no such assistant")
    assert text_of(reply) == "Talkturo has no such assistant (check the ID or name). Nothing was changed."
    assert reply.params["response_type"] == "ephemeral"
    assert world.posts() == []


def test_show_marks_a_long_system_prompt_as_shortened(world: World) -> None:
    world.connect()
    new_id = world.create("Sales Agent")
    world.change_upstream(new_id, system_prompt="Be helpful. " * 500)
    world.command(f"show {new_id}")
    shown = text_of(world.wait("chat.postMessage")[0])
    assert "… _(shortened)_ (6,000 characters in all)" in shown
    assert "Be helpful. " * 60 not in shown


def test_show_falls_back_to_the_response_url_when_the_bot_is_not_in_the_channel(world: World) -> None:
    world.connect()
    new_id = world.create("Sales Agent")
    world.fake.channel_error(CHANNEL, "not_in_channel")
    try:
        world.command('show "Sales Agent"')
        reply = world.reply(f"`{new_id}`")
        refused = world.fake.calls("chat.postMessage")
        assert [c.response["error"] for c in refused] == ["not_in_channel"]
        assert reply.method == "response_url"
        assert reply.params["response_type"] == "in_channel"
        assert _buttons(reply.params["blocks"]) == _summary_buttons(new_id)
        assert "*LLM model*\ngpt-4o-mini" in text_of(reply)
    finally:
        world.fake.channel_error(CHANNEL, None)


def test_change_notice_reaches_the_user_when_the_bot_is_not_in_the_channel(world: World) -> None:
    world.connect()
    new_id = world.create("Sales Agent")
    world.fake.channel_error(CHANNEL, "not_in_channel")
    try:
        world.command('set "Sales Agent" temperature=0.2')
        reply = world.reply("changed")
        assert reply.method == "response_url"
        assert reply.params["response_type"] == "in_channel"
        assert "• *Temperature*: 0.7 → 0.2" in text_of(reply)
        assert world.patches(new_id) == [{"accountSlug": world.slug, "temperature": 0.2}]
    finally:
        world.fake.channel_error(CHANNEL, None)


# --- list ------------------------------------------------------------------------------------------


def test_list_shows_known_assistants_with_show_and_edit_buttons(world: World) -> None:
    world.connect()
    first = world.create("Sales Agent")
    second = world.create("Alpha Support", "inbound-support")
    world.command("list")
    reply = world.reply("Assistants (2)")
    assert reply.params["response_type"] == "ephemeral"
    shown = text_of(reply)
    assert shown.index("*Alpha Support*") < shown.index("*Sales Agent*")  # sorted by name
    assert f"*Sales Agent*  `{first}`\noutbound-setter" in shown
    assert _buttons(reply.params["blocks"]) == [
        ("Show", "talkturo.assistant.show", second),
        ("Edit", "talkturo.assistant.edit", second),
        ("Show", "talkturo.assistant.show", first),
        ("Edit", "talkturo.assistant.edit", first),
    ]
    assert world.talkturo() == []  # the registry answers; Talkturo has no list endpoint
    assert world.posts() == []


def test_list_when_empty_says_how_to_add_one(world: World) -> None:
    world.connect()
    world.command("list")
    reply = world.reply("knows no assistants")
    assert "Create one with `/talkturo create`" in text_of(reply)


# --- buttons ---------------------------------------------------------------------------------------


def test_show_button_on_the_list_posts_the_summary(world: World) -> None:
    world.connect()
    new_id = world.create("Sales Agent")
    world.press("talkturo.assistant.show", new_id)
    post = world.wait("chat.postMessage")[0]
    assert post.params["channel"] == CHANNEL
    assert _buttons(post.params["blocks"]) == _summary_buttons(new_id)


def test_refresh_button_replaces_the_summary_with_fresh_values(world: World) -> None:
    world.connect()
    new_id = world.create("Sales Agent")
    world.change_upstream(new_id, model="gpt-4.1", name="Sales Agent v2")
    world.sandbox.numbers[world.number_ids[0]]["assistant_id"] = new_id
    world.press("talkturo.assistant.refresh", new_id)
    reply = world.reply("Sales Agent v2")
    assert reply.method == "response_url"
    assert reply.params["replace_original"] is True
    shown = text_of(reply)
    assert "*LLM model*\ngpt-4.1" in shown
    assert f"*Numbers*\n{world.phone_numbers[0]}" in shown
    # Read fresh: the assistant and its numbers, nothing written.
    assert sorted((r.method, r.path) for r in world.talkturo()) == [
        ("GET", f"/api/assistants/{new_id}"),
        ("GET", f"/api/assistants/{new_id}/telephony/phone-numbers"),
    ]
    assert world.posts() == []  # replaced in place, not posted again
    # The registry follows the rename.
    world.fake.clear()
    world.command('show "Sales Agent v2"')
    assert new_id in text_of(world.wait("chat.postMessage")[0])


def test_edit_button_opens_the_edit_modal(world: World) -> None:
    world.connect()
    new_id = world.create("Sales Agent")
    world.press("talkturo.assistant.edit", new_id)
    view = world.opened_view("talkturo.edit")
    assert view["title"]["text"] == "Edit Sales Agent"
    name = next(b for b in view["blocks"] if b.get("block_id") == "edit.name")
    assert name["element"]["initial_value"] == "Sales Agent"


def test_assign_button_opens_the_assign_modal(world: World) -> None:
    world.connect()
    new_id = world.create("Sales Agent")
    world.press("talkturo.assistant.assign", new_id)
    view = world.opened_view("talkturo.assign")
    select = next(b for b in view["blocks"] if b.get("block_id") == "assign.numbers")["element"]
    assert [o["value"] for o in select["options"]] == world.number_ids[:4]  # the 5th is suspended


def test_refresh_of_an_assistant_deleted_upstream_says_so(world: World) -> None:
    world.connect()
    new_id = world.create("Sales Agent")
    del world.sandbox.assistants[new_id]
    world.press("talkturo.assistant.refresh", new_id)
    reply = world.reply("no such assistant")
    assert reply.params["response_type"] == "ephemeral"


# --- escaping --------------------------------------------------------------------------------------


def test_a_nasty_name_is_escaped_in_every_message(world: World) -> None:
    world.connect()
    world.command("create")
    view = world.opened_view("talkturo.create")
    world.submit(view, {"create.name": NASTY, "create.template": "outbound-setter"})
    world.wait("chat.postMessage", where=lambda c: "created" in text_of(c))
    (new_id,) = world.assistant_ids()
    assert world.assistant(new_id)["name"] == NASTY  # stored as typed
    # Slack escapes & < > in command text but keeps its own <!...> sequences: the name still resolves.
    world.command(f"show {NASTY}", escape=True)
    world.wait("chat.postMessage", count=2)
    world.command(f"set {new_id} temperature=0.1")
    world.reply("• *Temperature*: 0.7 → 0.1")
    world.command("list")
    world.reply("Assistants (1)")
    world.command(f"numbers {new_id}")
    world.reply("Numbers of")
    world.command(f"assign {new_id} {world.number_ids[0]}")
    world.reply("assigned numbers to")
    world.command(f"unassign {new_id}")
    world.reply("Remove all 1 number(s)")
    world.press("talkturo.assistant.refresh", new_id)
    world.wait("response_url", where=lambda c: c.params.get("replace_original") is True)
    world.command(f"edit {new_id}")
    edit_view = world.opened_view("talkturo.edit")

    messages = [c for c in world.fake.calls() if c.method in ("chat.postMessage", "response_url")]
    assert len(messages) == 8  # created, show, set, list, numbers, assign, unassign ask, refresh
    for message in messages:
        _assert_escaped(message)
    # In the modal the name is plain text, shown as typed; mrkdwn there (the title is plain) is escaped.
    name_input = next(b for b in edit_view["blocks"] if b.get("block_id") == "edit.name")
    assert name_input["element"]["initial_value"] == NASTY
