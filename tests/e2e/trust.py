"""Helpers shared by the trust tests (permissions, secrets, exactly-once, faults, bad input, isolation)."""

from __future__ import annotations

import time
from typing import Any

import httpx
import redis

from tests.e2e.world import World

# Talkturo endpoints that change something; a refused or invalid request must never reach them.
WRITES = ("create_assistant", "update_assistant", "assign_numbers")


def writes(world: World) -> dict[str, int]:
    """Calls the sandbox received on endpoints that change something (none = {})."""
    return {name: world.sandbox.calls[name] for name in WRITES if world.sandbox.calls[name]}


def talkturo_calls(world: World) -> int:
    return sum(world.sandbox.calls.values())


def ack_text(response: httpx.Response) -> str:
    """What the ack of a slash command shows the caller (plain text, or JSON with `text`)."""
    if response.headers.get("content-type", "").startswith("application/json"):
        body = response.json()
        return str(body.get("text") or "") if isinstance(body, dict) else ""
    return response.text


def quiet(world: World, seconds: float = 0.3, limit: float = 10.0) -> None:
    """Wait until the bot has made no Slack call for `seconds`: its background work has settled."""
    deadline = time.monotonic() + limit
    seen = len(world.fake.calls())
    still_since = time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.02)
        now = len(world.fake.calls())
        if now != seen:
            seen, still_since = now, time.monotonic()
        elif time.monotonic() - still_since >= seconds:
            return
    raise AssertionError("the bot kept calling Slack")


def redis_dump(url: str) -> dict[str, Any]:
    """Every key of the server (SCAN, never KEYS) with its value, whatever its type."""
    client = redis.Redis.from_url(url)
    try:
        dump: dict[str, Any] = {}
        for raw_key in client.scan_iter(count=500):
            key = raw_key.decode()
            kind = client.type(raw_key).decode()
            value: Any
            if kind == "string":
                value = client.get(raw_key)
            elif kind == "hash":
                value = client.hgetall(raw_key)
            elif kind == "list":
                value = client.lrange(raw_key, 0, -1)
            elif kind == "set":
                value = client.smembers(raw_key)
            elif kind == "zset":
                value = client.zrange(raw_key, 0, -1, withscores=True)
            elif kind == "stream":
                value = client.xrange(raw_key)
            else:
                value = client.dump(raw_key)
            dump[key] = value
        return dump
    finally:
        client.close()


def with_sales_agent(world: World) -> World:
    """Connected, with an assistant called Sales Agent; recorded calls and sandbox faults start clean."""
    world.connect()
    world.create("Sales Agent")
    quiet(world, 0.05)
    world.fake.clear()
    world.sandbox.reset()
    return world
