"""`notify` and `permissions`: workspace settings kept by the bot."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError

from bot import grammar
from bot.context import Request
from bot.permissions import require_admin
from bot.store import Permissions
from bot.ui.notices import Notice
from bot.ui.text import section
from bot.usecases.common import Stop, connected


async def notify(req: Request, cmd: grammar.Notify) -> None:
    loaded, _ = await connected(req, with_user=True)
    current = loaded.workspace.notify_channel
    if cmd.channel_id is None and not cmd.clear:
        text = f"Every change is also posted to <#{current}>." if current else "No notify channel is set."
        await req.private(text, [section(text)])
        return
    await require_admin(req, loaded)
    await req.services.store.set_notify_channel(req.team_id, cmd.channel_id)
    if cmd.channel_id:
        what = f"set <#{cmd.channel_id}> to receive every change made with /talkturo"
    else:
        what = "stopped sending changes to a notify channel"
    # The old channel hears that it stops receiving changes; the new one that it starts.
    await req.announce(Notice(req.user_id, what), cmd.channel_id or current)


def _describe(rules: Permissions) -> str:
    if rules.mode == "everyone":
        return "Everyone in this workspace except guests may change assistants."
    allowed = [f"<@{u}>" for u in rules.users] + [f"<!subteam^{g}>" for g in rules.groups]
    return f"Only {', '.join(allowed)} and workspace admins may change assistants."


async def permissions(req: Request, cmd: grammar.Permissions) -> None:
    loaded, _ = await connected(req, with_user=True)
    if cmd.mode == "show":
        text = _describe(loaded.workspace.permissions) + " Viewing is open to everyone."
        await req.private(text, [section(text)])
        return
    await require_admin(req, loaded)
    if cmd.groups:
        await _check_groups_available(req, cmd.groups)
    rules = Permissions(mode=cmd.mode, users=cmd.users, groups=cmd.groups)
    await req.services.store.set_permissions(req.team_id, rules)
    await req.announce(
        Notice(req.user_id, "changed who may change assistants: " + _describe(rules)),
        loaded.workspace.notify_channel,
    )


async def _check_groups_available(req: Request, groups: tuple[str, ...]) -> None:
    """User groups need a paid Slack plan; say so plainly instead of saving a rule that never matches."""
    try:
        await req.client.usergroups_users_list(usergroup=groups[0])
    except SlackApiError as error:
        if error.response.get("error") == "plan_upgrade_required":
            raise Stop(
                "User groups need a paid Slack plan, so permissions can't name them here. "
                "Name people instead: `/talkturo permissions @alice @bob`. Nothing was changed."
            ) from None
        raise
