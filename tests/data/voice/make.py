"""Write the voice-note fixtures: English sentences spoken by espeak-ng, encoded as Telegram sends voice
notes (OGG/Opus, mono, 48 kHz). Run by hand after changing PHRASES (needs `apt install espeak-ng`);
the tests only read the .ogg files.

    .venv/bin/python tests/data/voice/make.py
"""

from __future__ import annotations

import io
import subprocess
import wave
from pathlib import Path

import av
import numpy as np

HERE = Path(__file__).resolve().parent
PHRASES = {
    "muscles": "what muscles do nordics work",
    "soreness": "how long does the soreness last",
    "beginner": "how many reps should a beginner do",
}


def speak(text: str) -> tuple[np.ndarray, int]:
    wav = subprocess.run(
        ["espeak-ng", "-v", "en-us+m3", "-s", "130", "--stdout", text], check=True, capture_output=True
    ).stdout
    with wave.open(io.BytesIO(wav)) as w:
        return np.frombuffer(w.readframes(w.getnframes()), np.int16), w.getframerate()


def to_ogg_opus(samples: np.ndarray, rate: int) -> bytes:
    out = io.BytesIO()
    with av.open(out, mode="w", format="ogg") as container:
        stream = container.add_stream("libopus", rate=48000, layout="mono")
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = rate
        resampler = av.AudioResampler(format="s16", layout="mono", rate=48000)
        for piece in [*resampler.resample(frame), *resampler.resample(None)]:
            for packet in stream.encode(piece):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return out.getvalue()


if __name__ == "__main__":
    for name, text in PHRASES.items():
        (HERE / f"{name}.ogg").write_bytes(to_ogg_opus(*speak(text)))
        print(name, text)
