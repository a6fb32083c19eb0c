"""Keep Slack tokens out of log records, whatever the log level."""

from __future__ import annotations

import logging
import re

# Bot, user, refresh and app-level tokens: xoxb-…, xoxp-…, xoxe-…, xapp-…
SLACK_TOKEN = re.compile(r"\b(xox[a-z]|xapp)-[A-Za-z0-9-]+")


class HideSlackTokens(logging.Filter):
    """slack_sdk logs whole answers at DEBUG, the access_token of oauth.v2.access included."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if SLACK_TOKEN.search(message):
            record.msg = SLACK_TOKEN.sub(lambda match: match.group(1) + "-…", message)
            record.args = None
        return True


def hide_slack_tokens(logger: logging.Logger) -> logging.Logger:
    """Add the filter once; a logger filter sees the records logged on that logger itself."""
    if not any(isinstance(existing, HideSlackTokens) for existing in logger.filters):
        logger.addFilter(HideSlackTokens())
    return logger
