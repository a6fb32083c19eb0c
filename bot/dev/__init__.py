"""`python -m bot dev`: the bot, the Talkturo sandbox, a Slack Web API fake and a Slack-like page, on
127.0.0.1 in one process and one event loop. See wiring.py for what is served where."""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlsplit, urlunsplit

import uvicorn

from bot.app import cipher_for
from bot.config import Settings
from bot.dev.server import DevServer, listen
from bot.dev.storage import open_store
from bot.dev.wiring import FAKE_PATH, build_world, connect_demo, create_dev_app
from bot.slackfake import Call

IN_MEMORY = "data is kept in memory and lost when dev stops"


def _safe(url: str) -> str:
    """A URL fit to print: no password."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


async def run_dev(settings: Settings, port: int | None = None) -> None:
    port = settings.port if port is None else port
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per loopback request is noise here
    sock = listen(port)
    port = int(sock.getsockname()[1])  # --port 0: any free port
    world = build_world(settings, port)
    store, in_memory = await open_store(settings.redis_url, cipher_for(world.settings))
    if in_memory:
        print(f"No Redis answered at {_safe(settings.redis_url)}: {IN_MEMORY}.", flush=True)
    await connect_demo(world, store, fresh=not in_memory)

    loop = asyncio.get_running_loop()

    def on_call(call: Call) -> None:
        # The fake answers inside the loop; the page hears of it once that answer is on its way.
        loop.call_soon_threadsafe(world.feed.on_call, call)

    world.fake.add_listener(on_call)
    config = uvicorn.Config(
        create_dev_app(world, store), log_level="warning", lifespan="on", timeout_graceful_shutdown=3
    )
    server = DevServer(config, on_exit=world.hub.close)
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    ready = asyncio.create_task(server.ready.wait())
    await asyncio.wait({serving, ready}, return_when=asyncio.FIRST_COMPLETED)
    ready.cancel()
    if not server.started:
        await serving
        await store.aclose()
        raise SystemExit("dev did not start; see the messages above.")
    base = world.base_url
    storage = "in memory" if in_memory else f"Redis at {_safe(settings.redis_url)}"
    print(
        f"Talkturo for Slack, dev mode: open {base}/ in a browser.\n"
        f"  bot        {base}/slack/events (Slack's signed requests; secret made for this session)\n"
        f"  Talkturo   {world.sandbox_api_url} (sandbox account {world.account.slug!r}, "
        f"token {world.account.token}, {len(world.account.number_ids)} numbers)\n"
        f"  Slack API  {base}{FAKE_PATH}/api/ (a local fake)\n"
        f"  data       {storage}\n"
        "Ctrl-C stops.",
        flush=True,
    )
    await serving
    print("dev stopped.", flush=True)


__all__ = ["IN_MEMORY", "run_dev"]
