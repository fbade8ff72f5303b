"""Numbers as people type or say them: digits, words ("three", "twice") and roman numerals ("III").

One table for every feature: rep counts, soreness scores and the voice recogniser's vocabulary.
"""

from __future__ import annotations

import re

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
