"""Failures in plain words: what happened, and whether anything changed."""

from __future__ import annotations

from bot.store import StorageUnavailable
from bot.talkturo import errors as tk
from bot.ui.text import escape, shorten

NOTHING_CHANGED = "Nothing was changed."
MAYBE_CHANGED = "It may have gone through anyway: check with `/talkturo show` before trying again."


def _outcome(error: tk.TalkturoError) -> str:
    return MAYBE_CHANGED if error.may_have_applied else NOTHING_CHANGED


def explain(error: Exception) -> str:
    """One or two sentences for the person who asked; never a token or a stack trace."""
    if isinstance(error, StorageUnavailable):
        return (
            "The bot's storage (Redis) is unavailable right now, so nothing was read or changed. "
            "Try again in a minute."
        )
    if not isinstance(error, tk.TalkturoError):
        return "Something went wrong on our side; nothing was changed. The error has been logged."
    server = escape(shorten(error.message, 300))
    outcome = _outcome(error)
    if isinstance(error, tk.InvalidValue):
        return f"{server} {NOTHING_CHANGED}"
    if isinstance(error, tk.BadRequest):
        return f"Talkturo refused the change: {server}. {NOTHING_CHANGED}"
    if isinstance(error, tk.Unauthorized):
        return (
            "Talkturo refused this workspace's API token (it may have been revoked). An admin can connect "
            f"again with `/talkturo connect`. {NOTHING_CHANGED}"
        )
    if isinstance(error, tk.Forbidden):
        return (
            "That assistant belongs to another Talkturo account, or the token may not do this. "
            f"{NOTHING_CHANGED}"
        )
    if isinstance(error, tk.NotFound):
        return f"Talkturo has no such assistant (check the ID or name). {NOTHING_CHANGED}"
    if isinstance(error, tk.Conflict):
        return f"Talkturo refused: {server}. {NOTHING_CHANGED}"
    if isinstance(error, tk.RateLimited):
        wait = f" Try again in {error.retry_after:.0f} s." if error.retry_after else " Try again in a minute."
        return f"Talkturo is rate limiting this account.{wait} {outcome}"
    if isinstance(error, tk.Unreachable):
        return f"Talkturo did not answer in time. {outcome}"
    return f"Talkturo had an internal error ({server}). {outcome}"
