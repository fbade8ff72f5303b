"""Soreness scores: reading what a user typed ('7', 'seven', 'about 7 out of 10', '6.5') as 0-10.

Number words come from bot/core/numbers.py, the one parser shared with reps and the voice vocabulary.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

from bot.core.numbers import NUMBER_WORDS

MAX_SCORE = 10

# Words around a score that say nothing about it ("I'd say about a 7").
FILLER = set(
    "about around maybe probably roughly like say i'd id i would it's its it is a an my score soreness"
    " sore hmm um uh ok okay so solid strong now today right currently level rate rating just".split()
)
TOKEN = re.compile(r"-?\d+(?:[.,]\d+)?|[a-z']+|/")


@dataclass(frozen=True)
class ScoreReading:
    """What a typed answer says: a score, a number outside 0-10, or no score at all."""

    kind: Literal["score", "out_of_range", "not_a_score"]
    score: int | None = None


def _value(token: str) -> float | None:
    if token in NUMBER_WORDS:
        return float(NUMBER_WORDS[token])
    try:
        value = float(token.replace(",", "."))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def parse_score(text: str) -> ScoreReading:
    """Read '7', '7/10', 'seven', 'about 7 out of 10', '6.5'; halves round up, like a person would."""
    tokens = [t for t in TOKEN.findall(text.casefold()[:200]) if t not in FILLER]
    if tokens[-3:] in (["out", "of", "10"], ["out", "of", "ten"]):
        tokens = [*tokens[:-3], "/", "10"]
    elif tokens[-2:] in (["of", "10"], ["of", "ten"]):
        tokens = [*tokens[:-2], "/", "10"]
    scale = None
    if len(tokens) == 3 and tokens[1] == "/":
        scale = _value(tokens[2])
        tokens = tokens[:1]
    if len(tokens) != 1:
        return ScoreReading("not_a_score")
    value = _value(tokens[0])
    if value is None:
        return ScoreReading("not_a_score")
    if scale is not None and scale != MAX_SCORE:
        return ScoreReading("out_of_range")
    if not 0 <= value <= MAX_SCORE:
        return ScoreReading("out_of_range")
    return ScoreReading("score", min(MAX_SCORE, math.floor(value + 0.5)))


_DIGITS = re.compile(r"(?<![\d.,/-])\d{1,2}(?![\d.,]\d)")
_SPOKEN_SCORE = {
    w: n
    for w, n in NUMBER_WORDS.items()
    if n <= MAX_SCORE and w not in ("none", "nothing", "nil", "once", "twice", "one")
}


def score_in(text: str) -> int | None:
    """The one soreness score a longer message gives ("it's a 6 but I have sharp pain"), else None:
    a single number 0-10, in digits or words; "one" is left out ("one leg"), two numbers are unclear."""
    low = text.casefold()[:500]
    found = {int(d) for d in _DIGITS.findall(low)}
    found |= {_SPOKEN_SCORE[w] for w in TOKEN.findall(low) if w in _SPOKEN_SCORE}
    if len(found) != 1:
        return None
    [value] = found
    return value if 0 <= value <= MAX_SCORE else None
