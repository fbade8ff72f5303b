"""Question answering over the knowledge base, built once at start-up from its parts:

- bot/answering/lexical.py: SQLite FTS5 (porter stemming, bm25) with synonyms and typo correction,
  scored as coverage of the question's concepts;
- bot/answering/vectors/semantic.py: closeness to the entries' example questions in sentence-vector
  space, and a classifier fitted on them;
- bot/answering/redflags.py: the red-flag phrases that always get the safety answer, typos included,
  unless the message denies them (negation.py);
- bot/answering/ranker.py: the blend of both halves into one ranking, and the signals of its top entry;
- bot/answering/answerer.py: answer or say "I don't know" instead of guessing (confidence.py's model).
"""

from __future__ import annotations

from pathlib import Path

from bot.answering.answerer import Answer, Answerer
from bot.answering.confidence import Signals
from bot.answering.lexical import LexicalIndex
from bot.answering.ranker import Ranker
from bot.answering.redflags import RedFlagDetector
from bot.answering.vectors.semantic import EntryVectors, entry_vectors
from bot.knowledge.base import Entry, KnowledgeBase

__all__ = ["Answer", "Index"]


class Index:
    """What the rest of the bot asks of answering: answer, rank, signals and red flags."""

    def __init__(
        self,
        kb: KnowledgeBase,
        threshold: float | None = None,
        *,
        semantic: bool = True,
        vector_db: Path | None = None,
    ) -> None:
        """`threshold`: on the answer model's probability (on coverage with `semantic=False`).
        `vector_db`: an SQLite file that keeps the example questions' vectors across restarts."""
        self.kb = kb
        self.lexicon = LexicalIndex(kb)
        self.red_flags = RedFlagDetector(kb)
        self.vectors: EntryVectors | None = entry_vectors(kb, vector_db) if semantic else None
        self.ranker = Ranker(kb, self.lexicon, self.vectors, self.red_flags)
        self.answerer = Answerer(self.ranker, self.red_flags, threshold)

    def answer(self, question: str) -> Answer:
        """The best entry if it is likely right, else an honest no-match; red flags first."""
        return self.answerer.answer(question)

    def rank(self, question: str) -> list[tuple[Entry, float]]:
        """Candidate entries with their score in [0, 1], best first."""
        return self.ranker.rank(question)

    def signals(self, question: str) -> Signals | None:
        """What bot/answering/confidence.py weighs for the top entry (None without sentence vectors)."""
        return self.ranker.signals(question)

    def is_red_flag(self, question: str) -> bool:
        """Whether the answer leads with the safety entry: a red-flag phrase of safety.yaml the message
        does not deny, or a clear lead by meaning. The same as `answer(question).red_flag`, so what a
        check-in or a session does about it agrees with what the reply says."""
        return self.answer(question).red_flag
