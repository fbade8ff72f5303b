"""Question answering over the knowledge base: SQLite FTS5 (porter stemming, bm25) plus synonyms
and typo correction, with a coverage score that lets the bot say "I don't know" instead of guessing.

Ranking is FTS5's bm25. Abstention uses *coverage*: the share of the question's concepts that the
best entry actually mentions. An off-topic question ("best bench program") shares a word or two with
the knowledge base at most, so its coverage stays low whatever bm25 says.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass

import sqlite_utils
from rapidfuzz import fuzz, process

from bot.knowledge import Entry, KnowledgeBase
from bot.textnorm import STOPWORDS, content_words, words

# Tuned on the tuning half of tests/data/eval.yaml only (see benchmarks/tune.py); the held-out half
# is checked by tests/test_eval.py.
THRESHOLD = 0.6
TYPO_CUTOFF = 84.0
MAX_SYNONYM_WORDS = 4
CANDIDATES = 20
# Column weights for bm25: title, questions, tags, answer.
WEIGHTS = (3.0, 2.0, 3.0, 1.0)

Concept = tuple[str, ...]  # alternative phrases, each a space-joined token string


@dataclass(frozen=True)
class Answer:
    """What the bot found for one question."""

    question: str
    entry: Entry | None
    score: float
    red_flag: bool = False

    @property
    def matched(self) -> bool:
        return self.entry is not None


class Index:
    """An in-memory FTS5 index of the knowledge base, built once at start-up."""

    def __init__(self, kb: KnowledgeBase, threshold: float = THRESHOLD) -> None:
        self.kb = kb
        self.threshold = threshold
        self.db = sqlite_utils.Database(memory=True)
        rows = [
            {
                "id": e.id,
                "title": e.title,
                "questions": "\n".join(e.questions),
                "tags": " ".join(e.tags),
                "answer": e.answer,
            }
            for e in kb.entries.values()
        ]
        table = self.db.table("docs")
        table.insert_all(rows, pk="id")
        table.enable_fts(["title", "questions", "tags", "answer"], tokenize="porter unicode61")
        table.populate_fts(["title", "questions", "tags", "answer"])
        self._synonyms = self._synonym_map(kb.synonyms)
        vocab = {w for r in rows for col in ("title", "questions", "tags", "answer") for w in words(r[col])}
        vocab |= {w for phrase in self._synonyms for w in phrase}
        self._vocab = frozenset(vocab)
        self._fuzzy_vocab = sorted(w for w in vocab if len(w) >= 4 and w not in STOPWORDS)
        self._red_flags = [
            re.compile(r"\b" + r"\s+".join(map(re.escape, words(p))) + r"\b")
            for p in kb.red_flags.phrases
            if words(p)
        ]
        self._entries_for = functools.lru_cache(maxsize=4096)(self._entries_matching)
        self._correct = functools.lru_cache(maxsize=4096)(self._correct_uncached)

    @staticmethod
    def _synonym_map(groups: list[tuple[str, ...]]) -> dict[tuple[str, ...], Concept]:
        out: dict[tuple[str, ...], Concept] = {}
        for group in groups:
            phrases = tuple(dict.fromkeys(" ".join(words(p)) for p in group if words(p)))
            for phrase in phrases:
                key = tuple(phrase.split())
                out[key] = tuple(dict.fromkeys(out.get(key, ()) + phrases))
        return out

    def _entries_matching(self, concept: Concept) -> frozenset[str]:
        sql = "select docs.id from docs join docs_fts on docs.rowid = docs_fts.rowid where docs_fts match ?"
        return frozenset(row[0] for row in self.db.execute(sql, [_fts_query([concept])]).fetchall())

    def _correct_uncached(self, word: str) -> str:
        """The knowledge base's spelling of a typo'd word, or the word itself."""
        if word in self._vocab or len(word) < 4 or self._entries_matching((word,)):
            return word
        best = process.extractOne(word, self._fuzzy_vocab, scorer=fuzz.ratio, score_cutoff=TYPO_CUTOFF)
        return str(best[0]) if best else word

    def concepts(self, question: str) -> list[Concept]:
        """The question's concepts: synonym phrases matched greedily, other words on their own."""
        tokens = [self._correct(w) for w in content_words(question)]
        out: list[Concept] = []
        i = 0
        while i < len(tokens):
            for n in range(min(MAX_SYNONYM_WORDS, len(tokens) - i), 0, -1):
                key = tuple(tokens[i : i + n])
                if key in self._synonyms:
                    out.append(self._synonyms[key])
                    i += n
                    break
            else:
                out.append((tokens[i],))
                i += 1
        return list(dict.fromkeys(out))

    def is_red_flag(self, question: str) -> bool:
        text = " ".join(words(question))
        return any(p.search(text) for p in self._red_flags)

    def rank(self, question: str) -> list[tuple[Entry, float]]:
        """Candidate entries with their coverage, best first."""
        concepts = self.concepts(question)
        if not concepts:
            return []
        sql = (
            "select docs.id from docs join docs_fts on docs.rowid = docs_fts.rowid "
            f"where docs_fts match ? order by bm25(docs_fts, {', '.join(map(str, WEIGHTS))}) limit ?"
        )
        ids = [row[0] for row in self.db.execute(sql, [_fts_query(concepts), CANDIDATES]).fetchall()]
        sets = [self._entries_for(c) for c in concepts]
        weights = [self._weight(len(s)) for s in sets]
        total = sum(weights)
        scored = [
            (self.kb.entries[i], sum(w for s, w in zip(sets, weights, strict=True) if i in s) / total)
            for i in ids
        ]
        # bm25 order is kept among equal coverage (sorted() is stable).
        return sorted(scored, key=lambda pair: -pair[1])

    def _weight(self, matching: int) -> float:
        """How much a concept says: rare in the knowledge base says a lot; unknown words count fully,
        so "bench" or "marathon" pull an off-topic question's coverage down."""
        n = len(self.kb.entries)
        return math.log((n + 1) / (min(matching, n) + 0.5)) if matching else math.log(2 * (n + 1))

    def answer(self, question: str) -> Answer:
        """The best entry if it covers enough of the question, else an honest no-match."""
        red_flag = self.is_red_flag(question)
        ranked = self.rank(question)
        if ranked and ranked[0][1] >= self.threshold:
            entry, score = ranked[0]
            return Answer(question, entry, score, red_flag)
        return Answer(question, None, ranked[0][1] if ranked else 0.0, red_flag)


def _fts_query(concepts: list[Concept]) -> str:
    """An FTS5 MATCH expression; every phrase is quoted, so user text can't inject syntax."""
    groups = []
    for concept in concepts:
        phrases = [" ".join(w for w in words(p)) for p in concept]
        quoted = [f'"{p}"' for p in phrases if p]
        if quoted:
            groups.append("(" + " OR ".join(quoted) + ")")
    return " OR ".join(groups) or '""'
