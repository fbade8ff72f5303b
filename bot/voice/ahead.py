"""Whisper base writing a note in a second thread while tiny.en scores the replies, so a question asked
mid-step waits for the longer of the two, not their sum.

Why: a note that is not a reply was scored by tiny.en (about 0.85 s on two cores) and only then written
by base (about 0.8 s), 1.5-2.0 s in all against issue 12's 1.5 s. The output is the same either way:
base's transcript is what the note gets when no reply wins, whenever it was started. What changes is
the work thrown away when a reply does win: base's encode (its decode is skipped), about 0.5 s of CPU.
So base starts at once only for a note long enough to be a question more likely than a command, and
otherwise as soon as tiny.en's plain transcript is neither a reply word for word (most commands are)
nor spelled much like one (whisper.py's REPLY_LIKENESS); failing both, once no reply has won.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

from bot.voice.audio import SAMPLE_RATE
from bot.voice.decoder import Decoder

# Notes at least this long start base at once. On benchmarks/voice.py's dev clips, 90% of the commands
# are shorter (their median is 1.6 s) and 90% of the questions asked mid-set longer (median 2.7 s).
EARLY_SECONDS = 2.2


class Ahead:
    """One note's transcript by `decoder`, started by `start` (or at once if the note is long) and
    waited for by `result`; `cancel` when a reply has won, and the decode is skipped."""

    def __init__(self, decoder: Decoder, audio: np.ndarray, threads: ThreadPoolExecutor) -> None:
        self.decoder, self.audio, self.threads = decoder, audio, threads
        self.cancelled = threading.Event()
        self.future: Future[str] | None = None
        if len(audio) >= EARLY_SECONDS * SAMPLE_RATE:
            self.start()

    def start(self) -> Future[str]:
        if self.future is None:
            self.future = self.threads.submit(self.decoder.transcript, self.audio, self.cancelled)
        return self.future

    def cancel(self) -> None:
        self.cancelled.set()

    def result(self) -> str:
        return self.start().result()
