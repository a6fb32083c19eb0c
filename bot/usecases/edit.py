"""`edit` (the modal) and `set` (key=value): changing an assistant, only the fields that changed."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping
from typing import Any

from slack_sdk.errors import SlackApiError

from bot import grammar
from bot.context import Request
from bot.fields import BY_NAME, Kind
from bot.permissions import Refusal, require_change
from bot.store import StorageUnavailable
from bot.talkturo import errors as tk
from bot.talkturo.models import Assistant
from bot.ui.edit import (
    changed_since,
    conflict_notice,
    edit_modal,
    fingerprint,
    read_edit_form,
    same_value,
    too_long_for_input,
)
from bot.ui.errors import explain
from bot.ui.ids import edit_block
from bot.ui.modals import loading_modal, message_modal, metadata, read_metadata
from bot.ui.notices import Notice, assistant_ref, field_changes
from bot.ui.text import escape
from bot.usecases.common import Stop, assistant_id, connected, modal_after_loading, remember

# Slack waits 3 s for the answer to a submission; past this the modal shows "Saving…" instead.
SUBMIT_SECONDS = 2.5


def _edit_metadata(req: Request, assistant: Assistant) -> str:
    long_fields = [
        name for name in ("first_message", "system_prompt") if too_long_for_input(assistant.value(name))
    ]
    return metadata(
        a=assistant.id,
        f=fingerprint(assistant),
        c=req.channel_id,
        r=req.response_url,
        l=long_fields or None,
        t=req.team_id,
    )


async def open_edit(req: Request, ref: str) -> None:
    loaded, account = await connected(req, ref=ref, with_user=True)
    await require_change(req, loaded)
    wanted = assistant_id(loaded, ref)

    async def form() -> dict[str, Any]:
        assistant = await req.services.talkturo.get_assistant(account, wanted)
        await remember(req, assistant, loaded.entry)
        return edit_modal(assistant, _edit_metadata(req, assistant))

    await modal_after_loading(req, "Edit assistant", form)


def changed_fields(current: Assistant, submitted: Mapping[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in submitted.items() if not same_value(current.value(name), value)}


async def submit_edit(req: Request, view: dict[str, Any]) -> dict[str, Any] | None:
    meta = read_metadata(view)
    form = read_edit_form(view["state"]["values"], frozenset(meta.get("l") or ()))
    if form.errors:
        return {"response_action": "errors", "errors": form.errors}
    # The same view state submitted twice (double click) saves once; after an update the hash differs.
    if not await req.services.store.claim(req.team_id, f"view:{view['id']}:{view.get('hash')}"):
        return None
    req.channel_id, req.response_url = meta.get("c"), meta.get("r")
    save = asyncio.ensure_future(_save(req, meta, form.values))
    try:
        return await asyncio.wait_for(asyncio.shield(save), SUBMIT_SECONDS)
    except TimeoutError:
        req.services.background.spawn(_finish_late(req, view["id"], save))
        return {
            "response_action": "update",
            "view": loading_modal("Edit assistant", "Saving… Talkturo is slow."),
        }


async def _finish_late(req: Request, view_id: str, save: Awaitable[dict[str, Any] | None]) -> None:
    answer = await save
    if answer is None:
        text = "Saved. The change notice is in the channel."
    elif answer.get("response_action") == "errors":
        text = "Not saved: " + " ".join(answer["errors"].values())
    else:
        text = "Not saved: the assistant changed in Talkturo meanwhile. Open the form again."
    try:
        await req.client.views_update(view_id=view_id, view=message_modal("Edit assistant", text))
    except SlackApiError:
        await req.private(text)


async def _save(req: Request, meta: dict[str, Any], submitted: dict[str, Any]) -> dict[str, Any] | None:
    """The ack for the submission: None closes the modal; otherwise errors or an updated form."""
    first_block = edit_block(next(iter(submitted), "name"))
    try:
        loaded, account = await connected(req, ref=meta["a"], with_user=True)
        await require_change(req, loaded)
        talkturo = req.services.talkturo
        current = await talkturo.get_assistant(account, meta["a"])
        # Only fields changed in Talkturo meanwhile count: a number assigned since moves updated_at
        # without touching the form, while a changed field would be overwritten with the old value.
        upstream = changed_since(current, str(meta.get("f") or ""))
        if upstream:
            notice = conflict_notice(current, upstream)
            return {
                "response_action": "update",
                "view": edit_modal(current, _edit_metadata(req, current), notice=notice),
            }
        changes = changed_fields(current, submitted)
        if not changes:
            return None
        after = await talkturo.update_assistant(account, current.id, changes)
    except tk.InvalidValue as error:
        block = edit_block(error.field) if error.field in BY_NAME else first_block
        return {"response_action": "errors", "errors": {block: error.message}}
    except (tk.TalkturoError, StorageUnavailable, Stop, Refusal) as error:
        message = str(error) if isinstance(error, Stop | Refusal) else explain(error)
        return {"response_action": "errors", "errors": {first_block: message}}
    req.services.background.spawn(
        _after_change(req, loaded.entry, current, after, list(changes), loaded.workspace.notify_channel)
    )
    return None


async def _after_change(
    req: Request, known: Any, before: Assistant, after: Assistant, fields: list[str], notify: str | None
) -> None:
    await remember(req, after, known)
    notice = Notice(req.user_id, f"changed {assistant_ref(after)}", field_changes(before, after, fields))
    await req.announce(notice, notify)


def _check_choices(changes: Mapping[str, Any]) -> None:
    """A choice takes a documented value or the one the assistant has (unchanged, so not in `changes`);
    anything else is most likely a typo, so it never reaches Talkturo. The edit form offers only these."""
    for name, value in changes.items():
        spec = BY_NAME[name]
        if spec.kind is Kind.CHOICE and value not in spec.choices:
            shown = escape(str(value)).replace("`", "'")
            choices = ", ".join(spec.choices)
            raise Stop(f"{spec.label} can't be `{shown}`: choose one of {choices}. Nothing was changed.")


async def set_fields(req: Request, cmd: grammar.Set) -> None:
    loaded, account = await connected(req, ref=cmd.assistant, with_user=True)
    await require_change(req, loaded)
    talkturo = req.services.talkturo
    current = await talkturo.get_assistant(account, assistant_id(loaded, cmd.assistant))
    changes = changed_fields(current, cmd.changes)
    if not changes:
        raise Stop(f"Nothing to change: *{escape(current.name or current.id)}* already has those values.")
    _check_choices(changes)
    after = await talkturo.update_assistant(account, current.id, changes)
    await _after_change(req, loaded.entry, current, after, list(changes), loaded.workspace.notify_channel)
