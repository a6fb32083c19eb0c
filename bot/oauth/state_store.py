"""OAuth `state` values in Redis: slack-sdk's `AsyncOAuthStateStore`, single use and expiring.

A state is issued when someone opens /slack/install and must come back, once and in time, on
/slack/oauth_redirect: that is what stops a forged or replayed redirect from installing the app. Any
process sharing the Redis can consume a state another issued. Bolt additionally binds the state to the
installer's browser with a cookie.
"""

from __future__ import annotations

import logging
import secrets

import redis.asyncio as redis
from redis.exceptions import RedisError
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore

from bot.store import StorageUnavailable

# States belong to no workspace yet, so no hash tag: each is one key on its own.
PREFIX = "talkturo:oauth-state:"
_MAX_LENGTH = 100  # what comes back is untrusted input; issued states are 43 characters


def state_key(state: str) -> str:
    return PREFIX + state


class RedisOAuthStateStore(AsyncOAuthStateStore):
    def __init__(
        self, client: redis.Redis, *, expiration_seconds: float, logger: logging.Logger | None = None
    ) -> None:
        self._redis = client
        # Milliseconds, so tests can use a fraction of a second.
        self._expiration_ms = max(1, int(expiration_seconds * 1000))
        self._logger = logger or logging.getLogger("bot.oauth")

    @property
    def logger(self) -> logging.Logger:
        return self._logger

    async def async_issue(self, *args: object, **kwargs: object) -> str:
        state = secrets.token_urlsafe(32)  # URL- and cookie-safe characters only
        try:
            await self._redis.set(state_key(state), "1", px=self._expiration_ms)
        except (RedisError, OSError) as error:
            self._logger.warning("redis issue state failed: %s", type(error).__name__)
            raise StorageUnavailable("issue state") from None
        return state

    async def async_consume(self, state: str) -> bool:
        """True once for a state issued here and not yet expired; unknown, expired or reused: False."""
        if not state or len(state) > _MAX_LENGTH:
            return False
        try:
            # GETDEL: of two redirects racing with one state, exactly one gets the value.
            found = await self._redis.getdel(state_key(state))
        except (RedisError, OSError) as error:
            self._logger.warning("redis consume state failed: %s", type(error).__name__)
            return False
        return found is not None
