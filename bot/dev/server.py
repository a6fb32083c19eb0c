"""uvicorn for dev: a socket bound before starting (a clear message when the port is taken), and
Ctrl-C that ends open event streams and stops quietly instead of re-raising KeyboardInterrupt."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
from collections.abc import Callable, Generator

import uvicorn

from bot.config import SettingsError

HOST = "127.0.0.1"


def listen(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
    except OSError as error:
        sock.close()
        raise SettingsError(
            f"Cannot listen on {HOST}:{port} ({error.strerror}). Choose another port: "
            "python -m bot dev --port N (or PORT=N)."
        ) from None
    return sock


class DevServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, on_exit: Callable[[], None]) -> None:
        super().__init__(config)
        self._on_exit = on_exit
        self.ready = asyncio.Event()  # set when startup is over, whether it worked or not

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            await super().startup(sockets)
        finally:
            self.ready.set()

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        loop = asyncio.get_running_loop()
        handled = (signal.SIGINT, signal.SIGTERM)
        for sig in handled:
            loop.add_signal_handler(sig, self.stop)
        try:
            yield
        finally:
            for sig in handled:
                loop.remove_signal_handler(sig)

    def stop(self) -> None:
        """First Ctrl-C: stop gracefully; a second one: stop now."""
        if self.should_exit:
            self.force_exit = True
        self.should_exit = True
        self._on_exit()
