"""`edit` (the modal) and `set` (key=value): what the form offers, what reaches Talkturo, what the
channel reads."""

from __future__ import annotations

from typing import Any

from slack_bolt.request.internals import parse_body

from bot.talkturo.models import LLM_PROVIDERS, STT_PROVIDERS, VOICE_PROVIDERS
from tests.e2e.world import ADMIN, CHANNEL, World, text_of

TELEPHONY = "edit.telephony"


def _blocks(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}


def _open_edit(world: World, ref: str) -> dict[str, Any]:
    world.command(f"edit {ref}")
    return world.opened_view("talkturo.edit")


def _changed_notice(world: World) -> str:
    return text_of(world.wait("chat.postMessage", where=lambda c: "changed" in text_of(c))[0])


# --- the modal -------------------------------------------------------------------------------------


def test_edit_opens_at_once_then_shows_every_field_prefilled_and_grouped(world: World) -> None:
    world.connect()
    new_id = world.create("Sales Agent")
    view = _open_edit(world, '"Sales Agent"')

    # A loading view first (the trigger lives 3 s), then the form by views.update with the hash.
    (opened,) = world.fake.calls("views.open")
    assert opened.params["view"]["callback_id"] == "talkturo.loading"
    (updated,) = world.fake.calls("views.update")
    assert updated.params["view_id"] == opened.response["view"]["id"]
    assert updated.params["hash"] == opened.response["view"]["hash"]
    (fetch,) = world.talkturo("GET", f"/assistants/{new_id}")
    assert fetch.query == {"accountSlug": world.slug}

    assert view["title"]["text"] == "Edit Sales Agent"
    assert view["submit"]["text"] == "Save"
    headers = [b["text"]["text"] for b in view["blocks"] if b["type"] == "header"]
    assert headers == ["Basics", "LLM", "Voice", "Transcriber", "Telephony"]
    order = [b["text"]["text"] if b["type"] == "header" else b["block_id"] for b in view["blocks"]]
    assert order == [
        "Basics",
        "edit.name",
        "edit.first_message",
        "edit.system_prompt",
        "LLM",
        "edit.provider",
        "edit.model",
        "edit.temperature",
        "edit.max_tokens",
        "Voice",
        "edit.voice_provider",
        "edit.voice_model",
        "edit.voice_name",
        "edit.voice_id",
        "Transcriber",
        "edit.stt_provider",
        "edit.stt_model",
        "edit.language",
        "Telephony",
        TELEPHONY,
    ]
    blocks = _blocks(view)
    record = world.assistant(new_id)
    # Text fields hold the current values; prompts are multiline.
    for field in ("name", "first_message", "system_prompt", "model", "voice_model", "voice_name"):
        assert blocks[f"edit.{field}"]["element"]["type"] == "plain_text_input", field
        assert blocks[f"edit.{field}"]["element"]["initial_value"] == record[field], field
    for field in ("voice_id", "stt_model", "language"):
        assert blocks[f"edit.{field}"]["element"]["initial_value"] == record[field], field
    assert blocks["edit.first_message"]["element"]["multiline"] is True
    assert blocks["edit.system_prompt"]["element"]["multiline"] is True
    assert blocks["edit.name"]["element"]["multiline"] is False
    assert blocks["edit.name"]["optional"] is False
    # Selects offer the documented values, the current one chosen.
    for field, documented in (
        ("provider", LLM_PROVIDERS),
        ("voice_provider", VOICE_PROVIDERS),
        ("stt_provider", STT_PROVIDERS),
    ):
        element = blocks[f"edit.{field}"]["element"]
        assert element["type"] == "static_select"
        assert [o["value"] for o in element["options"]] == list(documented)
        assert element["initial_option"]["value"] == record[field]
    # Numbers with their bounds.
    temperature = blocks["edit.temperature"]["element"]
    assert temperature == {
        "type": "number_input",
        "is_decimal_allowed": True,
        "min_value": "0",
        "max_value": "2",
        "initial_value": "0.7",
        "action_id": "input",
    }
    max_tokens = blocks["edit.max_tokens"]["element"]
    assert max_tokens["type"] == "number_input"
    assert max_tokens["is_decimal_allowed"] is False
    assert max_tokens["min_value"] == "1"
    assert max_tokens["initial_value"] == "1024"
    # Telephony booleans as checkboxes, the ones that are on checked.
    checkboxes = blocks[TELEPHONY]["element"]
    assert checkboxes["type"] == "checkboxes"
    assert [o["value"] for o in checkboxes["options"]] == [
        "inbound_enabled",
        "outbound_enabled",
        "recording_enabled",
    ]
    assert [o["value"] for o in checkboxes["initial_options"]] == ["outbound_enabled", "recording_enabled"]


