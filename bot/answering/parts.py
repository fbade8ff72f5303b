"""Where a message may ask two things: its clause boundaries ("?", a full stop, "+", "&", "and", "also",
"plus", "too"), strongest first, each as the two halves either side of it.

People ask two things at once between sets ("where do nordics go in my session and how many sets the
first week"); the whole message's vector sits between both answers and the ranking picks one. The
answerer tries these halves and answers both when each is answerable on its own by a different entry;
"and" inside one question ("hips and glutes") yields a half too short or too unsure to answer, so it
stays one question."""

from __future__ import annotations

import re

MAX_SPLITS = 3  # candidate boundaries tried per message: each costs two rankings
MIN_WORDS = 3  # a half shorter than this is a phrase of one question, not a question of its own
# ... unless it is two words that start with a question word: "whats doms and how long does it last"
ASKING = frozenset({"what", "whats", "what's", "why", "how", "when", "where"})
MAX_CHARS = 400  # a longer message is a story, not two quick questions: answered whole

# strongest first: a sentence end (or a "+" or "&" between spaces: "first session tips + how long will i
# be sore"), then a clause joined by a word
_BOUNDARIES = (
    re.compile(r"[?!.;]+\s+(?=\S)|\s+[+&]\s+"),
    re.compile(r",?\s+\b(?:and\s+also|also|plus|too)\b[,]?\s+", re.IGNORECASE),
    re.compile(r",?\s+\band\b\s+", re.IGNORECASE),
)
_TOO_AT_END = re.compile(r"\s+too\s*[?!.]*\s*$", re.IGNORECASE)


def halves(text: str) -> list[tuple[str, str]]:
    """Candidate (first, second) splits of `text`, strongest boundary first, at most MAX_SPLITS; each
    half a question of its own (_a_question). Empty for a message with no boundary or too long to be
    two questions."""
    text = text.strip()
    if len(text) > MAX_CHARS:
        return []
    out: list[tuple[str, str]] = []
    for boundary in _BOUNDARIES:
        for match in boundary.finditer(text):
            first, second = text[: match.start()].strip(), _TOO_AT_END.sub("", text[match.end() :]).strip()
            if _a_question(first) and _a_question(second):
                out.append((first, second))
            if len(out) == MAX_SPLITS:
                return out
    return out


def _a_question(half: str) -> bool:
    """Whether a half is long enough to be a question of its own."""
    said = half.split()
    return len(said) >= MIN_WORDS or (len(said) == MIN_WORDS - 1 and said[0].lower() in ASKING)


def after_last_but(text: str) -> str:
    """What a message asks after its last "but" ("ok dumb question but what even is a ham raise"), when
    something comes before it and what follows is MIN_WORDS words or more; else ""."""
    head, sep, tail = text.rpartition(" but ")
    return tail.strip() if sep and head.strip() and len(tail.split()) >= MIN_WORDS else ""
