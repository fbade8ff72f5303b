"""A real crash: `python -m bot broadcast` against the fake Bot API (slowed down), killed with SIGKILL
mid-broadcast; `--resume` in a new process, killed again; then the bot's own start-up (post_init)
finishes it. Nothing delivered before a crash is sent again, nobody is missed, and there is at most
one duplicate per crash (the one message in flight when the process died).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from bot.broadcasts import feed
from bot.broadcasts import ledger as broadcast
from bot.storage.database import Store
from tests.fakebot import FakeBotApi
from tests.support import make_config, running_bot

ROOT = Path(__file__).resolve().parents[2]
BASE = 80_000
N = 60


def cli(api: FakeBotApi, db: Path, *args: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": api.token,
        "HAMCOACH_API_BASE_URL": api.base_url,
        "HAMCOACH_DB": str(db),
        "HAMCOACH_BROADCAST_RATE": "100",
        "HAMCOACH_LOG_LEVEL": "WARNING",
    }
    cmd = [sys.executable, "-m", "bot", "broadcast", *args]
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def kill_after(api: FakeBotApi, proc: subprocess.Popen[bytes], delivered_to: int) -> None:
    """SIGKILL once the server has accepted a message for chat `delivered_to` (sends go in id order)."""
    try:
        api.wait_for(lambda c: c.method == "sendMessage" and c.ok and c.chat_id == delivered_to, timeout=20)
    finally:
        proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=10) == -signal.SIGKILL


def ledger(db: Path) -> dict[int, str]:
    store = Store(db, extra=[broadcast.migrations, feed.migrations])
    rows = {r["user_id"]: r["status"] for r in store.db.query("select user_id, status from deliveries")}
    store.close()
    return rows


def delivered(api: FakeBotApi) -> Counter[int]:
    return Counter(c.chat_id for c in api.calls_of("sendMessage") if c.ok)


async def test_sigkill_twice_mid_broadcast_then_resume(fake_api: FakeBotApi, tmp_path: Path) -> None:
    db = tmp_path / "bc.db"
    store = Store(db, extra=[broadcast.migrations, feed.migrations])
    now = datetime.now(UTC)
    for u in range(BASE, BASE + N):
        broadcast.subscribe(store, u, u, now)
    store.close()
    fake_api.set_delay(0.03, "sendMessage")  # slow enough that the kill lands mid-broadcast

    # Crash 1: the operator's `hamcoach broadcast "TEXT"`.
    kill_after(fake_api, cli(fake_api, db, "<b>New guide</b>: hips in line"), BASE + 14)
    sent_before_1 = {u for u, s in ledger(db).items() if s == "sent"}
    assert 10 <= len(sent_before_1) < N

    # Crash 2: `hamcoach broadcast --resume` in a new process, killed as well.
    kill_after(fake_api, cli(fake_api, db, "--resume"), BASE + 34)
    sent_before_2 = {u for u, s in ledger(db).items() if s == "sent"}
    assert sent_before_1 < sent_before_2 and len(sent_before_2) < N

    # The bot starting up resumes the rest (post_init -> pending timers -> the broadcast runner).
    fake_api.set_delay(0.0, "sendMessage")
    config = make_config(tmp_path, db=db, broadcast_rate=100.0)
    async with running_bot(fake_api, config):
        await fake_api.wait_for_async(
            lambda c: c.method == "sendMessage" and c.ok and c.chat_id == BASE + N - 1, timeout=20
        )
        await fake_api.wait_for_async(lambda c: c.method == "getUpdates", since=fake_api.mark(), timeout=5)

    got = delivered(fake_api)
    assert set(got) == set(range(BASE, BASE + N))  # zero lost
    duplicates = sum(n - 1 for n in got.values())
    assert duplicates <= 2  # at most one per crash
    assert all(got[u] == 1 for u in sent_before_1)  # delivered before crash 1: never re-sent
    assert all(got[u] <= 2 for u in sent_before_2)
    assert set(ledger(db).values()) == {"sent"}
    status = subprocess.run(
        [sys.executable, "-m", "bot", "status", "--json"],
        cwd=ROOT,
        env={**os.environ, "HAMCOACH_DB": str(db)},
        capture_output=True,
        check=True,
    )
    counts = json.loads(status.stdout)
    assert (counts["subscribers"], counts["deliveries"]) == (N, N)
    store = Store(db, extra=[broadcast.migrations])
    assert broadcast.report(store, 1).status == "done"
    store.close()
