"""The Bot API failing for a while: getUpdates answering 5xx, or not answering until the client times
out. The bot must recover by itself, with no update lost and none answered twice, since Telegram
keeps unconfirmed updates until a getUpdates with a higher offset confirms them."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from bot.storage.health import judge
from tests.fakebot import FakeBotApi
from tests.support import make_config, running_bot

pytestmark = pytest.mark.reliability

USERS = [8101, 8102, 8103]
QUESTION = "why do my calves cramp"


async def answered(api: FakeBotApi, users: list[int], count: int, timeout: float) -> None:
    for user in users:
        await api.wait_for_messages_async(user, count, timeout)


async def answered_once(api: FakeBotApi, counts: list[int]) -> None:
    """Each user asks once more and gets exactly one more reply: a doubled earlier update (it would
    come before, in that chat's order) would show as one message too many."""
    for user, count in zip(USERS, counts, strict=True):
        api.user_sends_command(user, "/help")
        await api.wait_for_messages_async(user, count + 1, 10)
    assert [len(api.sent_messages(u)) for u in USERS] == [c + 1 for c in counts], "each update answered once"


async def test_getupdates_5xx_then_recovery_loses_no_update(fake_api: FakeBotApi, tmp_path: Path) -> None:
    config = make_config(tmp_path)
    async with running_bot(fake_api, config):
        fake_api.user_sends_text(USERS[0], QUESTION)
        await answered(fake_api, USERS[:1], 1, 10)
        fake_api.fail_next("getUpdates", 502, times=2)
        fake_api.fail_next("getUpdates", 500, times=1)  # PTB backs off 1, 1.5, 2.25 s
        # The outage has begun (the long poll in flight ended, the next one failed): users write.
        await fake_api.wait_for_async(lambda c: c.method == "getUpdates" and c.status == 502, timeout=10)
        for user in USERS:
            fake_api.user_sends_text(user, QUESTION)
        await answered(fake_api, USERS, 1, 30)
        await answered(fake_api, USERS[:1], 2, 30)
        assert fake_api.count("getUpdates", status=502) == 2 and fake_api.count("getUpdates", status=500) == 1
        await answered_once(fake_api, [2, 1, 1])
    assert judge(config.db, 60).ok, "the heartbeat saw getUpdates succeed again"


async def test_getupdates_timing_out_then_recovery_loses_no_update(
    fake_api: FakeBotApi, tmp_path: Path
) -> None:
    """getUpdates hangs past the client's read timeout (5 s + the 1 s long poll) for two rounds."""
    async with running_bot(fake_api, make_config(tmp_path)):
        fake_api.user_sends_text(USERS[0], QUESTION)
        await answered(fake_api, USERS[:1], 1, 10)
        mark = fake_api.mark()
        fake_api.set_delay(8.0, "getUpdates")
        # The long poll in flight was not delayed; once it ends, every poll hangs: users write then.
        await fake_api.wait_for_async(lambda c: c.method == "getUpdates", since=mark, timeout=10)
        mark = fake_api.mark()
        for user in USERS:
            fake_api.user_sends_text(user, QUESTION)
        # The first hung poll ends (on the server) only after the client gave up on it.
        await fake_api.wait_for_async(lambda c: c.method == "getUpdates", since=mark, timeout=20)
        fake_api.set_delay(0.0, "getUpdates")
        await answered(fake_api, USERS, 1, 40)
        await answered(fake_api, USERS[:1], 2, 40)
        await answered_once(fake_api, [2, 1, 1])


async def test_a_reply_survives_two_5xx_on_sendmessage(fake_api: FakeBotApi, tmp_path: Path) -> None:
    async with running_bot(fake_api, make_config(tmp_path)):
        fake_api.fail_next("sendMessage", 502, times=2, chat_id=USERS[0])
        fake_api.user_sends_text(USERS[0], QUESTION)
        [reply] = await fake_api.wait_for_messages_async(USERS[0], 1, 8)
        assert "toes" in reply["text"].lower()


async def _kept(db: Path, rows: int) -> None:
    """Until the outbox holds `rows` replies (no timing asserted: only a bound on waiting)."""
    for _ in range(600):
        with sqlite3.connect(db) as conn:
            if conn.execute("select count(*) from outbox").fetchone()[0] == rows:
                return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the outbox never held {rows} replies")


async def _answer_kept(api: FakeBotApi, db: Path, user: int, failures: int) -> None:
    """The user asks while sendMessage fails `failures` times; wait until the answer is in the outbox."""
    api.fail_next("sendMessage", 502, times=failures, chat_id=user)
    api.user_sends_text(user, QUESTION)
    await _kept(db, 1)


async def test_a_reply_outlasting_every_retry_is_kept_and_sent_in_order(
    fake_api: FakeBotApi, tmp_path: Path
) -> None:
    """Six 502s in a row: more than send.py's four tries. The answer goes to the outbox, the job sends
    it once Telegram is back, and a later reply to that chat comes after it, each exactly once."""
    config = make_config(tmp_path)
    user = USERS[0]
    async with running_bot(fake_api, config):
        await _answer_kept(fake_api, config.db, user, 6)
        fake_api.user_sends_command(user, "/help")  # while the first answer is still queued
        first, second = await fake_api.wait_for_messages_async(user, 2, 40)
        assert "toes" in first["text"].lower(), "the kept answer comes first"
        assert "/session" in second["text"]
        await _kept(config.db, 0)
        assert len(fake_api.sent_messages(user)) == 2, "each reply exactly once"


async def test_a_kept_reply_survives_a_restart(fake_api: FakeBotApi, tmp_path: Path) -> None:
    config = make_config(tmp_path)
    user = USERS[1]
    async with running_bot(fake_api, config):
        await _answer_kept(fake_api, config.db, user, 4)  # send.py's four tries, then the bot stops
    assert fake_api.sent_messages(user) == []
    async with running_bot(fake_api, config):
        [reply] = await fake_api.wait_for_messages_async(user, 1, 30)
        assert "toes" in reply["text"].lower()
        await _kept(config.db, 0)
