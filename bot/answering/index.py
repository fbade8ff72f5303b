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

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from bot.answering.answerer import Answer, Answerer
from bot.answering.confidence import Signals
from bot.answering.lexical import LexicalIndex
from bot.answering.ranker import Ranker
from bot.answering.redflags import RedFlagDetector
from bot.answering.vectors.encoder import check_model
from bot.answering.vectors.semantic import EntryVectors, entry_vectors
from bot.knowledge.base import Entry, KnowledgeBase

__all__ = ["Answer", "Index"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Parts:
    lexicon: LexicalIndex
    red_flags: RedFlagDetector
    vectors: EntryVectors | None
    ranker: Ranker
    answerer: Answerer


class Index:
    """What the rest of the bot asks of answering: answer, rank, signals and red flags."""

    def __init__(
        self,
        kb: KnowledgeBase,
        threshold: float | None = None,
        *,
        semantic: bool = True,
        vector_db: Path | None = None,
        later: bool = False,
    ) -> None:
        """`threshold`: on the answer model's probability (on coverage with `semantic=False`).
        `vector_db`: an SQLite file that keeps the example questions' vectors across restarts.
        `later`: build nothing yet; `start()` builds in a thread, and the first question waits for
        that build (or starts it). The bot polls Telegram first and then starts it: the sentence model,
        its vectors and the FTS index take 0.5-1.5 s, and onnx's import alone holds the interpreter
        lock for about a second. A missing model package is still refused here, at once."""
        self.kb = kb
        self._parts: _Parts | None = None
        self._error: BaseException | None = None
        self._built = threading.Event()
        self._thread = threading.Thread(
            target=self._build, args=(threshold, semantic, vector_db), name="index", daemon=True
        )
        self._start_lock = threading.Lock()
        if semantic:
            check_model()
        if not later:
            self._build(threshold, semantic, vector_db)
            self.parts()

    def start(self) -> None:
        """Build in a thread, if no build has started yet."""
        with self._start_lock:
            if self._thread.ident is None and not self._built.is_set():
                self._thread.start()

    def _build(self, threshold: float | None, semantic: bool, vector_db: Path | None) -> None:
        try:
            lexicon, red_flags = LexicalIndex(self.kb), RedFlagDetector(self.kb)
            vectors = entry_vectors(self.kb, vector_db) if semantic else None
            ranker = Ranker(self.kb, lexicon, vectors, red_flags)
            self._parts = _Parts(lexicon, red_flags, vectors, ranker, Answerer(ranker, red_flags, threshold))
        except BaseException as exc:  # raised again to whoever asks next
            log.error("could not build the answer index: %s: %s", type(exc).__name__, exc)
            self._error = exc
        finally:
            self._built.set()

    def parts(self) -> _Parts:
        """The built parts, once they are built (starting the build if nothing has)."""
        self.start()
        self._built.wait()
        if self._error is not None:
            raise self._error
        assert self._parts is not None
        return self._parts

    @property
    def lexicon(self) -> LexicalIndex:
        return self.parts().lexicon

    @property
    def red_flags(self) -> RedFlagDetector:
        return self.parts().red_flags

    @property
    def vectors(self) -> EntryVectors | None:
        return self.parts().vectors

    @property
    def ranker(self) -> Ranker:
        return self.parts().ranker

    @property
    def answerer(self) -> Answerer:
        return self.parts().answerer

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
