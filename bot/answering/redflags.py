"""Red flags: the phrases of safety.yaml that always get the safety answer unless the message denies
them, and when the safety entry may be chosen by meaning alone.

A phrase counts with its typos (bot/answering/spelling.py) and not when the message negates it in its
clause (bot/answering/negation.py): "no sharp pain, just sore" is how lifters reassure a coach. The
reassurances of safety.yaml ("pee is normal") rule a sign out the same way, and count as a red flag when
negated ("pee isn't normal"). Its other meanings ("strength gains have gone up", "pop an ibuprofen") hold a
phrase's words and are not a sign: a phrase found within one does not count.

A false alarm tells a sore lifter to see a clinician, so an entry ranked first by meaning alone (no
phrase in the message) must lead clearly. On the tuning and development questions the safety entry led
the next by 0.25 or more when it was right ("leg feels weak and i cant bend it") and by 0.06 or less
when it was not ("legs destroyed after nordics why"). Phrases always win.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass

from bot.answering.negation import (
    BOUNDARIES,
    DENIALS,
    INABILITY,
    NEGATIONS,
    SYMPTOMS,
    Tokens,
    negation_of,
    tokenize,
)
from bot.answering.spelling import speller_for
from bot.core.textnorm import words
from bot.knowledge.base import KnowledgeBase

RED_FLAG_LEAD = 0.1  # how far the safety entry chosen by meaning alone must lead the next entry
GAP_MARK = "..."  # in a phrase, "lost ... strength": up to GAP_WORDS words may stand there
GAP = "\u2026"  # how a gap is kept in a phrase's word tuple
GAP_WORDS = 3
# a new clause ends a gap; "lost so much strength" and "my leg just gives way" do not
GAP_BREAKS = BOUNDARIES - {"so", "just"}

Span = tuple[int, int]  # word positions [start, end)
# what a safety.yaml phrase is: a red flag, a reassurance, or an other meaning of a flag's words
FLAG, CALM, OTHER = "flag", "calm", "other"


@dataclass(frozen=True)
class Scan:
    """The warning signs of one message: those it reports and those it rules out."""

    words: tuple[str, ...]  # as typed (bot.core.textnorm.words)
    breaks: tuple[str, ...]  # per word: the punctuation right before it (negation.Tokens)
    flagged: tuple[Span, ...]  # a red-flag phrase, or a reassurance it negates ("pee isn't normal")
    ruled_out: tuple[Span, ...]  # a negated red flag from its negation on ("no sign of swelling"), or
    # a reassurance ("pee is normal")

    def rest(self) -> str:
        """The message's words without any of these spans (what else it says or asks)."""
        taken = {k for start, end in (*self.flagged, *self.ruled_out) for k in range(start, end)}
        return " ".join(w for k, w in enumerate(self.words) if k not in taken)

    def undenied(self) -> str:
        """The message without its clauses of denial ("no pain, nothing popped, how often should I train"
        asks how often): a clause that rules a warning sign out, or starts with a denial. Not one that
        says what a leg cannot do ("can't straighten it"): that is a warning sign in other words."""
        taken = {k for start, end in (*self.flagged, *self.ruled_out) for k in range(start, end)}
        kept: list[int] = []
        for start, end in self.clauses():
            head = next((w for w in self.words[start:end] if w not in BOUNDARIES), "")
            if head not in DENIALS and not any(k in taken for k in range(start, end)):
                kept += range(start, end)
        return self._text(kept)

    def denied(self) -> set[int]:
        """Where the message denies a complaint, the denial included, in words no phrase need list
        ("nothing sharp", "legs aren't really weak"): sentence vectors read them and barely see the denial.
        A denial covers a complaint as it covers a red-flag phrase (negation.negation_of)."""
        tokens = Tokens(self.words, self.breaks)
        out: set[int] = set()
        for k, word in enumerate(self.words):
            if word in SYMPTOMS:
                negation = negation_of(tokens, k, k + 1, frozenset())
                if negation is not None and self.words[negation] not in INABILITY:
                    out.update(range(negation, k + 1))
        return out

    def without_denied(self) -> str:
        """The message without its denied complaints ("its a dull ache not sharp, is that too much" asks
        "its a dull ache, is that too much"), its punctuation kept."""
        dropped = self.denied()
        return self._text([k for k in range(len(self.words)) if k not in dropped])

    def _text(self, kept: list[int]) -> str:
        """These words, in order, with a comma where punctuation stood before one (not the first)."""
        out = ""
        for k in kept:
            out += (", " if out and self.breaks[k] else " " if out else "") + self.words[k]
        return out

    def clauses(self) -> list[Span]:
        """Word spans split at punctuation and before each word that starts a clause ("but", "how")."""
        cuts = [k for k, w in enumerate(self.words) if k and (self.breaks[k] or w in BOUNDARIES)]
        edges = [0, *cuts, len(self.words)]
        return [(a, b) for a, b in itertools.pairwise(edges) if b > a]


def phrase_words(phrase: str) -> tuple[str, ...]:
    """A phrase's words, with GAP where it says GAP_MARK ("lost ... strength")."""
    parts = [tuple(words(part)) for part in phrase.split(GAP_MARK)]
    out: list[str] = []
    for n, part in enumerate(parts):
        out += [GAP, *part] if n and part and out else part
    return tuple(out)


