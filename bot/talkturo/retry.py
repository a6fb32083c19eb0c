"""When and how long to wait before asking Talkturo again.

The client decides *whether* a call may be repeated (only where repeating cannot do harm twice); this
module only knows the timing: capped exponential backoff with full jitter, Retry-After, a total budget.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Final

# Statuses that say "try again later"; 500 is left out on purpose: by contract it is not transient.
RETRYABLE_STATUSES: Final = frozenset({429, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """Up to `attempts` tries in all, never waiting past `budget` seconds since the first try."""

    attempts: int = 4
    base: float = 0.2
    cap: float = 2.0
    budget: float = 8.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("RetryPolicy.attempts must be at least 1")
        if min(self.base, self.cap, self.budget) < 0:
            raise ValueError("RetryPolicy delays and budget must not be negative")

    def backoff(self, failed_attempts: int) -> float:
        """Full jitter: a random wait up to the capped exponential step, so clients spread out."""
        step = min(self.cap, self.base * 2 ** max(failed_attempts - 1, 0))
        return random.uniform(0.0, step)


NO_RETRY: Final = RetryPolicy(attempts=1)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or HTTP-date); None if absent or unreadable."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:  # RFC 9110 dates are GMT
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)
