"""The Redis OAuth stores against a real redis-server, and how `serve` chooses its mode."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as redis
import yaml
from cryptography.fernet import Fernet
from pydantic import SecretStr
from slack_bolt.error import BoltError
from slack_sdk.oauth.installation_store import Bot, Installation

from bot.__main__ import _check_serving
from bot.app import build_app, close_services, create_services
from bot.config import Settings, SettingsError
from bot.crypto import TokenCipher
from bot.oauth import BOT_SCOPES, RedisInstallationStore, RedisOAuthStateStore, oauth_options
from bot.store import StorageUnavailable

ROOT = Path(__file__).resolve().parents[1]
KEY = Fernet.generate_key().decode()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def client(redis_url: str) -> AsyncIterator[redis.Redis]:
    connection = redis.Redis.from_url(redis_url)
    yield connection
    await connection.aclose()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(client: redis.Redis, clock: Clock) -> RedisInstallationStore:
    return RedisInstallationStore(client, TokenCipher(KEY), clock=clock)


def installation(
    team_id: str | None = "T1",
    user_id: str = "U1",
    bot_token: str | None = "xoxb-T1-first",
    *,
    enterprise_id: str | None = None,
    is_enterprise_install: bool = False,
    user_token: str | None = None,
) -> Installation:
    return Installation(
        app_id="A1",
        enterprise_id=enterprise_id,
        team_id=team_id,
        team_name=f"Team {team_id}",
        bot_token=bot_token,
        bot_id="B1",
        bot_user_id="UB1",
        bot_scopes=",".join(BOT_SCOPES),
        user_id=user_id,
        user_token=user_token,
        is_enterprise_install=is_enterprise_install,
        installed_at=1_700_000_000.5,
    )


async def dump(client: redis.Redis) -> dict[str, Any]:
    """Every key with its value(s), decoded, as Redis holds them."""
    out: dict[str, Any] = {}
    async for raw_key in client.scan_iter(match="*"):
        key = raw_key.decode()
        kind = (await client.type(key)).decode()
        if kind == "hash":
            out[key] = {k.decode(): v.decode() for k, v in (await client.hgetall(key)).items()}
        else:
            out[key] = (await client.get(key) or b"").decode()
    return out


# Installation store ------------------------------------------------------------------------------


async def test_save_and_find_round_trip(store: RedisInstallationStore, client: redis.Redis) -> None:
    await store.async_save(installation(user_token="xoxp-U1-secret"))

    found = await store.async_find_installation(enterprise_id=None, team_id="T1")
    assert found is not None
    assert (found.team_id, found.team_name, found.user_id) == ("T1", "Team T1", "U1")
    assert (found.bot_token, found.bot_user_id, found.user_token) == (
        "xoxb-T1-first",
        "UB1",
        "xoxp-U1-secret",
    )
    assert list(found.bot_scopes) == list(BOT_SCOPES)
    assert found.installed_at == 1_700_000_000.5
    bot = await store.async_find_bot(enterprise_id=None, team_id="T1")
    assert bot is not None and (bot.bot_token, bot.bot_id) == ("xoxb-T1-first", "B1")

    stored = await dump(client)
    assert set(stored) == {
        "talkturo:{T1}:installation",
        "talkturo:{T1}:installation:users",
        "talkturo:{T1}:installation:bot",
    }
    everything = repr(stored)
    assert "xoxb-T1-first" not in everything and "xoxp-U1-secret" not in everything
    assert "Team T1" in everything  # the rest stays readable JSON


async def test_workspace_in_an_enterprise_is_keyed_by_its_team(store: RedisInstallationStore) -> None:
    await store.async_save(installation("T7", enterprise_id="E1", bot_token="xoxb-T7"))
    found = await store.async_find_bot(enterprise_id="E1", team_id="T7")
    assert found is not None and found.enterprise_id == "E1"
    assert await store.async_find_bot(enterprise_id="E1", team_id="T8") is None


async def test_per_user_installations_get_the_latest_bot_token(store: RedisInstallationStore) -> None:
    await store.async_save(installation(user_id="U1", bot_token="xoxb-old", user_token="xoxp-U1"))
    await store.async_save(installation(user_id="U2", bot_token="xoxb-new", user_token="xoxp-U2"))

    latest = await store.async_find_installation(enterprise_id=None, team_id="T1")
    assert latest is not None and (latest.user_id, latest.bot_token) == ("U2", "xoxb-new")
    first = await store.async_find_installation(enterprise_id=None, team_id="T1", user_id="U1")
    assert first is not None
    assert (first.user_id, first.user_token, first.bot_token) == ("U1", "xoxp-U1", "xoxb-new")
    assert await store.async_find_installation(enterprise_id=None, team_id="T1", user_id="U9") is None


async def test_org_wide_install_is_keyed_on_the_enterprise(
    store: RedisInstallationStore, client: redis.Redis
) -> None:
    org = installation(None, enterprise_id="E1", bot_token="xoxb-org", is_enterprise_install=True)
    await store.async_save(org)
    assert all(key.startswith("talkturo:{E1}:installation") for key in await dump(client))

    # Any workspace of the org finds it, when the request says it is an org install.
    for team in ("T5", "T6", None):
        found = await store.async_find_installation(
            enterprise_id="E1", team_id=team, is_enterprise_install=True
        )
        assert found is not None and found.bot_token == "xoxb-org"
        bot = await store.async_find_bot(enterprise_id="E1", team_id=team, is_enterprise_install=True)
        assert bot is not None and bot.is_enterprise_install
    assert await store.async_find_bot(enterprise_id="E1", team_id="T5", is_enterprise_install=False) is None

    await store.async_delete_all(enterprise_id="E1", team_id=None)
    assert await dump(client) == {}


async def test_bot_only_records(store: RedisInstallationStore) -> None:
    bot = Bot(
        team_id="T3",
        bot_token="xoxb-T3",
        bot_id="B3",
        bot_user_id="UB3",
        bot_scopes=list(BOT_SCOPES),
        installed_at=1_700_000_000.0,
    )
    await store.async_save_bot(bot)
    found = await store.async_find_bot(enterprise_id=None, team_id="T3")
    assert found is not None and (found.bot_token, found.bot_user_id) == ("xoxb-T3", "UB3")
    assert await store.async_find_installation(enterprise_id=None, team_id="T3") is None


async def test_installation_without_bot_token_takes_the_bot_record(store: RedisInstallationStore) -> None:
    await store.async_save(installation(bot_token="xoxb-bot"))
    await store.async_save(installation(user_id="U2", bot_token=None, user_token="xoxp-U2"))
    latest = await store.async_find_installation(enterprise_id=None, team_id="T1")
    assert latest is not None and (latest.user_id, latest.bot_token) == ("U2", "xoxb-bot")


async def test_deletes(store: RedisInstallationStore, client: redis.Redis) -> None:
    await store.async_save(installation("T1", "U1", "xoxb-T1"))
    await store.async_save(installation("T1", "U2", "xoxb-T1"))
    await store.async_save(installation("T2", "U1", "xoxb-T2"))

    await store.async_delete_installation(enterprise_id=None, team_id="T1", user_id="U1")
    assert await store.async_find_installation(enterprise_id=None, team_id="T1", user_id="U1") is None
    assert await store.async_find_installation(enterprise_id=None, team_id="T1", user_id="U2") is not None

    await store.async_delete_bot(enterprise_id=None, team_id="T1")
    assert await store.async_find_bot(enterprise_id=None, team_id="T1") is None
    assert await store.async_find_installation(enterprise_id=None, team_id="T1") is not None

    await store.async_delete_installation(enterprise_id=None, team_id="T1")
    assert await store.async_find_installation(enterprise_id=None, team_id="T1") is None
    assert not [key for key in await dump(client) if "{T1}" in key]

    await store.async_save(installation("T1", "U1", "xoxb-T1-again"))
    await store.async_delete_all(enterprise_id=None, team_id="T1")
    assert sorted(await dump(client)) == [
        "talkturo:{T2}:installation",
        "talkturo:{T2}:installation:bot",
        "talkturo:{T2}:installation:users",
    ]
    # Nothing to act on: no error.
    await store.async_delete_all(enterprise_id=None, team_id=None)
    assert await store.async_find_bot(enterprise_id=None, team_id=None) is None


async def test_finds_are_cached_briefly(
    store: RedisInstallationStore, client: redis.Redis, clock: Clock
) -> None:
    await store.async_save(installation())
    first = await store.async_find_installation(enterprise_id=None, team_id="T1")
    assert first is not None
    first.bot_token = "changed by a caller"  # Bolt's authorize mutates what it gets

    await client.delete("talkturo:{T1}:installation")  # e.g. another process
    again = await store.async_find_installation(enterprise_id=None, team_id="T1")
    assert again is not None and again.bot_token == "xoxb-T1-first"

    clock.now += 11
    assert await store.async_find_installation(enterprise_id=None, team_id="T1") is None


async def test_misses_are_not_cached(store: RedisInstallationStore, client: redis.Redis) -> None:
    assert await store.async_find_bot(enterprise_id=None, team_id="T1") is None
    other_process = RedisInstallationStore(client, TokenCipher(KEY))
    await other_process.async_save(installation())
    assert await store.async_find_bot(enterprise_id=None, team_id="T1") is not None


async def test_deleting_forgets_the_cached_records(store: RedisInstallationStore) -> None:
    await store.async_save(installation())
    assert await store.async_find_bot(enterprise_id=None, team_id="T1") is not None
    await store.async_delete_all(enterprise_id=None, team_id="T1")
    assert await store.async_find_bot(enterprise_id=None, team_id="T1") is None
    assert await store.async_find_installation(enterprise_id=None, team_id="T1") is None


async def test_tokens_need_the_key(store: RedisInstallationStore, client: redis.Redis) -> None:
    await store.async_save(installation())
    rotated = RedisInstallationStore(client, TokenCipher(f"{Fernet.generate_key().decode()},{KEY}"))
    found = await rotated.async_find_bot(enterprise_id=None, team_id="T1")
    assert found is not None and found.bot_token == "xoxb-T1-first"


async def test_redis_down() -> None:
    dead = redis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    store = RedisInstallationStore(dead, TokenCipher(KEY))
    # The OAuth flow shows its "storage_error" page for a BoltError, not a 500.
    with pytest.raises(BoltError):
        await store.async_save(installation())
    with pytest.raises(StorageUnavailable):
        await store.async_find_bot(enterprise_id=None, team_id="T1")
    states = RedisOAuthStateStore(dead, expiration_seconds=600)
    assert await states.async_consume("whatever") is False
    await dead.aclose()


# State store -------------------------------------------------------------------------------------


async def test_state_is_single_use(client: redis.Redis) -> None:
    states = RedisOAuthStateStore(client, expiration_seconds=600)
    state = await states.async_issue()
    assert state.replace("-", "").replace("_", "").isalnum() and len(state) >= 40
    assert 590_000 < await client.pttl(f"talkturo:oauth-state:{state}") <= 600_000
    assert await states.async_consume(state) is True
    assert await states.async_consume(state) is False
    assert await dump(client) == {}


async def test_state_unknown_or_malformed(client: redis.Redis) -> None:
    states = RedisOAuthStateStore(client, expiration_seconds=600)
    await states.async_issue()
    for state in ("", "nope", "x" * 5000):
        assert await states.async_consume(state) is False


async def test_state_expires(client: redis.Redis) -> None:
    states = RedisOAuthStateStore(client, expiration_seconds=0.05)
    state = await states.async_issue()
    await asyncio.sleep(0.15)
    assert await states.async_consume(state) is False


async def test_state_consumed_once_under_a_race(client: redis.Redis) -> None:
    states = RedisOAuthStateStore(client, expiration_seconds=600)
    state = await states.async_issue()
    results = await asyncio.gather(*(states.async_consume(state) for _ in range(20)))
    assert results.count(True) == 1


async def test_states_are_shared_between_processes(client: redis.Redis) -> None:
    state = await RedisOAuthStateStore(client, expiration_seconds=600).async_issue()
    assert await RedisOAuthStateStore(client, expiration_seconds=600).async_consume(state) is True


# Choosing the mode -------------------------------------------------------------------------------


def settings(**values: Any) -> Settings:
    base: dict[str, Any] = {
        "slack_signing_secret": SecretStr("secret"),
        "slack_bot_token": None,
        "slack_client_id": None,
        "slack_client_secret": None,
        "bot_encryption_key": SecretStr(KEY),
        "slack_api_url": "http://127.0.0.1:9/api/",
        "redis_url": "redis://127.0.0.1:1/0",
    }
    return Settings(**{**base, **values})


def test_scopes_are_the_manifest_bot_scopes() -> None:
    manifest = yaml.safe_load((ROOT / "manifest.yaml").read_text())
    assert list(BOT_SCOPES) == manifest["oauth_config"]["scopes"]["bot"]


@pytest.fixture
def bolt_oauth_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The variables that make Bolt start its own file-based OAuth when it sees them."""
    monkeypatch.setenv("SLACK_CLIENT_ID", "9999.9999")
    monkeypatch.setenv("SLACK_CLIENT_SECRET", "from-the-environment")
    yield


