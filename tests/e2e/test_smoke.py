from __future__ import annotations

from tests.e2e.world import World, text_of


def test_connect_create_show(world: World) -> None:
    world.connect()
    new_id = world.create("Sales Agent")
    world.command('show "Sales Agent"')
    call = world.wait("chat.postMessage")[0]
    assert "Sales Agent" in text_of(call)
    assert new_id in text_of(call)
