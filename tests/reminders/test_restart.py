"""A real restart: `python -m bot run` against the fake Bot API server, killed with SIGKILL, started
again on the same database. Each reminder that fell due reaches its chat exactly once; one more than
the grace late is never sent, and every user has exactly one next reminder armed afterwards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import build_coach
from bot.reminders.schedule import DAY_NAMES
from tests.checkins.test_restart import delivered, kill
from tests.fakebot import FakeBotApi
from tests.reliability.processes import bot_process
from tests.support import FakeClock, RecordingScheduler, make_config, say

GROUP = 8


def arm(db_dir: Path, users: list[int], slot: datetime) -> None:
    """Each user wants a reminder at `slot` (UTC, no quiet hours), armed just before it."""
    coach = build_coach(
        make_config(db_dir), clock=FakeClock(slot - timedelta(seconds=1)), scheduler=RecordingScheduler()
    )
    for user in users:
        say(coach, "/checkins quiet 00:00-00:00", user=user)
        say(coach, f"/reminders {DAY_NAMES[slot.weekday()]} {slot:%H:%M}", user=user)
    coach.store.close()


def test_sigkill_restarts_send_each_due_reminder_exactly_once(fake_api: FakeBotApi, tmp_path: Path) -> None:
    db, log = tmp_path / "test.db", tmp_path / "bot.log"
    minute = datetime.now(UTC).replace(second=0, microsecond=0)
    due = [100 + i for i in range(GROUP)]
    stale = [200 + i for i in range(GROUP)]
    arm(tmp_path, due, minute - timedelta(minutes=1))  # fell due while no bot ran: sent at start-up
    arm(tmp_path, stale, minute - timedelta(hours=3))  # more than the 2-hour grace late: never sent

    with bot_process(fake_api, db, log) as first:
        for user in due:
            fake_api.wait_for_messages(user, 1, timeout=60)
        kill(first)

    mark = fake_api.mark()
    with bot_process(fake_api, db, log) as second:
        fake_api.wait_for(lambda c: c.method == "getUpdates", timeout=60, since=mark)
        with pytest.raises(TimeoutError):  # the restart has nothing left to send
            fake_api.wait_for(lambda c: c.method == "sendMessage", timeout=1.5, since=mark)
        kill(second)

    assert delivered(fake_api, due) == dict.fromkeys(due, 1), log.read_text()[-3000:]
    assert delivered(fake_api, stale) == dict.fromkeys(stale, 0)
    assert "Start now?" in fake_api.sent_messages(due[0])[0]["text"]
    coach = build_coach(make_config(tmp_path), scheduler=RecordingScheduler())
    sql = "select user_id, status from reminder_pings order by id"
    statuses: dict[int, list[str]] = {}
    for user, status in coach.store.db.execute(sql).fetchall():
        statuses.setdefault(int(user), []).append(status)
    assert all(statuses[u] == ["sent", "pending"] for u in due), statuses
    assert all(statuses[u] == ["missed", "pending"] for u in stale), statuses
    coach.store.close()
