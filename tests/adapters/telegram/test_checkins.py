"""Check-ins end to end through the fake Bot API server: the real JobQueue fires them, buttons answer.

Due times are a second or two ahead of the real clock; the test waits on the fake server, never sleeps.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.app import build_coach
from bot.checkins.store import CheckinStore
from bot.core.coach import Coach
from tests.fakebot import FakeBotApi
from tests.support import (
    FakeClock,
    RecordingScheduler,
    callback_data,
    exchange,
    make_config,
    running_bot,
    say,
    tap,
)
from tests.support import press as press_core

USER = 5151


def midday_offset(now: datetime) -> str:
    """A UTC offset where it is about noon now, so quiet hours never get in the test's way."""
    hours = 12 - now.hour
    hours = hours - 24 if hours > 14 else hours + 24 if hours < -12 else hours
    return f"{hours:+d}"


async def press(api: FakeBotApi, message: dict[str, Any], data: str, expect: int = 1) -> list[dict[str, Any]]:
    return await tap(api, USER, message, data, expect)


async def test_a_check_in_fires_from_the_job_queue_and_a_button_answers_it(
    fake_api: FakeBotApi, tmp_path: Path
) -> None:
    config = make_config(tmp_path)
    async with running_bot(fake_api, config) as app:
        coach: Coach = app.bot_data["coach"]
        await exchange(fake_api, USER, "/start")
        [tz_reply] = await exchange(fake_api, USER, f"/timezone {midday_offset(datetime.now(UTC))}")
        assert "Time zone set" in tz_reply["text"]
        [overview] = await exchange(fake_api, USER, "/checkins")
        [opted] = await press(fake_api, overview, callback_data(overview, "Check in on my soreness"))
        assert "about 24 and 48 hours" in opted["text"]

        finished = datetime.now(UTC) - timedelta(hours=24) + timedelta(seconds=1.5)
        coach.emit(
            "session_finished", USER, {"session_id": 1, "finished_at": finished.isoformat(), "total_reps": 8}
        )
        before = len(fake_api.sent_messages(USER))
        ping = (await fake_api.wait_for_messages_async(USER, before + 1, timeout=10))[-1]
        assert "How sore are your hamstrings" in ping["text"]
        labels = [b["text"] for row in ping["reply_markup"]["inline_keyboard"] for b in row]
        assert labels[:11] == [str(n) for n in range(11)] and "Snooze 2 h" in labels

        [advice] = await press(fake_api, ping, callback_data(ping, "7"))
        assert "7/10" in advice["text"] and "Source:" in advice["text"]
        store = CheckinStore(coach.store.db)
        [h24, h48] = store.for_user(USER)
        assert (h24.status, h24.score) == ("answered", 7)
        assert h48.status == "pending"

        [again] = await press(
            fake_api, ping, callback_data(ping, "7")
        )  # same press again: corrected, not doubled
        assert "changed your score" in again["text"]
        assert coach.store.count("soreness") == 1


async def test_start_up_sends_a_check_in_missed_within_grace_and_drops_a_stale_one(
    fake_api: FakeBotApi, tmp_path: Path
) -> None:
    config = make_config(tmp_path)
    now = datetime.now(UTC)
    before_outage = FakeClock(now - timedelta(days=3))
    coach = build_coach(config, clock=before_outage, scheduler=RecordingScheduler())
    for user in (USER, USER + 1):
        say(coach, "/checkins quiet 00:00-00:00", user=user)  # no quiet hours: keep the test about grace
        press_core(coach, "ci:optin", user=user)
    # USER's 24-hour check-in fell due 1 h ago (grace 6 h); USER+1's 8 h ago.
    coach.emit(
        "session_finished", USER, {"session_id": 1, "finished_at": (now - timedelta(hours=25)).isoformat()}
    )
    coach.emit(
        "session_finished",
        USER + 1,
        {"session_id": 1, "finished_at": (now - timedelta(hours=32)).isoformat()},
    )
    coach.store.close()

    async with running_bot(fake_api, config) as app:
        [ping] = await fake_api.wait_for_messages_async(USER, 1, timeout=10)
        assert "How sore" in ping["text"]
        store = CheckinStore(app.bot_data["coach"].store.db)
        assert [r.status for r in store.for_user(USER + 1)] == ["missed", "pending"]
        assert fake_api.sent_messages(USER + 1) == []
