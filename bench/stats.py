"""Percentiles and the per-phase figures the report shows."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

SLACK_TIMEOUT_MS = 3000.0
ISSUE_SECONDS = 20.0  # how long the issue runs each rate


def trend(times: Sequence[float], values: Sequence[float]) -> tuple[float | None, float | None]:
    """(ms per second the median grew from the first to the last quarter, median projected at
    ISSUE_SECONDS from the start at that pace) for values in send order; (None, None) when too few."""
    count = len(values)
    if count < 20:
        return None, None
    quarter = count // 4
    first, last = statistics.median(values[:quarter]), statistics.median(values[-quarter:])
    t_first, t_last = statistics.median(times[:quarter]), statistics.median(times[-quarter:])
    if t_last <= t_first:
        return None, None
    slope = (last - first) / (t_last - t_first)
    remaining = max(0.0, times[0] + ISSUE_SECONDS - t_last)
    return slope, last + max(0.0, slope) * remaining


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    low = math.floor(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def median_of(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


@dataclass
class PhaseResult:
    scenario: str
    rate: float
    sent: int
    ack_p50: float | None
    ack_p99: float | None
    ack_max: float | None
    errors: int
    error_kinds: dict[str, int]
    lag_p50: float | None  # how late the generator sent, scheduled -> written (ms)
    lag_p99: float | None
    sent_ack_p50: float | None  # ack from the moment the request was written (ms), for comparison
    sent_ack_p99: float | None
    cpu: dict[str, float]  # process -> cores used during the phase (1.0 = one core)
    effect_p50: float | None = None  # command -> summary (or views.open, notice) at the Slack fake (ms)
    effect_p99: float | None = None
    effect_missing: int | None = None
    effect_late: int | None = None  # arrived, but later than the allowed time
    server_cpu_ms: float | None = None  # the server's CPU per request, until idle after the phase
    slack_calls: dict[str, int] = field(default_factory=dict)  # at the fake, during the phase and drain
    # Growth of the median latency over the phase (first quarter -> last quarter, ms per second) and
    # where it would be after ISSUE_SECONDS at that pace: a short phase must not hide a growing backlog.
    ack_trend: float | None = None
    ack_projected: float | None = None
    effect_trend: float | None = None
    effect_projected: float | None = None
    passed: bool = False
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def summarize(
    scenario: str,
    rate: float,
    gen: Mapping[str, Any],
    cpu: dict[str, float],
    arrivals: Mapping[str, float] | None,
    effect_limit_ms: float,
    expect_empty: bool | None = None,
) -> PhaseResult:
    """`expect_empty`: True when a right answer has no body (the ack only), False when it must have one."""
    acks: list[float] = []
    kinds: dict[str, int] = {}
    for ack, error, empty in zip(gen["ack_ms"], gen["error"], gen["body_empty"], strict=True):
        if error == "" and ack is not None and ack > SLACK_TIMEOUT_MS:
            error = "ack after 3 s"
        elif error == "" and expect_empty is not None and empty != expect_empty:
            error = "unexpected answer" if expect_empty else "empty answer"
        if error:
            kinds[error] = kinds.get(error, 0) + 1
        # An unanswered request counts at the timeout: the percentiles never flatter a backlog.
        acks.append(ack if ack is not None and not error.startswith("timeout") else SLACK_TIMEOUT_MS)
    result_trend = trend(gen["due"], acks)
    lags = [lag for lag in gen["lag_ms"] if lag is not None]
    from_send = [ms for ms in gen["ack_from_send_ms"] if ms is not None]
    result = PhaseResult(
        scenario=scenario,
        rate=rate,
        sent=len(acks),
        ack_p50=percentile(acks, 50),
        ack_p99=percentile(acks, 99),
        ack_max=max(acks) if acks else None,
        errors=sum(kinds.values()),
        error_kinds=kinds,
        lag_p50=percentile(lags, 50),
        lag_p99=percentile(lags, 99),
        sent_ack_p50=percentile(from_send, 50),
        sent_ack_p99=percentile(from_send, 99),
        cpu=cpu,
    )
    result.ack_trend, result.ack_projected = result_trend
    if arrivals is not None:
        effects: list[float] = []
        effect_times: list[float] = []
        missing = late = 0
        for due, key in zip(gen["due"], gen["key"], strict=True):
            at = arrivals.get(key)
            if at is None:
                missing += 1
                continue
            effects.append((at - due) * 1000)
            effect_times.append(due)
            if effects[-1] > effect_limit_ms:
                late += 1
        result.effect_p50 = percentile(effects, 50)
        result.effect_p99 = percentile(effects, 99)
        result.effect_missing = missing
        result.effect_late = late
        result.effect_trend, result.effect_projected = trend(effect_times, effects)
    return result


def capacity(results: Sequence[PhaseResult]) -> float | None:
    """The highest rate that passed with every lower rate passing too (None: not even the lowest)."""
    best: float | None = None
    for result in sorted(results, key=lambda r: r.rate):
        if not result.passed:
            break
        best = result.rate
    return best
