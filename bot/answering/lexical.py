"""The lexical half of answering: an SQLite FTS5 index of the entries (porter stemming, bm25), the
knowledge's synonyms and typo correction over its vocabulary, scored as *coverage*.

Coverage is the share of the question's concepts that an entry mentions, each concept scored by bm25.
An off-topic question ("best bench program") shares a word or two with the knowledge base at most, so
its coverage stays low whatever bm25 says.
"""

from __future__ import annotations

import functools
import math
import sqlite3

import sqlite_utils
from rapidfuzz import fuzz, process

from bot.answering import english
from bot.answering.spelling import speller_for
from bot.core.textnorm import MAX_TOKENS, is_filler, words
from bot.knowledge.base import KnowledgeBase

TYPO_CUTOFF = 84.0
UNKNOWN_FACTOR = 1.5
REAL_WORD = english.REAL_WORD  # English words at least this frequent are not "corrected" into our vocabulary
COMMON_WORD = 1e-4
COMMON_WORD_SHARE = 0.5
MAX_SYNONYM_WORDS = 4
# Column weights for bm25: title, questions, tags, answer.
WEIGHTS = (3.0, 2.0, 3.0, 1.0)
COLUMNS = ("title", "questions", "tags", "answer")

Concept = tuple[str, ...]  # alternative phrases, each a space-joined token string


class LexicalIndex:
    """An in-memory FTS5 index of the knowledge base with its synonyms and vocabulary, built once."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        # Built in the index's thread (bot/answering/index.py), then read by whoever answers.
        self.db = sqlite_utils.Database(sqlite3.connect(":memory:", check_same_thread=False))
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
        table.enable_fts(list(COLUMNS), tokenize="porter unicode61")
        table.populate_fts(list(COLUMNS))
        self._synonyms = synonym_map(kb.synonyms)
        self._exercise_phrases = [tuple(words(p)) for p in kb.exercise_phrases]
        self._exercise = self._synonyms.get(tuple(words(kb.exercise)))
        vocab = {w for r in rows for col in COLUMNS for w in words(r[col])}
        vocab |= {w for phrase in self._synonyms for w in phrase}
        self._vocab = frozenset(vocab)
        self._fuzzy_vocab = sorted(w for w in vocab if len(w) >= 4 and not is_filler(w))
        self._fuzzy_vocab_set = frozenset(self._fuzzy_vocab)
        self._flags = speller_for(kb.red_flags.phrases)
        self.scores = functools.lru_cache(maxsize=8192)(self._scores_uncached)
        self._correct = functools.lru_cache(maxsize=4096)(self._correct_uncached)
        english.load()

    def _scores_uncached(self, concept: Concept) -> dict[str, float]:
        """bm25 of every entry matching one concept, scaled so the best entry gets 1.0.

        Scoring concept by concept (instead of one big OR query) stops a synonym group with many
        members, such as all the names of the exercise, from outweighing the word that matters.
        """
        sql = (
            "select docs.id, bm25(docs_fts, {w}) from docs join docs_fts on docs.rowid = docs_fts.rowid "
            "where docs_fts match ?"
        ).format(w=", ".join(map(str, WEIGHTS)))
        rows = self.db.execute(sql, [fts_query([concept])]).fetchall()
        if not rows:
            return {}
        best = min(score for _, score in rows)  # bm25 is negative: lower is better
        return {entry_id: (score / best if best else 1.0) for entry_id, score in rows}

    def _correct_uncached(self, word: str) -> str:
        """The knowledge base's spelling of a typo'd word, or the word itself; a red-flag word first
        ("pian" is "pain", never "plan"), as the red-flag check reads it."""
        if (
            word in self._vocab
            or len(word) < 4
            or self.scores((word,))
            or english.english_frequency(word) >= REAL_WORD
        ):
            return word
        flag = self._flags.correct(word)
        if flag is not None:
            return flag
        swapped = self._swapped(word)
        if swapped is not None:
            return swapped
        best = process.extractOne(word, self._fuzzy_vocab, scorer=fuzz.ratio, score_cutoff=TYPO_CUTOFF)
        return str(best[0]) if best else word

    def _swapped(self, word: str) -> str | None:
        """Our word with two neighbouring letters swapped ("hnads" for "hands"): a thumb's commonest
        slip, which the ratio below scores as two edits and so misses in short words."""
        for i in range(len(word) - 1):
            candidate = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
            if candidate != word and candidate in self._fuzzy_vocab_set:
                return candidate
        return None

    def corrected(self, question: str) -> str:
        """The question with its typos spelled as the knowledge base spells them, for the sentence
        vectors, which see "hnads" as a word they have never met; unchanged when nothing is corrected."""
        tokens = words(question)[: 3 * MAX_TOKENS]
        fixed = [w if is_filler(w) else self._correct(w) for w in tokens]
        return question if fixed == tokens else " ".join(fixed)

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
        if not out and self._exercise and self._names_the_exercise(tokens):
            out.append(self._exercise)  # "how do I do it": the one exercise this bot knows
        return list(dict.fromkeys(out))

    def _names_the_exercise(self, tokens: list[str]) -> bool:
        """Whether the tokens hold a phrase such as "do it" that synonyms.yaml says means the exercise."""
        return any(
            tuple(tokens[i : i + len(p)]) == p for p in self._exercise_phrases for i in range(len(tokens))
        )

    def coverage(self, concepts: list[Concept]) -> dict[str, float]:
        """Entry id -> the weighted share of the question's concepts the entry covers, in [0, 1].

        Each concept counts with an idf-like weight (a word in every entry says little); an entry
        earns a concept's weight times its scaled bm25 for it. Words the knowledge base has never
        seen keep full weight, so off-topic questions ("best bench program") score low.
        """
        if concepts == [self._exercise]:  # "how do I do nordics": every entry is about the exercise
            return dict.fromkeys(self.kb.entries, 1.0)
        totals: dict[str, float] = {}
        weight_sum = 0.0
        for concept in concepts:
            scores = self.scores(concept)
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


def synonym_map(groups: list[tuple[str, ...]]) -> dict[tuple[str, ...], Concept]:
    """Each synonym phrase (as tokens) -> every phrase of every group it belongs to."""
    out: dict[tuple[str, ...], Concept] = {}
    for group in groups:
        phrases = tuple(dict.fromkeys(" ".join(words(p)) for p in group if words(p)))
        for phrase in phrases:
            key = tuple(phrase.split())
            out[key] = tuple(dict.fromkeys(out.get(key, ()) + phrases))
    return out


def fts_query(concepts: list[Concept]) -> str:
    """An FTS5 MATCH expression; every phrase is quoted, so user text can't inject syntax."""
    groups = []
    for concept in concepts:
        phrases = [" ".join(w for w in words(p)) for p in concept]
        quoted = [f'"{p}"' for p in phrases if p]
        if quoted:
            groups.append("(" + " OR ".join(quoted) + ")")
    return " OR ".join(groups) or '""'
