"""Talkturo failures as a small hierarchy the bot can turn into plain sentences.

`may_have_applied` tells whether the request could have changed something on the server, so the
bot can say "nothing changed" only when that is true.
"""

from __future__ import annotations

from typing import Any


class TalkturoError(Exception):
    """Base class. `message` is safe to show: it never holds a token."""

    status: int | None = None

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        details: dict[str, Any] | None = None,
        may_have_applied: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        self.details = details or {}
        self.may_have_applied = may_have_applied


class InvalidValue(TalkturoError):
    """Refused before any request: a value breaks a documented rule."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class BadRequest(TalkturoError):
    status = 400


class Unauthorized(TalkturoError):
    status = 401


class Forbidden(TalkturoError):
    status = 403


class NotFound(TalkturoError):
    status = 404


class Conflict(TalkturoError):
    status = 409


class RateLimited(TalkturoError):
    status = 429

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServerError(TalkturoError):
    """5xx, or a 2xx whose body is not the documented envelope."""


class Unreachable(TalkturoError):
    """No answer: connection refused, DNS, or a timeout."""
