"""One chat's backlog must not hold the update slots other chats need (issue 13, defect 1)."""

from __future__ import annotations

from pathlib import Path

from bot.adapters.telegram.ordering import DEFAULT_SLOTS
from tests.fakebot import FakeBotApi
from tests.support import make_config, running_bot

FLOODER, OTHER = 5001, 5002


async def test_a_flooding_chat_does_not_hold_the_other_chats_slots(
    fake_api: FakeBotApi, tmp_path: Path
) -> None:
    """Chat A queues more slow updates than there are slots, then chat B sends one. Each of A's
    updates waits for A's turn without a slot, so B is answered while A's backlog is still going
    (PTB took a slot before our per-chat lock: B waited behind A's whole first wave)."""
    flood = DEFAULT_SLOTS + 8
    async with running_bot(fake_api, make_config(tmp_path), rate_limiter=False):
        fake_api.set_delay(0.05, "sendMessage")
        for _ in range(flood):
            fake_api.user_sends_command(FLOODER, "/help")
        await fake_api.wait_for_messages_async(FLOODER, 1, timeout=10)
        fake_api.user_sends_command(OTHER, "/help")
        await fake_api.wait_for_messages_async(OTHER, 1, timeout=30)
        fake_api.set_delay(0.0, "sendMessage")
        await fake_api.wait_for_messages_async(FLOODER, flood, timeout=30)
    order = [c.chat_id for c in fake_api.calls_of("sendMessage") if c.chat_id in (FLOODER, OTHER)]
    before_other = order.index(OTHER)
    assert before_other <= 4, f"B waited behind {before_other} of A's {flood} replies"