def test_edit_offers_an_undocumented_current_provider_too(world: World) -> None:
    world.connect()
    new_id = world.create("Sales Agent")
    world.change_upstream(new_id, provider="mistral", voice_provider="playht")
    blocks = _blocks(_open_edit(world, new_id))
    provider = blocks["edit.provider"]["element"]
    assert [o["value"] for o in provider["options"]] == ["mistral", *LLM_PROVIDERS]
    assert provider["initial_option"]["value"] == "mistral"
    assert blocks["edit.voice_provider"]["element"]["initial_option"]["value"] == "playht"
    # Saving without touching them keeps them: nothing is sent.
    world.submit(world.opened_view("talkturo.edit"))
    assert world.patches(new_id) == []


def test_edit_of_an_unknown_assistant_answers_without_opening(world: World) -> None:
    world.connect()
    world.command('edit "No Such"')
    assert "I don't know an assistant named *No Such*" in text_of(world.reply("I don't know"))
    assert world.fake.calls("views.open") == []


def test_edit_of_a_missing_id_shows_the_error_in_the_modal(world: World) -> None:
    world.connect()
    world.command("edit asst_01jzzzzzzzzzzzzzzzzzzzzzzz")
    view = world.opened_view("talkturo.done")
    assert "Talkturo has no such assistant" in view["blocks"][0]["text"]["text"]


# --- submitting ------------------------------------------------------------------------------------


def test_edit_sends_only_the_changed_fields_and_posts_a_notice(world: World) -> None:
    world.connect()
    new_id = world.create("Sales Agent")
    view = _open_edit(world, new_id)
    values = {
        "edit.name": "Sales Agent EU",
        "edit.temperature": "0.3",
        "edit.provider": "anthropic",
        TELEPHONY: ["inbound_enabled", "outbound_enabled", "recording_enabled"],
    }
    assert world.ack(world.submit(view, values)) == {}  # the modal closes

    assert world.patches(new_id) == [
        {
            "accountSlug": world.slug,
            "name": "Sales Agent EU",
            "provider": "anthropic",
            "temperature": 0.3,
            "inbound_enabled": True,
        }
    ]
    record = world.assistant(new_id)
    assert (record["name"], record["temperature"], record["inbound_enabled"]) == ("Sales Agent EU", 0.3, True)
    notice = _changed_notice(world)
    assert f"<@{ADMIN}> changed *Sales Agent EU* (`{new_id}`)" in notice
    assert "• *Name*: Sales Agent → Sales Agent EU" in notice
    assert "• *LLM provider*: openai → anthropic" in notice
    assert "• *Temperature*: 0.7 → 0.3" in notice
    assert "• *Inbound calls*: off → on" in notice
    assert "Max tokens" not in notice
    assert len(world.posts()) == 1


def test_edit_saved_unchanged_sends_nothing(world: World) -> None:
    world.connect()
    new_id = world.create("Sales Agent")
    view = _open_edit(world, new_id)
    assert world.ack(world.submit(view)) == {}
    assert world.patches(new_id) == []
    assert world.posts() == []