def match(
    seen: list[tuple[str, ...]], breaks: tuple[str, ...], start: int, phrase: tuple[str, ...]
) -> tuple[int, bool] | None:
    """(where the phrase ends, whether a gap of it held a negation) if it starts at `start`, else None.
    A gap takes the fewest words that let the rest match, at most GAP_WORDS, in one clause: no word that
    starts a clause and no punctuation ("lost my keys, strength ..." and "lost my motivation and
    strength gains stalled" are two thoughts). A negation in it denies the phrase: "lost no strength"."""
    at, denied = start, False
    for n, word in enumerate(phrase):
        if word == GAP:
            found = skip_to(seen, breaks, at, phrase[n + 1])
            if found is None:
                return None
            denied = denied or any(w in NEGATIONS for heard in seen[at:found] for w in heard)
            at = found
        elif at >= len(seen) or word not in seen[at]:
            return None
        else:
            at += 1
    return at, denied


def skip_to(seen: list[tuple[str, ...]], breaks: tuple[str, ...], at: int, target: str) -> int | None:
    """The position of `target` at most GAP_WORDS words on from `at`, through a gap as match() allows."""
    for k in range(at, min(at + GAP_WORDS + 1, len(seen))):
        if breaks[k]:
            return None
        if target in seen[k]:
            return k
        if seen[k][-1] in GAP_BREAKS:
            return None
    return None


class RedFlagDetector:
    """Finds the knowledge's red-flag phrases in a message, on word boundaries, typos included."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.entry = kb.red_flags.entry  # the safety entry's id
        self.reassured = kb.red_flags.reassured  # the entry for a message that only rules flags out
        flags = {phrase_words(p) for p in kb.red_flags.phrases} - {()}
        calm = {phrase_words(p) for p in kb.red_flags.reassurances} - {()} - flags
        others = {phrase_words(p) for p in kb.red_flags.other_meanings} - {()}
        kinds = [(p, FLAG) for p in flags] + [(p, CALM) for p in calm] + [(p, OTHER) for p in others]
        self._by_first: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for phrase, kind in sorted(kinds):
            self._by_first.setdefault(phrase[0], []).append((phrase, kind))
        self.speller = speller_for(kb.red_flags.phrases)
        self.scan = functools.lru_cache(maxsize=1024)(self._scan_uncached)

    def _scan_uncached(self, question: str) -> Scan:
        tokens = tokenize(question)
        # per word: the red-flag words it may stand for, then the word as typed
        seen = [(*self.speller.candidates(w), w) for w in tokens.words]
        found = [
            (i, *ends, kind)
            for i, heard in enumerate(seen)
            for p, kind in sorted({pair for w in heard for pair in self._by_first.get(w, ())})
            if (ends := match(seen, tokens.breaks, i, p)) is not None
        ]
        # an other meaning ("strength gains") with no punctuation inside ("my thigh is bruised, feeling
        # sore" reports a bruise) undoes the phrases it overlaps
        other = {
            k
            for start, end, _, kind in found
            if kind == OTHER and not any(tokens.breaks[start + 1 : end])
            for k in range(start, end)
        }
        found = [f for f in found if f[3] != OTHER and not other.intersection(range(f[0], f[1]))]
        at = {k for start, end, _, _ in found for k in range(start, end)}
        flagged: list[Span] = []
        ruled_out: list[Span] = []
        for start, end, denied, kind in found:
            negation = start if denied else negation_of(tokens, start, end, at)
            span = (start if negation is None else negation, end)
            (flagged if (kind == FLAG) == (negation is None) else ruled_out).append(span)
        return Scan(tokens.words, tokens.breaks, tuple(flagged), tuple(ruled_out))

    def mentioned(self, question: str) -> bool:
        """Whether the message reports a red flag (a phrase it does not deny)."""
        return bool(self.scan(question).flagged)

    def ruled_out(self, question: str) -> bool:
        """Whether the message names warning signs only to rule them out ("no swelling, just sore")."""
        found = self.scan(question)
        return bool(found.ruled_out) and not found.flagged

    def without(self, question: str) -> str:
        """The message's words with every red-flag phrase taken out (what else it asks)."""
        return self.scan(question).rest()

    def undenied(self, question: str) -> str:
        """The message without its clauses of denial (Scan.undenied)."""
        return self.scan(question).undenied()

    def without_denied(self, question: str) -> str:
        """The message without its denied complaints (Scan.without_denied)."""
        return self.scan(question).without_denied()

    def reports_inability(self, question: str) -> bool:
        """Whether the message says something cannot be done ("can't feel my foot", "won't bend"): a
        loss of function may be a warning sign in words no phrase names."""
        return any(word in INABILITY for word in self.scan(question).words)

    def denies_a_symptom(self, question: str) -> bool:
        """Whether the message denies a complaint, named by a phrase or not (Scan.denied)."""
        return bool(self.scan(question).denied())

    def unclear(self, question: str, ranked: list[tuple[str, float]]) -> bool:
        """Whether the safety entry tops the ranking by meaning alone, barely ahead of the next entry."""
        if len(ranked) < 2 or ranked[0][0] != self.entry or self.mentioned(question):
            return False
        return ranked[0][1] - ranked[1][1] < RED_FLAG_LEAD
