"""A real restart: `python -m bot run` against the fake Bot API server, killed with SIGKILL, started
again on the same database. Every check-in must reach its chat exactly once: none lost, none doubled,
and none of those more than the grace late sent at all.
"""

from __future__ import annotations

import signal
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import build_coach
from bot.checkins.store import CheckinStore
from tests.fakebot import FakeBotApi
from tests.reliability.processes import bot_process
from tests.support import FakeClock, RecordingScheduler, make_config, press, say

GROUP = 8  # users per group; one check-in each, one private chat each


def kill(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=10) == -signal.SIGKILL


def prepare(db_dir: Path, groups: dict[str, tuple[list[int], datetime]], clock: FakeClock) -> None:
    """Opt each user in (no quiet hours, so the test is about restarts) and end a session so that
    their 24-hour check-in falls due at the group's time."""
    coach = build_coach(make_config(db_dir), clock=clock, scheduler=RecordingScheduler())
    for users, due in groups.values():
        for user in users:
            say(coach, "/checkins quiet 00:00-00:00", user=user)
            press(coach, "ci:optin", user=user)
            clock.now = due - timedelta(hours=24, seconds=1)
            finished = (due - timedelta(hours=24)).isoformat()
            coach.emit("session_finished", user, {"session_id": 1, "finished_at": finished, "total_reps": 5})
    coach.store.close()


def delivered(api: FakeBotApi, users: list[int]) -> dict[int, int]:
    return {u: len(api.sent_messages(u)) for u in users}


def test_sigkill_restarts_lose_and_duplicate_no_check_in(fake_api: FakeBotApi, tmp_path: Path) -> None:
    db = tmp_path / "test.db"
    log = tmp_path / "bot.log"
    now = datetime.now(UTC)
    users = {name: [base + i for i in range(GROUP)] for name, base in (("a", 100), ("b", 200), ("c", 300))}
    stale = [400 + i for i in range(GROUP)]
    groups = {
        "a": (users["a"], now + timedelta(seconds=4)),  # sent by the first process
        "b": (users["b"], now + timedelta(seconds=7)),  # due while no process runs
        "c": (users["c"], now + timedelta(seconds=11)),  # due after the restart
        "stale": (stale, now - timedelta(hours=7)),  # due before the grace of 6 h: never sent
    }
    prepare(tmp_path, groups, FakeClock(now - timedelta(days=2)))
    everyone = [u for group in users.values() for u in group]

    with bot_process(fake_api, db, log) as first:
        for user in users["a"]:
            fake_api.wait_for_messages(user, 1, timeout=20)
        kill(first)
    assert datetime.now(UTC) < groups["b"][1], "the first process was too slow; B would not be down-time"
    mark = fake_api.mark()
    while datetime.now(UTC) < groups["b"][1] + timedelta(milliseconds=300):
        try:  # wait (on the server, not with sleep) until B is due: nothing may be sent meanwhile
            fake_api.wait_for(lambda c: c.method == "sendMessage", timeout=0.2, since=mark)
            raise AssertionError("a message was sent while no bot process was running")
        except TimeoutError:
            pass

    with bot_process(fake_api, db, log) as second:
        for user in users["b"] + users["c"]:
            fake_api.wait_for_messages(user, 1, timeout=20)
        kill(second)

    mark = fake_api.mark()
    with bot_process(fake_api, db, log) as third:
        fake_api.wait_for(lambda c: c.method == "getUpdates", timeout=20, since=mark)
        with pytest.raises(TimeoutError):  # the third start has nothing left to send
            fake_api.wait_for(lambda c: c.method == "sendMessage", timeout=1.5, since=mark)
        kill(third)

    assert delivered(fake_api, everyone) == dict.fromkeys(everyone, 1), log.read_text()[-3000:]
    assert delivered(fake_api, stale) == dict.fromkeys(stale, 0)
    coach = build_coach(make_config(tmp_path), scheduler=RecordingScheduler())
    store = CheckinStore(coach.store.db)
    kinds = {u: {r.kind: r.status for r in store.for_user(u)} for u in everyone + stale}
    assert all(k["h24"] == "sent" and k["h48"] == "pending" for u, k in kinds.items() if u in everyone)
    assert all(k["h24"] == "missed" for u, k in kinds.items() if u in stale)
    coach.store.close()