@pytest.mark.usefixtures("bolt_oauth_env")
async def test_settings_not_the_environment_decide_oauth() -> None:
    import os

    services = await create_services(settings(slack_bot_token=SecretStr("xoxb-single")))
    try:
        app = build_app(services)
        assert app.oauth_flow is None
        assert app.installation_store is None
        assert os.environ["SLACK_CLIENT_ID"] == "9999.9999"  # given back afterwards
    finally:
        await close_services(services)


@pytest.mark.usefixtures("bolt_oauth_env")
async def test_oauth_mode_uses_the_redis_stores() -> None:
    services = await create_services(
        settings(slack_client_id="1111.2222", slack_client_secret=SecretStr("client-secret"))
    )
    try:
        app = build_app(services, **oauth_options(services))
        flow = app.oauth_flow
        assert flow is not None
        assert flow.client_id == "1111.2222"
        assert flow.settings.client_secret == "client-secret"
        assert isinstance(app.installation_store, RedisInstallationStore)
        assert isinstance(flow.settings.state_store, RedisOAuthStateStore)
        assert (flow.install_path, flow.redirect_uri_path) == ("/slack/install", "/slack/oauth_redirect")
        assert flow.settings.state_expiration_seconds == 600
        assert list(flow.settings.scopes) == list(BOT_SCOPES) and not flow.settings.user_scopes
        # oauth.v2.access goes where every Web API call goes.
        assert flow.client.base_url == "http://127.0.0.1:9/api/"
    finally:
        await close_services(services)


def test_check_serving() -> None:
    _check_serving(settings(slack_client_id="1111.2222", slack_client_secret=SecretStr("s")))
    _check_serving(settings(slack_bot_token=SecretStr("xoxb-single")))
    with pytest.raises(SettingsError, match="BOT_ENCRYPTION_KEY"):
        _check_serving(
            settings(slack_client_id="1", slack_client_secret=SecretStr("s"), bot_encryption_key=None)
        )
    with pytest.raises(SettingsError, match="SLACK_CLIENT_SECRET"):
        _check_serving(settings(slack_client_id="1111.2222", slack_bot_token=SecretStr("xoxb-single")))
    with pytest.raises(SettingsError, match="SLACK_BOT_TOKEN"):
        _check_serving(settings())
