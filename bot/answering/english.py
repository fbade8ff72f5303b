"""English word frequencies (pyspellchecker's bundled list), loaded once.

Typo correction must not turn a real word into one of ours ("powder" into "power"), and an unknown
but very common word ("best") says less about a question than an unknown rare one ("deadlift").
"""

from __future__ import annotations

import functools

from spellchecker import SpellChecker

REAL_WORD = 1e-7  # English words at least this frequent are real words, never typos of ours


@functools.cache
def _checker() -> SpellChecker:
    return SpellChecker(language="en", distance=1)


def load() -> None:
    """Load the list now: it takes about 0.14 s, which start-up can pay better than the first person
    whose question has a word the knowledge base lacks."""
    _checker()


@functools.lru_cache(maxsize=16384)
def english_frequency(word: str) -> float:
    """Share of English text that is `word` (0.0 when unknown)."""
    return float(_checker().word_usage_frequency(word.lower()))
