"""Multi-workspace mode over real HTTP: install through /slack/install and /slack/oauth_redirect with the
Slack fake answering oauth.v2.access, requests authorized by the stored installation, two workspaces side
by side with their own Talkturo accounts, uninstall, and the state checks that guard the redirect."""

from __future__ import annotations

import dataclasses
import html
import itertools
import re
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import redis

from bot.oauth import BOT_SCOPES
from bot.slackfake.payloads import SlackRequests
from tests.e2e.world import (
    ADMIN,
    OAUTH_CLIENT_ID,
    OAUTH_CLIENT_SECRET,
    SIGNING_SECRET,
    World,
    running_world,
    text_of,
)
from tests.support.servers import RedisServer

ADMIN2 = "UADMIN2"
COOKIE = "slack-app-oauth-state"
NO_INSTALLATION = "your installation with this app is no longer available"
_tokens = itertools.count(1)


@pytest.fixture(scope="module")
def world_server(redis_server: RedisServer) -> Iterator[World]:
    """This module's `world` runs the bot in OAuth mode: no SLACK_BOT_TOKEN, a client ID and secret."""
    with running_world(redis_server.url, oauth=True) as world:
        world.fake.add_user(ADMIN2, "T2", "bea", is_admin=True)
        yield world


# Acting as the installer's browser and as Slack ----------------------------------------------------


@dataclasses.dataclass
class Started:
    page: httpx.Response
    authorize_url: str
    state: str
    cookie: str  # the Set-Cookie value for the state


def start_install(world: World) -> Started:
    page = httpx.get(f"{world.bot.url}/slack/install", timeout=10)
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    match = re.search(r'<a href="([^"]+)"><img alt="Add to Slack"', page.text)
    assert match, page.text
    url = html.unescape(match.group(1))
    state = parse_qs(urlsplit(url).query)["state"][0]
    cookies = [v for k, v in page.headers.multi_items() if k == "set-cookie" and v.startswith(f"{COOKIE}=")]
    assert len(cookies) == 1, page.headers
    return Started(page, url, state, cookies[0])


def redirect_back(
    world: World, state: str, code: str, *, cookie_state: str | None = None, with_cookie: bool = True
) -> httpx.Response:
    """Slack sends the browser back to the redirect URL; the browser brings the state cookie Bolt set."""
    headers = {"cookie": f"{COOKIE}={cookie_state or state}"} if with_cookie else {}
    return httpx.get(
        f"{world.bot.url}/slack/oauth_redirect",
        params={"code": code, "state": state},
        headers=headers,
        timeout=10,
    )


def oauth_answer(team_id: str, token: str, *, installer: str = ADMIN) -> dict[str, Any]:
    """What oauth.v2.access answers for a bot-only install of one workspace."""
    return {
        "app_id": "A1",
        "authed_user": {"id": installer},
        "scope": ",".join(BOT_SCOPES),
        "token_type": "bot",
        "access_token": token,
        "bot_user_id": f"UB{team_id}",
        "team": {"id": team_id, "name": f"Team {team_id}"},
        "enterprise": None,
        "is_enterprise_install": False,
    }


def install(world: World, team_id: str, *, installer: str = ADMIN) -> str:
    """The whole flow for one workspace; its new bot token."""
    token = f"xoxb-oauth-{team_id}-{next(_tokens)}-secretpart"
    code = f"code-{team_id}-{next(_tokens)}"
    world.fake.add_oauth_code(code, oauth_answer(team_id, token, installer=installer))
    started = start_install(world)
    done = redirect_back(world, started.state, code)
    assert done.status_code == 200, done.text
    assert "Thank you!" in done.text
    assert f"slack://app?team={team_id}&amp;id=A1" in done.text
    return token


def in_workspace(world: World, team_id: str, slug: str = "", token: str = "") -> World:
    """The same running bot, seen from another workspace, connected to another Talkturo account."""
    slack = SlackRequests(SIGNING_SECRET, team_id=team_id, response_url_factory=world.fake.response_url)
    return dataclasses.replace(world, slack=slack, slug=slug, token=token)


def connect(ws: World, user: str, bot_token: str) -> None:
    """The real connect modal; every Slack call on the way uses this workspace's bot token."""
    ws.fake.clear()
    ws.command("connect", user=user)
    view = ws.opened_view("talkturo.connect")
    ws.submit(view, {"connect.slug": ws.slug, "connect.token": ws.token}, user=user)
    (posted,) = ws.wait("chat.postMessage", where=lambda c: "connected this workspace" in text_of(c))
    calls = [c for c in ws.fake.calls() if c.method not in ("response_url", "auth.test")]
    assert {c.method for c in calls} >= {"users.info", "views.open", "chat.postMessage"}
    assert {c.token for c in calls} == {bot_token}
    assert posted.ok


def create(ws: World, name: str, user: str) -> None:
    """Create an assistant through the modal, as `user` of this workspace."""
    ws.fake.clear()
    ws.command(f'create "{name}" --template outbound-setter', user=user)
    ws.submit(ws.opened_view("talkturo.create"), user=user)
    ws.wait("chat.postMessage", where=lambda c: "created" in text_of(c))


