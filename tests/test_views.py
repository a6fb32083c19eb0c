"""Every Block Kit builder in bot/ui, fed realistic and extreme data, checked by slack_sdk's models
(their `to_dict()` validates lengths and shapes) and by the limits slack_sdk does not check."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pydantic import SecretStr
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.fields import FIELDS, Kind
from bot.grammar import USAGE
from bot.store import Connection, KnownNumber, RegistryEntry
from bot.talkturo import errors as tk
from bot.talkturo.models import Assistant, PhoneNumber
from bot.ui.assistant import list_blocks, summary_blocks, summary_text
from bot.ui.connection import connect_modal, disconnect_confirm_blocks, not_connected_text, status_blocks
from bot.ui.create import create_modal
from bot.ui.edit import conflict_notice, edit_modal
from bot.ui.errors import explain
from bot.ui.help import help_blocks
from bot.ui.modals import loading_modal, message_modal, metadata
from bot.ui.notices import Change, Notice, notice_blocks
from bot.ui.numbers import assign_modal, numbers_blocks, unassign_confirm_blocks
from bot.ui.text import section, shorten

NASTY = "<!channel> & <b>"
# 200 characters with mrkdwn specials, accents, CJK, an emoji and a right-to-left word.
LONG_NAME = ("Équipe <Ventes> & 営業 🚀 عربى " * 10)[:200]
PROMPT = "".join(f"Step {i}: répondez <poliment> & brièvement — 丁寧に。\n" for i in range(400))[:10_000]
META = metadata(
    a="asst_01j" + "x" * 23, c="C0123456789", r="https://hooks.slack.com/actions/T1/1/" + "a" * 24
)


def _assistant(**overrides: Any) -> Assistant:
    data: dict[str, Any] = {
        "id": "asst_01jabcdefghjkmnpqrstvwxyz0",
        "account_id": "acct_01",
        "type": "outbound-setter",
        "name": "Sales Agent",
        "provider": "openai",
        "model": "gpt-4o-mini",
        "temperature": 0.7,
        "max_tokens": 1024,
        "first_message": "Hi {{contact.first_name}}, this is Alex from {{company.name}}.",
        "system_prompt": "You are Alex, an outbound sales development rep.",
        "voice_provider": "cartesia",
        "voice_model": "sonic-2",
        "voice_id": "f786b574-daa5-4673-aa0c-cbe3e8534c02",
        "voice_name": "Katie",
        "stt_provider": "deepgram",
        "stt_model": "nova-3",
        "language": "en",
        "recording_enabled": True,
        "inbound_enabled": False,
        "outbound_enabled": True,
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-02T00:00:00.123456Z",
    }
    data.update(overrides)
    return Assistant.model_validate(data)


REALISTIC = _assistant()
EXTREME = _assistant(
    name=LONG_NAME,
    type="custom-" + "t" * 300,
    provider="p" * 200,  # an undocumented provider too long to be an option value
    model="m" * 3000,
    temperature=1.999999,
    max_tokens=10**9,
    first_message=PROMPT,
    system_prompt=PROMPT,
    voice_provider="playht",
    voice_model="🎙" * 500,
    voice_id="v" * 2000,
    voice_name=NASTY * 100,
    stt_provider="whisper",
    stt_model="s" * 3000,
    language="x" * 3000,
)
NEAR_LIMIT = _assistant(name="N" * 200, first_message="f" * 3000, system_prompt="s" * 3001)
EMPTY = Assistant.model_validate({"id": "asst_01jempty"})
NASTY_ONE = _assistant(name=NASTY, system_prompt=f"{NASTY}\n{NASTY}", voice_name=NASTY)
ASSISTANTS = {
    "realistic": REALISTIC,
    "extreme": EXTREME,
    "near-limit": NEAR_LIMIT,
    "empty": EMPTY,
    "nasty": NASTY_ONE,
}


def _numbers(count: int, holder: str, held: int = 3) -> list[PhoneNumber]:
    return [
        PhoneNumber(
            id=f"pn_{i:012x}",
            phone_number=f"+1415555{i:04d}",
            status="active" if i % 7 else "pending-verification",
            assistant_id=holder if i < held else None,
        )
        for i in range(count)
    ]


def _known(count: int) -> tuple[KnownNumber, ...]:
    return tuple(KnownNumber(f"pn_{i:012x}", f"+1415555{i:04d}") for i in range(count))


CONNECTION = Connection(
    slug="acme-" + "s" * 95,
    token=SecretStr("tk_live_" + "k" * 60),
    api_url="https://api.example.com/" + "p" * 250,
    connected_by="U0123ABCDEF",
    connected_at="2026-01-01T00:00:00+00:00",
)


# --- the checks ------------------------------------------------------------------------------------


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


def _check_blocks(blocks: list[dict[str, Any]], limit: int) -> None:
    """What slack_sdk validates, then what it does not."""
    parsed = Block.parse_all(blocks)
    assert len(parsed) == len(blocks)
    for block in parsed:
        block.to_dict()  # raises SlackObjectFormationError on a limit it knows
    assert 0 < len(blocks) <= limit
    ids = [b["block_id"] for b in blocks if "block_id" in b]
    assert len(ids) == len(set(ids)), f"duplicate block_id in {ids}"
    assert all(len(i) <= 255 for i in ids)
    for block in blocks:
        if block["type"] == "section":
            assert "text" in block or "fields" in block
            assert len(block.get("text", {}).get("text", "")) <= 3000
            assert len(block.get("fields", [])) <= 10
            for item in block.get("fields", []):
                assert 0 < len(item["text"]) <= 2000
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= 150
    for node in _walk(blocks):
        kind = node.get("type")
        if kind in ("plain_text", "mrkdwn"):
            assert isinstance(node.get("text"), str) and node["text"], node
        if kind == "plain_text_input":
            assert 1 <= node["max_length"] <= 3000
            assert len(node.get("initial_value", "")) <= node["max_length"]
            assert len(node.get("placeholder", {}).get("text", "")) <= 150
        if kind in ("static_select", "multi_static_select", "radio_buttons", "checkboxes"):
            assert 0 < len(node["options"]) <= 100
            values = [o["value"] for o in node["options"]]
            assert len(values) == len(set(values)), "options must have distinct values"
            initial = node.get("initial_options") or (
                [node["initial_option"]] if "initial_option" in node else []
            )
            assert all(o in node["options"] for o in initial), "an initial option must be one of the options"
        if "options" in node and isinstance(node["options"], list):
            for option in node["options"]:
                assert len(option["text"]["text"]) <= 75
                assert 0 < len(option["value"]) <= 150
                assert len(option.get("description", {}).get("text", "")) <= 75
        if kind == "number_input":
            low, high = node.get("min_value"), node.get("max_value")
            if "initial_value" in node:
                value = float(node["initial_value"])
                assert low is None or value >= float(low)
                assert high is None or value <= float(high)
            if not node["is_decimal_allowed"] and "initial_value" in node:
                assert float(node["initial_value"]).is_integer()
    json.dumps(blocks)


def check_message(blocks: list[dict[str, Any]], text: str | None = None) -> None:
    _check_blocks(blocks, limit=50)
    assert all(b["type"] != "input" for b in blocks), "input blocks belong in modals"
    if text is not None:
        assert text.strip()
        assert len(text) <= 40_000


def check_modal(view: dict[str, Any]) -> None:
    parsed = View(**view)
    assert parsed.to_dict()["type"] == "modal"  # validates title, blocks, private_metadata
    _check_blocks(view["blocks"], limit=100)
    for key in ("title", "submit", "close"):
        if view.get(key) is not None:
            assert view[key]["type"] == "plain_text"
            assert 0 < len(view[key]["text"]) <= 24, (key, view[key]["text"])
    if any(b["type"] == "input" for b in view["blocks"]):
        assert view.get("submit"), "a modal with inputs needs a submit button"
    assert len(view.get("private_metadata", "")) <= 3000
    assert len(view.get("callback_id", "")) <= 255
    assert len(json.dumps(view)) <= 250_000


def _mrkdwn(blocks: list[dict[str, Any]]) -> str:
    return "\n".join(n["text"] for n in _walk(blocks) if n.get("type") == "mrkdwn")


# --- messages --------------------------------------------------------------------------------------


@pytest.mark.parametrize("which", list(ASSISTANTS))
@pytest.mark.parametrize("count", [0, 3, 150])
def test_summary(which: str, count: int) -> None:
    assistant = ASSISTANTS[which]
    blocks = summary_blocks(assistant, _known(count))
    check_message(blocks, summary_text(assistant))
    actions = [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert actions == ["talkturo.assistant.edit", "talkturo.assistant.assign", "talkturo.assistant.refresh"]


def test_summary_shortens_a_long_prompt_with_a_mark() -> None:
    shown = _mrkdwn(summary_blocks(EXTREME, ()))
    assert "… _(shortened)_" in shown
    assert PROMPT[:100].splitlines()[0] in shown.replace("&lt;", "<").replace("&gt;", ">").replace(
        "&amp;", "&"
    )


def test_summary_escapes_user_text_in_mrkdwn_and_the_fallback() -> None:
    blocks = summary_blocks(NASTY_ONE, ())
    assert "<!channel>" not in _mrkdwn(blocks)
    assert "&lt;!channel&gt; &amp; &lt;b&gt;" in _mrkdwn(blocks)
    assert "<!channel>" not in summary_text(NASTY_ONE)
    assert blocks[0]["text"] == {"type": "plain_text", "text": NASTY, "emoji": True}  # plain: shown as is


@pytest.mark.parametrize("count", [0, 1, 23, 24, 60])
def test_list(count: int) -> None:
    entries = [
        RegistryEntry(
            id=f"asst_01j{i:023d}",
            name=f"{LONG_NAME[:190]} {i}" if i % 2 else f"{NASTY} {i}",
            template="outbound-setter",
            numbers=_known(i % 40),
        )
        for i in range(count)
    ]
    blocks = list_blocks(entries)
    check_message(blocks)
    buttons = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert len(buttons) == 2 * min(count, 23)
    if count > 23:
        assert f"{count - 23} more not shown" in _mrkdwn(blocks)
    assert "<!channel>" not in _mrkdwn(blocks)


@pytest.mark.parametrize("count", [0, 5, 150])
@pytest.mark.parametrize("which", ["realistic", "extreme", "nasty"])
def test_numbers(count: int, which: str) -> None:
    assistant = ASSISTANTS[which]
    blocks = numbers_blocks(assistant, _numbers(count, assistant.id))
    check_message(blocks)
    assert "<!channel>" not in _mrkdwn(blocks)


@pytest.mark.parametrize("which", ["realistic", "extreme", "nasty"])
@pytest.mark.parametrize("count", [1, 150])
def test_unassign_confirmation(which: str, count: int) -> None:
    blocks = unassign_confirm_blocks(ASSISTANTS[which], count)
    check_message(blocks)
    assert "<!channel>" not in _mrkdwn(blocks)


@pytest.mark.parametrize("slug", ["acme", "s" * 100, NASTY])
def test_disconnect_confirmation(slug: str) -> None:
    blocks = disconnect_confirm_blocks(slug)
    check_message(blocks)
    assert "<!channel>" not in _mrkdwn(blocks)


@pytest.mark.parametrize("connection", [None, CONNECTION], ids=["none", "connected"])
@pytest.mark.parametrize("notify", [None, "C0123456789"])
def test_status(connection: Connection | None, notify: str | None) -> None:
    blocks = status_blocks(connection, "https://api.talkturo.com/api", notify)
    check_message(blocks)
    assert CONNECTION.token.get_secret_value() not in json.dumps(blocks)
    if connection is None:
        assert _mrkdwn(blocks) == not_connected_text()


@pytest.mark.parametrize("topic", [None, *USAGE])
def test_help(topic: str | None) -> None:
    blocks = help_blocks(topic)
    check_message(blocks)
    assert "characters in all" not in json.dumps(blocks), "help must never be cut"


def _changes(size: int) -> tuple[Change, ...]:
    values: list[tuple[Any, Any]] = [
        (None, "x"),
        (True, False),
        (0.7, 0.3),
        (1024, 256),
        (PROMPT, NASTY),
        ("", PROMPT),
    ]
    return tuple(Change(spec.label, *values[i % len(values)]) for i, spec in enumerate((FIELDS * 2)[:size]))


@pytest.mark.parametrize("size", [0, 1, 17, 34])
@pytest.mark.parametrize("warning", [None, "Inbound calling is off " * 200])
def test_notice(size: int, warning: str | None) -> None:
    notice = Notice("U0123ABCDEF", f"changed *{NASTY.replace('<', '&lt;')}*", _changes(size), warning)
    blocks = notice_blocks(notice)
    check_message(blocks, notice.text)
    assert "<!channel>" not in _mrkdwn(blocks)
    # With a summary after it, as posted after a create: still one message.
    check_message([*blocks, *summary_blocks(EXTREME, _known(150))], notice.text)


@pytest.mark.parametrize(
    "error",
    [
        tk.BadRequest("x" * 5000),
        tk.Conflict(f"Phone number +14155550100 is assigned to assistant {NASTY} (asst_1)"),
        tk.RateLimited("slow down", retry_after=30),
        tk.Unreachable("timeout", may_have_applied=True),
        tk.ServerError("<html>" * 1000),
    ],
    ids=lambda e: type(e).__name__,
)
def test_error_sentences_fit_a_section(error: tk.TalkturoError) -> None:
    text = explain(error)
    check_message([section(text)], text)
    assert "<!channel>" not in text
    assert len(text) <= 3000


# --- modals ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("which", list(ASSISTANTS))
@pytest.mark.parametrize("notice", [None, "conflict"])
def test_edit_modal(which: str, notice: str | None) -> None:
    assistant = ASSISTANTS[which]
    text = conflict_notice(assistant, list(FIELDS)) if notice else None
    view = edit_modal(assistant, META, notice=text)
    check_modal(view)
    inputs = [b for b in view["blocks"] if b["type"] == "input"]
    assert len(inputs) == len([s for s in FIELDS if s.kind is not Kind.BOOLEAN]) + 1  # + telephony
    # The title names the assistant as far as it fits, never just a "shortened" mark.
    title = view["title"]["text"]
    full = f"Edit {assistant.name or 'assistant'}"
    assert title == full if len(full) <= 24 else title == full[:23] + "…"


def test_edit_modal_never_prefills_a_cut_prompt() -> None:
    view = edit_modal(EXTREME, META)
    prompt = next(b for b in view["blocks"] if b.get("block_id") == "edit.system_prompt")
    assert "initial_value" not in prompt["element"]
    assert "10,000 characters" in prompt["hint"]["text"]
    near = edit_modal(NEAR_LIMIT, META)
    first = next(b for b in near["blocks"] if b.get("block_id") == "edit.first_message")
    assert first["element"]["initial_value"] == "f" * 3000  # exactly 3000 still fits


def test_edit_modal_for_a_name_longer_than_the_name_input() -> None:
    # Talkturo does not cap names; one set in the dashboard may be longer than the bot's input.
    view = edit_modal(_assistant(name="L" * 260), META)
    check_modal(view)


@pytest.mark.parametrize("name", [None, "Sales Agent", LONG_NAME, NASTY])
@pytest.mark.parametrize("template", [None, "follow-up", "nope"])
def test_create_modal(name: str | None, template: str | None) -> None:
    check_modal(create_modal(name, template, META))


@pytest.mark.parametrize("current", [None, CONNECTION], ids=["new", "reconnect"])
@pytest.mark.parametrize("preset", [False, True])
def test_connect_modal(current: Connection | None, preset: bool) -> None:
    view = connect_modal("https://api.talkturo.com/api", current, META, token_preset=preset)
    check_modal(view)
    assert CONNECTION.token.get_secret_value() not in json.dumps(view)


@pytest.mark.parametrize("count", [0, 1, 100, 101, 150])
@pytest.mark.parametrize("which", ["realistic", "extreme", "nasty"])
def test_assign_modal(count: int, which: str) -> None:
    assistant = ASSISTANTS[which]
    view = assign_modal(assistant, _numbers(count, assistant.id), META)
    check_modal(view)
    if count > 100:
        select = next(b for b in view["blocks"] if b.get("block_id") == "assign.numbers")["element"]
        assert select["type"] == "multi_external_select"
        assert len(select["initial_options"]) == 3


@pytest.mark.parametrize(
    "build",
    [
        lambda: loading_modal("Edit assistant", "Loading…"),
        lambda: loading_modal("A title far longer than twenty-four characters", "Saving… " * 1000),
        lambda: message_modal("Edit assistant", explain(tk.NotFound("gone"))),
        lambda: message_modal("Not allowed", "x" * 10_000),
    ],
    ids=["loading", "loading-long", "message", "message-long"],
)
def test_small_modals(build: Callable[[], dict[str, Any]]) -> None:
    check_modal(build())


@pytest.mark.parametrize("limit", [1, 10, 24, 75, 150, 2000, 3000])
@pytest.mark.parametrize("size", [0, 5, 24, 25, 76, 10_000])
def test_shorten_never_exceeds_the_limit(limit: int, size: int) -> None:
    text = ("abc " * size)[:size]
    short = shorten(text, limit)
    assert len(short) <= limit
    assert short == text if size <= limit else short[:5] == text[:5] or limit < 6


def test_metadata_refuses_to_break_the_limit() -> None:
    with pytest.raises(ValueError, match="3000"):
        metadata(r="x" * 3000)
