"""The bot's calls share a few pooled connections (app.SEND_CONNECTIONS); a burst of chats larger than
the pool waits for a connection instead of failing its reply."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.adapters.telegram.app import POOL_WAIT_S, SEND_CONNECTIONS
from tests.fakebot import FakeBotApi
from tests.support import make_config, running_bot

FIRST = 6100
SEND_S = 1.5  # a slow Telegram: longer than PTB's default wait for a pooled connection (1 s)


async def test_a_burst_wider_than_the_pool_on_a_slow_api_is_answered_once_each_without_retries(
    fake_api: FakeBotApi, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Twice as many chats as connections, each send taking SEND_S: the second half waits a whole
    send for a connection. Every chat gets its one reply, and no call timed out waiting for a
    connection (with PTB's 1 s wait, half of them did and were retried)."""
    assert SEND_S < POOL_WAIT_S
    chats = SEND_CONNECTIONS * 2
    caplog.set_level(logging.WARNING)
    async with running_bot(fake_api, make_config(tmp_path), rate_limiter=False):
        fake_api.set_delay(SEND_S, "sendMessage")
        for i in range(chats):
            fake_api.user_sends_command(FIRST + i, "/help")
        for i in range(chats):
            await fake_api.wait_for_messages_async(FIRST + i, 1, timeout=30)
        fake_api.set_delay(0.0, "sendMessage")
    for i in range(chats):
        assert len(fake_api.calls_of("sendMessage", chat_id=FIRST + i)) == 1
    assert not [r.getMessage() for r in caplog.records if "retrying" in r.getMessage()]
