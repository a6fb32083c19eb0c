"""Redis: workspace connections and settings, the assistant registry, dedupe claims, user look-ups.

Every key carries the workspace in a Redis Cluster hash tag (`talkturo:{T123}:...`) so one workspace's
data lives in one slot and a pipeline over it is one round trip. Tokens are stored encrypted only.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

import redis.asyncio as redis
from pydantic import SecretStr
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from bot.crypto import TokenCipher

log = logging.getLogger("bot.store")
T = TypeVar("T")

USER_CACHE_SECONDS = 300
# Events API deliveries are claimed here, not under their workspace: event IDs are unique across
# workspaces, and the claim of an `app_uninstalled` event must outlive the wipe of its workspace, or
# Slack's redelivery of that event would wipe a workspace reinstalled in between.
EVENTS_SCOPE = "events"


class StorageUnavailable(Exception):
    """Redis did not answer; nothing was written."""


# Name index first, then the reference as an ID; returns {id found by name or "", entry JSON or ""}.
# One script, so a name resolves to its registry entry in the same round trip as the workspace.
_LOOKUP = """
local id = redis.call('HGET', KEYS[1], ARGV[1])
local entry = redis.call('HGET', KEYS[2], id or ARGV[2])
return {id or '', entry or ''}
"""


def _key(team_id: str, *parts: str) -> str:
    return ":".join(("talkturo", "{" + team_id + "}", *parts))


@dataclass(frozen=True)
class Connection:
    slug: str
    token: SecretStr
    api_url: str
    connected_by: str
    connected_at: str

    @property
    def token_hint(self) -> str:
        """The last 4 characters, the only part ever shown again."""
        return "…" + self.token.get_secret_value()[-4:]


PermissionMode = Literal["everyone", "only"]


@dataclass(frozen=True)
class Permissions:
    mode: PermissionMode = "everyone"
    users: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class Workspace:
    team_id: str
    connection: Connection | None = None
    notify_channel: str | None = None
    permissions: Permissions = field(default_factory=Permissions)
    connected_by: str | None = None  # kept after a disconnect: that person may connect again


@dataclass(frozen=True)
class KnownNumber:
    id: str
    phone_number: str | None


@dataclass(frozen=True)
class RegistryEntry:
    """What the workspace knows of an assistant without asking Talkturo (there is no list endpoint)."""

    id: str
    name: str
    template: str | None = None
    numbers: tuple[KnownNumber, ...] = ()
    inbound_enabled: bool | None = None
    updated_at: str | None = None

    def to_json(self) -> str:
        data = {
            "id": self.id,
            "name": self.name,
            "template": self.template,
            "numbers": [[n.id, n.phone_number] for n in self.numbers],
            "inbound_enabled": self.inbound_enabled,
            "updated_at": self.updated_at,
        }
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: str | bytes) -> RegistryEntry:
        data = json.loads(raw)
        numbers = tuple(KnownNumber(n[0], n[1]) for n in data.get("numbers") or ())
        return cls(
            id=data["id"],
            name=data.get("name") or data["id"],
            template=data.get("template"),
            numbers=numbers,
            inbound_enabled=data.get("inbound_enabled"),
            updated_at=data.get("updated_at"),
        )


@dataclass(frozen=True)
class Loaded:
    """What one request needs from Redis, fetched in one round trip."""

    workspace: Workspace
    assistant_id: str | None = None
    entry: RegistryEntry | None = None
    user: dict[str, Any] | None = None


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


class Store:
    def __init__(self, client: redis.Redis, cipher: TokenCipher) -> None:
        self._redis = client
        self._cipher = cipher

    @classmethod
    def from_url(cls, url: str, cipher: TokenCipher, *, max_connections: int = 64) -> Store:
        # A blocking pool waits for a free connection instead of raising MaxConnectionsError under load.
        pool = redis.BlockingConnectionPool.from_url(
            url,
            max_connections=max_connections,
            timeout=2,
            socket_connect_timeout=1,
            socket_timeout=2,
            health_check_interval=30,
            # A pool given to redis.Redis brings its own retry policy, and the default is none: after a
            # Redis restart each pooled connection would fail one command. Reconnect and resend once on a
            # connection the server closed (it never saw the command); never on a timeout, where it may have.
            retry=Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
        )
        return cls(redis.Redis(connection_pool=pool), cipher)

    @property
    def redis(self) -> redis.Redis:
        return self._redis

    async def aclose(self) -> None:
        await self._redis.aclose(close_connection_pool=True)

    async def _run(self, what: str, call: Callable[[], Awaitable[T]]) -> T:
        try:
            return await call()
        except (RedisError, OSError) as error:
            log.warning("redis %s failed: %s", what, type(error).__name__)
            raise StorageUnavailable(what) from None

    async def ping(self) -> bool:
        try:
            return bool(await self._redis.ping())
        except (RedisError, OSError):
            return False

    # Reads -------------------------------------------------------------------------------------

    async def load(self, team_id: str, *, ref: str | None = None, user_id: str | None = None) -> Loaded:
        """The workspace, the assistant a reference names (a known name, else an ID) and a cached user."""

        async def fetch() -> list[Any]:
            pipe = self._redis.pipeline(transaction=False)
            pipe.hgetall(_key(team_id, "workspace"))
            if ref is not None:
                # EVAL, not a registered Script: redis-py adds a SCRIPT EXISTS round trip to
                # every pipeline that holds one.
                pipe.eval(_LOOKUP, 2, _key(team_id, "names"), _key(team_id, "assistants"), name_key(ref), ref)
            if user_id is not None:
                pipe.get(_key(team_id, "user", user_id))
            return list(await pipe.execute())

        results = await self._run("load", fetch)
        workspace = self._workspace(team_id, results.pop(0))
        assistant_id = None
        entry = None
        if ref is not None:
            found_id, raw_entry = results.pop(0)
            entry = RegistryEntry.from_json(raw_entry) if raw_entry else None
            assistant_id = entry.id if entry else (found_id.decode() or None)
        user = None
        if user_id is not None:
            raw_user = results.pop(0)
            user = json.loads(raw_user) if raw_user else None
        return Loaded(workspace, assistant_id, entry, user)

    async def registry(self, team_id: str) -> list[RegistryEntry]:
        raw = await self._run("registry", lambda: self._redis.hgetall(_key(team_id, "assistants")))
        entries = [RegistryEntry.from_json(value) for value in raw.values()]
        return sorted(entries, key=lambda e: name_key(e.name))

    def _workspace(self, team_id: str, raw: Mapping[bytes, bytes]) -> Workspace:
        data = {k.decode(): v.decode() for k, v in raw.items()}
        connection = None
        if data.get("slug") and data.get("token"):
            connection = Connection(
                slug=data["slug"],
                token=SecretStr(self._cipher.decrypt(data["token"])),
                api_url=data.get("api_url", ""),
                connected_by=data.get("connected_by", ""),
                connected_at=data.get("connected_at", ""),
            )
        perms = json.loads(data["permissions"]) if data.get("permissions") else {}
        permissions = Permissions(
            mode=perms.get("mode", "everyone"),
            users=tuple(perms.get("users", ())),
            groups=tuple(perms.get("groups", ())),
        )
        return Workspace(
            team_id,
            connection,
            data.get("notify_channel") or None,
            permissions,
            data.get("connected_by") or None,
        )

    # Writes ------------------------------------------------------------------------------------

    async def save_connection(self, team_id: str, connection: Connection) -> None:
        mapping: dict[Any, Any] = {
            "slug": connection.slug,
            "token": self._cipher.encrypt(connection.token.get_secret_value()),
            "api_url": connection.api_url,
            "connected_by": connection.connected_by,
            "connected_at": connection.connected_at,
        }
        await self._run(
            "save_connection", lambda: self._redis.hset(_key(team_id, "workspace"), mapping=mapping)
        )

    async def forget_connection(self, team_id: str) -> None:
        fields = ("slug", "token", "api_url", "connected_at")
        await self._run("forget_connection", lambda: self._redis.hdel(_key(team_id, "workspace"), *fields))

    async def set_notify_channel(self, team_id: str, channel_id: str | None) -> None:
        key = _key(team_id, "workspace")
        if channel_id:
            await self._run("notify", lambda: self._redis.hset(key, "notify_channel", channel_id))
        else:
            await self._run("notify", lambda: self._redis.hdel(key, "notify_channel"))

    async def set_permissions(self, team_id: str, permissions: Permissions) -> None:
        raw = json.dumps(
            {"mode": permissions.mode, "users": list(permissions.users), "groups": list(permissions.groups)}
        )
        await self._run(
            "permissions", lambda: self._redis.hset(_key(team_id, "workspace"), "permissions", raw)
        )

    async def remember(self, team_id: str, entry: RegistryEntry, *, previous_name: str | None = None) -> None:
        """Add or refresh an assistant in the registry and its name index, in one transaction."""

        async def write() -> None:
            pipe = self._redis.pipeline(transaction=True)
            if previous_name is not None and name_key(previous_name) != name_key(entry.name):
                pipe.hdel(_key(team_id, "names"), name_key(previous_name))
            pipe.hset(_key(team_id, "assistants"), entry.id, entry.to_json())
            pipe.hset(_key(team_id, "names"), name_key(entry.name), entry.id)
            await pipe.execute()

        await self._run("remember", write)

    async def claim(self, team_id: str, key: str, seconds: int = 3600) -> bool:
        """True the first time `key` is claimed within `seconds`: exactly-once guard for redeliveries."""
        result = await self._run(
            "claim", lambda: self._redis.set(_key(team_id, "once", key), "1", nx=True, ex=seconds)
        )
        return bool(result)

    async def cache_user(self, team_id: str, user_id: str, info: Mapping[str, Any]) -> None:
        raw = json.dumps(dict(info), separators=(",", ":"))
        await self._run(
            "cache_user",
            lambda: self._redis.set(_key(team_id, "user", user_id), raw, ex=USER_CACHE_SECONDS),
        )

    async def delete_workspace(self, team_id: str) -> int:
        """Forget everything of one workspace (uninstall). SCAN, never KEYS."""

        async def wipe() -> int:
            deleted = 0
            pattern = _key(team_id, "*").replace("{", "\\{").replace("}", "\\}")
            async for key in self._redis.scan_iter(match=pattern, count=500):
                deleted += int(await self._redis.delete(key))
            return deleted

        return await self._run("delete_workspace", wipe)
