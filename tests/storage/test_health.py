"""`hamcoach health` and `hamcoach backup` as real processes, beside a real bot process.

Health: exit 0 only when the database opens, the knowledge loads and the bot heard from Telegram
lately (its heartbeat row). Backup: SQLite's online backup taken while the bot is writing a broadcast's
deliveries; the copy opens on its own, passes integrity_check and holds the rows.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.broadcasts import feed, ledger
from bot.storage.database import Store
from bot.storage.health import Heartbeat, judge, read_heartbeat
from bot.storage.health import migrations as health_migrations
from tests.fakebot import FakeBotApi
from tests.reliability.processes import ROOT, bot_process, delivered, stop

BASE, N = 61_000, 60


def hamcoach(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def health(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, **env: str
) -> tuple[int, str]:
    """`hamcoach health` in this process (the same main() the console script runs): code, output."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    code = main(["health", "--json"])
    out = capsys.readouterr().out
    return code, out


def test_health_needs_a_database_a_heartbeat_and_the_knowledge(
    fake_api: FakeBotApi, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db, log = tmp_path / "bot.db", tmp_path / "bot.log"
    code, out = health(capsys, monkeypatch, HAMCOACH_DB=str(db))
    assert code == 1 and "no database" in out

    with bot_process(fake_api, db, log) as bot:
        fake_api.wait_for(lambda c: c.method == "getUpdates" and c.ok, timeout=30)
        fine = hamcoach("health", HAMCOACH_DB=str(db))  # as Docker's HEALTHCHECK runs it
        assert stop(bot, signal.SIGTERM, log) == 0
    assert fine.returncode == 0 and fine.stdout.startswith("ok"), fine.stdout + fine.stderr
    code, out = health(capsys, monkeypatch)
    assert code == 0 and "polled" in json.loads(out)["heartbeat"]
    code, out = health(capsys, monkeypatch, HAMCOACH_HEALTH_MAX_SECONDS="0.000001")
    assert code == 1 and "no contact with Telegram" in out
    monkeypatch.delenv("HAMCOACH_HEALTH_MAX_SECONDS")
    (tmp_path / "kb").mkdir()
    code, out = health(capsys, monkeypatch, HAMCOACH_KNOWLEDGE=str(tmp_path / "kb"))
    assert code == 1 and json.loads(out)["problems"][0].startswith("knowledge")


def test_backup_during_a_broadcast_is_a_sound_copy(fake_api: FakeBotApi, tmp_path: Path) -> None:
    db, log, copy = tmp_path / "bot.db", tmp_path / "bot.log", tmp_path / "backup" / "copy.db"
    copy.parent.mkdir()
    store = Store(db, extra=[ledger.migrations, feed.migrations])
    now = datetime.now(UTC)
    for user in range(BASE, BASE + N):
        ledger.subscribe(store, user, user, now)
    ledger.create(store, ["Site update: new hip drill"], "cli", now, approve_now=True)
    store.close()
    fake_api.set_delay(0.3, "sendMessage")  # 18 s of broadcast: the backup (a new process) lands inside

    with bot_process(fake_api, db, log, HAMCOACH_BROADCAST_RATE="100") as bot:
        fake_api.wait_for(lambda c: c.method == "sendMessage" and c.ok and c.chat_id == BASE + 5, timeout=30)
        result = hamcoach("backup", str(copy), HAMCOACH_DB=str(db))
        during = len(delivered(fake_api))
        fake_api.set_delay(0.0, "sendMessage")
        fake_api.wait_for(
            lambda c: c.method == "sendMessage" and c.ok and c.chat_id == BASE + N - 1, timeout=30
        )
        assert stop(bot, signal.SIGTERM, log) == 0
    assert result.returncode == 0, result.stderr
    assert "integrity ok" in result.stdout and f"deliveries {N}" in result.stdout
    assert during < N, "the backup was taken mid-broadcast"
    assert sorted(p.name for p in copy.parent.iterdir()) == ["copy.db"], "one self-contained file"
    with sqlite3.connect(copy) as conn:
        assert conn.execute("pragma integrity_check").fetchone() == ("ok",)
        statuses = dict(conn.execute("select status, count(*) from deliveries group by status").fetchall())
        assert conn.execute("select count(*) from subscribers").fetchone() == (N,)
    assert sum(statuses.values()) == N and 0 < statuses.get("sent", 0) < N, statuses


def test_the_heartbeat_is_throttled_and_judged_by_age(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    store = Store(db, extra=[health_migrations])
    beat = Heartbeat()
    beat.store = store
    beat.beat("polled")
    first = read_heartbeat(db)["polled"]
    beat.beat("polled")  # within BEAT_EVERY_S: no second write
    assert read_heartbeat(db) == {"polled": first}
    when = datetime.fromisoformat(first)
    assert judge(db, 60, now=when + timedelta(seconds=59)).ok
    late = judge(db, 60, now=when + timedelta(seconds=61))
    assert not late.ok and "no contact with Telegram for 61 s" in late.problems[0]
    store.close()
    beat.beat("alive")  # a closed database is logged, never raised into the poll that beat
    assert set(read_heartbeat(db)) == {"polled"}
