"""A red flag with a typo is still a red flag, and a real word is not a typo (bot/answering/spelling.py)."""

from __future__ import annotations

import string

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bot.answering import english
from bot.answering.index import Index
from bot.core.textnorm import is_filler, words
from bot.knowledge.base import load_knowledge

KB = load_knowledge()
INDEX = Index(KB)
DETECTOR = INDEX.red_flags
PHRASES = [tuple(words(p)) for p in KB.red_flags.phrases]
FLAG_WORDS = {w for p in PHRASES for w in p}
LONG_WORDS = sorted(w for w in FLAG_WORDS if len(w) >= 5)


def every_edit(word: str) -> set[str]:
    """Every string one edit from `word`: a letter added, dropped or changed, or two neighbours swapped."""
    letters = string.ascii_lowercase
    out = {word[:i] + c + word[i:] for i in range(len(word) + 1) for c in letters}
    out |= {word[:i] + word[i + 1 :] for i in range(len(word))}
    out |= {word[:i] + c + word[i + 1 :] for i in range(len(word)) for c in letters}
    out |= {word[:i] + word[i + 1] + word[i] + word[i + 2 :] for i in range(len(word) - 1)}
    return out


@st.composite
def misspelt_phrase(draw: st.DrawFn) -> tuple[str, str]:
    """(a red-flag phrase with one of its long words misspelt, the misspelling)."""
    word = draw(st.sampled_from(LONG_WORDS))
    phrase = draw(st.sampled_from([p for p in PHRASES if word in p]))
    typo = draw(st.sampled_from(sorted(every_edit(word))))
    # a real word or a flag word is another word, not a typo ("spelling" is not "swelling")
    assume(
        typo not in FLAG_WORDS and not is_filler(typo) and english.english_frequency(typo) < english.REAL_WORD
    )
    return " ".join(typo if w == word else w for w in phrase), typo


@settings(max_examples=200, deadline=None)
@given(misspelt_phrase(), st.sampled_from(["{}", "felt {} after nordics", "i have {} in my hammy, normal?"]))
def test_any_misspelling_within_one_edit_of_a_red_flag_word_keeps_it_on(
    found: tuple[str, str], frame: str
) -> None:
    phrase, typo = found
    text = frame.format(phrase)
    assert DETECTOR.mentioned(text), (typo, DETECTOR.scan(text))
    assert INDEX.answer(text).red_flag


def test_every_misspelling_within_one_edit_of_every_red_flag_word_keeps_its_phrase_on() -> None:
    # all of them, not a sample: a typo one edit from two flag words ("knfe": knife, knee) once slipped by
    missed = []
    for word in LONG_WORDS:
        for typo in every_edit(word) - FLAG_WORDS:
            if is_filler(typo) or english.english_frequency(typo) >= english.REAL_WORD:
                continue
            for phrase in (p for p in PHRASES if word in p):
                text = "felt " + " ".join(typo if w == word else w for w in phrase) + " after nordics"
                if not DETECTOR.mentioned(text):
                    missed.append(text)
    assert not missed, missed[:20]


def test_the_issues_typo_is_caught_and_the_rest_still_answered() -> None:
    answer = INDEX.answer("sharp pian in hammy when i lowered down")
    assert answer.red_flag and answer.entry is not None and answer.entry.id == KB.red_flags.entry
    assert "pian" not in DETECTOR.without("sharp pian in hammy when i lowered down")


def test_a_misspelt_flag_negated_is_ruled_out_too() -> None:
    assert DETECTOR.ruled_out("no swolen knee, no brusing, just sore")


def test_real_words_are_not_taken_for_flags() -> None:
    for text in ["spelling is hard", "cruise control", "topped out on nordics", "i shouted the count"]:
        assert not DETECTOR.mentioned(text), text


def test_lexical_typo_correction_prefers_the_red_flag_word() -> None:
    assert ("pain",) in INDEX.lexicon.concepts("pian") or any(
        "pain" in c for c in INDEX.lexicon.concepts("pian")
    )
    assert DETECTOR.speller.correct("pian") == "pain"
    assert DETECTOR.speller.correct("plan") is None  # a real word


def test_a_typo_near_two_flag_words_counts_as_the_one_its_phrase_needs() -> None:
    # "knfe" is one edit from "knife" and from "knee": the phrase around it decides
    assert DETECTOR.mentioned("it felt like a knfe in my hammy")
    assert DETECTOR.mentioned("my knfe buckled on the way down")
    assert not DETECTOR.mentioned("knfe hurts a bit from the pad")
