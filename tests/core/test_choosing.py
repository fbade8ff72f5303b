"""Typed and spoken words against what the chat waits for (bot/core/choosing.py), on the real
session screens and reply words: the cases a lifter hit, and hypothesis over any text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.choosing import Confirm, Narrow, Press, choose, phrases_for
from bot.core.expectation import Expectation
from bot.core.reply import Button, Number
from bot.knowledge.base import DEFAULT_DIR
from bot.knowledge.replies import load_replies, phrase

WORDS = load_replies(DEFAULT_DIR)
CRAMP, SHARP = (
    Button("Cramp", "s:1.4:a0", aside=True),
    Button("Sharp pain", "s:1.4:a1", destructive=True, aside=True),
)
SAFETY = Expectation((Button("No, I'm fine", "s:1.1:b0"), Button("Yes, I have an injury", "s:1.1:b1")))
TIMING = Expectation(
    (Button("Yes, legs are warm", "s:1.2:b0"), Button("No, I'm cold", "s:1.2:b1"), CRAMP, SHARP)
)
SETUP = Expectation((Button("I'm set up", "s:1.3:b0"), CRAMP, SHARP))
CRAMP_SCREEN = Expectation(
    (Button("It's gone, carry on", "s:1.5:b0"), Button("Stop for today", "s:1.5:b1", destructive=True))
)
REPS = Number("reps for set 1", 0, 30, "s:1.6:r{n}")
SETS = Expectation((*(Button(str(n), f"s:1.6:r{n}") for n in range(9)), CRAMP, SHARP), REPS)
FORGET = Expectation(
    (Button("Yes, delete everything", "forget:yes", destructive=True), Button("No, keep it", "forget:no"))
)
SCREENS = [SAFETY, TIMING, SETUP, CRAMP_SCREEN, SETS, FORGET]


def pressed(text: str, expected: Expectation, spoken: bool = False) -> str | None:
    found = choose(text, expected, WORDS, spoken=spoken)
    return found.button.data if isinstance(found, Press) else None


@pytest.mark.parametrize(
    ("text", "data"),
    [
        ("no", "s:1.1:b0"),
        ("No, I'm fine", "s:1.1:b0"),
        ("nope", "s:1.1:b0"),
        ("yes", "s:1.1:b1"),
        ("injury", "s:1.1:b1"),
    ],
)
def test_the_safety_step_takes_words(text: str, data: str) -> None:
    assert pressed(text, SAFETY) == data


@pytest.mark.parametrize("text", ["ok", "next", "let's go", "ready"])
def test_a_vague_word_where_the_step_asks_yes_or_no_asks_which(text: str) -> None:
    found = choose(text, SAFETY, WORDS)
    assert isinstance(found, Narrow) and {b.data for b in found.buttons} == {"s:1.1:b0", "s:1.1:b1"}


@pytest.mark.parametrize("text", ["ok", "done", "yes", "ready", "next", "Carry on!", "carry onn"])
def test_ok_on_the_cramp_screen_carries_on(text: str) -> None:
    assert pressed(text, CRAMP_SCREEN) == "s:1.5:b0"


@pytest.mark.parametrize("text", ["stop", "Stop for today", "cancel"])
def test_stop_said_plainly_stops(text: str) -> None:
    assert pressed(text, CRAMP_SCREEN) == "s:1.5:b1"


def test_stop_by_voice_is_confirmed_first() -> None:
    found = choose("stop", CRAMP_SCREEN, WORDS, spoken=True)
    assert isinstance(found, Confirm) and found.button.data == "s:1.5:b1"


def test_a_part_of_a_destructive_label_asks_first() -> None:
    assert isinstance(choose("pain", SETS, WORDS), Confirm)
    assert isinstance(choose("today", CRAMP_SCREEN, WORDS), type(None))


def test_yes_on_forget_is_confirmed_and_never_keeps_by_mistake() -> None:
    found = choose("yes", FORGET, WORDS)
    assert isinstance(found, Confirm) and found.button.data == "forget:yes"
    assert pressed("no", FORGET) == "forget:no"


@pytest.mark.parametrize(
    ("text", "reps"), [("3", 3), ("three", 3), ("3 reps", 3), ("I did 12", 12), ("iv", 4)]
)
def test_a_number_is_the_answer_asked_for(text: str, reps: int) -> None:
    found = choose(text, SETS, WORDS)
    assert isinstance(found, Press) and found.number == reps and found.button.data == f"s:1.6:r{reps}"


@pytest.mark.parametrize("text", ["-1", "2.5", "31", "what is doms", "why do my calves cramp?", "ok", "done"])
def test_what_is_no_answer_passes_on(text: str) -> None:
    assert choose(text, SETS, WORDS) is None


def test_ok_on_a_single_button_step_moves_on() -> None:
    assert pressed("ok", SETUP) == "s:1.3:b0"
    assert pressed("yes", SETUP) == "s:1.3:b0"


def test_the_recogniser_gets_the_replies_that_fit() -> None:
    phrases = phrases_for(CRAMP_SCREEN, WORDS)
    assert "its gone carry on" in phrases and "stop" in phrases and "ok" in phrases
    assert {"three", "i did three reps", "thirty"} <= set(phrases_for(SETS, WORDS))


def _plainly_names(text: str, button: Button) -> bool:
    said = phrase(text)
    return said == phrase(button.label) or WORDS.meaning(said) == "stop"


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(SCREENS), st.text(max_size=40), st.booleans())
def test_no_text_presses_a_destructive_button_unless_it_names_it(
    expected: Expectation, text: str, spoken: bool
) -> None:
    found = choose(text, expected, WORDS, spoken=spoken)
    if isinstance(found, Press) and found.button.destructive:
        assert not spoken and _plainly_names(text, found.button)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(SCREENS),
    st.sampled_from([w for ws in WORDS.meanings.values() for w in ws]),
    st.booleans(),
)
def test_any_reply_word_on_any_screen_is_safe(expected: Expectation, word: str, spoken: bool) -> None:
    found = choose(word, expected, WORDS, spoken=spoken)
    if isinstance(found, Press) and found.button.destructive:
        assert not spoken and WORDS.meaning(word) == "stop"
