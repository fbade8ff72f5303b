"""Spoken replies, the pure part: the words said, the engines, and the OGG/Opus note they make."""

from __future__ import annotations

import shutil
from collections.abc import Callable

import numpy as np
import pytest

from bot.voice.speech import (
    MAX_CHARS,
    CommandEngine,
    HibariEngine,
    Speech,
    SpeechError,
    available,
    best_engine,
    espeak_ng,
    flite,
    speakable,
    to_ogg_opus,
    voice_note,
)
from tests.voice.opus import read_note


def test_a_title_line_is_said_as_a_sentence() -> None:
    assert speakable("Safety first\nBefore we start: ready?") == "Safety first. Before we start: ready?"
    assert speakable("Done.\nNext step") == "Done. Next step."


def test_ranges_scores_and_commands_are_said_in_words() -> None:
    said = speakable("How sore, 0-10? Thanks, noted: 4/10. Send /resume or /session when ready.")
    assert said == "How sore, 0 to 10? Thanks, noted: 4 out of 10. Send resume or session when ready."


def test_citations_are_left_out() -> None:
    answer = "What DOMS is\nSoreness after training.\n\nSource: Cheung et al. 2003, Sports Med 33:145"
    assert speakable(answer) == "What DOMS is. Soreness after training."


def test_a_long_reply_is_cut_at_a_sentence_end() -> None:
    said = speakable("This is one sentence of the reply. " * 100)
    assert len(said) <= MAX_CHARS and said.endswith("reply.")


def test_a_note_is_ogg_opus_48_khz_mono_as_long_as_the_speech() -> None:
    rate = 22_050
    t = np.arange(int(rate * 1.5)) / rate
    tone = (8000 * np.sin(2 * np.pi * 220 * t)).astype(np.int16)
    note = read_note(to_ogg_opus(Speech(tone, rate)))
    assert (note.codec, note.rate, note.channels) == ("opus", 48_000, 1)
    assert 1.4 < note.seconds < 1.7 and note.peak > 0.1


def test_the_bundled_hibari_voice_speaks_without_downloading() -> None:
    engine = available("hibari-tts")
    assert isinstance(engine, HibariEngine), "hibari-tts is a pinned dependency"
    assert HibariEngine.model_path() is not None
    best = best_engine()
    assert best is not None and best.name == "hibari-tts", "the best engine, ahead of flite and espeak-ng"
    data = voice_note(engine, "Set 1 of 2\nUp to 5 slow lowerings.")
    assert data is not None
    note = read_note(data)
    assert (note.codec, note.rate, note.channels) == ("opus", 48_000, 1)
    assert note.seconds > 1.5 and note.peak > 0.05
    assert voice_note(engine, "Source: a paper") is None, "nothing left to say: no note"


@pytest.mark.parametrize("make", [flite, espeak_ng], ids=["flite", "espeak-ng"])
def test_the_debian_engines_speak_when_installed(make: Callable[[], CommandEngine]) -> None:
    engine = make()
    if shutil.which(engine.argv("")[0]) is None:
        pytest.skip(f"{engine.name} is not installed (apt install {engine.name})")
    speech = engine.synthesise("Rest is over.")
    assert speech.seconds > 0.5 and np.abs(speech.samples).max() > 1000


def test_a_broken_program_is_a_speech_error() -> None:
    engine = CommandEngine("false", lambda text: ["false", text])
    with pytest.raises(SpeechError, match="false failed"):
        engine.synthesise("hello")
    missing = CommandEngine("missing", lambda text: ["/nonexistent/speak", text])
    with pytest.raises(SpeechError):
        missing.synthesise("hello")
    assert available("no-such-engine") is None
