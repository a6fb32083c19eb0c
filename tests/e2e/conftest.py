from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from tests.e2e.world import World, fresh_account, running_world
from tests.support.servers import RedisServer


@pytest.fixture(scope="module")
def world_server(redis_server: RedisServer) -> Iterator[World]:
    with running_world(redis_server.url) as world:
        yield world


@pytest.fixture
def world(world_server: World, redis_server: RedisServer) -> Iterator[World]:
    if redis_server.proc is None:
        redis_server.start()
    client = redis.Redis.from_url(redis_server.url)
    client.flushall()
    client.close()
    world_server.fake.clear()
    world_server.sandbox.reset()
    fresh_account(world_server)
    yield world_server
