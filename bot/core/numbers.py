"""Numbers as people type or say them: digits, words ("three", "twice") and roman numerals ("III").

One table for every feature: rep counts, soreness scores and the voice recogniser's vocabulary.
"""

from __future__ import annotations

import re
from typing import Literal

# The counting words in order, so SPOKEN[n] says n (twenty-one to twenty-nine are said as two words).
SPOKEN = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty"
).split()
NUMBER_WORDS: dict[str, int] = {
    **{word: value for value, word in enumerate(SPOKEN)},
    "thirty": 30,
    "none": 0,
    "nothing": 0,
    "nil": 0,
    "once": 1,
    "twice": 2,
}


def say_number(value: int) -> str:
    """0..99 as spoken words: 3 -> "three", 24 -> "twenty four"."""
    if value < len(SPOKEN):
        return SPOKEN[value]
    tens = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
    head, unit = divmod(value, 10)
    return tens[head] + (f" {SPOKEN[unit]}" if unit else "")


_ROMAN = re.compile(r"^(x{0,3})(ix|iv|v?i{0,3})$")
_ROMAN_VALUES = {"i": 1, "v": 5, "x": 10}


def roman(text: str) -> int | None:
    """A lowercase roman numeral up to 39 ("iii" -> 3), else None."""
    if not text or not _ROMAN.match(text):
        return None
    total = 0
    for i, ch in enumerate(text):
        value = _ROMAN_VALUES[ch]
        total += -value if i + 1 < len(text) and _ROMAN_VALUES[text[i + 1]] > value else value
    return total


_FILLER = {
    "rep", "reps", "repetition", "repetitions", "x", "i", "did", "done", "got", "managed", "made",
    "just", "only", "about", "around", "maybe", "like", "full", "good", "slow", "lowerings", "lowering",
    "times", "time", "of", "them", "it", "in", "this", "set", "that", "so", "ok", "okay", "total", "a", "an",
    "or", "to", "and", "is", "s", "d", "m", "say", "would", "score", "soreness", "sore", "my",
}  # fmt: skip
_TOKEN = re.compile(r"-?\d+(?:[.,]\d+)?|[a-z]+")
_OUT_OF_TEN = re.compile(r"\s*(?:/|out of)\s*(?:10|ten)\b")

# A count, or why not: "bad" looks like one we cannot use, "none" is not about a count at all.
Count = int | Literal["bad", "none"]


def parse_count(text: str) -> Count:
    """A typed or spoken count: "3", "3 reps", "three", "III", "I did 4", "a 4 out of 10" -> int.

    "bad" means it looks like a count but is not one we can log (negative, a fraction, two different
    numbers); "none" means it is not about a count at all (likely a question).
    """
    lowered = _OUT_OF_TEN.sub(" ", text.strip().lower().rstrip("!."))
    if not lowered or "?" in lowered:
        return "none"
    whole = lowered.replace(" ", "")
    if len(whole) <= 8 and whole.isalpha() and (value := roman(whole)) is not None:
        return value
    numbers: list[int] = []
    bad = False
    for token in _TOKEN.findall(lowered):
        if token[0].isdigit() or token[0] == "-":
            if token.startswith("-") or "." in token or "," in token:
                bad = True
            else:
                numbers.append(int(token))
        elif token in NUMBER_WORDS:
            numbers.append(NUMBER_WORDS[token])
        elif token not in _FILLER:
            return "none"
    if bad:
        return "bad"
    if not numbers:
        return "none"
    if len(set(numbers)) > 1:
        return "bad"
    return numbers[0]