def redis_dump(world: World) -> dict[str, bytes]:
    """Every key with everything stored under it, as raw bytes."""
    client = redis.Redis.from_url(world.settings.redis_url)
    try:
        out: dict[str, bytes] = {}
        for raw_key in client.scan_iter(match="*"):
            key = raw_key.decode()
            kind = client.type(key).decode()
            if kind == "hash":
                out[key] = b"|".join(k + b"=" + v for k, v in client.hgetall(key).items())
            elif kind == "string":
                out[key] = client.get(key) or b""
            else:
                out[key] = kind.encode()
        return out
    finally:
        client.close()


def keys_of(world: World, owner: str) -> list[str]:
    """Every key of this workspace (its hash tag)."""
    tag = "{" + owner + "}"
    return sorted(key for key in redis_dump(world) if tag in key)


def status_of(ws: World, user: str) -> str:
    ws.fake.clear()
    ws.command("status", user=user)
    return text_of(ws.reply("Talkturo"))


# The tests ----------------------------------------------------------------------------------------


def test_install_page_offers_add_to_slack_with_a_state(world: World) -> None:
    started = start_install(world)
    url = urlsplit(started.authorize_url)
    assert (url.scheme, url.netloc, url.path) == ("https", "slack.com", "/oauth/v2/authorize")
    query = parse_qs(url.query, keep_blank_values=True)
    assert query["client_id"] == [OAUTH_CLIENT_ID]
    assert query["scope"] == [",".join(BOT_SCOPES)]
    assert query["user_scope"] == [""]
    assert started.cookie.startswith(f"{COOKIE}={started.state};")
    assert "httponly" in started.cookie.lower() and "secure" in started.cookie.lower()
    # The state waits in Redis, for ten minutes at most; the page holds no secret.
    client = redis.Redis.from_url(world.settings.redis_url)
    try:
        assert 0 < client.pttl(f"talkturo:oauth-state:{started.state}") <= 600_000
    finally:
        client.close()
    assert OAUTH_CLIENT_SECRET not in started.page.text


def test_install_then_a_command_runs_on_the_stored_installation(world: World) -> None:
    # Before the install, the workspace is unknown: Bolt says so and nothing else happens.
    world.command("connect")
    assert NO_INSTALLATION in text_of(world.reply(NO_INSTALLATION))
    assert not world.fake.calls("views.open")

    token = install(world, "T1")
    (exchange,) = world.fake.calls("oauth.v2.access")
    assert exchange.params["client_id"] == OAUTH_CLIENT_ID
    assert exchange.params["client_secret"] == OAUTH_CLIENT_SECRET

    stored = redis_dump(world)
    assert keys_of(world, "T1") == [
        "talkturo:{T1}:installation",
        "talkturo:{T1}:installation:bot",
        "talkturo:{T1}:installation:users",
    ]
    assert not [key for key in stored if key.startswith("talkturo:oauth-state:")]  # consumed
    assert not [key for key, value in stored.items() if token.encode() in value], "bot token stored in clear"
    assert b"T1" in stored["talkturo:{T1}:installation:bot"]

    connect(world, ADMIN, token)
    assert world.slug in status_of(world, ADMIN)

    # auth.test ran once for the token; later requests take the cached answer.
    world.fake.clear()
    world.command("connect")
    world.opened_view("talkturo.connect")
    assert world.fake.calls("auth.test") == []
    assert {c.token for c in world.fake.calls("views.open")} == {token}


def test_two_workspaces_each_with_its_own_account(world: World) -> None:
    token1 = install(world, "T1")
    token2 = install(world, "T2", installer=ADMIN2)
    beta = world.sandbox.add_account(
        f"beta-{next(_tokens)}", token=f"tk_test_beta_{next(_tokens)}", numbers=2
    )
    ws1 = world
    ws2 = in_workspace(world, "T2", beta.slug, beta.token)

    connect(ws1, ADMIN, token1)
    connect(ws2, ADMIN2, token2)

    seen1, seen2 = status_of(ws1, ADMIN), status_of(ws2, ADMIN2)
    assert ws1.slug in seen1 and beta.slug not in seen1
    assert beta.slug in seen2 and ws1.slug not in seen2

    # An assistant made in one workspace is known there only.
    create(ws1, "Only In One", ADMIN)
    for ws, user, known in ((ws1, ADMIN, True), (ws2, ADMIN2, False)):
        ws.fake.clear()
        ws.command("list", user=user)
        assert ("Only In One" in text_of(ws.reply("Assistants this workspace knows"))) is known


