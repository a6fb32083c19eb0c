"""The Slack fake over real HTTP (driven by the real slack-sdk client) and the signed request factory."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.slackfake import SlackFake, SlackRequests, create_app, parse_body, slack_escape, view_state
from tests.support.servers import AsgiServer

SECRET = "test-signing-secret"
TOKEN = "xoxb-t1"


@pytest.fixture
def fake() -> Iterator[SlackFake]:
    fake = SlackFake()
    fake.add_workspace(team_id="T1", bot_token=TOKEN, team_name="Acme", domain="acme")
    with AsgiServer(create_app(fake)) as server:
        fake.base_url = server.url
        yield fake


@pytest.fixture
async def client(fake: SlackFake) -> AsyncIterator[AsyncWebClient]:
    yield AsyncWebClient(token=TOKEN, base_url=fake.api_url)


def modal(callback_id: str = "cb", *, inputs: bool = True) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}]
    if inputs:
        blocks.append(
            {
                "type": "input",
                "block_id": "name",
                "label": {"type": "plain_text", "text": "Name"},
                "element": {"type": "plain_text_input", "action_id": "name", "initial_value": "Sales"},
            }
        )
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": callback_id,
        "title": {"type": "plain_text", "text": "Edit"},
        "blocks": blocks,
    }
    if inputs:
        view["submit"] = {"type": "plain_text", "text": "Save"}
    return view


# --- the Web API -----------------------------------------------------------------------------------


async def test_auth_test_answers_from_the_token_map(fake: SlackFake, client: AsyncWebClient) -> None:
    answer = await client.auth_test()
    assert answer.data == {
        "ok": True,
        "url": "https://acme.slack.com/",
        "team": "Acme",
        "user": "talkturo",
        "team_id": "T1",
        "user_id": "UBT1",
        "bot_id": "BT1",
        "is_enterprise_install": False,
    }
    with pytest.raises(SlackApiError) as caught:
        await AsyncWebClient(token="xoxb-nope", base_url=fake.api_url).auth_test()
    assert caught.value.response["error"] == "invalid_auth"
    assert [c.token for c in fake.calls("auth.test")] == [TOKEN, "xoxb-nope"]


async def test_post_message_is_recorded_with_decoded_blocks(fake: SlackFake, client: AsyncWebClient) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Sales Agent*"}}]
    first = await client.chat_postMessage(channel="C1", text="summary", blocks=blocks)
    second = await client.chat_postMessage(channel="C1", text="again")
    assert first["ok"] and first["channel"] == "C1"
    assert float(second["ts"]) > float(first["ts"])
    assert first["message"]["blocks"][0]["text"]["text"] == "*Sales Agent*"
    call = fake.calls("chat.postMessage")[0]
    assert call.params == {"channel": "C1", "text": "summary", "blocks": blocks}
    assert call.token == TOKEN and call.ok
    assert [m["text"] for m in fake.messages["C1"]] == ["summary", "again"]

    # A form-encoded post (JSON strings in fields) is decoded the same way; the token may be a field.
    form = {"token": TOKEN, "channel": "C2", "text": "x", "blocks": json.dumps(blocks)}
    async with httpx.AsyncClient() as http:
        answer = (await http.post(f"{fake.api_url}chat.postMessage", data=form)).json()
    assert answer["ok"]
    assert fake.calls("chat.postMessage")[-1].params["blocks"] == blocks

    with pytest.raises(SlackApiError) as caught, pytest.warns(UserWarning, match="text"):
        await client.chat_postMessage(channel="C1", text="")
    assert caught.value.response["error"] == "no_text"


async def test_views_open_then_update_with_hash(fake: SlackFake, client: AsyncWebClient) -> None:
    opened = (await client.views_open(trigger_id="t1", view=modal(inputs=False)))["view"]
    assert opened["id"].startswith("V") and opened["hash"] and opened["state"] == {"values": {}}
    assert opened["callback_id"] == "cb" and opened["root_view_id"] == opened["id"]
    assert fake.views[opened["id"]]["title"]["text"] == "Edit"

    updated = (await client.views_update(view_id=opened["id"], hash=opened["hash"], view=modal()))["view"]
    assert updated["id"] == opened["id"] and updated["hash"] != opened["hash"]
    assert fake.latest_view("cb")["blocks"][1]["block_id"] == "name"

    with pytest.raises(SlackApiError) as caught:  # the hash of the view before the update is stale
        await client.views_update(view_id=opened["id"], hash=opened["hash"], view=modal())
    assert caught.value.response["error"] == "hash_conflict"
    with pytest.raises(SlackApiError) as caught:
        await client.views_update(view_id="V404", view=modal())
    assert caught.value.response["error"] == "not_found"
    assert len(fake.calls("views.update")) == 3


async def test_views_by_external_id_and_home_tab(fake: SlackFake, client: AsyncWebClient) -> None:
    view = {**modal(), "external_id": "edit-asst_1"}
    opened = (await client.views_open(trigger_id="t1", view=view))["view"]
    updated = await client.views_update(
        external_id="edit-asst_1", view={**modal("v2"), "external_id": "edit-asst_1"}
    )
    assert updated["view"]["id"] == opened["id"] and updated["view"]["callback_id"] == "v2"
    with pytest.raises(SlackApiError) as caught:
        await client.views_update(external_id="unknown", view=modal())
    assert caught.value.response["error"] == "not_found"

    home = {"type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Hello"}}]}
    first = (await client.views_publish(user_id="U1", view=home))["view"]
    second = (await client.views_publish(user_id="U1", view=home, hash=first["hash"]))["view"]
    assert first["id"] == second["id"] and first["hash"] != second["hash"]
    assert first["blocks"][0]["block_id"]  # Slack names blocks that came without a block_id


async def test_trigger_ids_work_once(fake: SlackFake, client: AsyncWebClient) -> None:
    await client.views_open(trigger_id="t1", view=modal())
    with pytest.raises(SlackApiError) as caught:
        await client.views_open(trigger_id="t1", view=modal())
    assert caught.value.response["error"] == "exchanged_trigger_id"


async def test_views_push_stops_at_three(fake: SlackFake, client: AsyncWebClient) -> None:
    await client.views_open(trigger_id="t1", view=modal())
    await client.views_push(trigger_id="t2", view=modal("second"))
    pushed = (await client.views_push(trigger_id="t3", view=modal("third")))["view"]
    assert pushed["previous_view_id"] is not None
    with pytest.raises(SlackApiError) as caught:
        await client.views_push(trigger_id="t4", view=modal("fourth"))
    assert caught.value.response["error"] == "push_limit_reached"


async def test_views_are_checked_like_slack(fake: SlackFake, client: AsyncWebClient) -> None:
    view = modal()
    del view["submit"]
    view["title"]["text"] = "A title longer than twenty-four characters"
    with pytest.raises(SlackApiError) as caught:
        await client.views_open(trigger_id="t1", view=view)
    assert caught.value.response["error"] == "invalid_arguments"
    messages = caught.value.response["response_metadata"]["messages"]
    assert any("submit" in m for m in messages) and any("/view/title/text" in m for m in messages)
    # A refused view does not use up the trigger.
    await client.views_open(trigger_id="t1", view=modal())


async def test_users_info(fake: SlackFake, client: AsyncWebClient) -> None:
    fake.add_user("U1", "T1", "alice", is_admin=True)
    user = (await client.users_info(user="U1"))["user"]
    assert (user["id"], user["name"], user["is_admin"], user["is_owner"]) == ("U1", "alice", True, False)
    with pytest.raises(SlackApiError) as caught:
        await client.users_info(user="U404")
    assert caught.value.response["error"] == "user_not_found"


async def test_usergroups_need_a_paid_plan(fake: SlackFake, client: AsyncWebClient) -> None:
    fake.add_usergroup("T1", "S1", "admins", ["U1", "U2"])
    groups = (await client.usergroups_list(include_users=True))["usergroups"]
    assert [(g["id"], g["handle"], g["users"]) for g in groups] == [("S1", "admins", ["U1", "U2"])]
    assert (await client.usergroups_users_list(usergroup="S1"))["users"] == ["U1", "U2"]

    fake.paid_plan["T1"] = False
    for call in (client.usergroups_list(), client.usergroups_users_list(usergroup="S1")):
        with pytest.raises(SlackApiError) as caught:
            await call
        assert caught.value.response["error"] == "plan_upgrade_required"


async def test_oauth_v2_access_installs_the_workspace(fake: SlackFake) -> None:
    fake.add_oauth_code(
        "code-1",
        {
            "access_token": "xoxb-t2",
            "token_type": "bot",
            "scope": "commands,chat:write",
            "bot_user_id": "UB2",
            "app_id": "A1",
            "team": {"id": "T2", "name": "Beta"},
            "enterprise": None,
            "is_enterprise_install": False,
            "authed_user": {"id": "U9", "scope": "", "access_token": "xoxp-u9", "token_type": "user"},
        },
    )
    anonymous = AsyncWebClient(base_url=fake.api_url)
    answer = await anonymous.oauth_v2_access(client_id="111.222", client_secret="shh", code="code-1")
    assert answer["access_token"] == "xoxb-t2" and answer["team"]["id"] == "T2"
    assert fake.calls("oauth.v2.access")[0].params["client_id"] == "111.222"

    # The tokens handed out now work, as on Slack; the code does not work twice.
    me = await AsyncWebClient(token="xoxb-t2", base_url=fake.api_url).auth_test()
    assert (me["team_id"], me["user_id"]) == ("T2", "UB2")
    person = await AsyncWebClient(token="xoxp-u9", base_url=fake.api_url).auth_test()
    assert person["user_id"] == "U9" and "bot_id" not in person.data
    with pytest.raises(SlackApiError) as caught:
        await anonymous.oauth_v2_access(client_id="111.222", client_secret="shh", code="code-1")
    assert caught.value.response["error"] == "invalid_code"


async def test_revoked_tokens_stop_working(fake: SlackFake, client: AsyncWebClient) -> None:
    assert (await client.auth_revoke())["revoked"] is True
    with pytest.raises(SlackApiError) as caught:
        await client.auth_test()
    assert caught.value.response["error"] == "token_revoked"


async def test_injected_429_is_retried_by_slack_sdk(fake: SlackFake) -> None:
    fake.fail("chat.postMessage", error="ratelimited", status=429, retry_after=0)
    client = AsyncWebClient(
        token=TOKEN,
        base_url=fake.api_url,
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=1)],
    )
    answer = await client.chat_postMessage(channel="C1", text="hello")
    assert answer["ok"]
    first, second = fake.calls("chat.postMessage")
    assert (first.status, first.response) == (429, {"ok": False, "error": "ratelimited"})
    assert (second.status, second.ok) == (200, True)


async def test_injected_429_reaches_a_client_without_retries(fake: SlackFake, client: AsyncWebClient) -> None:
    fake.fail("views.open", error="ratelimited", status=429, retry_after=7)
    with pytest.raises(SlackApiError) as caught:
        await client.views_open(trigger_id="t1", view=modal())
    assert caught.value.response.status_code == 429
    assert caught.value.response.headers["Retry-After"] == "7"


async def test_channel_error(fake: SlackFake, client: AsyncWebClient) -> None:
    fake.channel_error("C9", "not_in_channel")
    with pytest.raises(SlackApiError) as caught:
        await client.chat_postMessage(channel="C9", text="summary")
    assert caught.value.response["error"] == "not_in_channel"
    assert fake.calls("chat.postMessage")[0].params["channel"] == "C9"
    assert (await client.chat_postMessage(channel="C1", text="summary"))["ok"]
    assert (await client.conversations_info(channel="C9"))["channel"]["is_member"] is False


async def test_response_url_works_five_times(fake: SlackFake) -> None:
    url = fake.response_url(team_id="T1")
    assert url.startswith(f"{fake.base_url}/response/")
    webhook = AsyncWebhookClient(url)  # what bolt's respond() uses
    first = await webhook.send(text="hi", response_type="ephemeral")
    assert (first.status_code, first.body) == (200, "ok")
    async with httpx.AsyncClient() as http:
        for _ in range(4):
            assert (await http.post(url, json={"text": "again"})).text == "ok"
        refused = await http.post(url, json={"text": "sixth"})
    assert (refused.status_code, refused.text) == (404, "used_url")
    calls = fake.calls("response_url")
    assert len(calls) == 6
    assert calls[0].params == {"text": "hi", "response_type": "ephemeral", "_url": url}


async def test_wait_for_timeout_names_what_was_recorded(fake: SlackFake, client: AsyncWebClient) -> None:
    await client.auth_test()
    with pytest.raises(AssertionError, match=r"chat\.postMessage.*recorded: \['auth\.test'\]"):
        fake.wait_for("chat.postMessage", timeout=0.1)
    with pytest.raises(AssertionError, match=r"found 0"):
        await fake.wait_for_async("views.open", timeout=0.1)


def test_wait_for_blocks_until_the_call_arrives(fake: SlackFake) -> None:
    def post_later() -> None:
        time.sleep(0.2)
        for text in ("one", "two"):
            httpx.post(
                f"{fake.api_url}chat.postMessage",
                json={"channel": "C1", "text": text},
                headers={"Authorization": f"Bearer {TOKEN}"},
            )

    threading.Thread(target=post_later).start()
    calls = fake.wait_for("chat.postMessage", count=1, timeout=5, where=lambda c: c.params["text"] == "two")
    assert [c.params["text"] for c in calls] == ["two"]
    fake.clear()
    assert fake.calls() == []


async def test_wait_for_async_lets_the_loop_run(fake: SlackFake, client: AsyncWebClient) -> None:
    task = asyncio.create_task(fake.wait_for_async("chat.postMessage", count=2))
    await client.chat_postMessage(channel="C1", text="a")
    await client.chat_postMessage(channel="C1", text="b")
    assert len(await task) == 2


# --- signed requests -------------------------------------------------------------------------------


def test_signatures_verify_like_slack() -> None:
    requests = SlackRequests(SECRET)
    body, headers = requests.command("help", user_id="U1")
    assert SignatureVerifier(SECRET).is_valid_request(body, headers)
    assert not SignatureVerifier("other-secret").is_valid_request(body, headers)
    stale = requests.sign(body, timestamp=int(time.time()) - 600)
    assert not SignatureVerifier(SECRET).is_valid_request(body, stale)
    assert headers["content-type"] == "application/x-www-form-urlencoded"


def test_command_body_has_slacks_fields() -> None:
    requests = SlackRequests(
        SECRET, team_id="T1", api_app_id="A1", response_url_factory=lambda t: f"http://x/{t}"
    )
    body, _ = requests.command("create Sales Agent", user_id="U1", channel_id="C7", user_name="alice")
    fields = {k: v[0] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
    assert list(fields) == [
        "token", "team_id", "team_domain", "channel_id", "channel_name", "user_id", "user_name", "command",
        "text", "api_app_id", "is_enterprise_install", "response_url", "trigger_id",
    ]  # fmt: skip
    assert fields["text"] == "create Sales Agent" and fields["command"] == "/talkturo"
    assert (fields["team_id"], fields["channel_id"], fields["user_id"]) == ("T1", "C7", "U1")
    assert fields["is_enterprise_install"] == "false" and fields["response_url"] == "http://x/T1"
    second = parse_body(requests.command("x", user_id="U1").body)
    assert second["trigger_id"] != fields["trigger_id"]

    grid = SlackRequests(SECRET, enterprise_id="E1", is_enterprise_install=True)
    grid_fields = parse_body(grid.command("x", user_id="U1").body)
    assert grid_fields["enterprise_id"] == "E1" and grid_fields["is_enterprise_install"] == "true"


def test_escape_keeps_slack_markup() -> None:
    text = 'set <@U1|bob> name="<b>R&D</b>" in <#C1|general> for <!subteam^S1|@admins>'
    escaped = slack_escape(text)
    assert escaped == (
        'set <@U1|bob> name="&lt;b&gt;R&amp;D&lt;/b&gt;" in <#C1|general> for <!subteam^S1|@admins>'
    )
    body, _ = SlackRequests(SECRET).command(text, user_id="U1", escape=True)
    assert parse_body(body)["text"] == escaped


def every_element_view() -> dict[str, Any]:
    def option(value: str) -> dict[str, Any]:
        return {"text": {"type": "plain_text", "text": value.title()}, "value": value}

    def block(block_id: str, element: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "input",
            "block_id": block_id,
            "label": {"type": "plain_text", "text": block_id},
            "element": {"action_id": block_id, **element},
        }

    return {
        "id": "V1",
        "hash": "1.a",
        "type": "modal",
        "callback_id": "edit",
        "title": {"type": "plain_text", "text": "Edit"},
        "submit": {"type": "plain_text", "text": "Save"},
        "blocks": [
            block("name", {"type": "plain_text_input", "initial_value": "Sales"}),
            block("prompt", {"type": "plain_text_input"}),
            block(
                "temperature", {"type": "number_input", "is_decimal_allowed": True, "initial_value": "0.7"}
            ),
            block(
                "model",
                {
                    "type": "static_select",
                    "option_groups": [
                        {"label": {"type": "plain_text", "text": "OpenAI"}, "options": [option("gpt-4o")]},
                        {"label": {"type": "plain_text", "text": "Other"}, "options": [option("claude")]},
                    ],
                    "initial_option": option("gpt-4o"),
                },
            ),
            block("voice", {"type": "external_select", "min_query_length": 0}),
            block("numbers", {"type": "multi_static_select", "options": [option("+1"), option("+2")]}),
            block("extras", {"type": "multi_external_select", "initial_options": [option("x")]}),
            block("flags", {"type": "checkboxes", "options": [option("record"), option("hipaa")]}),
            block("mode", {"type": "radio_buttons", "options": [option("fast"), option("safe")]}),
            block("owner", {"type": "users_select", "initial_user": "U1"}),
            block("channel", {"type": "conversations_select"}),
            block("legacy", {"type": "channels_select"}),
            {"type": "section", "text": {"type": "mrkdwn", "text": "no state"}},
        ],
    }


def test_view_state_builds_each_element_type() -> None:
    view = every_element_view()
    state = view_state(
        view,
        {
            "temperature": 0.3,
            "model": "claude",
            "voice": "alloy",
            "numbers": ["+2"],
            "flags": ["record", "hipaa"],
            "mode": "safe",
            "channel": "C5",
            "legacy": "C6",
        },
    )
    opt = {"text": {"type": "plain_text", "text": "Claude"}, "value": "claude"}
    assert state == {
        "name": {"name": {"type": "plain_text_input", "value": "Sales"}},  # untouched prefilled
        "prompt": {"prompt": {"type": "plain_text_input", "value": None}},  # untouched empty
        "temperature": {"temperature": {"type": "number_input", "value": "0.3"}},
        "model": {"model": {"type": "static_select", "selected_option": opt}},
        "voice": {
            "voice": {
                "type": "external_select",
                "selected_option": {
                    "text": {"type": "plain_text", "text": "alloy", "emoji": True},
                    "value": "alloy",
                },
            }
        },
        "numbers": {
            "numbers": {
                "type": "multi_static_select",
                "selected_options": [{"text": {"type": "plain_text", "text": "+2"}, "value": "+2"}],
            }
        },
        "extras": {
            "extras": {
                "type": "multi_external_select",
                "selected_options": [{"text": {"type": "plain_text", "text": "X"}, "value": "x"}],
            }
        },
        "flags": {
            "flags": {
                "type": "checkboxes",
                "selected_options": [
                    {"text": {"type": "plain_text", "text": "Record"}, "value": "record"},
                    {"text": {"type": "plain_text", "text": "Hipaa"}, "value": "hipaa"},
                ],
            }
        },
        "mode": {
            "mode": {
                "type": "radio_buttons",
                "selected_option": {"text": {"type": "plain_text", "text": "Safe"}, "value": "safe"},
            }
        },
        "owner": {"owner": {"type": "users_select", "selected_user": "U1"}},
        "channel": {"channel": {"type": "conversations_select", "selected_conversation": "C5"}},
        "legacy": {"legacy": {"type": "channels_select", "selected_channel": "C6"}},
    }
    untouched = view_state(view, {})
    assert untouched["model"]["model"]["selected_option"]["value"] == "gpt-4o"
    assert untouched["voice"]["voice"]["selected_option"] is None
    assert untouched["numbers"]["numbers"]["selected_options"] == []
    assert untouched["mode"]["mode"]["selected_option"] is None
    assert untouched["temperature"]["temperature"]["value"] == "0.7"
    assert view_state(view, {"name": ""})["name"]["name"]["value"] is None  # cleared

    with pytest.raises(ValueError, match="not an option"):
        view_state(view, {"model": "gpt-5"})
    with pytest.raises(ValueError, match="no input in block"):
        view_state(view, {"nmae": "typo"})


def test_interaction_payloads_have_slacks_shape() -> None:
    requests = SlackRequests(SECRET)
    view = every_element_view()
    submission = parse_body(requests.view_submission(view, {"prompt": "Be nice"}, user_id="U1").body)
    assert submission["type"] == "view_submission"
    assert submission["view"]["id"] == "V1" and submission["view"]["callback_id"] == "edit"
    assert submission["view"]["state"]["values"]["prompt"]["prompt"]["value"] == "Be nice"
    assert submission["user"]["id"] == "U1" and submission["team"]["id"] == "T1"
    assert submission["trigger_id"] and submission["response_urls"] == []

    message = {
        "type": "message",
        "ts": "1700000000.000100",
        "text": "summary",
        "blocks": [
            {
                "type": "actions",
                "block_id": "summary_actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "edit",
                        "text": {"type": "plain_text", "text": "Edit"},
                        "value": "asst_1",
                    },
                ],
            }
        ],
    }
    click = parse_body(requests.block_action("edit", user_id="U1", channel_id="C1", message=message).body)
    assert click["type"] == "block_actions"
    assert click["container"] == {
        "type": "message", "message_ts": "1700000000.000100", "channel_id": "C1", "is_ephemeral": False,
    }  # fmt: skip
    action = click["actions"][0]
    assert (action["type"], action["action_id"], action["block_id"], action["value"]) == (
        "button", "edit", "summary_actions", "asst_1",
    )  # fmt: skip
    assert click["response_url"] and click["message"]["ts"] == "1700000000.000100"

    pick = parse_body(requests.block_action("model", "claude", user_id="U1", view=view).body)
    assert pick["container"] == {"type": "view", "view_id": "V1"}
    assert pick["actions"][0]["selected_option"]["value"] == "claude"
    assert pick["view"]["state"]["values"]["model"]["model"]["selected_option"]["value"] == "claude"

    suggestion = parse_body(requests.block_suggestion("voice", "al", user_id="U1", view=view).body)
    assert (suggestion["type"], suggestion["block_id"], suggestion["value"]) == (
        "block_suggestion",
        "voice",
        "al",
    )
    closed = parse_body(requests.view_closed(view, user_id="U1").body)
    assert closed["type"] == "view_closed" and closed["is_cleared"] is False


def test_event_envelope_and_retry_headers() -> None:
    requests = SlackRequests(SECRET)
    body, headers = requests.event({"type": "app_home_opened", "user": "U1"}, event_id="Ev1", retry_num=2)
    envelope = json.loads(body)
    assert (envelope["type"], envelope["event_id"], envelope["team_id"]) == ("event_callback", "Ev1", "T1")
    assert envelope["authorizations"][0]["user_id"] == "UBT1"
    assert headers["content-type"] == "application/json"
    assert (headers["x-slack-retry-num"], headers["x-slack-retry-reason"]) == ("2", "http_timeout")
    assert "x-slack-retry-num" not in requests.event({"type": "app_home_opened"}).headers
    assert SignatureVerifier(SECRET).is_valid_request(body, headers)


async def test_bolt_accepts_the_requests_and_talks_to_the_fake(
    fake: SlackFake, monkeypatch: pytest.MonkeyPatch
) -> None:
    """End to end: Bolt verifies, parses and routes what SlackRequests builds; its calls land in the fake."""
    for name in ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    app = AsyncApp(
        signing_secret=SECRET,
        client=AsyncWebClient(token=TOKEN, base_url=fake.api_url),
        process_before_response=True,
    )
    submitted: list[dict[str, Any]] = []

    @app.command("/talkturo")
    async def on_command(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await client.views_open(trigger_id=body["trigger_id"], view=modal("edit"))

    @app.view("edit")
    async def on_submit(ack: AsyncAck, view: dict[str, Any]) -> None:
        submitted.append(view["state"]["values"])
        await ack()

    requests = SlackRequests(SECRET, response_url_factory=fake.response_url)

    async def send(request: tuple[bytes, dict[str, str]]) -> int:
        body, headers = request
        bolt_headers: dict[str, str | Sequence[str]] = dict(headers)
        response = await app.async_dispatch(AsyncBoltRequest(body=body.decode(), headers=bolt_headers))
        return response.status

    assert await send(requests.command("edit Sales", user_id="U1")) == 200
    shown = fake.wait_for("views.open")[0].response["view"]
    assert shown == fake.latest_view("edit")
    assert await send(requests.view_submission(shown, {"name": "Support"}, user_id="U1")) == 200
    assert submitted == [{"name": {"name": {"type": "plain_text_input", "value": "Support"}}}]

    body, headers = requests.command("help", user_id="U1")
    forged = {**headers, **requests.sign(body, timestamp=int(time.time()) - 600)}
    assert await send((body, forged)) == 401
