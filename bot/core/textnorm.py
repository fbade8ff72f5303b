"""Turn whatever people type into clean lowercase word tokens.

Messages arrive with emoji, null bytes, curly apostrophes, right-to-left scripts and typos;
every later step assumes this function already removed that noise.
"""

from __future__ import annotations

import re
import unicodedata

MAX_TOKENS = 40

_WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")

STOPWORDS = frozenset(
    """
    a about all am an and any are as at be been being both but by can could did do does doing done each
    for from had has have having he her here hers herself him himself his how i id if im in into is it
    its itself ive just let lets like me might much must my myself no nor not now of on only or our
    ours ourselves own she should so some such than that thats the their theirs them themselves then
    there these they this those through to too until very was we were what whats when where which while
    who whom why will with would you your yours yourself yourselves u ur ya yo pls plz please hey hi
    hello thanks thank ok okay anyone someone get got gets getting go going really actually kinda sorta
    tell know want wanna gonna im ive dont doesnt isnt wont cant shouldnt whats hows wheres whys
    wouldnt couldnt didnt arent wasnt werent havent hasnt hadnt aint smth sth sumthin tho though
    supposed need thing things stuff one way also still even ever bit lot lots
    """.split()
)

# Chat filler: words that say how someone talks, not what they ask about. An unknown word counts
# against a match (it may be the topic we don't cover), so filler must not be mistaken for one.
FILLER = frozenset(
    """
    lol lmao haha nah yeah yep yup nope pls plz bro dude mate guys man gf bf wife husband buddy
    honestly literally basically super massive totally seriously today tonight yesterday tomorrow
    monday tuesday wednesday thursday friday saturday sunday morning ago never always tried trying try
    doing done make makes made says said say ok okay fine vs versus whether anyway maybe idk tbh imo
    btw fr rn ngl omg wtf damn heck like exactly thru through mine stuff thing things guess think
    thought wondering wonder question quick real right sure lately recently since ever every time times
    dumb stupid silly random
    """.split()
)


def clean(text: str) -> str:
    """NFKC-normalised, lowercased text without control characters or null bytes."""
    text = _CONTROL.sub(" ", unicodedata.normalize("NFKC", text))
    return text.lower().replace("\u2019", "'")


def words(text: str) -> list[str]:
    """All word tokens, apostrophes dropped ("can't" -> "cant")."""
    return [w.replace("'", "") for w in _WORD.findall(clean(text))]


def is_filler(word: str) -> bool:
    """Stopwords and chat filler carry no topic."""
    return word in STOPWORDS or word in FILLER


def content_words(text: str) -> list[str]:
    """Word tokens without stopwords or filler, capped so a 10,000-character message stays cheap."""
    return [w for w in words(text) if not is_filler(w)][:MAX_TOKENS]
