"""Typos of the red-flag words ("sharp pian", "swolen", "brusing"), corrected toward the flag.

A warning sign spelled wrong is still a warning sign, so a word one edit (a letter added, dropped,
changed, or two swapped) from a red-flag word counts as that word, whatever else of our vocabulary it is
near: safety wins a tie. A short flag word ("pop") is one edit from too many words for that; only a
letter typed twice ("popp") counts. A real English word is left alone ("spelling" is not "swelling",
"cruise" is not "bruise"), by the same frequency bar the lexical typo correction uses.
"""

from __future__ import annotations

import functools

from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.answering import english
from bot.core.textnorm import is_filler, words

MIN_TARGET = 4  # shorter flag words ("pop", "pee") are one edit from too many others
MIN_TYPO = 3


@functools.cache
def speller_for(phrases: tuple[str, ...]) -> FlagSpeller:
    """One speller per set of safety.yaml phrases (its words; a gap's "..." is not a word), shared by
    the red-flag detector and the lexical index, which must agree on what a typo stands for."""
    return FlagSpeller({w for p in phrases for w in words(p)})


class FlagSpeller:
    """Maps a typo'd word to the red-flag word it is one edit from, if any."""

    def __init__(self, flag_words: set[str] | frozenset[str]) -> None:
        self.flag_words = frozenset(flag_words)
        self._targets = sorted(w for w in self.flag_words if len(w) >= MIN_TARGET)
        self._short = self.flag_words - set(self._targets)  # "pop": only a doubled letter is its typo
        self.candidates = functools.lru_cache(maxsize=8192)(self._candidates_uncached)
        english.load()

    def correct(self, word: str) -> str | None:
        """The red-flag word `word` most likely stands for (itself if it is one), or None."""
        found = self.candidates(word)
        return found[0] if found else None

    def _candidates_uncached(self, word: str) -> tuple[str, ...]:
        """Every red-flag word `word` may stand for, nearest first: a typo can sit one edit from two
        ("knfe" is near "knife" and "knee"), and the phrase around it tells which was meant."""
        if word in self.flag_words:
            return (word,)
        if word.endswith("s") and word[:-1] in self.flag_words and not is_filler(word[:-1]):
            return (word[:-1],)  # "sharp pains", "it pops"
        if len(word) < MIN_TYPO or is_filler(word) or english.english_frequency(word) >= english.REAL_WORD:
            return ()
        doubled = {word[:k] + word[k + 1 :] for k in range(1, len(word)) if word[k] == word[k - 1]}
        if short := sorted(doubled & self._short):
            return tuple(short)  # a letter held down: "popp", too short a word for any other typo
        near = process.extract(word, self._targets, scorer=OSA.distance, score_cutoff=1, limit=None)
        return tuple(str(target) for target, _, _ in sorted(near, key=lambda hit: hit[1]))