def test_edit_can_clear_a_text_field(world: World) -> None:
    world.connect()
    new_id = world.create("Sales Agent")
    view = _open_edit(world, new_id)
    world.submit(view, {"edit.first_message": ""})
    _changed_notice(world)
    assert world.patches(new_id) == [{"accountSlug": world.slug, "first_message": ""}]


def test_edit_field_errors_come_back_in_the_ack_and_nothing_is_sent(world: World) -> None:
    world.connect()
    new_id = world.create("Sales Agent")
    view = _open_edit(world, new_id)
    # Slack's number_input would stop 3 in the browser; the bot checks again.
    ack = world.ack(
        world.submit(view, {"edit.name": "  ", "edit.temperature": "3", "edit.max_tokens": "1.5"})
    )
    assert ack == {
        "response_action": "errors",
        "errors": {
            "edit.name": "The name can't be empty.",
            "edit.temperature": "Temperature must be at most 2.",
            "edit.max_tokens": "Max tokens must be a whole number.",
        },
    }
    ack = world.ack(world.submit(view, {"edit.temperature": "-0.5", "edit.max_tokens": "0"}))
    assert ack["errors"] == {
        "edit.temperature": "Temperature must be at least 0.",
        "edit.max_tokens": "Max tokens must be at least 1.",
    }
    ack = world.ack(world.submit(view, {"edit.temperature": "warm"}))
    assert ack["errors"] == {"edit.temperature": "Temperature must be a number."}
    assert world.patches(new_id) == []
    assert world.posts() == []


def test_edit_when_talkturo_refuses_shows_the_reason_in_the_modal(world: World) -> None:
    world.connect()
    new_id = world.create("Sales Agent")
    view = _open_edit(world, new_id)
    world.sandbox.inject_fault("update_assistant", status=400)
    ack = world.ack(world.submit(view, {"edit.model": "gpt-4o"}))
    assert ack == {
        "response_action": "errors",
        "errors": {"edit.name": "Talkturo refused the change: Bad Request. Nothing was changed."},
    }
    assert world.assistant(new_id)["model"] == "gpt-4o-mini"
    assert world.posts() == []


def test_edit_conflict_warns_in_the_modal_and_saves_nothing(world: World) -> None:
    world.connect()
    new_id = world.create("Sales Agent")
    view = _open_edit(world, new_id)
    # Someone changes the model in the Talkturo dashboard while the form is open.
    world.change_upstream(new_id, model="gpt-4.1")
    ack = world.ack(world.submit(view, {"edit.temperature": "0.3"}))
    assert ack["response_action"] == "update"
    updated = ack["view"]
    notice = updated["blocks"][0]
    assert notice["block_id"] == "edit.notice"
    assert notice["text"]["text"] == (
        ":warning: *Someone changed this assistant in Talkturo after you opened this form.* "
        "Nothing was saved. Talkturo now has:\n• *LLM model* is now gpt-4.1\n"
        "Check these fields and save again."
    )
    assert _blocks(updated)["edit.model"]["element"]["initial_value"] == "gpt-4.1"  # current values
    assert world.patches(new_id) == []
    assert world.assistant(new_id)["temperature"] == 0.7
    assert world.posts() == []

    # Saving the refreshed form goes through, with only the person's own change.
    resubmitted = {**updated, "id": view["id"], "hash": "1700000000.refreshed"}
    assert world.ack(world.submit(resubmitted, {"edit.temperature": "0.3"})) == {}
    assert world.patches(new_id) == [{"accountSlug": world.slug, "temperature": 0.3}]
    assert world.assistant(new_id)["model"] == "gpt-4.1"


