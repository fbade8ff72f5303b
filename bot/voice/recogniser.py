"""Voice notes to text, with no Telegram in it: decode (audio.py), then recognise with pocketsphinx's
bundled US English acoustic model.

Why a language model of our own: pocketsphinx's general English one heard "why do my calves cramp" as
"why do" and "where do my hips go" as "where do you go". One built at start-up from the knowledge's
own sentences (titles, example questions, messages, near misses, button labels) expects the words
people say to this bot. Words the pronouncing dictionary lacks ("nordics", "doms", "glutes") are
spelled in bot/knowledge/data/pronunciations.yaml; any other unknown word is left out of the model.
"""

from __future__ import annotations

import io
import logging
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pocketsphinx import Decoder, get_model_path
from pocketsphinx.lm import ArpaBoLM

from bot.core.textnorm import words
from bot.voice.audio import SAMPLE_RATE, decode, has_speech

log = logging.getLogger(__name__)

BACKEND = "pocketsphinx"
MODELS = Path(get_model_path()) / "en-us"
ACOUSTIC = MODELS / "en-us"
DICTIONARY = MODELS / "cmudict-en-us.dict"


@dataclass(frozen=True)
class Transcript:
    text: str
    seconds: float
    backend: str = BACKEND


def utterance(decoder: Decoder, samples: np.ndarray) -> str:
    """The words a pocketsphinx decoder hears in one utterance, spaced once."""
    decoder.start_utt()
    decoder.process_raw(samples.astype(np.int16).tobytes(), full_utt=True)
    decoder.end_utt()
    hypothesis = decoder.hyp()
    return " ".join((hypothesis.hypstr if hypothesis else "").split())


def known_words() -> frozenset[str]:
    """Every word of the pronouncing dictionary bundled with pocketsphinx."""
    with DICTIONARY.open(encoding="utf-8") as lines:
        return frozenset(line.split(" ", 1)[0].split("(", 1)[0] for line in lines if line.strip())


def language_model(sentences: Iterable[str], vocabulary: frozenset[str]) -> str:
    """An ARPA trigram model (pocketsphinx's own builder) of the sentences, unknown words left out."""
    lines = []
    for sentence in sentences:
        kept = [w for w in words(sentence) if w in vocabulary]
        if kept:
            lines.append(" ".join(kept))
    if not lines:
        raise ValueError("no sentence has a word the recogniser knows")
    model = ArpaBoLM(text="\n".join(lines), add_start=True)
    model.compute()
    out = io.StringIO()
    model.write(out)
    return out.getvalue()


class Recogniser:
    """One pocketsphinx decoder over the knowledge's language model (under a second to build); a lock
    keeps one utterance at a time, since a decoder is not thread-safe."""

    def __init__(self, sentences: Iterable[str], pronunciations: dict[str, str]) -> None:
        known = known_words()
        extra = {word: phones for word, phones in pronunciations.items() if word not in known}
        arpa = language_model(sentences, known | frozenset(extra))
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "knowledge.arpa"
            path.write_text(arpa, encoding="utf-8")
            self.decoder = Decoder(
                hmm=str(ACOUSTIC), dict=str(DICTIONARY), samprate=SAMPLE_RATE, loglevel="FATAL", lm=False
            )
            for word, phones in extra.items():  # a dictionary word keeps the dictionary's phones
                self.decoder.add_word(word, phones, True)
            self.decoder.add_lm_file("knowledge", str(path))
            self.decoder.activate_search("knowledge")
        self.lock = threading.Lock()

    def transcribe(self, samples: np.ndarray) -> Transcript:
        with self.lock:
            text = utterance(self.decoder, samples)
        return Transcript(text, round(len(samples) / SAMPLE_RATE, 2))


class Ears:
    """Decode, then recognise; the recogniser is built on the first voice note, so a bot that never
    gets one never pays for it."""

    def __init__(self, sentences: list[str], pronunciations: dict[str, str], max_seconds: float) -> None:
        self.sentences = sentences
        self.pronunciations = pronunciations
        self.max_seconds = max_seconds
        self._recogniser: Recogniser | None = None
        self._building = threading.Lock()

    def hear(self, audio: bytes) -> Transcript:
        samples = decode(audio, self.max_seconds)
        if not has_speech(samples):
            return Transcript("", round(len(samples) / SAMPLE_RATE, 2))
        return self.recogniser().transcribe(samples)

    def recogniser(self) -> Recogniser:
        with self._building:
            if self._recogniser is None:
                self._recogniser = Recogniser(self.sentences, self.pronunciations)
            return self._recogniser
