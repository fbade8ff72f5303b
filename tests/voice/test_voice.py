"""Voice notes: decoding, recognition, the core's `hear`, the CLI contract and Telegram end to end.

The recordings in tests/data/voice are espeak-ng speaking, encoded as Telegram encodes voice notes
(OGG/Opus); tests/data/voice/make.py writes them. The pocketsphinx transcripts pinned here are the
fallback backend's; tests/voice/test_recognition.py covers Whisper, the default, and expectations.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.coach import Incoming
from bot.knowledge.base import DEFAULT_DIR, load_knowledge
from bot.knowledge.yamlfile import KnowledgeError
from bot.voice.audio import SAMPLE_RATE, VoiceError, decode
from bot.voice.feature import sentences
from bot.voice.pronunciations import load_pronunciations
from bot.voice.recogniser import Ears
from tests.fakebot.server import FakeBotApi
from tests.support import USER, make_coach, make_config, running_bot

VOICE = Path(__file__).resolve().parents[1] / "data" / "voice"
KB = load_knowledge()
EARS = Ears(sentences(KB), load_pronunciations(DEFAULT_DIR), max_seconds=60, backend="pocketsphinx")


def wav(samples: np.ndarray, rate: int = SAMPLE_RATE) -> bytes:
    """16-bit mono WAV bytes, written by PyAV."""
    out = io.BytesIO()
    with av.open(out, mode="w", format="wav") as container:
        stream = container.add_stream("pcm_s16le", rate=rate, layout="mono")
        frame = av.AudioFrame.from_ndarray(
            samples.astype(np.int16).reshape(1, -1), format="s16", layout="mono"
        )
        frame.sample_rate = rate
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            container.mux(packet)
    return out.getvalue()


SILENCE = wav(np.zeros(SAMPLE_RATE * 2, np.int16))


def test_a_telegram_voice_note_decodes_to_16_khz_mono() -> None:
    samples = decode((VOICE / "muscles.ogg").read_bytes(), max_seconds=60)
    assert samples.dtype == np.int16 and 2.0 < len(samples) / SAMPLE_RATE < 3.5
    assert np.abs(samples).max() > 1000, "speech, not silence"


@pytest.mark.parametrize(
    ("data", "reason"),
    [(b"", "unreadable"), (b"OggS" + b"\x00" * 200, "unreadable"), (b"not audio at all" * 50, "unreadable")],
)
def test_bad_audio_is_refused_with_a_reason(data: bytes, reason: str) -> None:
    with pytest.raises(VoiceError) as info:
        decode(data, max_seconds=60)
    assert info.value.reason == reason


def test_a_note_over_the_limit_is_refused() -> None:
    five_seconds = wav(np.zeros(SAMPLE_RATE * 5, np.int16))
    with pytest.raises(VoiceError) as info:
        decode(five_seconds, max_seconds=2)
    assert info.value.reason == "too_long"
    assert len(decode(five_seconds, max_seconds=6)) == SAMPLE_RATE * 5


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=4000))
def test_any_bytes_decode_or_are_refused(data: bytes) -> None:
    try:
        samples = decode(data, max_seconds=5)
    except VoiceError as exc:
        assert exc.reason in {"unreadable", "too_long"}
    else:
        assert samples.dtype == np.int16 and 0 < len(samples) <= 5 * SAMPLE_RATE + 4096


def test_the_recogniser_hears_the_knowledge_words() -> None:
    transcript = EARS.hear((VOICE / "muscles.ogg").read_bytes())
    assert "muscles" in transcript.text and "nordics" in transcript.text  # "nordics" is only in
    assert transcript.backend == "pocketsphinx" and 2.0 < transcript.seconds < 3.5  # pronunciations.yaml
    assert "beginner" in EARS.hear((VOICE / "beginner.ogg").read_bytes()).text
    assert EARS.hear(SILENCE).text == ""


def test_the_coach_says_what_it_heard_then_answers(tmp_path: Path) -> None:
    coach = make_coach(tmp_path, voice_backend="pocketsphinx")  # the transcript pinned below is its
    note = Incoming(USER, USER, "voice", "", "Tess")
    heard, *answer = coach.hear(note, coach.listen((VOICE / "soreness.ogg").read_bytes()))
    assert heard.text.startswith("🎙 I heard:") and "soreness" in heard.text.lower()
    assert answer and "DOMS" in answer[0].text  # doms-how-long, as if typed
    assert coach.store.status()["questions"] == 1, "the words are logged like a typed question"
    [unclear] = coach.hear(note, coach.listen(SILENCE))
    assert "couldn't make out" in unclear.text
    [unreadable] = coach.hear(note, coach.listen(b"\x00" * 100))
    assert "couldn't play" in unreadable.text


def test_a_long_note_is_refused_naming_the_limit(tmp_path: Path) -> None:
    coach = make_coach(tmp_path, voice_max_seconds=1.0)
    [reply] = coach.hear(Incoming(USER, USER, "voice", "", "Tess"), coach.listen(SILENCE))
    assert "1 seconds at most" in reply.text


def hamcoach(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True, timeout=120)


def test_transcribe_and_ask_voice_keep_their_contract(tmp_path: Path) -> None:
    result = hamcoach("transcribe", str(VOICE / "muscles.ogg"), "--json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert set(out) == {"text", "seconds", "backend", "choice"} and "muscles" in out["text"].lower()
    assert isinstance(out["seconds"], float) and out["backend"] == "whisper" and out["choice"] is None
    asked = hamcoach("ask", "--voice", str(VOICE / "muscles.ogg"), "--json")
    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout)
    assert answer["matched"] and answer["topic"] == "muscles-worked"
    (tmp_path / "note.ogg").write_bytes(b"definitely not audio")
    bad = hamcoach("transcribe", str(tmp_path / "note.ogg"))
    assert bad.returncode == 1 and "cannot use" in bad.stderr and "Traceback" not in bad.stderr
    missing = hamcoach("ask", "--voice", str(tmp_path / "nothing.ogg"))
    assert missing.returncode == 1 and "cannot read" in missing.stderr


def test_transcribe_with_an_expectation_says_which_reply_it_heard() -> None:
    note = str(VOICE / "commands" / "espeak-ng" / "next.ogg")
    result = hamcoach("transcribe", note, "--json", "--expect", "next|done|skip|i did three reps")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) | {"seconds": 0} == {
        "text": "next",
        "seconds": 0,
        "backend": "whisper",
        "choice": "next",
    }
    question = hamcoach("transcribe", str(VOICE / "muscles.ogg"), "--json", "--expect", "next|done|skip")
    out = json.loads(question.stdout)
    assert out["choice"] is None and "muscles" in out["text"].lower()
    fallback = subprocess.run(
        [sys.executable, "-m", "bot", "transcribe", note, "--json", "--expect", "next|done"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "HAMCOACH_VOICE_BACKEND": "pocketsphinx"},
    )
    assert json.loads(fallback.stdout)["backend"] == "pocketsphinx", fallback.stderr


def test_pronunciations_are_checked_with_file_and_line(tmp_path: Path) -> None:
    shutil.copytree(DEFAULT_DIR, tmp_path / "kb")
    path = tmp_path / "kb" / "pronunciations.yaml"
    path.write_text("words:\n  nordics: N AO R D IH K S\n  doms: D QQ M Z\n  Two Words: AA\n  glutes:\n")
    with pytest.raises(KnowledgeError) as info:
        load_pronunciations(tmp_path / "kb")
    problems = [str(p) for p in info.value.problems]
    assert any(p.startswith(f"{path}:3:") and "QQ" in p for p in problems), problems
    assert any(p.startswith(f"{path}:4:") and "one lowercase word" in p for p in problems), problems
    assert any(p.startswith(f"{path}:5:") and "needs its phones" in p for p in problems), problems
    check = hamcoach("check", str(tmp_path / "kb"))
    assert check.returncode == 1 and "pronunciations.yaml:3:" in check.stderr


async def test_a_voice_note_in_telegram_is_heard_and_answered(fake_api: FakeBotApi, tmp_path: Path) -> None:
    async with running_bot(fake_api, make_config(tmp_path, voice_max_seconds=30.0)):
        fake_api.user_sends_voice(USER, (VOICE / "muscles.ogg").read_bytes(), duration=3)
        heard, answer = await fake_api.wait_for_messages_async(USER, 2, 60.0)  # the worker may still load
        assert heard["text"].startswith("🎙 I heard:") and "nordic" in heard["text"].lower()
        assert "hamstrings" in answer["text"]
        fake_api.user_sends_voice(USER, (VOICE / "muscles.ogg").read_bytes(), duration=45)
        *_, too_long = await fake_api.wait_for_messages_async(USER, 3)
        assert "30 seconds at most" in too_long["text"]
        assert len(fake_api.calls_of("getFile")) == 1, "a note over the limit is never downloaded"
