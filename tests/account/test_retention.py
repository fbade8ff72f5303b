"""Retention (issue 13, defect 8): questions (red-flag messages included) and broadcast deliveries are
deleted after HAMCOACH_RETENTION_DAYS, by a timer that runs at start-up and then daily."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from bot.broadcasts import ledger, sender
from bot.broadcasts.sender import SendResult
from bot.config import Config, ConfigError
from bot.core.coach import Coach
from tests.support import FakeClock, RecordingScheduler, make_coach, say

TIMER = "retention:daily"


def broadcast(coach: Coach) -> int:
    bid = ledger.create(coach.store, ["hi"], "cli", coach.clock(), approve_now=True)

    async def send(chat_id: int, html: str) -> SendResult:
        return sender.OK

    asyncio.run(sender.deliver(coach.store, bid, send, 100, now=coach.clock))
    return bid


def run_due(coach: Coach) -> None:
    """What an adapter does: schedule the pending timers, then fire those due now."""
    scheduler = coach.scheduler
    assert isinstance(scheduler, RecordingScheduler)
    for due in coach.pending_timers():
        scheduler.schedule(due.name, due.when)
    for name in scheduler.due(coach.clock()):
        coach.fire(name)


def test_old_questions_and_deliveries_go_at_start_up_and_then_daily(tmp_path: Path) -> None:
    clock = FakeClock()
    coach = make_coach(tmp_path, clock=clock, retention_days=30.0)
    say(coach, "/subscribe")
    say(coach, "I felt a sharp pop in my hamstring")  # a red-flag message: health data
    old = broadcast(coach)
    clock.advance(days=20)
    say(coach, "why do my calves cramp")
    new = broadcast(coach)
    clock.advance(days=11)  # the first question and broadcast are 31 days old, the others 11

    run_due(coach)  # start-up
    questions = [r["question"] for r in coach.store.db.query("select question from questions")]
    assert questions == ["why do my calves cramp"]
    kept = {r["broadcast_id"] for r in coach.store.db.query("select broadcast_id from deliveries")}
    assert kept == {new}
    assert ledger.get(coach.store, old) is not None, "the update itself stays (/updates shows it)"
    assert ledger.is_subscribed(coach.store, 1001)
    scheduler = coach.scheduler
    assert isinstance(scheduler, RecordingScheduler)
    assert scheduler.timers[TIMER] == clock() + timedelta(days=1), "and again in a day"

    clock.advance(days=20)
    for name in scheduler.due(clock()):
        coach.fire(name)
    assert coach.store.count("questions") == 0 and coach.store.count("deliveries") == 0
    coach.store.close()


def test_the_setting_defaults_to_90_days_and_must_be_positive() -> None:
    assert Config.from_env({}).retention_days == 90
    assert Config.from_env({"HAMCOACH_RETENTION_DAYS": "7"}).retention_days == 7
    with pytest.raises(ConfigError, match="HAMCOACH_RETENTION_DAYS"):
        Config.from_env({"HAMCOACH_RETENTION_DAYS": "0"})
