"""Spoken replies end to end: the real Application against the fake Bot API server sends one voice
note (sendVoice, OGG/Opus 48 kHz mono) after each batch of text replies to a user who turned them on,
for messages, button presses and timers alike, and none after /voice off or /forget.

Updates of one chat are handled one at a time, voice note included, so once the reply to a later
update has arrived, any voice note of an earlier one would have too: "no voice" needs no waiting.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from telegram.ext import Application

from bot.core.coach import utcnow
from bot.session.timers import parse_rest_timer
from tests.fakebot import FakeBotApi
from tests.support import callback_data, exchange, make_config, running_bot
from tests.support import tap as press
from tests.voice.opus import read_note

USER = 6161
Message = dict[str, Any]


def is_voice(message: Message) -> bool:
    return "voice" in message


async def with_voice(api: FakeBotApi, before: int, texts: int) -> tuple[list[Message], Message]:
    """The `texts` text replies that arrived after `before`, then the one voice note that follows them."""
    *replies, voice = (await api.wait_for_messages_async(USER, before + texts + 1))[before:]
    assert not any(is_voice(m) for m in replies) and is_voice(voice), [m.get("text") for m in replies]
    return replies, voice


async def say(api: FakeBotApi, text: str, texts: int = 1) -> tuple[list[Message], Message]:
    before = len(api.sent_messages(USER))
    command, _, args = text.partition(" ")
    api.user_sends_command(USER, command, args) if text.startswith("/") else api.user_sends_text(USER, text)
    return await with_voice(api, before, texts)


async def tap(api: FakeBotApi, message: Message, label: str, texts: int = 1) -> tuple[list[Message], Message]:
    before = len(api.sent_messages(USER))
    api.user_presses(USER, message["message_id"], callback_data(message, label))
    return await with_voice(api, before, texts)


def assert_spoken(api: FakeBotApi, voice: Message, min_seconds: float) -> None:
    """The note the bot uploaded decodes with PyAV as Opus, 48 kHz, mono, and is not silence."""
    note = read_note(api.file_bytes(voice["voice"]["file_id"]))
    assert (note.codec, note.rate, note.channels) == ("opus", 48_000, 1)
    assert note.seconds > min_seconds and note.peak > 0.05


async def fire_rest(app: Application) -> None:
    """Run the pending rest job now instead of waiting two minutes."""
    assert app.job_queue is not None
    [job] = [j for j in app.job_queue.jobs() if parse_rest_timer(j.name or "")]
    assert job.next_t is not None and job.next_t - utcnow() > timedelta(seconds=60)
    await job.run(app)
    job.schedule_removal()


async def test_voice_on_speaks_each_batch_and_voice_off_stops_it(
    fake_api: FakeBotApi, tmp_path: Path
) -> None:
    async with running_bot(fake_api, make_config(tmp_path)) as app:
        [quiet] = await exchange(fake_api, USER, "/session")
        assert quiet["text"].startswith("Safety first")
        assert not fake_api.calls_of("sendVoice"), "off by default"
        [on], _ = await say(fake_api, "/voice on")
        assert "Spoken replies are on" in on["text"]
        [step], voice = await tap(fake_api, quiet, "No, I'm fine")
        assert step["text"].startswith("When to do it")
        assert_spoken(fake_api, voice, min_seconds=5)  # the step is about 12 s of speech

        message = step
        for label in ("Yes, legs are warm", "I'm set up", "Got it", "Ready", "Start my sets"):
            [message], _ = await tap(fake_api, message, label)
        [rest], _ = await tap(fake_api, message, "3")
        assert "3 reps logged" in rest["text"]
        before = len(fake_api.sent_messages(USER))
        await fire_rest(app)  # a timer's batch: "Rest is over." and Set 2, then their voice note
        [over, set2], voice = await with_voice(fake_api, before, texts=2)
        assert over["text"] == "Rest is over." and set2["text"].startswith("Set 2 of 2")
        assert_spoken(fake_api, voice, min_seconds=3)

        [off] = await exchange(fake_api, USER, "/voice off")
        assert "Spoken replies are off" in off["text"]
        spoken = len(fake_api.calls_of("sendVoice"))
        await exchange(fake_api, USER, "2", expect=2)  # Set 2's reps: the wrap-up, in text only
        [state] = await exchange(fake_api, USER, "/voice")
        assert "Spoken replies are off" in state["text"]
        assert len(fake_api.calls_of("sendVoice")) == spoken
    assert all(c.ok for c in fake_api.calls_of("sendVoice"))


async def test_the_on_button_turns_voice_on_and_forget_deletes_it(
    fake_api: FakeBotApi, tmp_path: Path
) -> None:
    async with running_bot(fake_api, make_config(tmp_path)) as app:
        [state] = await exchange(fake_api, USER, "/voice")
        [on], voice = await tap(fake_api, state, "On")
        assert "Spoken replies are on" in on["text"]
        assert_spoken(fake_api, voice, min_seconds=2)
        [confirm], _ = await say(fake_api, "/forget")
        spoken = len(fake_api.calls_of("sendVoice"))
        [done] = await press(fake_api, USER, confirm, callback_data(confirm, "Yes, delete everything"))
        assert "deleted your data" in done["text"]
        db = app.bot_data["coach"].store.db
        assert db.table("voice_replies").count_where("user_id = ?", [USER]) == 0
        await exchange(fake_api, USER, "/session")
        [state] = await exchange(fake_api, USER, "/voice")
        assert "Spoken replies are off" in state["text"]
        assert len(fake_api.calls_of("sendVoice")) == spoken