def test_uninstall_removes_one_workspace_and_leaves_the_other(world: World) -> None:
    token1 = install(world, "T1")
    token2 = install(world, "T2", installer=ADMIN2)
    beta = world.sandbox.add_account(
        f"beta-{next(_tokens)}", token=f"tk_test_beta_{next(_tokens)}", numbers=2
    )
    ws2 = in_workspace(world, "T2", beta.slug, beta.token)
    connect(world, ADMIN, token1)
    connect(ws2, ADMIN2, token2)
    create(ws2, "Going Away", ADMIN2)
    kept = keys_of(world, "T1")
    assert "talkturo:{T1}:workspace" in kept and "talkturo:{T1}:installation:bot" in kept
    assert "talkturo:{T2}:workspace" in keys_of(world, "T2")

    response = ws2.send(ws2.slack.event({"type": "app_uninstalled"}))
    assert response.status_code == 200, response.text

    assert keys_of(world, "T2") == []
    assert keys_of(world, "T1") == kept
    assert world.slug in status_of(world, ADMIN)

    # The uninstalled workspace is refused; nothing runs with the old token.
    ws2.fake.clear()
    ws2.command("connect", user=ADMIN2)
    ws2.reply(NO_INSTALLATION)
    assert not [c for c in ws2.fake.calls() if c.token == token2]

    # Reinstalling starts clean: a new token, no connection, no assistants.
    token2b = install(world, "T2", installer=ADMIN2)
    assert token2b != token2
    assert "isn't connected to Talkturo" in status_of(ws2, ADMIN2)
    assert keys_of(world, "T2") == [
        "talkturo:{T2}:installation",
        "talkturo:{T2}:installation:bot",
        "talkturo:{T2}:installation:users",
    ]


def test_tokens_revoked_forgets_the_workspace(world: World) -> None:
    token = install(world, "T1")
    connect(world, ADMIN, token)
    event = {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["UBT1"]}}
    assert world.send(world.slack.event(event)).status_code == 200
    assert keys_of(world, "T1") == []
    world.fake.clear()
    world.command("status")
    world.reply(NO_INSTALLATION)


def test_org_wide_install_serves_every_workspace_of_the_org(world: World) -> None:
    token = f"xoxb-oauth-E1-{next(_tokens)}"
    answer = {
        **oauth_answer("E1", token),
        "team": None,
        "enterprise": {"id": "E1", "name": "Org E1"},
        "is_enterprise_install": True,
    }
    world.fake.add_oauth_code("code-org", answer)
    # The fake models the org as a workspace named after the enterprise; its admin lives there.
    world.fake.add_user("UORGADMIN", "E1", "olivia", is_admin=True)
    started = start_install(world)
    done = redirect_back(world, started.state, "code-org")
    assert done.status_code == 200 and "Thank you!" in done.text
    assert keys_of(world, "E1") == [
        "talkturo:{E1}:installation",
        "talkturo:{E1}:installation:bot",
        "talkturo:{E1}:installation:users",
    ]

    slack = SlackRequests(
        SIGNING_SECRET,
        team_id="T9",
        enterprise_id="E1",
        is_enterprise_install=True,
        response_url_factory=world.fake.response_url,
    )
    ws = dataclasses.replace(world, slack=slack)
    connect(ws, "UORGADMIN", token)  # every call with the org's token

    assert ws.send(ws.slack.event({"type": "app_uninstalled"})).status_code == 200
    assert keys_of(world, "E1") == [] and keys_of(world, "T9") == []


def test_a_state_works_once(world: World) -> None:
    token = f"xoxb-oauth-T1-{next(_tokens)}"
    world.fake.add_oauth_code("code-once", oauth_answer("T1", token))
    world.fake.add_oauth_code("code-replayed", oauth_answer("T1", token + "-2"))
    started = start_install(world)
    assert redirect_back(world, started.state, "code-once").status_code == 200

    replay = redirect_back(world, started.state, "code-replayed")
    assert replay.status_code == 401
    assert "invalid_state" in replay.text
    assert len(world.fake.calls("oauth.v2.access")) == 1


def test_an_expired_state_is_refused(world: World) -> None:
    world.fake.add_oauth_code("code-late", oauth_answer("T1", f"xoxb-oauth-T1-{next(_tokens)}"))
    started = start_install(world)
    client = redis.Redis.from_url(world.settings.redis_url)
    try:
        assert client.pexpire(f"talkturo:oauth-state:{started.state}", 1)
    finally:
        client.close()
    time.sleep(0.05)

    late = redirect_back(world, started.state, "code-late")
    assert late.status_code == 401
    assert "invalid_state" in late.text
    assert world.fake.calls("oauth.v2.access") == []
    assert keys_of(world, "T1") == []


def test_unknown_state_and_missing_cookie_are_refused(world: World) -> None:
    world.fake.add_oauth_code("code-forged", oauth_answer("T1", f"xoxb-oauth-T1-{next(_tokens)}"))
    forged = redirect_back(world, "made-up-state", "code-forged")
    assert forged.status_code == 401 and "invalid_state" in forged.text

    started = start_install(world)
    other_browser = redirect_back(world, started.state, "code-forged", with_cookie=False)
    assert other_browser.status_code == 400 and "invalid_browser" in other_browser.text
    assert world.fake.calls("oauth.v2.access") == []
