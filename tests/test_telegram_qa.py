"""End to end through the fake Bot API server: the real Application answers questions."""

from __future__ import annotations

from pathlib import Path

from tests.fakebot import FakeBotApi
from tests.support import exchange, make_config, running_bot

USER = 4242


async def test_start_question_and_topics(fake_api: FakeBotApi, tmp_path: Path) -> None:
    async with running_bot(fake_api, make_config(tmp_path)):
        [welcome] = await exchange(fake_api, USER, "/start")
        assert "ham raise" in welcome["text"].lower()
        labels = [b["text"] for row in welcome["reply_markup"]["inline_keyboard"] for b in row]
        assert "Browse topics" in labels
        [answer] = await exchange(fake_api, USER, "why do my calves cramp")
        assert "toes" in answer["text"].lower()
        assert "Source:" in answer["text"]
        commands = {c["command"] for c in fake_api.commands()}
        assert {"start", "help", "topics"} <= commands
