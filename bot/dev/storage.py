"""Where dev keeps its data: the Redis at REDIS_URL when one answers, else an in-memory stand-in."""

from __future__ import annotations

import asyncio

import fakeredis
import redis.asyncio as redis
from redis.exceptions import RedisError

from bot.crypto import TokenCipher
from bot.store import Store

PING_SECONDS = 0.5


async def redis_answers(url: str, seconds: float = PING_SECONDS) -> bool:
    """True when a Redis at `url` answers PING within `seconds` (a bad URL answers nothing)."""
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=seconds, socket_timeout=seconds)
    except ValueError:
        return False
    try:
        return bool(await asyncio.wait_for(client.ping(), seconds * 2))
    except (RedisError, OSError, TimeoutError):
        return False
    finally:
        await client.aclose()


async def open_store(url: str, cipher: TokenCipher) -> tuple[Store, bool]:
    """(store, in_memory). The stand-in is fakeredis with Lua (the store runs EVAL in pipelines)."""
    if await redis_answers(url):
        return Store.from_url(url, cipher), False
    return Store(fakeredis.FakeAsyncRedis(), cipher), True
