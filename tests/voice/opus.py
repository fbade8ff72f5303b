"""What a voice note is, read back with PyAV: codec, sample rate, channels, length and loudness."""

from __future__ import annotations

import io
from dataclasses import dataclass

import av
import numpy as np


@dataclass(frozen=True)
class NoteInfo:
    codec: str
    rate: int
    channels: int
    seconds: float
    peak: float  # the loudest sample, 0..1


def read_note(data: bytes) -> NoteInfo:
    """Decode every frame of the note's first audio stream (so a truncated file fails here)."""
    with av.open(io.BytesIO(data), mode="r") as container:
        stream = container.streams.audio[0]
        codec, rate, channels = stream.codec_context.name, stream.codec_context.sample_rate, stream.channels
        chunks = [frame.to_ndarray().reshape(-1) for frame in container.decode(stream)]
    samples = np.concatenate(chunks).astype(np.float32)
    return NoteInfo(codec, rate, channels, len(samples) / channels / rate, float(np.abs(samples).max()))
