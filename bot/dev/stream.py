"""Server → page: every change is an event, fanned out to each open page as Server-Sent Events."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

from starlette.responses import StreamingResponse

Event = dict[str, Any]
KEEPALIVE_SECONDS = 15.0


class Hub:
    """Subscribers are queues; `None` in a queue ends that stream (the server is stopping)."""

    def __init__(self) -> None:
        self._queues: set[asyncio.Queue[Event | None]] = set()
        self.closed = False

    def publish(self, event: Event) -> None:
        for queue in list(self._queues):
            queue.put_nowait(event)

    def subscribe(self) -> asyncio.Queue[Event | None]:
        queue: asyncio.Queue[Event | None] = asyncio.Queue()
        if self.closed:
            queue.put_nowait(None)
        self._queues.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Event | None]) -> None:
        self._queues.discard(queue)

    def close(self) -> None:
        """End every stream, so the server does not wait on open pages when it stops."""
        self.closed = True
        for queue in list(self._queues):
            queue.put_nowait(None)


def _frame(event: Event) -> str:
    return f"data: {json.dumps(event, separators=(',', ':'))}\n\n"


def event_stream(hub: Hub, snapshot: Callable[[], Event]) -> StreamingResponse:
    """The snapshot first (so a page, new or reconnected, starts complete), then live events."""
    queue = hub.subscribe()
    first = snapshot()  # taken right after subscribing: nothing falls between the two

    async def frames() -> AsyncIterator[str]:
        try:
            yield "retry: 1000\n\n" + _frame(first)
            while True:
                try:
                    event = await asyncio.wait_for(queue.get(), KEEPALIVE_SECONDS)
                except TimeoutError:
                    yield ": keepalive\n\n"
                    continue
                if event is None:
                    return
                yield _frame(event)
        finally:
            hub.unsubscribe(queue)

    headers = {"cache-control": "no-cache", "x-accel-buffering": "no"}
    return StreamingResponse(frames(), media_type="text/event-stream", headers=headers)
