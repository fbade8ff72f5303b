"""Spoken replies as a feature: `/voice on|off` (per user, off by default; `/voice` alone shows the
setting with On and Off buttons), and the coach's `speaker`, which adapters ask after each batch of
replies. Synthesis (speech.py) is slow and free of the database, so adapters run it off their loop."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from bot.core.coach import Coach, Incoming
from bot.core.reply import Button, Reply
from bot.voice.speech import Engine, voice_note
from bot.voice.store import VoicePrefs

log = logging.getLogger(__name__)

PREFIX = "voice"


def batch_text(replies: Iterable[Reply], skip: str = "") -> str:
    """The words of one batch of replies, said as one voice note: each reply's text in order, leaving
    out `skip` (the "I heard: ..." echo of a voice note: the user knows what they said)."""
    return "\n\n".join(t for r in replies if (t := r.text.strip()) and t != skip.strip())


class Speaker:
    """The core's Speaker: who wants voice notes (a database read) and the note for a text."""

    def __init__(self, prefs: VoicePrefs, engine: Engine | None) -> None:
        self.prefs = prefs
        self.engine = engine

    def wants(self, user_id: int) -> bool:
        """With no engine nobody gets voice notes, whatever they once chose."""
        return self.engine is not None and self.prefs.wants(user_id)

    def speak(self, text: str) -> bytes | None:
        """The OGG/Opus note saying `text`; None with no engine, nothing to say, or a failed engine
        (logged: the text replies have gone out already, so the user loses only the sound)."""
        if self.engine is None:
            return None
        try:
            return voice_note(self.engine, text)
        except Exception:  # an engine's failure must never stop the text conversation
            log.exception("%s could not speak a reply of %d characters", self.engine.name, len(text))
            return None


def register(coach: Coach, engine: Engine | None) -> None:
    """Wire /voice, its `voice:on` / `voice:off` buttons and the forget listener; set coach.speaker.
    `engine` is speech.best_engine() (None: no engine here, which /voice then says)."""
    texts = coach.kb.texts
    prefs = VoicePrefs(coach.store.db)
    coach.speaker = Speaker(prefs, engine)
    if engine is None:
        log.warning("spoken replies are not available here: no speech engine (hibari-tts, flite, espeak-ng)")

    def switch(msg: Incoming, spoken: bool) -> list[Reply]:
        if engine is None:
            return [Reply.plain(texts["spoken_unavailable"])]
        prefs.set(msg.user_id, spoken, coach.clock())
        return [Reply.plain(texts["spoken_on" if spoken else "spoken_off"])]

    @coach.command("voice", "Spoken replies: /voice on or /voice off")
    def voice(msg: Incoming, args: str) -> list[Reply]:
        """`/voice on`, `/voice off`, or `/voice` alone: the setting, with buttons to change it."""
        choice = args.strip().casefold()
        if choice in ("on", "off"):
            return switch(msg, choice == "on")
        if choice:
            return [Reply.plain(texts["spoken_usage"])]
        if engine is None:
            return [Reply.plain(texts["spoken_unavailable"])]
        state = texts["spoken_state_on" if prefs.wants(msg.user_id) else "spoken_state_off"]
        on = Button(texts["button_spoken_on"], f"{PREFIX}:on")
        off = Button(texts["button_spoken_off"], f"{PREFIX}:off")
        return [Reply.plain(state, [[on, off]])]

    @coach.button(PREFIX)
    def pressed(msg: Incoming, payload: str) -> list[Reply]:
        """The On or Off button under /voice."""
        if payload not in ("on", "off"):
            return coach.stale()
        return switch(msg, payload == "on")

    def forget(user_id: int, data: dict[str, object]) -> list[Reply]:
        """/forget: the user's voice setting goes with the rest."""
        prefs.forget(user_id)
        return []

    coach.on("forget", forget)
