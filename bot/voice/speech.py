"""Spoken replies without Telegram or a database: text -> speech samples (an engine) -> an OGG/Opus
voice note, 48 kHz mono, as Telegram's own voice notes are (PyAV encodes it; its wheels bundle libopus).

Engines, measured by benchmarks/speech.py (a round trip through Whisper tiny.en): hibari-tts speaks
with the one voice inside its wheel ("heart"; the others would download, so they are never asked
for); flite and espeak-ng are Debian programs, used when present and hibari-tts is not.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import threading
import wave
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Any, Protocol

import numpy as np

OPUS_RATE = 48_000
OPUS_BITRATE = 32_000  # plenty for one voice; Telegram's own voice notes use about as much
# libopus complexity 5 of 10: encodes 3x faster than the default 10 (0.06 s against 0.2 s for a
# 24-second cue) for a note about 15% larger, with the same round-trip word error rate.
OPUS_OPTIONS = {"compression_level": "5"}
MAX_CHARS = 1500  # about a minute and a half of speech: longer replies are cut at a sentence end
COMMAND_TIMEOUT = 30.0


class SpeechError(Exception):
    """An engine failed on a text (a crashed program, a model that would not load)."""


@dataclass(frozen=True)
class Speech:
    """Mono 16-bit samples at `rate` Hz."""

    samples: np.ndarray
    rate: int

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.rate


class Engine(Protocol):
    """Text to speech; `synthesise` may be called from several threads."""

    name: str

    def synthesise(self, text: str) -> Speech: ...


_TITLE_END = re.compile(r"(?<=[^\s.!?:;,\"')\]])[ \t]*\n")  # a line with no end punctuation: a title
_RANGE = re.compile(r"(\d)\s*-\s*(\d)")  # "0-10", "2-3 reps": said "0 to 10"
_OUT_OF = re.compile(r"(\d)\s*/\s*(\d)")  # a score "4/10": said "4 out of 10"
_COMMAND = re.compile(r"(?<![\w/])/([a-z_]+)")  # "/session" is said "session"
_SOURCE = re.compile(r"^\s*Sources?:.*$", re.MULTILINE)  # citations are for reading, not hearing


def speakable(text: str) -> str:
    """The words of a reply as they should be said: a title line ends with a full stop (so it is
    said as a sentence), citations are left out, "0-10" is "0 to 10", "4/10" is "4 out of 10" and
    "/session" is "session"; at most MAX_CHARS, cut at a sentence end."""
    text = _SOURCE.sub("", text)
    text = _TITLE_END.sub(".\n", text.strip() + "\n")
    text = _OUT_OF.sub(r"\1 out of \2", _RANGE.sub(r"\1 to \2", text))
    text = _COMMAND.sub(r"\1", text)
    text = " ".join(text.split())
    if len(text) > MAX_CHARS:
        cut = max(text.rfind(mark, 0, MAX_CHARS) for mark in ".!?")
        text = text[: cut + 1] if cut > 0 else text[:MAX_CHARS]
    return text


def to_ogg_opus(speech: Speech) -> bytes:
    """An OGG/Opus voice note: 48 kHz mono, as Telegram's sendVoice wants it."""
    import av  # here, not at the top: the bot's start-up need not load FFmpeg

    out = io.BytesIO()
    with av.open(out, mode="w", format="ogg") as container:
        stream: Any = container.add_stream("libopus", rate=OPUS_RATE, layout="mono", options=OPUS_OPTIONS)
        stream.bit_rate = OPUS_BITRATE
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(speech.samples, np.int16).reshape(1, -1), format="s16", layout="mono"
        )
        frame.sample_rate = speech.rate
        resampler = av.AudioResampler(format="s16", layout="mono", rate=OPUS_RATE)
        for piece in [*resampler.resample(frame), *resampler.resample(None)]:
            for packet in stream.encode(piece):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return out.getvalue()


