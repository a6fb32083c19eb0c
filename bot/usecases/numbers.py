"""`assign`, `unassign` and `numbers`: which phone numbers reach an assistant."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from typing import Any

from bot import grammar
from bot.context import Request
from bot.permissions import require_change
from bot.store import Loaded
from bot.talkturo.client import Account
from bot.talkturo.models import Assistant, PhoneNumber
from bot.ui.ids import Block
from bot.ui.modals import metadata, read_metadata, selected_values
from bot.ui.notices import Change, Notice, assistant_ref
from bot.ui.numbers import (
    STATIC_SELECT_LIMIT,
    assign_modal,
    inbound_off_warning,
    number_option,
    numbers_blocks,
    unassign_confirm_blocks,
)
from bot.ui.text import escape
from bot.usecases.common import (
    Stop,
    answering_errors,
    assistant_id,
    connected,
    modal_after_loading,
    remember,
)

_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


async def _with_numbers(req: Request, account: Account, wanted: str) -> tuple[Assistant, list[PhoneNumber]]:
    talkturo = req.services.talkturo
    assistant, numbers = await asyncio.gather(
        talkturo.get_assistant(account, wanted), talkturo.list_numbers(account, wanted)
    )
    return assistant, numbers


def _held(assistant: Assistant, numbers: Sequence[PhoneNumber]) -> list[PhoneNumber]:
    return [n for n in numbers if n.assistant_id == assistant.id]


def _ids_for(tokens: Sequence[str], numbers: Sequence[PhoneNumber], assistant: Assistant) -> list[str]:
    """Record IDs for what the person typed; an E.164 number must be one this assistant may take."""
    by_phone = {n.phone_number: n.id for n in numbers if n.phone_number}
    ids = []
    for token in tokens:
        if _E164.match(token):
            if token not in by_phone:
                raise Stop(
                    f"*{escape(token)}* is not a free, active number of this Talkturo account (it may belong "
                    f"to another assistant). See the ones *{escape(assistant.name or assistant.id)}* can "
                    f"take with `/talkturo numbers {escape(assistant.id)}`."
                )
            ids.append(by_phone[token])
        else:
            ids.append(token)  # a record ID: Talkturo names the holder if it is taken
    return ids


def _phones(ids: Sequence[str], numbers: Sequence[PhoneNumber]) -> str:
    by_id = {n.id: n.phone_number or n.id for n in numbers}
    return ", ".join(by_id.get(i, i) for i in ids) or "none"


async def _assign(
    req: Request,
    loaded: Loaded,
    account: Account,
    assistant: Assistant,
    numbers: list[PhoneNumber],
    ids: list[str],
) -> None:
    before = [n.id for n in _held(assistant, numbers)]
    assigned = await req.services.talkturo.assign_numbers(account, assistant.id, ids)
    now = [
        PhoneNumber(
            id=i,
            phone_number=next((n.phone_number for n in numbers if n.id == i), None),
            assistant_id=assistant.id,
        )
        for i in assigned
    ]
    others = [n for n in numbers if n.assistant_id != assistant.id and n.id not in assigned]
    await remember(req, assistant, loaded.entry, [*now, *others])
    what = (
        f"assigned numbers to {assistant_ref(assistant)}"
        if assigned
        else f"removed all numbers from {assistant_ref(assistant)}"
    )
    change = Change("Numbers", _phones(before, numbers), _phones(assigned, numbers))
    warning = inbound_off_warning(assistant) if assigned and assistant.inbound_enabled is False else None
    await req.announce(Notice(req.user_id, what, (change,), warning), loaded.workspace.notify_channel)


async def assign(req: Request, cmd: grammar.Assign) -> None:
    if not cmd.numbers:
        await open_assign(req, cmd.assistant)
        return
    loaded, account = await connected(req, ref=cmd.assistant, with_user=True)
    await require_change(req, loaded)
    assistant, numbers = await _with_numbers(req, account, assistant_id(loaded, cmd.assistant))
    await _assign(req, loaded, account, assistant, numbers, _ids_for(cmd.numbers, numbers, assistant))


async def open_assign(req: Request, ref: str) -> None:
    loaded, account = await connected(req, ref=ref, with_user=True)
    await require_change(req, loaded)
    wanted = assistant_id(loaded, ref)

    async def form() -> dict[str, Any]:
        assistant, numbers = await _with_numbers(req, account, wanted)
        meta = metadata(a=assistant.id, c=req.channel_id, r=req.response_url, t=req.team_id)
        return assign_modal(assistant, numbers, meta)

    await modal_after_loading(req, "Assign numbers", form)


async def submit_assign(req: Request, view: dict[str, Any]) -> None:
    if not await req.services.store.claim(req.team_id, f"view:{view['id']}:{view.get('hash')}"):
        return
    meta = read_metadata(view)
    req.channel_id, req.response_url = meta.get("c"), meta.get("r")
    ids = selected_values(view["state"]["values"], Block.ASSIGN_NUMBERS)
    req.services.background.spawn(answering_errors(req, _assign_chosen(req, meta["a"], ids)))


async def _assign_chosen(req: Request, wanted: str, ids: list[str]) -> None:
    loaded, account = await connected(req, ref=wanted, with_user=True)
    await require_change(req, loaded)
    assistant, numbers = await _with_numbers(req, account, wanted)
    await _assign(req, loaded, account, assistant, numbers, ids)


async def number_options(req: Request, view: dict[str, Any], query: str) -> list[dict[str, Any]]:
    """Options load for the external select used when an account has more than 100 numbers."""
    meta = read_metadata(view)
    _, account = await connected(req)
    numbers = await req.services.talkturo.list_numbers(account, meta["a"])
    wanted = query.strip().lower()
    matching = [n for n in numbers if wanted in (n.phone_number or "").lower() or wanted in n.id.lower()]
    return [number_option(n) for n in matching[:STATIC_SELECT_LIMIT]]


async def ask_unassign(req: Request, cmd: grammar.Unassign) -> None:
    loaded, account = await connected(req, ref=cmd.assistant, with_user=True)
    await require_change(req, loaded)
    assistant, numbers = await _with_numbers(req, account, assistant_id(loaded, cmd.assistant))
    held = _held(assistant, numbers)
    await remember(req, assistant, loaded.entry, numbers)
    if not held:
        raise Stop(f"*{escape(assistant.name or assistant.id)}* has no numbers; nothing to remove.")
    await req.private("Remove all numbers?", unassign_confirm_blocks(assistant, len(held)))


async def unassign(req: Request, wanted: str) -> None:
    loaded, account = await connected(req, ref=wanted, with_user=True)
    await require_change(req, loaded)
    assistant, numbers = await _with_numbers(req, account, wanted)
    await req.private("Removing the numbers…", replace_original=True)
    await _assign(req, loaded, account, assistant, numbers, [])


async def numbers(req: Request, cmd: grammar.Numbers) -> None:
    loaded, account = await connected(req, ref=cmd.assistant)
    assistant, found = await _with_numbers(req, account, assistant_id(loaded, cmd.assistant))
    await remember(req, assistant, loaded.entry, found)
    await req.private("Phone numbers", numbers_blocks(assistant, found))
