"""Red flags: the safety answer comes first whenever a red-flag phrase is used, and by meaning alone only
with a clear lead (bot/answering/redflags.py)."""

from __future__ import annotations

import pytest

from bot.answering.index import Index
from bot.answering.redflags import RedFlagDetector
from bot.answering.views import answer_replies
from bot.knowledge.base import load_knowledge

KB = load_knowledge()
INDEX = Index(KB)


def test_red_flag_comes_first_whatever_else_is_asked() -> None:
    answer = INDEX.answer("sharp pain in my hamstring, and how do I stop calf cramps?")
    assert answer.red_flag and answer.entry is not None and answer.entry.id == KB.red_flags.entry
    replies = answer_replies(KB, answer)
    assert "clinician" in replies[0].text.lower()
    assert len(replies) == 2 and "cramp" in replies[1].text.lower()


@pytest.mark.parametrize("text", ["my pee looks like cola", "it went pop and now its swollen", "i cant walk"])
def test_red_flag_phrasings(text: str) -> None:
    assert INDEX.answer(text).red_flag


def test_the_safety_answer_by_meaning_alone_needs_a_clear_lead() -> None:
    alarming = "felt something go in my hamstring during the rep"  # no red-flag phrase, clearly meant
    assert not INDEX.is_red_flag(alarming) and INDEX.answer(alarming).red_flag
    benign = "all of a sudden ham raises feel easy?"  # "sudden" pulls it toward red-flags, barely
    assert INDEX.rank(benign)[0][0].id != KB.red_flags.entry
    answer = INDEX.answer(benign)
    assert not answer.red_flag and answer.entry is not None and answer.entry.id == "meant-to-be-hard"
    # the same message with a red-flag phrase gets the safety answer, whatever the ranking says
    assert INDEX.answer(benign + " and a sharp pain behind the knee").red_flag


def test_where_the_exercise_is_felt_is_not_an_alarm_but_a_pop_there_is() -> None:
    felt = INDEX.answer("felt nordics behind my knees and in my butt")  # got the safety answer once
    assert not felt.red_flag and felt.entry is not None and felt.entry.id == "muscles-worked"
    assert INDEX.answer("felt a pop behind my knee").red_flag


def test_phrases_match_whole_words_whatever_the_case_and_spacing() -> None:
    detector = RedFlagDetector(KB)
    assert detector.mentioned("SHARP   pain!")
    assert not detector.mentioned("sharpen pain") and not detector.mentioned("what does the popliteus do")


def test_the_rest_of_a_red_flag_message_keeps_what_else_it_asks() -> None:
    detector = RedFlagDetector(KB)
    rest = detector.without("sharp pain in my hamstring, and how do I stop calf cramps?")
    assert "calf cramps" in rest and "sharp" not in rest and not detector.mentioned(rest)
