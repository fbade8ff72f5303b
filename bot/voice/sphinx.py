"""pocketsphinx with its bundled US English acoustic model: the fallback recogniser (small, no extra
package), and the voice activity check's home.

Why a language model of our own: pocketsphinx's general English one heard "why do my calves cramp" as
"why do" and "where do my hips go" as "where do you go". One built at start-up from the knowledge's
own sentences (titles, example questions, messages, near misses, button labels) expects the words
people say to this bot. Words the pronouncing dictionary lacks ("nordics", "doms", "glutes") are
spelled in bot/knowledge/data/pronunciations.yaml; any other unknown word is left out of the model.

With expected replies, the same audio is also decoded against a JSGF grammar of exactly those replies,
and the grammar's answer is kept when its path score is close to the language model's.

A decoder carries state from one utterance to the next (its feature extraction's noise and mean
estimates), so the same clip was heard differently after other notes: each note resets it. Decoders are
not thread-safe, so each note borrows one from a pool that grows to the number of notes at once.
"""

from __future__ import annotations

import io
import math
import queue
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from pocketsphinx import Decoder, get_model_path
from pocketsphinx.lm import ArpaBoLM

from bot.core.textnorm import words
from bot.voice.audio import SAMPLE_RATE
from bot.voice.phrases import exact, plain

BACKEND = "pocketsphinx"
MODELS = Path(get_model_path()) / "en-us"
ACOUSTIC = MODELS / "en-us"
DICTIONARY = MODELS / "cmudict-en-us.dict"
GRAMMAR = "expected"
# The grammar's reply is kept when its hypothesis scores at least the language model's (pocketsphinx's
# Hypothesis.score); benchmarks/voice.py: 338 of 420 commands right, 24 of 130 questions taken for a
# reply; requiring +0.02 gave 316 and 17.
CHOICE_MARGIN = 0.0


def utterance(decoder: Decoder, samples: np.ndarray) -> tuple[str, float]:
    """The words a decoder hears in one utterance, spaced once, and its path score; the decoder's
    feature state is reset first, so earlier notes do not colour this one."""
    decoder.reinit_feat()
    decoder.start_utt()
    decoder.process_raw(samples.astype(np.int16).tobytes(), full_utt=True)
    decoder.end_utt()
    hypothesis = decoder.hyp()
    if hypothesis is None:
        return "", -math.inf
    return " ".join(hypothesis.hypstr.split()), hypothesis.score


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


def grammar(expected: Sequence[str], vocabulary: frozenset[str]) -> tuple[str, dict[str, str]]:
    """A JSGF grammar of the expected replies the dictionary can spell, and spoken words -> reply."""
    replies: dict[str, str] = {}
    for phrase in expected:
        said = plain(phrase)
        if said and all(word in vocabulary for word in said.split()):
            replies.setdefault(said, phrase)
    if not replies:
        return "", {}
    body = " | ".join(replies)
    return f"#JSGF V1.0;\ngrammar {GRAMMAR};\npublic <reply> = {body};\n", replies


class Sphinx:
    """Decoders over the knowledge's language model (under a second to build one), lent one per note."""

    def __init__(self, sentences: Iterable[str], pronunciations: dict[str, str]) -> None:
        known = known_words()
        self.extra = {word: phones for word, phones in pronunciations.items() if word not in known}
        self.vocabulary = known | frozenset(self.extra)
        self.arpa = language_model(sentences, self.vocabulary)
        self.free: queue.SimpleQueue[Decoder] = queue.SimpleQueue()
        self.free.put(self.build())

    def build(self) -> Decoder:
        decoder = Decoder(
            hmm=str(ACOUSTIC), dict=str(DICTIONARY), samprate=SAMPLE_RATE, loglevel="FATAL", lm=False
        )
        for word, phones in self.extra.items():  # a dictionary word keeps the dictionary's phones
            decoder.add_word(word, phones, True)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "knowledge.arpa"
            path.write_text(self.arpa, encoding="utf-8")
            decoder.add_lm_file("knowledge", str(path))
        decoder.activate_search("knowledge")
        return decoder

    @contextmanager
    def decoder(self) -> Iterator[Decoder]:
        """A decoder no other thread is using: a free one, or a new one when all are busy."""
        try:
            decoder = self.free.get_nowait()
        except queue.Empty:
            decoder = self.build()
        try:
            yield decoder
        finally:
            self.free.put(decoder)

    def transcribe(self, samples: np.ndarray, expected: Sequence[str] = ()) -> tuple[str, str]:
        """The words heard with the language model, and the expected reply they say ("" for none)."""
        with self.decoder() as decoder:
            text, score = utterance(decoder, samples)
            if not expected:
                return text, ""
            if found := exact(text, expected):
                return found, found
            jsgf, replies = grammar(expected, self.vocabulary)
            if not jsgf:
                return text, ""
            decoder.add_jsgf_string(GRAMMAR, jsgf)
            decoder.activate_search(GRAMMAR)
            try:
                said, fitted = utterance(decoder, samples)
            finally:
                decoder.activate_search("knowledge")
        choice = replies.get(said, "")
        if choice and fitted >= score - CHOICE_MARGIN:
            return choice, choice
        return text, ""
