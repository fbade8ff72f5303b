"""Retention: what users wrote and were sent is deleted after HAMCOACH_RETENTION_DAYS (90 by default).

Why: `questions` keeps the text of every message, red-flag medical messages included, and `deliveries`
a row per subscriber and broadcast; neither is needed for long (a coach reads the recent unanswered
questions, a broadcast's rows matter while it goes out). A timer runs at start-up (it is always
pending) and then once a day. The core's rows are deleted here; each feature deletes its own on the
"retention" event, whose data holds `before`, the stamp() of the oldest time kept.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.core.coach import Coach, Due, Outgoing
from bot.storage.database import stamp

log = logging.getLogger(__name__)

PREFIX = "retention"
TIMER = f"{PREFIX}:daily"
EVERY = timedelta(days=1)


def register(coach: Coach) -> None:
    """The daily timer; due at once whenever the adapter rebuilds timers (start-up)."""

    def pending() -> list[Due]:
        return [Due(TIMER, coach.clock())]

    def fire(name: str) -> list[Outgoing]:
        prune(coach)
        coach.scheduler.schedule(TIMER, coach.clock() + EVERY)
        return []

    coach.timers[PREFIX] = fire
    coach.pending.append(pending)


def prune(coach: Coach) -> int:
    """Delete rows older than the retention period; returns the core's questions deleted."""
    before = coach.clock() - timedelta(days=coach.config.retention_days)
    removed = coach.store.prune_questions(before)
    coach.emit("retention", 0, {"before": stamp(before)})
    log.info("retention: deleted %d questions older than %s", removed, stamp(before))
    return removed
