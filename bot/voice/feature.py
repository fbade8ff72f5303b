"""Voice notes: gives the coach its ears (recogniser.py), built from the knowledge: a language model of
what people say to this bot for pocketsphinx, the entry titles as Whisper's prompt. `Coach.listen` takes
the replies the chat expects, and `Coach.hear` then answers the words like typed text."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from bot.config import Config
from bot.core.coach import Coach, Heard
from bot.core.numbers import SPOKEN
from bot.knowledge.base import KnowledgeBase
from bot.voice.recogniser import Ears


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


def make_ears(
    kb: KnowledgeBase,
    pronunciations: dict[str, str],
    config: Config,
    labels: Iterable[str] = (),
    fallback: bool = True,
    workers: int = 0,
) -> Ears:
    """The bot's and the CLI's recogniser, with the configured backend (built on first use), in
    `workers` processes (0: in this one)."""
    return Ears(
        sentences(kb, labels),
        pronunciations,
        config.voice_max_seconds,
        backend=config.voice_backend,
        prompt=prompt(kb),
        fallback=fallback,
        workers=workers,
    )


def register(coach: Coach, pronunciations: dict[str, str]) -> None:
    """Register it last: the language model includes the buttons the other features registered."""
    from bot.voice.audio import VoiceError

    labels = [b.label for b in coach.start_buttons]
    ears = make_ears(coach.kb, pronunciations, coach.config, labels, workers=coach.config.voice_workers)

    def listen(audio: bytes, expected: Sequence[str]) -> Heard:
        try:
            heard = ears.hear(audio, expected)
        except VoiceError as exc:
            return Heard(problem=exc.reason)
        return Heard(heard.text, choice=heard.choice)

    coach.ears = listen
