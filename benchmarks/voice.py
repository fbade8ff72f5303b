"""Voice notes: how fast and how well, on questions spoken by espeak-ng (needs `apt install espeak-ng`).

    .venv/bin/python benchmarks/voice.py [--count N]

Speaks the first N in-scope questions of the tuning half of tests/data/eval.yaml (a synthetic voice:
real voices differ, in both directions), encodes each as Telegram does (OGG/Opus), then prints:
- the recogniser's build time and the real-time factor (seconds of work per second of audio);
- word error rate of the transcripts against the questions' words;
- top-1 accuracy of the answers to the transcripts against the answers to the typed questions, and
  their ratio, measured in the same run;
- the same with pocketsphinx's general US English language model instead of ours, for comparison.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.answering.evaluation import Case, load_cases, split
from bot.answering.index import Index
from bot.core.textnorm import words
from bot.knowledge.base import load_knowledge
from bot.voice.audio import SAMPLE_RATE, decode, has_speech
from bot.voice.feature import sentences
from bot.voice.pronunciations import load_pronunciations
from bot.voice.recogniser import Ears, utterance
from tests.data import EVAL_FILE
from tests.data.voice.make import speak, to_ogg_opus


def edits(said: list[str], heard: list[str]) -> int:
    """Word-level edit distance (substitutions, insertions, deletions)."""
    row = list(range(len(heard) + 1))
    for i, word in enumerate(said, 1):
        prev, row[0] = row[0], i
        for j, other in enumerate(heard, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (word != other))
    return row[-1]


def general_model(notes: list[bytes]) -> list[str]:
    """What pocketsphinx hears with its own general English language model."""
    from pocketsphinx import Decoder

    decoder = Decoder(samprate=SAMPLE_RATE, loglevel="FATAL")
    samples = [decode(note, 60) for note in notes]
    return [utterance(decoder, s) if has_speech(s) else "" for s in samples]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=60)
    args = parser.parse_args()
    if shutil.which("espeak-ng") is None:
        sys.exit("benchmarks/voice.py needs espeak-ng (apt install espeak-ng) to speak the questions")
    kb = load_knowledge()
    index = Index(kb)
    cases = [c for c in split(load_cases(EVAL_FILE))[0] if c.expect][: args.count]
    notes = [to_ogg_opus(*speak(c.question)) for c in cases]

    started = time.perf_counter()
    ears = Ears(sentences(kb), load_pronunciations(kb.folder), max_seconds=60)
    ears.recogniser()
    print(f"recogniser built in {time.perf_counter() - started:.2f} s")

    audio_s = work_s = 0.0
    heard_texts = []
    for note in notes:
        audio_s += len(decode(note, 60)) / SAMPLE_RATE
        started = time.perf_counter()
        heard_texts.append(ears.hear(note).text)
        work_s += time.perf_counter() - started
    print(f"{len(cases)} notes, {audio_s:.1f} s of audio: real-time factor {work_s / audio_s:.3f}")
    typed_right = sum(right(index, c.question, c.expect) for c in cases)
    print(f"top-1 typed {typed_right / len(cases):.3f}")
    ours = report("knowledge language model", index, cases, heard_texts, typed_right)
    general = report("general language model", index, cases, general_model(notes), typed_right)
    print(f"ratio of voice top-1, ours/general: {ours / max(general, 1):.1f}")


def right(index: Index, text: str, expect: frozenset[str]) -> bool:
    entry = index.answer(text).entry
    return entry is not None and entry.id in expect


def report(name: str, index: Index, cases: list[Case], heard: list[str], typed_right: int) -> int:
    """Print word error rate and top-1 by voice; return how many the voice answers got right."""
    errors = sum(edits(words(c.question), words(text)) for c, text in zip(cases, heard, strict=True))
    total = sum(len(words(c.question)) for c in cases)
    correct = sum(right(index, text, c.expect) for c, text in zip(cases, heard, strict=True))
    print(
        f"{name}: word error rate {errors / total:.3f}, top-1 by voice {correct / len(cases):.3f} "
        f"(ratio voice/typed {correct / max(typed_right, 1):.2f})"
    )
    return correct


if __name__ == "__main__":
    main()
