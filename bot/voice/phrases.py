"""Transcripts and expected replies as comparable words: digits spelled out ("3" -> "three", since the
matcher and the expected phrases say numbers in words), and the fuzzy pick of the expected reply a
transcript says. Pure functions, no model in here.

Fuzzy matching runs only while the chat expects replies (a non-empty list): on an open question it
would turn "what is DOMS" into "what now".
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rapidfuzz import fuzz, process

from bot.core.numbers import SPOKEN

TENS = {2: "twenty", 3: "thirty", 4: "forty", 5: "fifty", 6: "sixty", 7: "seventy", 8: "eighty", 9: "ninety"}
_NUMBER = re.compile(r"(?<![\w.:])(\d{1,2})(?![\w:]|\.\d)")
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)*")
# how a recogniser may spell a word differently from the phrase list
SAME = {"okay": "ok", "alright": "all right"}
FUZZY_FLOOR = 85.0  # rapidfuzz ratio (0-100) of whole phrases below which a transcript picks nothing


def number_words(n: int) -> str:
    """0-99 in words: 3 -> "three", 42 -> "forty two"."""
    if n < len(SPOKEN):
        return SPOKEN[n]
    tens, ones = divmod(n, 10)
    return TENS[tens] + (f" {SPOKEN[ones]}" if ones else "")


def spell_numbers(text: str) -> str:
    """Digits in a transcript as words ("I did 3 reps." -> "I did three reps."); larger numbers, decimals
    and times are left as they are."""
    return _NUMBER.sub(lambda m: number_words(int(m.group(1))), text)


def plain(text: str) -> str:
    """Lowercase words only, numbers spelled, apostrophes kept: "No, I'm fine!" -> "no i'm fine"."""
    text = spell_numbers(text.lower().replace("\u2019", "'"))
    return " ".join(SAME.get(word, word) for word in _WORD.findall(text))


def exact(text: str, expected: Sequence[str]) -> str:
    """The expected phrase the transcript says word for word, or ""."""
    said = plain(text)
    return next((phrase for phrase in expected if said and plain(phrase) == said), "")


def similarity(a: str, b: str) -> float:
    """How alike two plain texts are, letter by letter, 0-100."""
    return float(fuzz.ratio(a, b))


def closest(text: str, expected: Sequence[str], floor: float = FUZZY_FLOOR) -> str:
    """The expected phrase the transcript says, word for word or nearly ("it's gone carry on",
    "no im fine"), or "" when none is close; never a pick when nothing is expected."""
    said = plain(text)
    if not said or not expected:
        return ""
    if found := exact(said, expected):
        return found
    best = process.extractOne(said, [plain(p) for p in expected], scorer=fuzz.ratio, score_cutoff=floor)
    return expected[best[2]] if best else ""
