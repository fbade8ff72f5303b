"""Voice notes to text, with no Telegram in it: decode (audio.py), check there is speech, then recognise
with the configured backend: Whisper tiny.en and base (whisper.py, the default) or pocketsphinx
(sphinx.py, the fallback). Both take the replies the chat expects, and say which one the note picked.

The backend is built on the first voice note, so a bot that never gets one never pays for it. The bot
recognises in worker processes (pool.py, HAMCOACH_VOICE_WORKERS), `hamcoach transcribe` in its own;
either way notes from different chats may be heard at the same time (no lock of ours around it).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from bot.voice.audio import SAMPLE_RATE, decode, has_speech
from bot.voice.phrases import closest
from bot.voice.pool import Recognise, Spec, WorkerDied, shared

log = logging.getLogger(__name__)
BACKENDS = ("whisper", "pocketsphinx")


@dataclass(frozen=True)
class Transcript:
    text: str
    seconds: float
    backend: str
    choice: str = ""  # the expected phrase the note said, or ""


class Backend(Protocol):
    def transcribe(self, samples: np.ndarray, expected: Sequence[str] = ()) -> tuple[str, str]: ...


class WhisperBackend:
    """Whisper with a prompt of the knowledge's own words, so "DOMS" and "nordics" are spelled ours, and
    the words of what people say to this bot (`sentences`) favoured in open transcripts."""

    def __init__(self, prompt: str, sentences: Sequence[str] = ()) -> None:
        from bot.core.textnorm import words
        from bot.voice.whisper import Whisper

        self.whisper = Whisper(prompt, vocabulary={word for text in sentences for word in words(text)})

    def transcribe(self, samples: np.ndarray, expected: Sequence[str] = ()) -> tuple[str, str]:
        scored = self.whisper.transcribe(samples, expected)
        return scored.text, scored.choice


class SphinxBackend:
    def __init__(self, sentences: list[str], pronunciations: dict[str, str]) -> None:
        from bot.voice.sphinx import Sphinx

        self.sphinx = Sphinx(sentences, pronunciations)

    def transcribe(self, samples: np.ndarray, expected: Sequence[str] = ()) -> tuple[str, str]:
        return self.sphinx.transcribe(samples, expected)


def build(spec: Spec) -> tuple[Recognise, str]:
    """The recogniser the spec names, and its backend's name. With `spec.fallback`, Whisper that cannot
    load (weights missing or not the ones expected) is logged and pocketsphinx used instead."""
    if spec.backend == "whisper":
        from bot.voice.weights import ModelMismatch

        try:
            return WhisperBackend(spec.prompt, spec.sentences).transcribe, "whisper"
        except ModelMismatch as exc:
            if not spec.fallback:
                raise
            log.error("voice notes fall back to pocketsphinx: %s", exc)
    sphinx = SphinxBackend(list(spec.sentences), dict(spec.pronunciations))
    return sphinx.transcribe, "pocketsphinx"


class Ears:
    """Decode, check for speech, recognise in the context of the expected replies: in this process, or
    with `workers` > 0 in that many worker processes (pool.py), so the caller's GIL stays free."""

    def __init__(
        self,
        sentences: list[str],
        pronunciations: dict[str, str],
        max_seconds: float,
        backend: str = "whisper",
        prompt: str = "",
        fallback: bool = False,
        workers: int = 0,
    ) -> None:
        """`fallback`: if Whisper cannot load, log why and use pocketsphinx instead of failing every
        note; without it, raise ModelMismatch."""
        if backend not in BACKENDS:
            raise ValueError(f"unknown voice backend {backend!r} (use {' or '.join(BACKENDS)})")
        self.spec = Spec(backend, tuple(sentences), tuple(sorted(pronunciations.items())), prompt, fallback)
        self.max_seconds = max_seconds
        self.backend = backend
        self.pool = shared(self.spec, build, workers) if workers > 0 else None
        self._recogniser: Recognise | None = None
        self._building = threading.Lock()

    def hear(self, audio: bytes, expected: Sequence[str] = ()) -> Transcript:
        """What the audio says; with `expected`, also which of those replies it is ("" for none, and
        then `text` is the open transcript). VoiceError for audio we cannot use."""
        samples = decode(audio, self.max_seconds)
        seconds = round(len(samples) / SAMPLE_RATE, 2)
        if not has_speech(samples):
            return Transcript("", seconds, self.backend)
        text, choice = self.recognise(samples, tuple(expected))
        if expected and not choice:
            choice = closest(text, expected)
        return Transcript(choice or text, seconds, self.backend, choice)

    def recognise(self, samples: np.ndarray, expected: tuple[str, ...]) -> tuple[str, str]:
        """(text, choice) from the pool; here if its workers keep dying, so the note is still heard."""
        if self.pool is not None:
            try:
                text, choice, self.backend = self.pool.transcribe(samples, expected)
                return text, choice
            except WorkerDied:
                log.error("voice notes are heard in the bot's own process until a worker starts")
        return self.recogniser()(samples, expected)

    def recogniser(self) -> Recognise:
        """The in-process recogniser, built by the first caller while any others wait for it."""
        if self._recogniser is not None:
            return self._recogniser
        with self._building:
            if self._recogniser is None:
                self._recogniser, self.backend = build(self.spec)
            return self._recogniser
