"""Who may do what. Viewing is open to the workspace; guests change nothing; the connection, the
notify channel and permissions belong to admins, owners and whoever connected Talkturo."""

from __future__ import annotations

from typing import Any

from slack_sdk.errors import SlackApiError

from bot.context import Request
from bot.store import Loaded

USER_FIELDS = ("is_admin", "is_owner", "is_primary_owner", "is_restricted", "is_ultra_restricted", "is_bot")


class Refusal(Exception):
    """The message names the rule that refused."""


async def user_info(req: Request, loaded: Loaded) -> dict[str, Any]:
    """users.info, cached briefly in Redis to respect Slack's rate limits."""
    if loaded.user is not None:
        return loaded.user
    response = await req.client.users_info(user=req.user_id)
    user = response.get("user") or {}
    info = {name: bool(user.get(name)) for name in USER_FIELDS}
    await req.services.store.cache_user(req.team_id, req.user_id, info)
    return info


def _is_guest(info: dict[str, Any]) -> bool:
    return bool(info.get("is_restricted") or info.get("is_ultra_restricted"))


def _is_admin(info: dict[str, Any]) -> bool:
    return bool(info.get("is_admin") or info.get("is_owner") or info.get("is_primary_owner"))


def _connector(loaded: Loaded) -> str | None:
    return loaded.workspace.connected_by


async def require_admin(req: Request, loaded: Loaded) -> None:
    info = await user_info(req, loaded)
    if _is_guest(info):
        raise Refusal("Guests can't change this workspace's Talkturo settings.")
    if _is_admin(info) or req.user_id == _connector(loaded):
        return
    connector = _connector(loaded)
    who = f", or <@{connector}> who connected Talkturo" if connector else ""
    raise Refusal(
        "Only workspace admins and owners" + who + " can change the Talkturo connection, the notify "
        "channel and permissions."
    )


async def _in_groups(req: Request, groups: tuple[str, ...]) -> bool:
    for group in groups:
        try:
            response = await req.client.usergroups_users_list(usergroup=group)
        except SlackApiError as error:
            if error.response.get("error") == "plan_upgrade_required":
                continue  # groups need a paid plan; the users listed by name still count
            raise
        if req.user_id in (response.get("users") or []):
            return True
    return False


async def require_change(req: Request, loaded: Loaded) -> None:
    """May this person change assistants?"""
    info = await user_info(req, loaded)
    if _is_guest(info):
        raise Refusal("Guests can't change assistants in this workspace; ask a member to do it.")
    rules = loaded.workspace.permissions
    if rules.mode == "everyone" or _is_admin(info) or req.user_id in rules.users:
        return
    if rules.groups and await _in_groups(req, rules.groups):
        return
    allowed = [f"<@{u}>" for u in rules.users] + [f"<!subteam^{g}>" for g in rules.groups]
    raise Refusal(
        "Only the people and groups set with `/talkturo permissions` can change assistants here "
        f"({', '.join(allowed) or 'nobody yet'}), besides workspace admins."
    )
