"""Ranking the entries for a question: lexical coverage (bot/answering/lexical.py) blended with sentence
vectors (bot/answering/vectors/semantic.py), and the signals confidence.py weighs for the top entry.

The semantic half is the *closeness* of the question to the entry's example questions in sentence-vector
space; it catches paraphrases that share no word ("legs are toast" for soreness), plus a linear
classifier fitted on those examples, which tells neighbouring entries apart. Either half alone scored
lower on questions written apart from the knowledge base than the blend does.

The letter-run classifier (bot/answering/ngrams.py) then has a vote on *which* entry answers, not on
*whether*: the signals describe the blend's own leader, as before it had a vote, so every abstention is
what it was. Added to the blend itself, so that the answer model saw it too, it scored higher out of fold
(top-1 0.950, abstention 0.986), but a held-out set's abstention fell under its floor; so did three when
the answer model learned whether the voted entry was right (benchmarks/calibrate.py). Nor does the vote
take the safety answer away from a message that ranks it first by meaning.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from bot.answering.confidence import Signals
from bot.answering.lexical import Concept, LexicalIndex
from bot.answering.redflags import RedFlagDetector
from bot.answering.vectors.semantic import Closeness, EntryVectors
from bot.knowledge.base import Entry, KnowledgeBase

# These were chosen on the tuning half of tests/data/eval.yaml and on the development questions (now in
# bot/knowledge/data/messages.yaml), never on a held-out set (benchmarks/calibrate.py prints the figures);
# tests/answering/test_eval.py checks the held-out sets. Whether to answer is bot/answering/answerer.py's.
LEXICAL_WEIGHT = 0.75  # blend = (LEXICAL_WEIGHT * coverage + closeness) / (LEXICAL_WEIGHT + 1)
CLASSIFIER_WEIGHT = 0.25  # ranking = blend + CLASSIFIER_WEIGHT x the linear classifier's score
CANDIDATES = 20
# answer order = blend + LETTERS_WEIGHT x the letter-run classifier's probability. Out of fold on the
# calibration messages, top-1 0.936 without the vote, 0.939 at 0.3, 0.940 at 0.6; on the development sets
# (benchmarks/data) 818, 823 and 827 of 921 right. The smaller weight: at 0.45 and more the letters took
# "any form tips for ham raises?" from the overview entry to the first session's (tests/answering).
LETTERS_WEIGHT = 0.3


@dataclass(frozen=True)
class Ranking:
    """One question's ranking and what it was computed from (kept for the answer model's signals)."""

    concepts: list[Concept]
    lexical: dict[str, float]
    closeness: Closeness | None
    ranked: list[tuple[Entry, float]]  # the answer order: the blend with the letter-run classifier's vote
    blend: list[tuple[str, float]]  # the blend's order (its first two): what the signals describe


class Ranker:
    """Scores every entry for a question, best first; without sentence vectors, by coverage alone."""

    def __init__(
        self,
        kb: KnowledgeBase,
        lexicon: LexicalIndex,
        vectors: EntryVectors | None,
        red_flags: RedFlagDetector,
        letters_weight: float = LETTERS_WEIGHT,
    ) -> None:
        self.kb = kb
        self.letters_weight = letters_weight
        self.lexicon = lexicon
        self.vectors = vectors
        self.red_flags = red_flags
        # small: a ranking holds per-entry scores, and a question is rarely asked twice in a row
        self.ranking = functools.lru_cache(maxsize=512)(self._ranking_uncached)

    def rank(self, question: str, within: str | None = None) -> list[tuple[Entry, float]]:
        """Candidate entries with their score (higher is better), best first, in the order the answer is
        picked from (the blend with the letter-run vote). `within`: the message `question`
        is a part of (its sentence vector is read from the whole message's encoder pass)."""
        return self.ranking(question, within).ranked

    def _ranking_uncached(self, question: str, within: str | None = None) -> Ranking:
        concepts = self.lexicon.concepts(question)
        if not concepts:  # only filler, emoji, ...: nothing to answer
            return Ranking([], {}, None, [], [])
        lexical = self.lexicon.coverage(concepts)
        closeness = None
        if self.vectors is None:
            totals = votes = lexical
        else:
            whole = self.lexicon.corrected(within) if within is not None else None
            closeness = self.vectors.closeness(self.lexicon.corrected(question), whole)
            totals = {
                entry_id: (LEXICAL_WEIGHT * lexical.get(entry_id, 0.0) + cosine) / (LEXICAL_WEIGHT + 1)
                + CLASSIFIER_WEIGHT * closeness.fitted[entry_id]
                for entry_id, cosine in closeness.mixed.items()
            }
            votes = {e: v + self.letters_weight * closeness.letters.get(e, 0.0) for e, v in totals.items()}
        blend = self._ordered(question, totals)
        # the vote never takes the safety answer away: a message that ranks it first by meaning is
        # judged by the answerer's rules for warning signs, denied or not (bot/answering/answerer.py)
        safety_first = bool(blend) and blend[0][0] == self.red_flags.entry
        ranked = blend if safety_first else self._ordered(question, votes)
        entries = [(self.kb.entries[i], score) for i, score in ranked[:CANDIDATES]]
        return Ranking(concepts, lexical, closeness, entries, blend[:2])

    def _ordered(self, question: str, scores: dict[str, float]) -> list[tuple[str, float]]:
        """Best first; the safety entry left out where meaning alone barely puts it first."""
        ordered = sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))
        return ordered[1:] if self.red_flags.unclear(question, ordered) else ordered

    def leader(self, question: str) -> str | None:
        """The blend's first entry: the one the signals describe, and whose being right the answer model
        learns (benchmarks/calibrate.py), whatever the letter-run vote then answers with."""
        blend = self.ranking(question, None).blend
        return blend[0][0] if blend else None

    def signals(self, question: str, within: str | None = None) -> Signals | None:
        """What bot/answering/confidence.py weighs for the blend's leader (None without sentence vectors)."""
        r = self.ranking(question, within)
        if r.closeness is None or not r.blend:
            return None
        top, blend = r.blend[0]
        unknown = sum(1 for concept in r.concepts if not self.lexicon.scores(concept))
        return Signals(
            blend=blend,
            coverage=r.lexical.get(top, 0.0),
            closeness=r.closeness.mixed[top],
            best_cosine=r.closeness.best[top],
            off_topic_gap=r.closeness.off_topic - r.closeness.best[top],
            lead=blend - (r.blend[1][1] if len(r.blend) > 1 else 0.0),
            unknown_share=unknown / len(r.concepts),
            concepts=float(len(r.concepts)),
        )
