"""Turn what Bolt hands a listener into the use cases' Request."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.context import Request, Services


def request_for(
    services: Services, client: AsyncWebClient, context: AsyncBoltContext, body: dict[str, Any]
) -> Request:
    # An org-wide (Enterprise Grid) install has no team on some payloads; the enterprise stands in.
    team_id = context.team_id or context.enterprise_id or ""
    return Request(
        services=services,
        client=client,
        team_id=team_id,
        user_id=context.user_id or "",
        channel_id=context.channel_id,
        response_url=context.response_url,
        trigger_id=body.get("trigger_id"),
    )
