"""Hands-free by voice: a whole first session through the fake Bot API server in voice notes alone,
in two synthetic voices, heard by the default recogniser in the context of what the bot just asked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.session.store import SessionStore
from tests.fakebot import FakeBotApi
from tests.support import keyboard_labels, make_config, running_bot
from tests.voice.test_recognition import clip

USER = 5353


async def say(api: FakeBotApi, text: str, voice: str, expect: int = 1) -> list[dict[str, Any]]:
    """Send the clip of `text` in `voice`; return what followed the "I heard" line."""
    before = len(api.sent_messages(USER))
    api.user_sends_voice(USER, clip(voice, text), duration=2)
    heard, *after = (await api.wait_for_messages_async(USER, before + 1 + expect, 60.0))[before:]
    assert heard["text"].startswith("🎙 I heard:"), heard["text"]
    return after


@pytest.mark.parametrize("voice", ["hibari", "espeak-ng"])
async def test_a_whole_session_by_voice_notes(fake_api: FakeBotApi, tmp_path: Path, voice: str) -> None:
    async with running_bot(fake_api, make_config(tmp_path, voice_max_seconds=30.0)) as app:
        fake_api.user_sends_command(USER, "/start", "")
        await fake_api.wait_for_messages_async(USER, 1, 5.0)
        [safety] = await say(fake_api, "yes", voice)
        assert safety["text"].startswith("Safety first")
        [timing] = await say(fake_api, "no I'm fine", voice)
        assert timing["text"].startswith("When to do it")
        [setup] = await say(fake_api, "yes legs are warm", voice)
        assert setup["text"].startswith("Set-up")
        [posture] = await say(fake_api, "I'm set up", voice)
        assert posture["text"].startswith("Hips forward")
        [first_rep] = await say(fake_api, "got it", voice)
        assert first_rep["text"].startswith("How to do a rep")
        [plan] = await say(fake_api, "ready", voice)
        assert plan["text"].startswith("Today's sets")
        [set1] = await say(fake_api, "start my sets", voice)
        assert set1["text"].startswith("Set 1 of 2")
        [rest] = await say(fake_api, "three reps", voice)
        assert "3 reps logged" in rest["text"]
        assert "Undo" in keyboard_labels(rest), "reps logged by voice can be undone"
        [set2] = await say(fake_api, "skip", voice)
        assert set2["text"].startswith("Set 2 of 2")
        done = await say(fake_api, "four", voice, 2)
        assert done[0]["text"].startswith("Session done")
        [(row, sets)] = SessionStore(app.bot_data["coach"].store.db).history(USER, limit=1)
        assert row.status == "finished" and sets == [(1, 3), (2, 4)]


async def test_stop_by_voice_is_confirmed_first(fake_api: FakeBotApi, tmp_path: Path) -> None:
    """A destructive choice heard in a voice note is never taken on the recogniser's word alone."""
    async with running_bot(fake_api, make_config(tmp_path, voice_max_seconds=30.0)) as app:
        fake_api.user_sends_command(USER, "/session", "")
        await fake_api.wait_for_messages_async(USER, 1, 5.0)
        for text in ("no I'm fine", "yes legs are warm", "I'm set up", "got it", "ready", "start my sets"):
            await say(fake_api, text, "hibari")
        [asked] = await say(fake_api, "stop", "hibari")
        assert keyboard_labels(asked)[:2] == ["Yes: Stop for today", "No"], asked["text"]
        [kept] = await say(fake_api, "no", "hibari")
        assert kept["text"].startswith("OK, nothing done")
        [(row, _sets)] = SessionStore(app.bot_data["coach"].store.db).history(USER, limit=1)
        assert row.status == "active"
