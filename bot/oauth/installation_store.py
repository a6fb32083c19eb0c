"""Slack installations in Redis: slack-sdk's `AsyncInstallationStore`, with tokens encrypted at rest.

Keys follow bot/store.py: the owner in a hash tag, so one workspace's records share a slot and a pipeline
over them is atomic. The owner is the workspace, or the enterprise for an org-wide (Enterprise Grid)
install, as slack-sdk's own stores key them:

    talkturo:{T123}:installation          the latest installation (JSON)
    talkturo:{T123}:installation:users    hash: installer user ID -> that user's latest installation
    talkturo:{T123}:installation:bot      the latest bot (JSON)

Older installations are not kept (slack-sdk's file store keeps a history): a superseded token is only a
liability. Found records are cached in this process for a few seconds, because Bolt looks the
installation up on every request.
"""

from __future__ import annotations

import inspect
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import redis.asyncio as redis
from redis.exceptions import RedisError
from slack_bolt.error import BoltError
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore

from bot.crypto import TokenCipher
from bot.store import StorageUnavailable

T = TypeVar("T")

# Everything that lets someone act as the app, or post through it, is stored encrypted only.
SECRET_FIELDS = ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token", "incoming_webhook_url")
CACHE_SECONDS = 10.0
CACHE_ENTRIES = 10_000


def _parameters(cls: type) -> frozenset[str]:
    return frozenset(inspect.signature(cls).parameters)


# A record written by another slack-sdk version may carry attributes this one's constructor lacks.
_INSTALLATION_FIELDS = _parameters(Installation)
_BOT_FIELDS = _parameters(Bot)


def owner(
    enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None = False
) -> str | None:
    """Whose records these are: the enterprise for org-wide installs (or when no team is known)."""
    if team_id and not is_enterprise_install:
        return team_id
    return enterprise_id or None


def installation_key(owner_id: str, *parts: str) -> str:
    return ":".join(("talkturo", "{" + owner_id + "}", "installation", *parts))


class _TtlCache:
    """Decoded records by key for `seconds`; the oldest entries go first when it is full."""

    def __init__(self, seconds: float, entries: int, clock: Callable[[], float]) -> None:
        self._seconds = seconds
        self._entries = entries
        self._clock = clock
        self._data: OrderedDict[str, tuple[float, dict[str, Any]]] = OrderedDict()

    def get(self, key: str) -> dict[str, Any] | None:
        hit = self._data.get(key)
        if hit is None:
            return None
        if hit[0] <= self._clock():
            del self._data[key]
            return None
        return hit[1]

    def put(self, key: str, value: dict[str, Any]) -> None:
        if self._seconds <= 0:
            return
        self._data.pop(key, None)
        self._data[key] = (self._clock() + self._seconds, value)
        while len(self._data) > self._entries:
            self._data.popitem(last=False)

    def forget(self, owner_id: str) -> None:
        prefix = installation_key(owner_id)
        for key in [k for k in self._data if k.startswith(prefix)]:
            del self._data[key]


