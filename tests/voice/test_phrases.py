"""Transcripts and expected replies made comparable: digits as words, the fuzzy pick of a reply, and
no pick at all when nothing is expected."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.voice.phrases import closest, exact, number_words, plain, spell_numbers
from bot.voice.whisper import margin, spell_digits, surfaces

CRAMP = ["It's gone, carry on", "Stop for today", "ok", "yes", "carry on", "done"]


def test_digits_become_the_words_the_matcher_expects() -> None:
    assert spell_numbers("I did 3 reps.") == "I did three reps."
    assert spell_numbers("It's a 10") == "It's a ten"
    assert spell_numbers("21 and 40") == "twenty one and forty"
    assert spell_numbers("2.5 kg at 10:30, 150 reps") == "2.5 kg at 10:30, 150 reps"  # left alone
    assert [number_words(n) for n in (0, 7, 19, 30, 99)] == [
        "zero",
        "seven",
        "nineteen",
        "thirty",
        "ninety nine",
    ]


def test_plain_words_keep_apostrophes_and_spell_numbers() -> None:
    assert plain("No, I'm fine!") == "no i'm fine"
    assert plain("Okay. 3 reps") == "ok three reps"
    assert plain("\u2019 ") == ""


def test_a_transcript_picks_the_reply_it_says() -> None:
    assert exact("It's gone, carry on.", CRAMP) == "It's gone, carry on"
    assert closest("its gone carry on", CRAMP) == "It's gone, carry on"
    assert closest("Okay.", CRAMP) == "ok"
    assert closest("stop for to day", CRAMP) == "Stop for today"


def test_no_pick_when_nothing_fits_or_nothing_is_expected() -> None:
    assert closest("what is doms", ["what now", "next"]) == ""
    assert closest("what now", []) == "", "an open question is never matched to a reply"
    assert closest("", CRAMP) == ""


@given(st.text(max_size=80), st.lists(st.text(max_size=30), max_size=8))
def test_a_pick_is_always_one_of_the_expected_strings(text: str, expected: list[str]) -> None:
    choice = closest(text, expected)
    assert choice == "" or choice in expected


def test_how_whisper_would_write_a_reply() -> None:
    assert surfaces("three reps") == [" Three reps.", " 3 reps."]
    assert surfaces("ok") == [" Okay."]
    assert surfaces("It's gone, carry on") == [" It's gone, carry on."]
    assert spell_digits("I did ten reps.") == "I did 10 reps."


def test_a_short_reply_must_fit_better_the_longer_the_note() -> None:
    assert margin(1, 1) == margin(2, 4) > margin(2, 1) > margin(5, 1)
