"""SIGTERM mid-broadcast, as `docker stop` and `systemctl stop` send it: the bot stops between two sends,
every delivered row is marked, the database is closed, and the restart finishes the broadcast with
no duplicate at all (a SIGKILL may cost one, tests/broadcasts/test_restart.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.broadcasts import feed, ledger
from bot.storage.database import Store
from tests.fakebot import FakeBotApi
from tests.reliability.processes import ROOT, bot_process, delivered, stop

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


def test_sigterm_stops_hamcoach_broadcast_between_sends(fake_api: FakeBotApi, tmp_path: Path) -> None:
    """The operator's `hamcoach broadcast "TEXT"`, stopped with SIGTERM (Ctrl-C alike): it exits by
    itself, leaves no row in flight, and `--resume` sends the rest with no duplicate."""
    db = tmp_path / "cli.db"
    store = Store(db, extra=[ledger.migrations, feed.migrations])
    for user in range(BASE, BASE + N):
        ledger.subscribe(store, user, user, datetime.now(UTC))
    store.close()
    fake_api.set_delay(0.03, "sendMessage")
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": fake_api.token,
        "HAMCOACH_API_BASE_URL": fake_api.base_url,
        "HAMCOACH_DB": str(db),
        "HAMCOACH_BROADCAST_RATE": "100",
    }
    command = [sys.executable, "-m", "bot", "broadcast"]
    proc = subprocess.Popen(
        [*command, "Hips in line"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    fake_api.wait_for(lambda c: c.method == "sendMessage" and c.ok and c.chat_id == BASE + 10, timeout=30)
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 1, out  # stopped, not killed: the report says it is unfinished
    half = statuses(db)
    assert set(half.values()) <= {"sent", "pending"} and {u for u, s in half.items() if s == "sent"} == set(
        delivered(fake_api)
    )
    fake_api.set_delay(0.0, "sendMessage")
    subprocess.run([*command, "--resume"], cwd=ROOT, env=env, capture_output=True, check=True, timeout=60)
    got = delivered(fake_api)
    assert set(got) == set(range(BASE, BASE + N)) and max(got.values()) == 1
