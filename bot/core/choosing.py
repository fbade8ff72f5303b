"""What a typed or spoken reply means against what the chat waits for: a button, a number, a
question to confirm first, a choice to narrow down, or nothing (then it is read as usual).

Pure, so hypothesis can throw any text at any expectation. The one rule that matters most: a word
never presses a destructive button (stop, cancel, delete, sharp pain) unless it plainly names it;
anything vaguer asks "did you mean ...?" first, and a voice note always does.
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz, process

from bot.core.expectation import Expectation
from bot.core.numbers import parse_count, say_number
from bot.core.reply import Button
from bot.core.textnorm import is_filler
from bot.knowledge.replies import ReplyWords, phrase

FUZZY_CUTOFF = 84  # rapidfuzz ratio: "nxt" -> next, "carry onn" -> carry on; "what is doms" is far off
MAX_WORDS = 6  # longer text is a sentence (a question), never a button press by its words


@dataclass(frozen=True)
class Press:
    """Press `button`; `number` is set when a number answered a `Number` question."""

    button: Button
    number: int | None = None


@dataclass(frozen=True)
class Confirm:
    """The words point at a destructive button but not plainly enough: ask first."""

    button: Button


@dataclass(frozen=True)
class Narrow:
    """The words fit several buttons equally ("ok" where the step asks yes or no): ask which."""

    buttons: tuple[Button, ...]


Choice = Press | Confirm | Narrow


def choose(text: str, expected: Expectation, replies: ReplyWords, *, spoken: bool = False) -> Choice | None:
    """The meaning of `text` against `expected`; None when it is no reply to it (a question, say)."""
    said = phrase(text)
    if not said or len(said) > 200:
        return None
    found = _exact(said, text, expected, replies)
    if found is None and "?" not in text and len(said.split()) <= MAX_WORDS:
        found = (
            _by_words(said, expected)  # "skip", "injury", "carry on": words of one label first
            or _by_meaning(said, expected, replies)
            or _fuzzy(said, expected, replies)
        )
    if spoken and isinstance(found, Press) and found.button.destructive:
        return Confirm(found.button)  # a recogniser can mishear; stopping waits for a yes
    return found


def _exact(said: str, text: str, expected: Expectation, replies: ReplyWords) -> Choice | None:
    """A number asked for, the label itself, or a stop word on a stop button."""
    number = expected.number
    count = parse_count(text) if number else "none"
    if number and isinstance(count, int) and number.low <= count <= number.high:
        return Press(Button(str(count), number.press(count)), count)
    for button in expected.buttons:
        if phrase(button.label) == said and (text.strip() == button.label or not button.label.isdigit()):
            return Press(button)  # "-1" and "1.5" are not the button "1"
    if replies.meaning(said) == "stop":
        stops = [b for b in expected.buttons if b.destructive and _is_stop(b, replies)]
        if len(stops) == 1:
            return Press(stops[0])
        if stops:
            return Narrow(tuple(stops))
    return None


def _is_stop(button: Button, replies: ReplyWords) -> bool:
    """A stop button says so in its label ("Stop for today", "Cancel")."""
    label = set(phrase(button.label).split())
    return any(label & set(p.split()) for p in replies.phrases("stop") if len(p.split()) == 1)


def _meaning_of(button: Button, replies: ReplyWords) -> str | None:
    """yes / no by the label's first word ("Yes, legs are warm"), go by a go phrase in it ("It's gone,
    carry on", "Ready")."""
    label = phrase(button.label)
    first = label.split()[0] if label else ""
    for meaning in ("yes", "no"):
        if first in replies.phrases(meaning):
            return meaning
    if any(f" {p} " in f" {label} " for p in replies.phrases("go")):
        return "go"
    return None


def _by_meaning(said: str, expected: Expectation, replies: ReplyWords) -> Choice | None:
    """ "yes", "no", "ok": the button of that meaning, else for yes/go the one button that moves on."""
    meaning = replies.meaning(said)
    if meaning not in ("yes", "no", "go"):
        return None
    fits = [b for b in expected.buttons if _meaning_of(b, replies) == meaning]
    if not fits and meaning == "yes":
        fits = [b for b in expected.buttons if _meaning_of(b, replies) == "go"]
    if not fits and meaning != "no":
        fits = [b for b in expected.buttons if not (b.aside or b.destructive or b.label.isdigit())]
    return _one_of(fits)


def _one_of(fits: list[Button]) -> Choice | None:
    """One button: press it (or confirm a destructive one); several: ask which; none: no reply."""
    if not fits:
        return None
    if len(fits) == 1:
        return Confirm(fits[0]) if fits[0].destructive else Press(fits[0])
    safe = tuple(b for b in fits if not b.destructive)
    return Narrow(safe or tuple(fits))


def _by_words(said: str, expected: Expectation) -> Choice | None:
    """Every meaningful word said is in one button's label: "injury" -> "Yes, I have an injury"."""
    words = {w for w in said.split() if not is_filler(w)}
    if not words:
        return None
    fits = [b for b in expected.buttons if not b.label.isdigit() and words <= set(phrase(b.label).split())]
    return _one_of(fits)


def _fuzzy(said: str, expected: Expectation, replies: ReplyWords) -> Choice | None:
    """A typo of a label or of a reply word ("nxt", "carry onn"); never presses a destructive button."""
    if len(said) < 3:
        return None
    targets: dict[str, str] = {phrase(b.label): "" for b in expected.buttons if not b.label.isdigit()}
    targets.update({p: m for m in ("yes", "no", "go") for p in replies.phrases(m) if len(p) >= 3})
    best = process.extractOne(said, list(targets), scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
    if best is None:
        return None
    target = best[0]
    if targets[target]:
        return _by_meaning(target, expected, replies)
    button = next(b for b in expected.buttons if phrase(b.label) == target)
    return Confirm(button) if button.destructive else Press(button)


def phrases_for(expected: Expectation, replies: ReplyWords) -> list[str]:
    """What someone may say to `expected`, for a recogniser: the labels, the reply words that fit
    them, and the numbers asked for as words ("three", "three reps", "i did three reps")."""
    out = [phrase(b.label) for b in expected.buttons]
    meanings = {_meaning_of(b, replies) for b in expected.buttons}
    if any(not (b.aside or b.destructive or b.label.isdigit()) for b in expected.buttons):
        meanings |= {"yes", "go"}
    if any(b.destructive and _is_stop(b, replies) for b in expected.buttons):
        meanings.add("stop")
    out += [p for m in ("yes", "no", "go", "stop") if m in meanings for p in replies.phrases(m)]
    number = expected.number
    if number:
        said = [say_number(n) for n in range(number.low, min(number.high, 30) + 1)]
        out += said
        if "rep" in number.name:
            out += [f"{w} reps" for w in said] + [f"i did {w} reps" for w in said]
    return list(dict.fromkeys(p for p in out if p))
