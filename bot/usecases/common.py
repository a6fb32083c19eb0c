"""What every use case needs: a connected workspace, an assistant from a reference, the registry."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.context import Request
from bot.permissions import Refusal
from bot.store import KnownNumber, Loaded, RegistryEntry, StorageUnavailable
from bot.talkturo.client import Account
from bot.talkturo.errors import TalkturoError
from bot.talkturo.models import Assistant, PhoneNumber
from bot.ui.connection import not_connected_text
from bot.ui.errors import explain
from bot.ui.modals import loading_modal, message_modal
from bot.ui.text import escape

log = logging.getLogger("bot.usecases")

_ID = re.compile(
    r"^(asst_[A-Za-z0-9_-]+|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"
)


class Stop(Exception):
    """A user-facing answer that ends the use case; nothing was changed."""


async def connected(
    req: Request, *, ref: str | None = None, with_user: bool = False
) -> tuple[Loaded, Account]:
    """The workspace's Talkturo account, or one sentence on how to connect."""
    loaded = await req.services.store.load(req.team_id, ref=ref, user_id=req.user_id if with_user else None)
    connection = loaded.workspace.connection
    if connection is None:
        raise Stop(not_connected_text())
    return loaded, req.services.account(connection)


def assistant_id(loaded: Loaded, ref: str) -> str:
    """An ID for a reference: a name this workspace knows, or something shaped like an ID."""
    if loaded.assistant_id:
        return loaded.assistant_id
    if _ID.match(ref):
        return ref
    raise Stop(
        f"I don't know an assistant named *{escape(ref)}* in this workspace. "
        "See the ones I know with `/talkturo list`, or give its ID (`asst_…`)."
    )


def entry_for(
    assistant: Assistant, known: RegistryEntry | None, numbers: Sequence[PhoneNumber] | None = None
) -> RegistryEntry:
    """A registry entry from a fresh assistant; numbers from Talkturo when given, else as known."""
    if numbers is not None:
        held = tuple(KnownNumber(n.id, n.phone_number) for n in numbers if n.assistant_id == assistant.id)
    else:
        held = known.numbers if known else ()
    return RegistryEntry(
        id=assistant.id,
        name=assistant.name or assistant.id,
        template=assistant.template,
        numbers=held,
        inbound_enabled=assistant.inbound_enabled,
        updated_at=assistant.updated_at,
    )


async def remember(
    req: Request,
    assistant: Assistant,
    known: RegistryEntry | None,
    numbers: Sequence[PhoneNumber] | None = None,
) -> RegistryEntry:
    entry = entry_for(assistant, known, numbers)
    if entry != known:
        previous = known.name if known else None
        try:
            await req.services.store.remember(req.team_id, entry, previous_name=previous)
        except StorageUnavailable:
            # Talkturo holds the change already; the registry only mirrors it (the next show refreshes
            # it). Failing here would tell the person "nothing was changed" about a change that was made.
            log.warning("registry not refreshed for %s: storage unavailable", assistant.id)
    return entry


async def modal_after_loading(
    req: Request, title: str, build: Callable[[], Awaitable[dict[str, Any]]]
) -> None:
    """Open a loading modal at once (a trigger_id lives 3 s), then replace it with what `build`
    makes once Talkturo has answered, or with the failure in plain words."""
    opened = await req.client.views_open(trigger_id=req.trigger_id, view=loading_modal(title, "Loading…"))
    view = opened["view"]
    try:
        form = await build()
    except (TalkturoError, StorageUnavailable) as error:
        form = message_modal(title, explain(error))
    await req.client.views_update(view_id=view["id"], hash=view.get("hash"), view=form)


async def answering_errors(req: Request, work: Awaitable[None]) -> None:
    """Run a use case after the ack; any failure reaches the person as one clear sentence."""
    try:
        await work
    except Stop as stop:
        await req.private(str(stop))
    except Refusal as refusal:
        await req.private(f":no_entry: {refusal}")
    except (TalkturoError, StorageUnavailable) as error:
        await req.private(explain(error))
    except SlackApiError as error:
        log.warning("Slack call failed: %s", error.response.get("error"))
        code = error.response.get("error")
        await req.private(
            f"Slack refused a call (`{code}`). If you made a change, check it with `/talkturo show`."
        )
