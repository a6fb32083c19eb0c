"""Every callback_id, action_id and block_id the bot uses, in one place."""

from __future__ import annotations

from enum import StrEnum


class Callback(StrEnum):
    CONNECT = "talkturo.connect"
    CREATE = "talkturo.create"
    EDIT = "talkturo.edit"
    ASSIGN = "talkturo.assign"
    LOADING = "talkturo.loading"
    DONE = "talkturo.done"


class Action(StrEnum):
    EDIT = "talkturo.assistant.edit"
    ASSIGN = "talkturo.assistant.assign"
    REFRESH = "talkturo.assistant.refresh"
    SHOW = "talkturo.assistant.show"
    CONFIRM_DISCONNECT = "talkturo.disconnect.confirm"
    CONFIRM_UNASSIGN = "talkturo.unassign.confirm"
    CANCEL = "talkturo.cancel"
    INPUT = "input"  # the one element inside each input block


class Block(StrEnum):
    CONNECT_SLUG = "connect.slug"
    CONNECT_TOKEN = "connect.token"
    CONNECT_API_URL = "connect.api_url"
    CREATE_NAME = "create.name"
    CREATE_TEMPLATE = "create.template"
    ASSIGN_NUMBERS = "assign.numbers"
    EDIT_TELEPHONY = "edit.telephony"
    NOTICE = "edit.notice"
    ACTIONS = "actions"


def edit_block(field: str) -> str:
    """The input block of one assistant field in the edit modal."""
    return f"edit.{field}"