def test_edit_after_an_unrelated_change_upstream_still_saves(world: World) -> None:
    """Assigning a number moves updated_at but touches no field of the form: no conflict."""
    world.connect()
    new_id = world.create("Sales Agent")
    view = _open_edit(world, new_id)
    world.command(f"assign {new_id} {world.number_ids[0]}")
    world.wait("chat.postMessage", where=lambda c: "assigned numbers" in text_of(c))
    assert world.ack(world.submit(view, {"edit.temperature": "0.3"})) == {}
    assert world.patches(new_id) == [{"accountSlug": world.slug, "temperature": 0.3}]


def test_a_prompt_longer_than_an_input_holds_is_never_truncated(world: World) -> None:
    world.connect()
    new_id = world.create("Sales Agent")
    long_prompt = "".join(f"Rule {i}: be kind and precise.\n" for i in range(200))
    assert len(long_prompt) > 3000
    world.change_upstream(new_id, system_prompt=long_prompt)
    view = _open_edit(world, new_id)
    block = _blocks(view)["edit.system_prompt"]
    assert "initial_value" not in block["element"]
    assert block["label"]["text"] == "Replace system prompt"
    assert block["optional"] is True
    assert f"has {len(long_prompt):,} characters" in block["hint"]["text"]
    assert "Leave this empty to keep it unchanged" in block["hint"]["text"]

    # Saved without touching it: the prompt is not sent, and stays identical.
    world.submit(view, {"edit.temperature": "0.2"})
    _changed_notice(world)
    assert world.patches(new_id) == [{"accountSlug": world.slug, "temperature": 0.2}]
    assert world.assistant(new_id)["system_prompt"] == long_prompt

    # Text typed there replaces all of it.
    world.fake.clear()
    view = _open_edit(world, new_id)
    world.submit(view, {"edit.system_prompt": "Short and sweet."})
    notice = _changed_notice(world)
    assert world.patches(new_id)[-1] == {"accountSlug": world.slug, "system_prompt": "Short and sweet."}
    assert "• *System prompt*: Rule 0: be kind" in notice
    assert "→ Short and sweet." in notice


def test_edit_submitted_twice_saves_once(world: World) -> None:
    world.connect()
    new_id = world.create("Sales Agent")
    view = _open_edit(world, new_id)
    world.submit(view, {"edit.model": "gpt-4o"})
    world.submit(view, {"edit.model": "gpt-4o"})  # a double click: same view, same hash
    _changed_notice(world)
    assert world.patches(new_id) == [{"accountSlug": world.slug, "model": "gpt-4o"}]


# --- set -------------------------------------------------------------------------------------------


def test_set_sends_only_the_given_keys_and_posts_the_changes(world: World) -> None:
    world.connect()
    new_id = world.create("Sales Agent")
    ack = world.ack(world.command('set "Sales Agent" temperature=0.3 model=gpt-4o'))
    assert ack == {}
    notice_call = world.wait("chat.postMessage", where=lambda c: "changed" in text_of(c))[0]
    assert notice_call.params["channel"] == CHANNEL
    assert world.patches(new_id) == [{"accountSlug": world.slug, "model": "gpt-4o", "temperature": 0.3}]
    (fetch,) = world.talkturo("GET", f"/assistants/{new_id}")
    assert fetch.query == {"accountSlug": world.slug}
    notice = text_of(notice_call)
    assert f"<@{ADMIN}> changed *Sales Agent* (`{new_id}`)" in notice
    assert "• *LLM model*: gpt-4o-mini → gpt-4o\n• *Temperature*: 0.7 → 0.3" in notice
    assert "Changed with /talkturo" in notice


