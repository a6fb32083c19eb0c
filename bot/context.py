"""What a use case gets: process-wide services and one Slack request, with ways to reply."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.config import Settings
from bot.store import Connection, Store
from bot.talkturo.client import Account, TalkturoClient
from bot.ui.notices import Notice, notice_blocks

log = logging.getLogger("bot")

# Errors after which a post to the channel cannot work, so the reply takes another road.
UNREACHABLE_CHANNEL = frozenset(
    {"not_in_channel", "channel_not_found", "is_archived", "restricted_action", "user_not_in_channel"}
)


class Background:
    """Work done after the ack, with a bound on how much runs at once.

    Slack does not slow down when the bot does; without a bound, a burst starts thousands of Talkturo
    calls that then queue inside httpx's pool and burn the CPU there.
    """

    def __init__(self, limit: int = 64) -> None:
        self._slots = asyncio.Semaphore(limit)
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(self._run(work))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, work: Coroutine[Any, Any, None]) -> None:
        async with self._slots:
            try:
                await work
            except Exception:
                log.exception("background work failed")

    async def drain(self, seconds: float = 10.0) -> None:
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=seconds)


@dataclass(frozen=True)
class Services:
    settings: Settings
    store: Store
    talkturo: TalkturoClient
    background: Background
    http: aiohttp.ClientSession  # shared by response_url posts; one session, many connections

    def account(self, connection: Connection) -> Account:
        return Account(
            base_url=connection.api_url or self.settings.talkturo_api_url,
            slug=connection.slug,
            token=connection.token,
        )


@dataclass
class Request:
    """One Slack request as a use case sees it."""

    services: Services
    client: AsyncWebClient
    team_id: str
    user_id: str
    channel_id: str | None = None
    response_url: str | None = None
    trigger_id: str | None = None

    async def private(
        self, text: str, blocks: Sequence[dict[str, Any]] | None = None, *, replace_original: bool = False
    ) -> None:
        """Only the caller sees it: the response_url, else an ephemeral message, else a DM."""
        if self.response_url:
            payload: dict[str, Any] = {"response_type": "ephemeral", "text": text}
            if blocks:
                payload["blocks"] = list(blocks)
            if replace_original:
                payload["replace_original"] = True
            if await self._respond(payload):
                return
        if self.channel_id:
            try:
                await self.client.chat_postEphemeral(
                    channel=self.channel_id, user=self.user_id, text=text, blocks=blocks
                )
                return
            except SlackApiError as error:
                log.info("ephemeral reply failed: %s", error.response.get("error"))
        await self._direct(text, blocks)

    async def public(self, text: str, blocks: Sequence[dict[str, Any]]) -> None:
        """Everyone in the channel sees it; if the bot cannot post there, the caller still gets it."""
        if self.channel_id and await self.post(self.channel_id, text, blocks):
            return
        if self.response_url and await self._respond(
            {"response_type": "in_channel", "text": text, "blocks": list(blocks)}
        ):
            return
        hint = (
            f"I couldn't post in <#{self.channel_id}>; invite me with `/invite @talkturo`. Here it is:"
            if self.channel_id
            else "Here it is:"
        )
        await self._direct(f"{hint}\n{text}", blocks)

    async def replace(self, text: str, blocks: Sequence[dict[str, Any]]) -> None:
        """Update the message a button was pressed on (e.g. Refresh), else post anew."""
        payload = {"replace_original": True, "text": text, "blocks": list(blocks)}
        if not (self.response_url and await self._respond(payload)):
            await self.public(text, blocks)

    async def announce(
        self, notice: Notice, notify_channel: str | None, details: Sequence[dict[str, Any]] = ()
    ) -> None:
        """A change notice where it happened (with `details` there), and once in the audit channel."""
        blocks = notice_blocks(notice)
        await self.public(notice.text, [*blocks, *details])
        if notify_channel and notify_channel != self.channel_id:
            await self.post(notify_channel, notice.text, blocks)

    async def post(self, channel: str, text: str, blocks: Sequence[dict[str, Any]]) -> bool:
        try:
            await self.client.chat_postMessage(channel=channel, text=text, blocks=blocks)
            return True
        except SlackApiError as error:
            code = error.response.get("error")
            if code not in UNREACHABLE_CHANNEL:
                raise
            log.info("cannot post in %s: %s", channel, code)
            return False

    async def _respond(self, payload: dict[str, Any]) -> bool:
        assert self.response_url is not None
        webhook = AsyncWebhookClient(self.response_url, session=self.services.http, timeout=10)
        try:
            response = await webhook.send_dict(payload)
        except (aiohttp.ClientError, TimeoutError) as error:
            log.info("response_url failed: %s", type(error).__name__)
            return False
        return response.status_code == 200

    async def _direct(self, text: str, blocks: Sequence[dict[str, Any]] | None) -> None:
        # Posting to a user ID lands in the app's DM with that person.
        await self.client.chat_postMessage(channel=self.user_id, text=text, blocks=blocks)
