"""Voice notes: gives the coach a listener (recogniser.py) whose language model knows what people say
to this bot. `Coach.hear` then answers the words like typed text."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from bot.core.coach import Coach, Heard
from bot.core.numbers import SPOKEN
from bot.knowledge.base import KnowledgeBase


def sentences(kb: KnowledgeBase, labels: Iterable[str] = ()) -> list[str]:
    """What people say to this bot: the knowledge's titles, examples, messages and near misses, the
    numbers (reps, soreness scores) and the labels of the buttons they would otherwise press."""
    out = [text for entry in kb.entries.values() for text in (entry.title, *kb.examples(entry))]
    return [*out, *kb.near_misses, *SPOKEN, " ".join(SPOKEN), *labels]


def prompt(kb: KnowledgeBase) -> str:
    """What Whisper is told came before a note: the knowledge's entry titles ("How long DOMS lasts",
    "Toes and calf cramps"), so it expects our words and spells them ours. Whisper keeps the last 220
    tokens or so; on benchmarks/voice.py's questions this kept 112 of 130 keywords, against 95 with no
    prompt and 102 with the topic labels."""
    return ". ".join(entry.title for entry in kb.entries.values()) + "."


def register(coach: Coach, pronunciations: dict[str, str]) -> None:
    """Register it last: the language model includes the buttons the other features registered."""
    from bot.voice.audio import VoiceError
    from bot.voice.recogniser import Ears  # PyAV and pocketsphinx load only when voice is set up

    labels = [b.label for b in coach.start_buttons]
    ears = Ears(sentences(coach.kb, labels), pronunciations, coach.config.voice_max_seconds)

    def listen(audio: bytes, expected: Sequence[str]) -> Heard:
        try:
            return Heard(ears.hear(audio).text)
        except VoiceError as exc:
            return Heard(problem=exc.reason)

    coach.ears = listen
