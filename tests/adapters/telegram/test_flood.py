"""The per-user flood guard end to end through the fake Bot API server (issue 13, operations 1): a
user sending 100 messages at once gets their first few answered and exactly one notice, the rest are
dropped and counted (in `hamcoach status` too), and another user is still answered."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from bot.storage.database import Store
from tests.fakebot import FakeBotApi
from tests.support import make_config, running_bot

FLOODER, OTHER = 5151, 5252
BURST = 4


async def test_a_flooding_user_gets_one_notice_and_another_user_is_still_answered(
    fake_api: FakeBotApi, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A rate this low refills nothing during the test, so exactly BURST messages get through.
    config = make_config(tmp_path, flood_rate=0.001, flood_burst=float(BURST))
    caplog.set_level(logging.INFO, logger="bot.core.flood")
    async with running_bot(fake_api, config) as app:
        for n in range(100):
            fake_api.user_sends_text(FLOODER, f"why do my calves cramp {n}?")
        fake_api.user_sends_text(OTHER, "where do my hips go?")
        [answer] = await fake_api.wait_for_messages_async(OTHER, 1, timeout=30)
        assert "hips" in answer["text"].lower()
        guard = app.bot_data["flood"]
        for _ in range(3000):  # every one of the flood's updates has been seen (no timing asserted)
            if guard.dropped >= 100 - BURST:
                break
            await asyncio.sleep(0.01)
        await fake_api.wait_for_messages_async(FLOODER, BURST + 1, timeout=30)
        await asyncio.sleep(0.2)
        sent = [m["text"] for m in fake_api.sent_messages(FLOODER)]
    notices = [t for t in sent if "faster than I can read" in t]
    assert len(notices) == 1, sent
    assert len(sent) == BURST + 1, "the first few are answered, the rest dropped"
    assert guard.dropped == 100 - BURST
    assert any("flood" in r.getMessage() and str(FLOODER) in r.getMessage() for r in caplog.records)
    assert len(fake_api.sent_messages(OTHER)) == 1
    # counted in the database too, for `hamcoach status` in another process (by shutdown at the latest)
    store = Store(config.db)
    counts = store.status()
    store.close()
    assert (counts["flood_dropped"], counts["flood_notices"]) == (100 - BURST, 1)
