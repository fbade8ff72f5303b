"""Red flags: the phrases of safety.yaml that always get the safety answer, and when the safety entry may
be chosen by meaning alone.

A false alarm tells a sore lifter to see a clinician, so an entry ranked first by meaning alone (no
phrase in the message) must lead clearly. On the tuning and development questions the safety entry led
the next by 0.25 or more when it was right ("leg feels weak and i cant bend it") and by 0.06 or less
when it was not ("legs destroyed after nordics why"). Phrases always win.
"""

from __future__ import annotations

import re

from bot.core.textnorm import words
from bot.knowledge.base import KnowledgeBase

RED_FLAG_LEAD = 0.1  # how far the safety entry chosen by meaning alone must lead the next entry


class RedFlagDetector:
    """Finds the knowledge's red-flag phrases in a message, on word boundaries."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.entry = kb.red_flags.entry  # the safety entry's id
        self._patterns = [
            re.compile(r"\b" + r"\s+".join(map(re.escape, words(p))) + r"\b")
            for p in kb.red_flags.phrases
            if words(p)
        ]

    def mentioned(self, question: str) -> bool:
        """Whether the message uses a red-flag phrase."""
        text = " ".join(words(question))
        return any(p.search(text) for p in self._patterns)

    def without(self, question: str) -> str:
        """The message's words with every red-flag phrase taken out (what else it asks)."""
        rest = " ".join(words(question))
        for pattern in self._patterns:
            rest = pattern.sub(" ", rest)
        return rest

    def unclear(self, question: str, ranked: list[tuple[str, float]]) -> bool:
        """Whether the safety entry tops the ranking by meaning alone, barely ahead of the next entry."""
        if len(ranked) < 2 or ranked[0][0] != self.entry or self.mentioned(question):
            return False
        return ranked[0][1] - ranked[1][1] < RED_FLAG_LEAD
