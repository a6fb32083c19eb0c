"""A local stand-in for Slack: a recording fake of the Web API and requests signed as Slack signs them.

Used by the tests, the embedded dev mode (`python -m bot dev`) and the benchmarks.
"""

from bot.slackfake.api import Answer, SlackFake, create_app
from bot.slackfake.payloads import (
    SignedRequest,
    SlackRequests,
    element_state,
    find_element,
    parse_body,
    slack_escape,
    view_state,
)
from bot.slackfake.state import Call, User, Usergroup, Workspace, default_bot_user_id

__all__ = [
    "Answer",
    "Call",
    "SignedRequest",
    "SlackFake",
    "SlackRequests",
    "User",
    "Usergroup",
    "Workspace",
    "create_app",
    "default_bot_user_id",
    "element_state",
    "find_element",
    "parse_body",
    "slack_escape",
    "view_state",
]
