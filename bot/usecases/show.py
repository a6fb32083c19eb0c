"""`show`, `list` and the Refresh button: reading assistants."""

from __future__ import annotations

import asyncio

from bot import grammar
from bot.context import Request
from bot.ui.assistant import list_blocks, summary_blocks, summary_text
from bot.usecases.common import assistant_id, connected, remember


async def show(req: Request, cmd: grammar.Show) -> None:
    loaded, account = await connected(req, ref=cmd.assistant)
    assistant = await req.services.talkturo.get_assistant(account, assistant_id(loaded, cmd.assistant))
    entry = await remember(req, assistant, loaded.entry)
    await req.public(summary_text(assistant), summary_blocks(assistant, entry.numbers))


async def refresh(req: Request, ref: str) -> None:
    """The summary again, numbers included, read fresh from Talkturo."""
    loaded, account = await connected(req, ref=ref)
    talkturo = req.services.talkturo
    wanted = assistant_id(loaded, ref)
    assistant, numbers = await asyncio.gather(
        talkturo.get_assistant(account, wanted), talkturo.list_numbers(account, wanted)
    )
    entry = await remember(req, assistant, loaded.entry, numbers)
    await req.replace(summary_text(assistant), summary_blocks(assistant, entry.numbers))


async def list_assistants(req: Request) -> None:
    await connected(req)
    entries = await req.services.store.registry(req.team_id)
    await req.private("Assistants this workspace knows", list_blocks(entries))