class RedisInstallationStore(AsyncInstallationStore):
    def __init__(
        self,
        client: redis.Redis,
        cipher: TokenCipher,
        *,
        cache_seconds: float = CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        logger: logging.Logger | None = None,
    ) -> None:
        self._redis = client
        self._cipher = cipher
        # Not negative results: a workspace installed through another process must work at once.
        self._cache = _TtlCache(cache_seconds, CACHE_ENTRIES, clock)
        self._logger = logger or logging.getLogger("bot.oauth")

    @property
    def logger(self) -> logging.Logger:
        return self._logger

    async def _run(self, what: str, call: Callable[[], Awaitable[T]]) -> T:
        try:
            return await call()
        except (RedisError, OSError) as error:
            self._logger.warning("redis %s failed: %s", what, type(error).__name__)
            raise StorageUnavailable(what) from None

    # Serialisation -----------------------------------------------------------------------------

    def _dump(self, record: Installation | Bot) -> str:
        # `__dict__` holds only JSON types (timestamps as numbers); `to_dict()` would give datetimes.
        data = dict(vars(record))
        for name in SECRET_FIELDS:
            if data.get(name) is not None:
                data[name] = self._cipher.encrypt(str(data[name]))
        return json.dumps(data, separators=(",", ":"))

    def _load(self, raw: bytes | str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(raw)
        for name in SECRET_FIELDS:
            if data.get(name) is not None:
                data[name] = self._cipher.decrypt(data[name])
        return data

    @staticmethod
    def _installation(data: dict[str, Any]) -> Installation:
        # A fresh object per call: Bolt's authorize mutates the installation it is given.
        return Installation(**{k: v for k, v in data.items() if k in _INSTALLATION_FIELDS})

    @staticmethod
    def _bot(data: dict[str, Any]) -> Bot:
        return Bot(**{k: v for k, v in data.items() if k in _BOT_FIELDS})

    # Writes ------------------------------------------------------------------------------------

    async def async_save(self, installation: Installation) -> None:
        owner_id = owner(installation.enterprise_id, installation.team_id, installation.is_enterprise_install)
        if owner_id is None:
            raise BoltError("an installation without a team or an enterprise cannot be saved")
        entity = self._dump(installation)
        bot = installation.to_bot() if installation.bot_token else None

        async def write() -> None:
            pipe = self._redis.pipeline(transaction=True)
            pipe.set(installation_key(owner_id), entity)
            pipe.hset(installation_key(owner_id, "users"), installation.user_id or "none", entity)
            if bot is not None:
                pipe.set(installation_key(owner_id, "bot"), self._dump(bot))
            await pipe.execute()

        try:
            await self._run("save installation", write)
        except StorageUnavailable as error:
            # Bolt's OAuth flow turns a BoltError into its "storage_error" page instead of a 500.
            raise BoltError(f"the installation could not be saved ({error})") from None
        self._cache.forget(owner_id)

    async def async_save_bot(self, bot: Bot) -> None:
        if not bot.bot_token:
            return
        owner_id = owner(bot.enterprise_id, bot.team_id, bot.is_enterprise_install)
        if owner_id is None:
            raise BoltError("a bot without a team or an enterprise cannot be saved")
        entity = self._dump(bot)
        await self._run("save bot", lambda: self._redis.set(installation_key(owner_id, "bot"), entity))
        self._cache.forget(owner_id)

    # Reads -------------------------------------------------------------------------------------

    async def _get(self, key: str, field: str | None = None) -> dict[str, Any] | None:
        cache_key = f"{key}#{field}" if field else key
        cached = self._cache.get(cache_key)
        if cached is not None:
            return cached
        if field is None:
            raw = await self._run("find installation", lambda: self._redis.get(key))
        else:
            raw = await self._run("find installation", lambda: self._redis.hget(key, field))
        if raw is None:
            return None
        data = self._load(raw)
        self._cache.put(cache_key, data)
        return data

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        owner_id = owner(enterprise_id, team_id, is_enterprise_install)
        if owner_id is None:
            return None
        data = await self._get(installation_key(owner_id, "bot"))
        return self._bot(data) if data is not None else None

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        owner_id = owner(enterprise_id, team_id, is_enterprise_install)
        if owner_id is None:
            return None
        if user_id is None:
            data = await self._get(installation_key(owner_id))
        else:
            data = await self._get(installation_key(owner_id, "users"), user_id)
        if data is None:
            return None
        installation = self._installation(data)
        if user_id is not None or installation.bot_token is None:
            # A user's own installation may predate the workspace's latest bot token (bolt-python #664).
            bot = await self.async_find_bot(
                enterprise_id=enterprise_id, team_id=team_id, is_enterprise_install=is_enterprise_install
            )
            if bot is not None and bot.bot_token != installation.bot_token:
                installation.bot_id = bot.bot_id
                installation.bot_user_id = bot.bot_user_id
                installation.bot_token = bot.bot_token
                installation.bot_scopes = bot.bot_scopes
                installation.bot_refresh_token = bot.bot_refresh_token
                installation.bot_token_expires_at = bot.bot_token_expires_at
        return installation

    # Deletes -----------------------------------------------------------------------------------

    async def _delete(
        self,
        enterprise_id: str | None,
        team_id: str | None,
        *parts: tuple[str, ...],
        user_id: str | None = None,
    ) -> None:
        owner_id = owner(enterprise_id, team_id)
        if owner_id is None:
            return
        keys = [installation_key(owner_id, *part) for part in parts]

        async def delete() -> None:
            pipe = self._redis.pipeline(transaction=True)
            if keys:
                pipe.delete(*keys)
            if user_id is not None:
                pipe.hdel(installation_key(owner_id, "users"), user_id)
            await pipe.execute()

        await self._run("delete installation", delete)
        self._cache.forget(owner_id)

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await self._delete(enterprise_id, team_id, ("bot",))

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        if user_id is not None:
            await self._delete(enterprise_id, team_id, user_id=user_id)
        else:
            await self._delete(enterprise_id, team_id, (), ("users",))

    async def async_delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        # One transaction instead of the interface's delete_bot then delete_installation.
        await self._delete(enterprise_id, team_id, (), ("users",), ("bot",))
