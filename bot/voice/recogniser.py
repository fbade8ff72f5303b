"""Voice notes to text, with no Telegram in it: decode any audio FFmpeg reads (PyAV bundles it), then
recognise it with pocketsphinx's bundled US English acoustic model.

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

import av
import numpy as np
from pocketsphinx import Decoder, Vad, get_model_path
from pocketsphinx.lm import ArpaBoLM

from bot.core.textnorm import words

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
BACKEND = "pocketsphinx"
MIN_SPEECH_SECONDS = 0.3
MAX_BYTES = 20 * 1024 * 1024  # what the Bot API lets a bot download; larger is refused unread
MODELS = Path(get_model_path()) / "en-us"
ACOUSTIC = MODELS / "en-us"
DICTIONARY = MODELS / "cmudict-en-us.dict"


class VoiceError(Exception):
    """Audio we cannot use; `reason` picks the line the user gets (texts.yaml: voice_<reason>)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


@dataclass(frozen=True)
class Transcript:
    text: str
    seconds: float
    backend: str = BACKEND


def decode(data: bytes, max_seconds: float) -> np.ndarray:
    """Mono 16 kHz 16-bit samples of the first audio stream; VoiceError if unreadable, empty or longer
    than `max_seconds` (decoding stops there, so a long file costs no more than a short one)."""
    if not data:
        raise VoiceError("unreadable", "no bytes")
    if len(data) > MAX_BYTES:
        raise VoiceError("too_long", f"{len(data)} bytes")
    limit = int(max_seconds * SAMPLE_RATE)
    chunks: list[np.ndarray] = []
    total = 0
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            if not container.streams.audio:
                raise VoiceError("unreadable", "no audio stream")
            resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
            for frame in container.decode(container.streams.audio[0]):
                for out in resampler.resample(frame):
                    chunk = out.to_ndarray().reshape(-1)
                    chunks.append(chunk)
                    total += len(chunk)
                if total > limit:
                    raise VoiceError("too_long", f"over {max_seconds:g} s")
            chunks.extend(out.to_ndarray().reshape(-1) for out in resampler.resample(None))
    except (av.FFmpegError, ValueError, EOFError) as exc:
        raise VoiceError("unreadable", "not audio that FFmpeg can read") from exc
    samples = np.concatenate(chunks).astype(np.int16) if chunks else np.zeros(0, np.int16)
    if not len(samples):
        raise VoiceError("unreadable", "no samples")
    return samples


def has_speech(samples: np.ndarray) -> bool:
    """Whether pocketsphinx's voice activity detector, in its strictest mode, finds MIN_SPEECH_SECONDS of
    speech. Without this check the recogniser "hears" a word in silence ("all")."""
    vad = Vad(3, sample_rate=SAMPLE_RATE)
    step = vad.frame_bytes // 2
    frames = (samples[i : i + step] for i in range(0, len(samples) - step + 1, step))
    speech = sum(1 for frame in frames if vad.is_speech(frame.tobytes()))
    return speech * vad.frame_length >= MIN_SPEECH_SECONDS


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