def _wav(data: bytes) -> Speech:
    """Mono 16-bit WAV bytes (espeak-ng's header on a pipe gives no real length: read what is there)."""
    with wave.open(io.BytesIO(data)) as w:
        if w.getsampwidth() != 2 or w.getnchannels() != 1:
            raise SpeechError("the engine did not write mono 16-bit audio")
        return Speech(np.frombuffer(w.readframes(w.getnframes()), np.int16), w.getframerate())


class HibariEngine:
    """hibari-tts with the voice inside its wheel ("heart", American English): a 7.9 MB ONNX model,
    loaded on first use (about 0.4 s); a lock keeps one synthesis at a time."""

    name = "hibari-tts"
    VOICE = "heart"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tts: Any = None

    @staticmethod
    def model_path() -> Path | None:
        """The bundled voice's model file, or None if the package or the file is missing. Read from
        the package's voices.json without importing hibari, whose import (scipy.fft) takes about half a
        second of the bot's start-up."""
        spec = find_spec("hibari")
        if spec is None or not spec.submodule_search_locations:
            return None
        assets = Path(next(iter(spec.submodule_search_locations))) / "assets"
        try:
            voices = json.loads((assets / "voices.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        voice = voices.get(HibariEngine.VOICE, {}) if isinstance(voices, dict) else {}
        path = assets / str(voice.get("file", ""))
        return path if voice.get("bundled") and path.is_file() else None

    def synthesise(self, text: str) -> Speech:
        with self._lock:
            if self._tts is None:
                path = self.model_path()
                if path is None:
                    raise SpeechError("hibari-tts or its bundled voice is missing")
                from hibari import Hibari

                # The model path is given, so hibari never looks in (or downloads to) its voice cache.
                self._tts = Hibari(voice=self.VOICE, model=str(path), threads=1)
            audio = self._tts(text, seed=0)
        pcm = np.clip(np.asarray(audio, np.float32) * 32767.0, -32768, 32767).astype(np.int16)
        return Speech(pcm, int(self._tts.sample_rate))


class CommandEngine:
    """A speech program that writes a WAV file to stdout (flite, espeak-ng)."""

    def __init__(self, name: str, argv: Callable[[str], Sequence[str]]) -> None:
        self.name = name
        self.argv = argv

    def synthesise(self, text: str) -> Speech:
        try:
            done = subprocess.run(
                list(self.argv(text)), capture_output=True, check=True, timeout=COMMAND_TIMEOUT
            )
            return _wav(done.stdout)
        except (OSError, subprocess.SubprocessError, wave.Error, EOFError) as exc:
            raise SpeechError(f"{self.name} failed: {exc}") from exc


def flite(voice: str = "slt") -> CommandEngine:
    """CMU flite (Debian: apt install flite); "slt" is its clearest built-in US English voice."""
    return CommandEngine("flite", lambda text: ["flite", "-voice", voice, "-t", text, "-o", "/dev/stdout"])


def espeak_ng(voice: str = "en-us") -> CommandEngine:
    """eSpeak NG (Debian: apt install espeak-ng); formant synthesis, robotic but tiny."""
    return CommandEngine("espeak-ng", lambda text: ["espeak-ng", "-v", voice, "--stdout", "--", text])


def available(name: str) -> Engine | None:
    """The engine called `name` if it is installed here, else None (nothing is loaded yet)."""
    if name == HibariEngine.name:
        return HibariEngine() if HibariEngine.model_path() is not None else None
    if name == "flite" and shutil.which("flite"):
        return flite()
    if name == "espeak-ng" and shutil.which("espeak-ng"):
        return espeak_ng()
    return None


# In the order benchmarks/speech.py ranks them (word error rate by the round trip, then speed).
PREFERENCE = ("hibari-tts", "flite", "espeak-ng")


def best_engine() -> Engine | None:
    """The best engine installed here, or None when there is none."""
    return next((e for name in PREFERENCE if (e := available(name)) is not None), None)


def voice_note(engine: Engine, text: str) -> bytes | None:
    """The voice note saying `text` (as `speakable` words), or None when there is nothing to say."""
    words = speakable(text)
    if not words:
        return None
    speech = engine.synthesise(words)
    return to_ogg_opus(speech) if len(speech.samples) else None
