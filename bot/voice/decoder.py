"""One Whisper model ready to decode: its weights loaded from the checked files, its tokenizer, and the
start tokens with and without the knowledge prompt. whisper.py uses one for replies and one for questions.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable

import numpy as np

from bot.core.textnorm import words
from bot.voice.audio import SAMPLE_RATE
from bot.voice.phrases import spell_numbers
from bot.voice.weights import ModelMismatch, Weights

WINDOW = 30 * SAMPLE_RATE  # Whisper hears 30 s at a time
# An open transcript is chosen from Whisper's NBEST likeliest, each scored by its log-probability less
# OOV_COST nats per word that people never say to this bot (no knowledge text, example or button has it):
# "How slowly should I lure myself?" loses to "... lower myself?", "Minies hurt" to "My knees hurt".
# Only words the audio made nearly as likely can win, so a word we lack is still written when it was
# clearly said. On benchmarks/voice.py's dev clips: question keywords 108-109 -> 112-113 of 130, open
# and mid-set alike (tuned there: 1.0, 2.0 and 3.0 did the same; 1.5 kept).
NBEST = 5
OOV_COST = 1.5
# After the prompt (titles ending in full stops) base may end a question "What is DOMS?."; the user is
# shown the transcript, so the full stop after a question or exclamation mark goes
END = re.compile(r"([?!])\.+(?=\s|$)")


def tidy(text: str) -> str:
    """ "What is DOMS?." -> "What is DOMS?"; other punctuation as it was."""
    return END.sub(r"\1", text)


class Decoder:
    """A CTranslate2 Whisper model shared by every chat: it is thread-safe, and `workers` notes can be
    decoded at once without a lock of ours."""

    def __init__(
        self,
        weights: Weights,
        prompt: str = "",
        threads: int = 2,
        workers: int = 2,
        vocabulary: Iterable[str] = (),
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
        model = WhisperModel(
            weights.name,
            device="cpu",
            compute_type="int8",
            cpu_threads=threads,
            num_workers=workers,
            files=weights.files(),
        )
        self.model = model.model
        self.features = model.feature_extractor
        multilingual = model.model.is_multilingual  # base: its start tokens name English
        self.tokenizer = Tokenizer(model.hf_tokenizer, multilingual, task="transcribe", language="en")
        context = self.tokenizer.encode(" " + prompt.strip())[-220:] if prompt.strip() else []
        self.bare = [*self.tokenizer.sot_sequence, self.tokenizer.no_timestamps]
        self.start = [self.tokenizer.sot_prev, *context, *self.bare] if context else self.bare
        self.vocabulary = frozenset(vocabulary)

    def transcript(self, audio: np.ndarray, cancelled: threading.Event | None = None) -> str:
        """The free transcript of float audio of any length, after the prompt, numbers as words; ""
        if `cancelled` is set before a window's decode (its encode cannot be stopped)."""
        windows = [audio[i : i + WINDOW] for i in range(0, len(audio), WINDOW)] or [audio]
        texts = []
        for window in windows:
            encoded = self.encode(window)
            if cancelled is not None and cancelled.is_set():
                return ""
            texts.append(self.decode(encoded, len(window)))
        return spell_numbers(tidy(" ".join(texts).strip()))

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

    def logprobs(self, memory: np.ndarray, prefixes: list[tuple[int, ...]]) -> list[np.ndarray]:
        """Per token sequence, the log-probability rows of each of its tokens and of the token after
        (row i is the distribution of token i given the ones before), in one batch. The sequences are
        given as CTranslate2's decoding prefix, which returns the logits of every prefix token; they are
        scored after the bare start tokens (no knowledge prompt), the same for every candidate. Measured
        with tiny.en only, which scores the replies: after base's longer start (its language and task
        tokens) CTranslate2 returns fewer rows, and the check below raises."""
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
