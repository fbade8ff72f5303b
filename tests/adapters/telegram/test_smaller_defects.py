"""Issue 13's smaller Telegram defects, end to end through the fake Bot API server."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.adapters.telegram.app import file_url
from tests.fakebot import FakeBotApi
from tests.support import make_config, running_bot

USER = 4343
VOICE = Path(__file__).parents[2] / "data" / "voice"


async def test_a_25_mb_voice_note_is_refused_as_too_large(fake_api: FakeBotApi, tmp_path: Path) -> None:
    async with running_bot(fake_api, make_config(tmp_path)):
        update = fake_api.make_update_voice(USER, (VOICE / "muscles.ogg").read_bytes(), duration=5)
        update["message"]["voice"]["file_size"] = 25 * 1024 * 1024
        fake_api.queue_update(update)
        [refused] = await fake_api.wait_for_messages_async(USER, 1)
        assert "too large" in refused["text"] and "seconds" not in refused["text"]
        assert not fake_api.calls_of("getFile"), "never downloaded"


async def test_a_photo_captioned_with_a_question_is_answered(fake_api: FakeBotApi, tmp_path: Path) -> None:
    async with running_bot(fake_api, make_config(tmp_path)):
        fake_api.user_sends_photo(USER, caption="why do my calves cramp?")
        [answer] = await fake_api.wait_for_messages_async(USER, 1)
        assert "calf" in answer["text"].lower() or "toes" in answer["text"].lower()
        fake_api.user_sends_photo(USER)
        _, polite = await fake_api.wait_for_messages_async(USER, 2)
        assert "text messages" in polite["text"], "a photo without a caption still gets the polite line"


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        ("https://api.telegram.org/bot", "https://api.telegram.org/file/bot"),
        ("http://bot.example:8081/bot", "http://bot.example:8081/file/bot"),
        ("https://example.com/botapi/bot", "https://example.com/botapi/file/bot"),
        ("http://127.0.0.1:8081/bot/", "http://127.0.0.1:8081/file/bot/"),
    ],
)
def test_the_file_url_changes_only_the_last_bot_of_the_base_url(base: str, expected: str) -> None:
    assert file_url(base) == expected


async def test_the_derived_file_url_downloads_from_the_server(fake_api: FakeBotApi, tmp_path: Path) -> None:
    """No base_file_url given: the one derived from the base URL must reach the server's files."""
    async with running_bot(fake_api, make_config(tmp_path), derive_file_url=True):
        fake_api.user_sends_voice(USER, (VOICE / "muscles.ogg").read_bytes(), duration=3)
        heard, _ = await fake_api.wait_for_messages_async(USER, 2, timeout=60)  # the model loads first
        assert heard["text"].startswith("🎙 I heard:")
        assert [c.status for c in fake_api.calls_of("downloadFile")] == [200]
