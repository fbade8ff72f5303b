"""The per-user flood guard: a token bucket per user, so one user sending 100 messages a second costs
everyone else nothing. Pure Python with an injected clock (seconds, monotonic), no Telegram.

Each user may send `burst` messages at once and `rate` a second after that. The first message over
the limit gets one polite notice; from then on the user's messages are dropped (and counted) until
their bucket has filled up again, which only happens once they slow down below `rate` for
`burst / rate` seconds. Dropped messages drain the bucket too, so a flood that goes on stays muted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

log = logging.getLogger(__name__)

Seconds = Callable[[], float]
MAX_TRACKED = 10_000  # users remembered before idle (full) buckets are forgotten
LOG_EVERY = 100  # dropped messages between two log lines of a flood that goes on
EPSILON = 1e-9  # of a token: float rounding must not refuse someone sending exactly at the rate


class Verdict(Enum):
    ADMIT = "admit"  # handle the message
    NOTICE = "notice"  # the first one over the limit: tell the user once, do not handle it
    DROP = "drop"  # over the limit again: say nothing, do not handle it


@dataclass
class Bucket:
    tokens: float
    at: float  # when `tokens` was last brought up to date
    flooding: bool = False
    dropped: int = 0  # in the current flood


class FloodGuard:
    """Token buckets by user id; `check` says what to do with one message."""

    def __init__(self, rate: float, burst: float, clock: Seconds) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("a flood guard needs rate > 0 and burst >= 1")
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self.buckets: dict[int, Bucket] = {}
        self.dropped = 0  # since start, every user: what logs and status report
        self.floods = 0  # notices sent

    def check(self, user_id: int) -> Verdict:
        now = self.clock()
        bucket = self.buckets.get(user_id)
        if bucket is None:
            if len(self.buckets) >= MAX_TRACKED:
                self._forget_idle(now)
            bucket = self.buckets[user_id] = Bucket(self.burst, now)
        bucket.tokens = min(self.burst, bucket.tokens + max(0.0, now - bucket.at) * self.rate)
        bucket.at = now
        if bucket.flooding and bucket.tokens >= self.burst - EPSILON:
            log.info("flood over: user %s, %d messages dropped", user_id, bucket.dropped)
            bucket.flooding, bucket.dropped = False, 0
        if not bucket.flooding and bucket.tokens >= 1 - EPSILON:
            bucket.tokens = max(0.0, bucket.tokens - 1)
            return Verdict.ADMIT
        bucket.tokens = max(0.0, bucket.tokens - 1)
        bucket.dropped += 1
        self.dropped += 1
        if bucket.flooding:
            if bucket.dropped % LOG_EVERY == 0:  # a flood that never ends is still counted in the log
                log.info("flood: user %s, %d messages dropped so far", user_id, bucket.dropped)
            return Verdict.DROP
        bucket.flooding = True
        self.floods += 1
        log.warning(
            "flood: user %s sends faster than %g a second; dropping their messages", user_id, self.rate
        )
        return Verdict.NOTICE

    def _forget_idle(self, now: float) -> None:
        """Drop users whose bucket has filled up again: forgetting them changes nothing."""
        full = [
            uid
            for uid, b in self.buckets.items()
            if not b.flooding and b.tokens + (now - b.at) * self.rate >= self.burst
        ]
        for uid in full:
            del self.buckets[uid]
