"""SIGTERM mid-broadcast, as `docker stop` and `systemctl stop` send it: the bot stops between two sends,
every delivered row is marked, the database is closed, and the restart finishes the broadcast with
no duplicate at all (a SIGKILL may cost one, tests/broadcasts/test_restart.py)."""

from __future__ import annotations

import signal
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.broadcasts import feed, ledger
from bot.storage.database import Store
from tests.fakebot import FakeBotApi
from tests.reliability.processes import bot_process, delivered, stop

pytestmark = pytest.mark.reliability

BASE = 91_000
ASKER = 90_999
N = 50


def statuses(db: Path) -> dict[int, str]:
    store = Store(db, extra=[ledger.migrations, feed.migrations])
    rows = {r["user_id"]: r["status"] for r in store.db.query("select user_id, status from deliveries")}
    store.close()
    return rows


def test_sigterm_mid_broadcast_then_restart_sends_no_duplicate(fake_api: FakeBotApi, tmp_path: Path) -> None:
    db, log = tmp_path / "bot.db", tmp_path / "bot.log"
    store = Store(db, extra=[ledger.migrations, feed.migrations])
    now = datetime.now(UTC)
    for user in range(BASE, BASE + N):
        ledger.subscribe(store, user, user, now)
    ledger.create(store, ["<b>New guide</b>: hips in line"], "cli", now, approve_now=True)
    store.close()
    fake_api.set_delay(0.03, "sendMessage")  # slow enough that the signal lands mid-broadcast
    rate = {"HAMCOACH_BROADCAST_RATE": "100"}

    with bot_process(fake_api, db, log, **rate) as first:
        fake_api.wait_for(lambda c: c.method == "sendMessage" and c.ok and c.chat_id == BASE + 10, timeout=30)
        fake_api.user_sends_text(ASKER, "why do my calves cramp")  # taken and answered, or left for the next
        assert stop(first, signal.SIGTERM, log) == 0, log.read_text()[-3000:]
    half = statuses(db)
    sent_before = {u for u, s in half.items() if s == "sent"}
    assert set(half.values()) <= {"sent", "pending"}, "no row left in flight"
    assert sent_before == set(delivered(fake_api)) - {ASKER}, "every accepted send is marked, only those"
    assert 10 < len(sent_before) < N, "the signal landed mid-broadcast"
    assert "database closed" in log.read_text()

    fake_api.set_delay(0.0, "sendMessage")
    with bot_process(fake_api, db, log, **rate) as second:
        fake_api.wait_for(
            lambda c: c.method == "sendMessage" and c.ok and c.chat_id == BASE + N - 1, timeout=30
        )
        fake_api.wait_for_messages(ASKER, 1, timeout=30)
        assert stop(second, signal.SIGTERM, log) == 0

    got = delivered(fake_api)
    assert got.pop(ASKER) == 1, "the question asked as the signal came was answered once"
    assert set(got) == set(range(BASE, BASE + N)), "nobody missed"
    assert max(got.values()) == 1, "no duplicate after a SIGTERM"
    assert set(statuses(db).values()) == {"sent"}
