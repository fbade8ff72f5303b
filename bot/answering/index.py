"""Question answering over the knowledge base: SQLite FTS5 (porter stemming, bm25) plus synonyms
and typo correction, blended with sentence vectors, and a score that lets the bot say "I don't know"
instead of guessing.

The lexical half is *coverage*: the share of the question's concepts that an entry mentions, each
concept scored by bm25. An off-topic question ("best bench program") shares a word or two with the
knowledge base at most, so its coverage stays low whatever bm25 says. The semantic half
(bot/answering/vectors/semantic.py) is the *closeness* of the question to the entry's example
questions in sentence-vector space; it catches paraphrases that share no word ("legs are toast" for
soreness), plus a linear classifier fitted on those examples, which tells neighbouring entries apart.
Either half alone scored lower on questions written apart from the knowledge base than the blend does.
Whether the top entry is good enough to answer is bot/answering/confidence.py's call.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils
from rapidfuzz import fuzz, process

from bot.answering import english
from bot.answering.confidence import ANSWER_AT, Signals, answers, probability
from bot.answering.vectors.semantic import Closeness, EntryVectors, entry_vectors
from bot.core.textnorm import MAX_TOKENS, is_filler, words
from bot.knowledge.base import Entry, KnowledgeBase

# These were chosen on the tuning half of tests/data/eval.yaml and on the development questions (now in
# bot/knowledge/data/messages.yaml), never on a held-out set (benchmarks/calibrate.py prints the figures);
# tests/test_eval.py checks the held-out sets. Whether to answer is bot/answering/confidence.py's call.
LEXICAL_WEIGHT = 0.75  # blend = (LEXICAL_WEIGHT * coverage + closeness) / (LEXICAL_WEIGHT + 1)
CLASSIFIER_WEIGHT = 0.25  # ranking = blend + CLASSIFIER_WEIGHT x the linear classifier's score
LEXICAL_THRESHOLD = 0.4  # on coverage, when sentence vectors are off (Index(semantic=False))
TYPO_CUTOFF = 84.0
UNKNOWN_FACTOR = 1.5
REAL_WORD = 1e-7  # English words at least this frequent are not "corrected" into our vocabulary
COMMON_WORD = 1e-4
COMMON_WORD_SHARE = 0.5
MAX_SYNONYM_WORDS = 4
CANDIDATES = 20
# The safety entry chosen by meaning alone (no red-flag phrase in the message) must lead the next entry by
# this much. On the tuning and development questions the safety entry led by 0.25 or more when it was
# right ("leg feels weak and i cant bend it") and by 0.06 or less when it was not ("legs destroyed after
# nordics why"); a false alarm tells a sore lifter to see a clinician. Phrases always win (safety.yaml).
RED_FLAG_LEAD = 0.1
# Column weights for bm25: title, questions, tags, answer.
WEIGHTS = (3.0, 2.0, 3.0, 1.0)

Concept = tuple[str, ...]  # alternative phrases, each a space-joined token string


@dataclass(frozen=True)
class _Ranking:
    """One question's ranking and what it was computed from (kept for the answer model's signals)."""

    concepts: list[Concept]
    lexical: dict[str, float]
    closeness: Closeness | None
    ranked: list[tuple[Entry, float]]


@dataclass(frozen=True)
class Answer:
    """What the bot found for one question."""

    question: str
    entry: Entry | None  # the red-flags entry whenever a red flag is mentioned
    score: float
    red_flag: bool = False
    also: Entry | None = None  # with a red flag: the answer to the rest of the question, if any

    @property
    def matched(self) -> bool:
        return self.entry is not None


class Index:
    """An in-memory FTS5 index of the knowledge base, built once at start-up."""

    def __init__(
        self,
        kb: KnowledgeBase,
        threshold: float | None = None,
        *,
        semantic: bool = True,
        vector_db: Path | None = None,
    ) -> None:
        """`vector_db`: an SQLite file that keeps the example questions' vectors across restarts."""
        self.kb = kb
        # with sentence vectors: the probability the top entry is right; without: its coverage
        self.threshold = threshold if threshold is not None else ANSWER_AT if semantic else LEXICAL_THRESHOLD
        self.db = sqlite_utils.Database(memory=True)
        rows = [
            {
                "id": e.id,
                "title": e.title,
                "questions": "\n".join(kb.examples(e)),
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
        self._fuzzy_vocab = sorted(w for w in vocab if len(w) >= 4 and not is_filler(w))
        self._red_flags = [
            re.compile(r"\b" + r"\s+".join(map(re.escape, words(p))) + r"\b")
            for p in kb.red_flags.phrases
            if words(p)
        ]
        self._scores = functools.lru_cache(maxsize=8192)(self._scores_uncached)
        self._correct = functools.lru_cache(maxsize=4096)(self._correct_uncached)
        english.load()
        self.vectors: EntryVectors | None = entry_vectors(kb, vector_db) if semantic else None
        # small: a ranking holds per-entry scores, and a question is rarely asked twice in a row
        self._ranking = functools.lru_cache(maxsize=512)(self._ranking_uncached)

    @staticmethod
    def _synonym_map(groups: list[tuple[str, ...]]) -> dict[tuple[str, ...], Concept]:
        out: dict[tuple[str, ...], Concept] = {}
        for group in groups:
            phrases = tuple(dict.fromkeys(" ".join(words(p)) for p in group if words(p)))
            for phrase in phrases:
                key = tuple(phrase.split())
                out[key] = tuple(dict.fromkeys(out.get(key, ()) + phrases))
        return out

    def _scores_uncached(self, concept: Concept) -> dict[str, float]:
        """bm25 of every entry matching one concept, scaled so the best entry gets 1.0.

        Scoring concept by concept (instead of one big OR query) stops a synonym group with many
        members, such as all the names of the exercise, from outweighing the word that matters.
        """
        sql = (
            "select docs.id, bm25(docs_fts, {w}) from docs join docs_fts on docs.rowid = docs_fts.rowid "
            "where docs_fts match ?"
        ).format(w=", ".join(map(str, WEIGHTS)))
        rows = self.db.execute(sql, [_fts_query([concept])]).fetchall()
        if not rows:
            return {}
        best = min(score for _, score in rows)  # bm25 is negative: lower is better
        return {entry_id: (score / best if best else 1.0) for entry_id, score in rows}

    def _correct_uncached(self, word: str) -> str:
        """The knowledge base's spelling of a typo'd word, or the word itself."""
        if (
            word in self._vocab
            or len(word) < 4
            or self._scores((word,))
            or english.english_frequency(word) >= REAL_WORD
        ):
            return word
        best = process.extractOne(word, self._fuzzy_vocab, scorer=fuzz.ratio, score_cutoff=TYPO_CUTOFF)
        return str(best[0]) if best else word

    def concepts(self, question: str) -> list[Concept]:
        """The question's concepts: synonym phrases matched greedily, other words on their own."""
        tokens = [w if is_filler(w) else self._correct(w) for w in words(question)[: 3 * MAX_TOKENS]]
        out: list[Concept] = []
        i = 0
        while i < len(tokens) and len(out) < MAX_TOKENS:
            for n in range(min(MAX_SYNONYM_WORDS, len(tokens) - i), 0, -1):
                key = tuple(tokens[i : i + n])
                if key in self._synonyms and (n > 1 or not is_filler(key[0])):
                    out.append(self._synonyms[key])
                    i += n
                    break
            else:
                if not is_filler(tokens[i]):
                    out.append((tokens[i],))
                i += 1
        return list(dict.fromkeys(out))

    def is_red_flag(self, question: str) -> bool:
        text = " ".join(words(question))
        return any(p.search(text) for p in self._red_flags)

    def rank(self, question: str) -> list[tuple[Entry, float]]:
        """Candidate entries with their score in [0, 1], best first."""
        return self._ranking(question).ranked

    def _ranking_uncached(self, question: str) -> _Ranking:
        concepts = self.concepts(question)
        if not concepts:  # only filler, emoji, ...: nothing to answer
            return _Ranking([], {}, None, [])
        lexical = self.coverage(concepts)
        closeness = None
        if self.vectors is None:
            totals = lexical
        else:
            closeness = self.vectors.closeness(question)
            totals = {
                entry_id: (LEXICAL_WEIGHT * lexical.get(entry_id, 0.0) + cosine) / (LEXICAL_WEIGHT + 1)
                + CLASSIFIER_WEIGHT * closeness.fitted[entry_id]
                for entry_id, cosine in closeness.mixed.items()
            }
        ranked = sorted(totals.items(), key=lambda pair: (-pair[1], pair[0]))
        if self._unclear_red_flag(question, ranked):
            ranked = ranked[1:]
        ranked = ranked[:CANDIDATES]
        return _Ranking(concepts, lexical, closeness, [(self.kb.entries[i], score) for i, score in ranked])

    def _unclear_red_flag(self, question: str, ranked: list[tuple[str, float]]) -> bool:
        """Whether the safety entry tops the ranking by meaning alone, barely ahead of the next entry."""
        if len(ranked) < 2 or ranked[0][0] != self.kb.red_flags.entry or self.is_red_flag(question):
            return False
        return ranked[0][1] - ranked[1][1] < RED_FLAG_LEAD

    def signals(self, question: str) -> Signals | None:
        """What bot/answering/confidence.py weighs for the top entry (None without sentence vectors)."""
        r = self._ranking(question)
        if r.closeness is None or not r.ranked:
            return None
        top, blend = r.ranked[0][0].id, r.ranked[0][1]
        unknown = sum(1 for concept in r.concepts if not self._scores(concept))
        return Signals(
            blend=blend,
            coverage=r.lexical.get(top, 0.0),
            closeness=r.closeness.mixed[top],
            best_cosine=r.closeness.best[top],
            off_topic_gap=r.closeness.off_topic - r.closeness.best[top],
            lead=blend - (r.ranked[1][1] if len(r.ranked) > 1 else 0.0),
            unknown_share=unknown / len(r.concepts),
            concepts=float(len(r.concepts)),
        )

    def coverage(self, concepts: list[Concept]) -> dict[str, float]:
        """Entry id -> the weighted share of the question's concepts the entry covers, in [0, 1].

        Each concept counts with an idf-like weight (a word in every entry says little); an entry
        earns a concept's weight times its scaled bm25 for it. Words the knowledge base has never
        seen keep full weight, so off-topic questions ("best bench program") score low.
        """
        totals: dict[str, float] = {}
        weight_sum = 0.0
        for concept in concepts:
            scores = self._scores(concept)
            weight = self._weight(len(scores)) if scores else self._unknown_weight(concept[0])
            weight_sum += weight
            for entry_id, scaled in scores.items():
                totals[entry_id] = totals.get(entry_id, 0.0) + weight * scaled
        if weight_sum == 0:
            return {}
        return {entry_id: total / weight_sum for entry_id, total in totals.items()}

    def _weight(self, matching: int) -> float:
        """How much a known concept says: rare in the knowledge base says a lot."""
        n = len(self.kb.entries)
        return math.log((n + 1) / (min(matching, n) + 0.5))

    def _unknown_weight(self, word: str) -> float:
        """A word the knowledge base never uses probably names what we don't cover ("deadlift"),
        unless it is one of the commonest English words ("best", "work"), which says less."""
        full = UNKNOWN_FACTOR * math.log(2 * (len(self.kb.entries) + 1))
        return full * COMMON_WORD_SHARE if english.english_frequency(word) >= COMMON_WORD else full

    def answer(self, question: str) -> Answer:
        """The best entry if it is likely right, else an honest no-match. `score` is that likelihood
        (with sentence vectors) or the coverage (without)."""
        best, score = self._confident(question)
        flag = self.kb.entries[self.kb.red_flags.entry]
        if self.is_red_flag(question) or best is flag:
            return Answer(question, flag, 1.0, red_flag=True, also=self._rest_of(question, flag))
        return Answer(question, best, score)

    def _rest_of(self, question: str, flag: Entry) -> Entry | None:
        """The answer to what else a red-flag message asks, judged without the red-flag words."""
        rest = " ".join(words(question))
        for pattern in self._red_flags:
            rest = pattern.sub(" ", rest)
        best, _ = self._confident(rest)
        return best if best is not None and best.id != flag.id else None

    def _confident(self, question: str) -> tuple[Entry | None, float]:
        """(the top entry if its score reaches the threshold, else None; the score)."""
        ranked = self.rank(question)
        if not ranked:
            return None, 0.0
        signals = self.signals(question)
        if signals is None:  # lexical only: the coverage decides
            score = ranked[0][1]
            return (ranked[0][0] if score >= self.threshold else None), score
        score = probability(signals)
        return (ranked[0][0] if answers(signals, score, self.threshold) else None), score


def _fts_query(concepts: list[Concept]) -> str:
    """An FTS5 MATCH expression; every phrase is quoted, so user text can't inject syntax."""
    groups = []
    for concept in concepts:
        phrases = [" ".join(w for w in words(p)) for p in concept]
        quoted = [f'"{p}"' for p in phrases if p]
        if quoted:
            groups.append("(" + " OR ".join(quoted) + ")")
    return " OR ".join(groups) or '""'