def test_set_with_quotes_aliases_and_booleans(world: World) -> None:
    world.connect()
    new_id = world.create("Sales Agent")
    world.command(
        'set “Sales Agent” name="Sales Agent EU" inbound=on recording=no '
        "max-tokens=256 greeting='Hi there!'"
    )
    notice = _changed_notice(world)
    assert world.patches(new_id) == [
        {
            "accountSlug": world.slug,
            "name": "Sales Agent EU",
            "inbound_enabled": True,
            "recording_enabled": False,
            "max_tokens": 256,
            "first_message": "Hi there!",
        }
    ]
    assert "• *Inbound calls*: off → on" in notice
    assert "• *Call recording*: on → off" in notice
    assert "• *Max tokens*: 1024 → 256" in notice
    # The workspace knows the new name, and forgets the old one.
    world.fake.clear()
    world.command('show "Sales Agent EU"')
    assert new_id in text_of(world.wait("chat.postMessage")[0])
    world.command('show "Sales Agent"')
    assert "I don't know an assistant named *Sales Agent*" in text_of(world.reply("I don't know"))


def test_set_with_an_unknown_key_suggests_the_closest_and_sends_nothing(world: World) -> None:
    world.connect()
    world.create("Sales Agent")
    ack = world.ack(world.command('set "Sales Agent" temprature=0.3'))
    assert ack["text"].startswith("There is no setting `temprature`. Did you mean `temperature`? Settings: ")
    assert "name, first_message, system_prompt, provider, model, temperature, max_tokens" in ack["text"]
    ack = world.ack(world.command('set "Sales Agent" tts=elevenlabs voise=Rachel'))
    assert ack["text"].startswith("There is no setting `voise`. Did you mean `voice_id`?")
    assert world.talkturo() == []
    assert world.posts() == []


def test_set_with_a_bad_value_says_what_is_accepted(world: World) -> None:
    world.connect()
    world.create("Sales Agent")
    ack = world.ack(world.command('set "Sales Agent" temperature=3'))
    assert ack["text"] == "`temperature` must be a number from 0 to 2, e.g. `temperature=0.7`; got `3`."
    ack = world.ack(world.command('set "Sales Agent" inbound=maybe'))
    assert ack["text"] == "`inbound_enabled` must be `on` or `off` (also yes/no, true/false); got `maybe`."
    ack = world.ack(world.command("set Sales Agent temperature=0.3"))
    assert (
        "is not a `key=value` pair. If it is part of the assistant name, put the whole name in quotes"
        in (ack["text"])
    )
    assert world.talkturo() == []


def test_set_to_the_current_values_changes_nothing(world: World) -> None:
    world.connect()
    new_id = world.create("Sales Agent")
    world.command('set "Sales Agent" temperature=0.7 provider=OpenAI')
    reply = world.reply("Nothing to change")
    assert text_of(reply) == "Nothing to change: *Sales Agent* already has those values."
    assert world.patches(new_id) == []


def test_set_with_the_word_payload_in_a_value_works_over_http(world: World) -> None:
    """Bolt 1.30 reads any form body holding "payload" as an interaction; the bot guards against it."""
    world.connect()
    new_id = world.create("Sales Agent")
    prompt = "Read the payload of each webhook & answer in <= 2 sentences."
    request = world.slack.command(
        f'set "Sales Agent" system_prompt="{prompt}"', user_id=ADMIN, channel_id=CHANNEL, escape=True
    )
    # Bolt alone would lose this command: its body parser finds "payload" and returns nothing.
    assert parse_body(request.body.decode(), "application/x-www-form-urlencoded") == {}
    response = world.send(request)
    assert response.status_code == 200
    assert world.ack(response) == {}
    notice = _changed_notice(world)
    assert world.patches(new_id) == [{"accountSlug": world.slug, "system_prompt": prompt}]
    assert "→ Read the payload of each webhook &amp; answer in &lt;= 2 sentences." in notice


def test_set_when_talkturo_rejects_the_token_says_how_to_reconnect(world: World) -> None:
    world.connect()
    new_id = world.create("Sales Agent")
    world.sandbox.inject_fault("get_assistant", status=401)
    world.command(f"set {new_id} temperature=0.1")
    reply = world.reply("refused this workspace's API token")
    assert reply.params["response_type"] == "ephemeral"
    assert "connect again with `/talkturo connect`. Nothing was changed." in text_of(reply)
    assert world.patches(new_id) == []
