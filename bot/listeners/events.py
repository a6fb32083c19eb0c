"""Events API: uninstall and revoked tokens, each delivery handled once."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.response import BoltResponse

from bot.context import Services
from bot.store import EVENTS_SCOPE

log = logging.getLogger("bot.events")


def register(app: AsyncApp, services: Services) -> None:
    async def once_per_event(
        body: dict[str, Any], context: AsyncBoltContext, next: Callable[[], Awaitable[None]]
    ) -> BoltResponse | None:
        # Slack redelivers an event it thinks failed (X-Slack-Retry-Num); the first delivery wins.
        event_id = body.get("event_id")
        redelivered = (
            body.get("type") == "event_callback"
            and event_id
            and not await services.store.claim(EVENTS_SCOPE, f"event:{event_id}")
        )
        if redelivered:
            return BoltResponse(status=200, body="", headers={"x-slack-no-retry": "1"})
        await next()
        return None

    installations = app.installation_store  # the Redis store in OAuth mode; None with one bot token

    async def forget_workspace(context: AsyncBoltContext) -> None:
        team = context.team_id or context.enterprise_id
        if installations is not None:
            # Through the store, so its in-process cache forgets the installation at once too.
            await installations.async_delete_all(
                enterprise_id=context.enterprise_id,
                team_id=None if context.is_enterprise_install else context.team_id,
            )
        # An org-wide install ends for the whole org: what is kept under the enterprise goes as well.
        org = context.enterprise_id if context.is_enterprise_install else None
        for owner in dict.fromkeys(o for o in (team, org) if o):
            removed = await services.store.delete_workspace(owner)
            log.info("workspace %s uninstalled: %d keys removed", owner, removed)

    app.middleware(once_per_event)
    app.event("app_uninstalled")(forget_workspace)
    app.event("tokens_revoked")(forget_workspace)
