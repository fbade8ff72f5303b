"""/voice on|off through the core: stored per user, off by default, the On/Off buttons, the coach's
speaker, forgetting, and a bot with no speech engine."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.core.coach import Heard, Incoming
from bot.core.reply import Reply
from bot.knowledge.texts import fill
from bot.voice import speaking
from bot.voice.speech import CommandEngine
from tests.support import USER, make_coach, press, say
from tests.voice.opus import read_note

OTHER = 2002


def text(replies: list[Reply]) -> str:
    return "\n".join(r.text for r in replies)


def test_voice_is_off_until_the_user_turns_it_on(tmp_path: Path) -> None:
    coach = make_coach(tmp_path)
    assert coach.speaker is not None and not coach.speaker.wants(USER)
    [state] = say(coach, "/voice")
    assert "Spoken replies are off" in state.text
    assert [(b.label, b.data) for row in state.buttons for b in row] == [
        ("On", "voice:on"),
        ("Off", "voice:off"),
    ]
    assert "are on" in text(say(coach, "/voice on"))
    assert coach.speaker.wants(USER) and not coach.speaker.wants(OTHER)
    assert "Spoken replies are on" in text(say(coach, "/voice"))
    assert "are off" in text(press(coach, "voice:off"))
    assert not coach.speaker.wants(USER)
    assert "are on" in text(press(coach, "voice:on"))
    assert coach.speaker.wants(USER)


def test_the_setting_survives_a_restart(tmp_path: Path) -> None:
    say(make_coach(tmp_path), "/voice ON")
    coach = make_coach(tmp_path)
    assert coach.speaker is not None and coach.speaker.wants(USER)


def test_bad_arguments_and_payloads_change_nothing(tmp_path: Path) -> None:
    coach = make_coach(tmp_path)
    assert "/voice on or /voice off" in text(say(coach, "/voice loud"))
    assert "older message" in text(press(coach, "voice:loud"))
    assert coach.speaker is not None and not coach.speaker.wants(USER)


def test_forget_deletes_the_setting(tmp_path: Path) -> None:
    coach = make_coach(tmp_path)
    say(coach, "/voice on")
    say(coach, "/voice on", OTHER)
    press(coach, "forget:yes")
    assert coach.store.db.table("voice_replies").count_where("user_id = ?", [USER]) == 0
    assert coach.speaker is not None and not coach.speaker.wants(USER) and coach.speaker.wants(OTHER)


def test_the_speaker_makes_a_voice_note_of_the_replies(tmp_path: Path) -> None:
    coach = make_coach(tmp_path)
    replies = say(coach, "/session")
    assert coach.speaker is not None
    data = coach.speaker.speak(speaking.batch_text(replies))
    assert data is not None
    note = read_note(data)
    assert (note.codec, note.rate, note.channels) == ("opus", 48_000, 1) and note.seconds > 3


def test_batch_text_leaves_out_the_echo() -> None:
    replies = [Reply.plain('I heard: "next"'), Reply.plain("Set 1 of 2\nGo."), Reply.plain(" ")]
    assert speaking.batch_text(replies, skip='I heard: "next"') == "Set 1 of 2\nGo."


def test_without_an_engine_the_bot_says_so_and_goes_on_in_text(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    say(make_coach(tmp_path), "/voice on")  # chosen while an engine was there
    coach = make_coach(tmp_path)
    with caplog.at_level(logging.WARNING):
        speaking.register(coach, None)
    assert "not available" in caplog.text
    assert coach.speaker is not None and not coach.speaker.wants(USER), "no engine: no voice for anyone"
    assert coach.speaker.speak("Rest is over.") is None
    for command in ("/voice", "/voice on"):
        assert text(say(coach, command)) == "Spoken replies are not available here, so I'll go on in text."
    assert "Safety first" in text(say(coach, "/session"))


def test_a_failing_engine_is_logged_and_gives_no_note(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    coach = make_coach(tmp_path)
    speaking.register(coach, CommandEngine("false", lambda words: ["false", words]))
    say(coach, "/voice on")
    assert coach.speaker is not None and coach.speaker.wants(USER)
    with caplog.at_level(logging.ERROR):
        assert coach.speaker.speak("Rest is over.") is None
    assert "false could not speak" in caplog.text


def test_the_echo_of_a_voice_note_is_not_said_back(tmp_path: Path) -> None:
    """What the Telegram adapter leaves out of a voice note's batch: the "I heard" line, as filled."""
    coach = make_coach(tmp_path)
    heard = Heard("why do my calves cramp")
    replies = coach.hear(Incoming(USER, USER, "voice", "", "Tess"), heard)
    echo = fill(coach.kb.texts["voice_heard"], text=heard.text)
    assert replies[0].text == echo.strip()
    spoken = speaking.batch_text(replies, skip=echo)
    assert "I heard" not in spoken and "toes" in spoken.lower()
