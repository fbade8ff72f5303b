"""Audio bytes to samples the recogniser takes: any format FFmpeg reads (PyAV bundles it), as 16 kHz
mono 16-bit, with a length limit and a check that there is speech at all."""

from __future__ import annotations

import io

import numpy as np

SAMPLE_RATE = 16_000
MIN_SPEECH_SECONDS = 0.15
MAX_BYTES = 20 * 1024 * 1024  # what the Bot API lets a bot download; larger is refused unread


class VoiceError(Exception):
    """Audio we cannot use; `reason` picks the line the user gets (texts.yaml: voice_<reason>)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


def decode(data: bytes, max_seconds: float) -> np.ndarray:
    """Mono 16 kHz 16-bit samples of the first audio stream; VoiceError if unreadable, empty or longer
    than `max_seconds` (decoding stops there, so a long file costs no more than a short one)."""
    if not data:
        raise VoiceError("unreadable", "no bytes")
    if len(data) > MAX_BYTES:
        raise VoiceError("too_long", f"{len(data)} bytes")
    import av  # here, not at the top: the bot's start-up need not load FFmpeg

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
    speech. Without this check the recogniser "hears" a word in silence ("all"). Not more: one word
    said in gym noise can have only 0.24 s of it (benchmarks/voice.py's "eight", "seven" and "skip" were
    thrown away at 0.3 s), and gym noise without speech passes whatever the length, so refusing noise
    is the recogniser's scoring's job, not this check's."""
    from pocketsphinx import Vad

    vad = Vad(3, sample_rate=SAMPLE_RATE)
    step = vad.frame_bytes // 2
    frames = (samples[i : i + step] for i in range(0, len(samples) - step + 1, step))
    speech = sum(1 for frame in frames if vad.is_speech(frame.tobytes()))
    return speech * vad.frame_length >= MIN_SPEECH_SECONDS
