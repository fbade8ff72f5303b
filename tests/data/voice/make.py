"""Write the voice-note fixtures: English spoken by synthetic voices, encoded as Telegram sends voice
notes (OGG/Opus, mono, 48 kHz). Run by hand after changing PHRASES or COMMANDS; the tests only read the
.ogg files, so they need no speech synthesiser.

    apt install espeak-ng flite; pip install hibari-tts==0.2.1   (the version pyproject's test extra pins)
    .venv/bin/python tests/data/voice/make.py

- <name>.ogg: questions spoken by espeak-ng, and VOICED_PHRASES by the voice each names;
- commands/<voice>/<slug>.ogg: the replies a session expects, in two voices: espeak-ng (formant
  synthesis) and hibari (a neural voice; only "heart", the one inside its wheel, so nothing downloads).

benchmarks/voice.py uses `speak` for more voices (flite's) and its own phrases.
"""

from __future__ import annotations

import io
import re
import subprocess
import wave
from collections.abc import Callable
from functools import cache
from pathlib import Path

import av
import numpy as np

HERE = Path(__file__).resolve().parent
PHRASES = {
    "muscles": "what muscles do nordics work",
    "soreness": "how long does the soreness last",
    "beginner": "how many reps should a beginner do",
}
# questions in another voice, which Whisper's likeliest transcript gets wrong ("Minies hurt on the floor")
VOICED_PHRASES = {"knees-awb": ("flite-awb", "my knees hurt on the floor")}
# what the lead's end-to-end session by voice says, and what tests/voice check the recogniser picks
COMMANDS = (
    "no",
    "yes",
    "ok",
    "ready",
    "next",
    "done",
    "skip",
    "stop",
    "carry on",
    "three reps",
    "five",
    "four",
    "no I'm fine",
    "yes legs are warm",
    "I'm set up",
    "got it",
    "start my sets",
)
COMMAND_VOICES = ("espeak-ng", "hibari")
OPUS_BITRATE = 24_000  # bits/s: a few KB a clip, and what a phone's voice note sounds like
Audio = tuple[np.ndarray, int]  # int16 samples, sample rate


def slug(text: str) -> str:
    """The file name of a phrase: "no I'm fine" -> "no-im-fine"."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower().replace("'", "")).strip("-")


def read_wav(data: bytes) -> Audio:
    with wave.open(io.BytesIO(data)) as w:
        return np.frombuffer(w.readframes(w.getnframes()), np.int16), w.getframerate()


def espeak(text: str, voice: str = "en-us+m3", speed: int = 130) -> Audio:
    args = ["espeak-ng", "-v", voice, "-s", str(speed), "--stdout", text]
    return read_wav(subprocess.run(args, check=True, capture_output=True).stdout)


def flite(text: str, voice: str = "slt") -> Audio:
    args = ["flite", "-voice", voice, "-t", text, "-o", "/dev/stdout"]
    return read_wav(subprocess.run(args, check=True, capture_output=True).stdout)


@cache
def _hibari() -> Callable[..., np.ndarray]:
    from hibari import Hibari

    return Hibari("heart")  # the voice shipped inside the wheel; any other would be downloaded


def hibari(text: str) -> Audio:
    audio = _hibari()(text, seed=0)
    return (np.clip(audio, -1, 1) * 32767).astype(np.int16), 24_000


VOICES: dict[str, Callable[[str], Audio]] = {
    "espeak-ng": espeak,
    "espeak-ng-gb": lambda text: espeak(text, "en-gb-x-rp+f3", 150),
    "flite-slt": flite,
    "flite-awb": lambda text: flite(text, "awb"),
    "hibari": hibari,
}


def speak(text: str, voice: str = "espeak-ng") -> Audio:
    """The text said by one of VOICES, with 0.3 s of silence either side, as a voice note has."""
    samples, rate = VOICES[voice](text)
    pad = np.zeros(int(0.3 * rate), np.int16)
    return np.concatenate([pad, samples, pad]), rate


def to_ogg_opus(samples: np.ndarray, rate: int, bitrate: int | None = OPUS_BITRATE) -> bytes:
    """OGG/Opus bytes at 48 kHz mono; `bitrate` None is libopus's default."""
    out = io.BytesIO()
    with av.open(out, mode="w", format="ogg") as container:
        stream = container.add_stream("libopus", rate=48000, layout="mono")
        if bitrate:
            stream.bit_rate = bitrate
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = rate
        resampler = av.AudioResampler(format="s16", layout="mono", rate=48000)
        for piece in [*resampler.resample(frame), *resampler.resample(None)]:
            for packet in stream.encode(piece):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return out.getvalue()


def main() -> None:
    for name, text in PHRASES.items():  # kept once written: tests pin what is heard in them
        if not (HERE / f"{name}.ogg").exists():
            (HERE / f"{name}.ogg").write_bytes(to_ogg_opus(*espeak(text), bitrate=None))
            print(name, text)
    for name, (voice, text) in VOICED_PHRASES.items():
        if not (HERE / f"{name}.ogg").exists():
            (HERE / f"{name}.ogg").write_bytes(to_ogg_opus(*speak(text, voice)))
            print(name, voice, text)
    for voice in COMMAND_VOICES:
        folder = HERE / "commands" / voice
        folder.mkdir(parents=True, exist_ok=True)
        for text in COMMANDS:
            data = to_ogg_opus(*speak(text, voice))
            (folder / f"{slug(text)}.ogg").write_bytes(data)
            print(f"{voice}/{slug(text)}.ogg {len(data)} bytes: {text}")


if __name__ == "__main__":
    main()
