"""Whether a message denies the warning sign it names: "no sharp pain", "nothing popped", "it's a dull
ache not a stabbing pain" reassure a coach; "no swelling but a sharp pain when I lower" does not.

A negation covers a phrase when it comes before it in the same clause with only a few harmless words
between ("didn't feel any pop", "no sign of bruising", "no swelling or bruising", "not really a sharp
pain", "no stabbing or shooting pain", a coach's "none of my players reported swelling"); "rather than",
"instead of" and "free of" deny as "no" does. Any other word breaks the cover, so doubt ("not sure if it
popped", "no idea why it's swollen"), degree ("not much swelling") and an answer followed by a report ("no
my leg is swollen") stay red flags. Clauses end at punctuation and at words such as "but", "and", "if",
"now". After a comma the negation carries on only over a list of warning signs joined by "or" ("no
swelling, bruising or dark pee"). "Before", "until" or "like this" later in the clause make it history,
not reassurance ("never had a pop like this").

When in doubt the phrase stays a red flag: a false alarm costs a visit to a clinician, a missed one an
injury trained on.
"""

from __future__ import annotations

import re
from collections.abc import Set
from dataclasses import dataclass

from bot.core.textnorm import clean, words

NEGATIONS = frozenset(
    """
    no not nothing never without none nor neither zero nt dont doesnt didnt isnt wasnt arent werent
    havent hasnt hadnt wont cant cannot couldnt wouldnt shouldnt aint didn doesn isn wasn dint dnt dosnt
    doesent didint havnt nothings nothin nobody noone
    """.split()
)
# Words that may stand between a negation and the phrase it covers.
GAP = frozenset(
    """
    a an any the sign signs of evidence hint trace indication obvious visible noticeable sudden actual
    feel felt feeling feels hear heard hearing see saw seen seeing notice noticed noticing spot spotted
    have has had having get got getting gotten been be is was are were am there theres think thought
    like anything went go goes did do does experienced experience experiencing show shows showed showing
    or sound sounds noise noises really real up reported complained mentioned
    my our his her their on team players athletes kids one reports reporting complaining mentions red
    flag flags warning symptoms
    """.split()
)
# Other complaints that may share a negated list with a warning sign ("no pain or swelling").
SYMPTOMS = frozenset(
    """
    pain pains ache aches aching soreness tenderness discomfort numbness tingling redness heat warmth
    stiffness cramp cramps cramping sharp stabbing shooting weak weakness numb tingly tender tight stiff
    sore achy puffy swell
    """.split()
)
# Negations that report what a leg cannot do ("can't straighten it", "won't hold me"), itself a warning
# sign, and the rest, which deny ("nothing sharp", "legs aren't weak").
INABILITY = frozenset("cant cannot couldnt wont wouldnt shouldnt".split())
DENIALS = NEGATIONS - INABILITY
# Two words that deny what follows them, as one negation does ("a dull ache rather than sharp pain").
NEGATING_PAIRS = frozenset({("rather", "than"), ("instead", "of"), ("free", "of")})
LIST_JOINS = frozenset({"or", "nor"})
LIST_FILL = frozenset({"any", "a", "an", "anything", "else"})
# Words that start a new clause: a negation before them does not reach past them.
BOUNDARIES = frozenset(
    """
    but and though although however yet except just only now then so because cause cos coz since if
    whether why what how when where which while whereas plus also still after before until till til
    later afterwards
    """.split()
)
# Later in the clause, these make a negation history rather than reassurance.
AFFIRMERS = frozenset({"before", "until", "till", "til", "b4"})
AFFIRMING_PAIRS = frozenset({("like", "this"), ("like", "that"), ("this", "bad"), ("this", "time")})
MAX_GAP = 4

_PUNCT = re.compile(r"(,|[.;:!?()\[\]{}\u2026\n]|\s[-\u2013\u2014]+\s|[\u2013\u2014])")


@dataclass(frozen=True)
class Tokens:
    """A message's word tokens (as bot.core.textnorm.words gives them) and where punctuation falls."""

    words: tuple[str, ...]
    breaks: tuple[str, ...]  # per word: "," or "." if such punctuation comes right before it, else ""


def tokenize(text: str) -> Tokens:
    """The words of `text` with the punctuation between them: a comma, or a harder stop."""
    out: list[str] = []
    breaks: list[str] = []
    pending = ""
    for n, piece in enumerate(_PUNCT.split(clean(text))):
        if n % 2:  # a separator
            pending = "," if piece == "," and pending != "." else "."
            continue
        for word in words(piece):
            out.append(word)
            breaks.append(pending)
            pending = ""
    return Tokens(tuple(out), tuple(breaks))


def negation_of(tokens: Tokens, start: int, end: int, phrase_at: Set[int]) -> int | None:
    """Where the negation that covers the phrase tokens.words[start:end] is, or None.
    `phrase_at`: the positions of every red-flag phrase in the message (one may list another)."""
    if _history(tokens, end, phrase_at):
        return None
    gap = 0
    k = start
    while k > 0:
        if tokens.breaks[k] == "." or (tokens.breaks[k] == "," and not _list_goes_on(tokens, k, phrase_at)):
            return None
        k -= 1
        word = tokens.words[k]
        if k in phrase_at:
            continue
        if word in NEGATIONS:
            return k
        if k and (tokens.words[k - 1], word) in NEGATING_PAIRS:
            return k - 1
        gap += 1
        listed = word in GAP or word in SYMPTOMS or _an_item(tokens, k)
        if word in BOUNDARIES or not listed or gap > MAX_GAP:
            return None
    return None


def _an_item(tokens: Tokens, k: int) -> bool:
    """Whether word k is an item of a denied list, whatever the word: the next one joins the list ("no
    discolouration or bruises", "nothing snapped or popped")."""
    return k + 1 < len(tokens.words) and tokens.words[k + 1] in LIST_JOINS and not tokens.breaks[k + 1]


def _list_goes_on(tokens: Tokens, k: int, phrase_at: Set[int]) -> bool:
    """Whether the comma before word k only separates items of a list of warning signs joined by "or"
    ("no swelling, bruising or dark pee"), so a negation before the comma covers what follows it."""
    if k - 1 not in phrase_at and tokens.words[k - 1] not in SYMPTOMS:
        return False
    joined = False
    for j in range(k, len(tokens.words)):
        word = tokens.words[j]
        if j > k and tokens.breaks[j]:
            break
        if j in phrase_at or word in SYMPTOMS or word in LIST_FILL:
            continue
        if word in LIST_JOINS:
            joined = True
        elif word in BOUNDARIES:
            break
        else:
            return False
    return joined


def _history(tokens: Tokens, end: int, phrase_at: Set[int]) -> bool:
    """Whether the rest of the phrase's clause says it happened after all ("... like this before")."""
    for j in range(end, len(tokens.words)):
        word = tokens.words[j]
        if tokens.breaks[j]:
            return False
        if tokens.words[j - 1 : j + 1] == ("or", "anything"):  # "no dark pee or anything like that"
            return False
        if word in AFFIRMERS or tuple(tokens.words[j : j + 2]) in AFFIRMING_PAIRS:
            return True
        if word in BOUNDARIES and j not in phrase_at:
            return False
    return False
