"""The conversation core: messages in, replies out, with no Telegram in it.

Adapters (Telegram, terminal, tests) turn whatever they receive into an `Incoming` and show the
`Reply`s they get back. Features register commands, button prefixes, text hooks and timers here,
so adding a feature never means touching an adapter.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal, Protocol

from bot.config import Config
from bot.core.choosing import Choice, Confirm, Press, choose, phrases_for
from bot.core.expectation import Expectation, Expectations
from bot.core.reply import Button, Reply, clip_label
from bot.core.training import LocalTime, NoTraining, Training, UtcTime
from bot.knowledge.base import DEFAULT_DIR, KnowledgeBase
from bot.knowledge.replies import ReplyWords, load_replies
from bot.knowledge.texts import fill
from bot.storage.database import Store

log = logging.getLogger(__name__)

Kind = Literal["text", "button", "edited", "unsupported", "voice"]
Clock = Callable[[], datetime]
Ears = Callable[[bytes, Sequence[str]], "Heard"]  # audio, the phrases expected now (empty: any)


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Incoming:
    """One thing a user did: typed text, pressed a button, edited a message, sent a sticker."""

    user_id: int
    chat_id: int
    kind: Kind = "text"
    text: str = ""
    first_name: str = ""
    private: bool = True  # False in a group: questions only, and the user's private chat stays theirs


@dataclass(frozen=True)
class Heard:
    """What a voice note said (maybe nothing), or why it could not be used: `problem` names the text
    `voice_<problem>` of texts.yaml ("unreadable", "too_long")."""

    text: str = ""
    problem: str = ""
    choice: str = ""  # the expected phrase the recogniser picked, if it was given some


@dataclass(frozen=True)
class Outgoing:
    """A reply addressed to a chat, for things the bot says unprompted (timers, check-ins)."""

    chat_id: int
    reply: Reply


@dataclass(frozen=True)
class Due:
    """A timer the adapter must run: `name` is unique and stable, so re-scheduling replaces."""

    name: str
    when: datetime


class Scheduler(Protocol):
    """What the core needs from an adapter's job queue."""

    def schedule(self, name: str, when: datetime) -> None: ...

    def cancel(self, name: str) -> None: ...


@dataclass(frozen=True)
class Answered:
    """A question answered for another feature: the replies to show and what the answer was."""

    replies: list[Reply]
    matched: bool
    red_flag: bool


class Answers(Protocol):
    """What other features may ask of question answering (bot/answering/service.py provides it), so a
    session step or a check-in can take a question without importing the answering package."""

    def is_red_flag(self, text: str) -> bool:
        """The text reports a warning sign (sharp pain, a pop, dark urine...) rather than ruling it out:
        exactly when `ask` would lead with the safety answer."""
        ...

    def knows(self, text: str) -> bool:
        """The knowledge would answer this text (nothing is logged)."""
        ...

    def ask(self, user_id: int, text: str) -> Answered:
        """Answer the text as a question, logged like any other."""
        ...

    def start(self) -> None:
        """Start building what answering needs (the index) in a thread; the first question would."""
        ...

    def ready(self) -> None:
        """Block until answering can answer (starting the build if nothing has)."""
        ...


class Readiness(Protocol):
    """What planning a session needs to know of a user's recovery; the check-in feature provides it."""

    def soreness(self, user_id: int) -> int | None:
        """The latest soreness score (0-10) of the last few days, or None."""
        ...

    def held(self, user_id: int) -> bool:
        """True while a red flag holds the user's next session."""
        ...


class Speaker(Protocol):
    """Spoken replies (bot/voice provides it): who wants them, and the voice note for a text."""

    def wants(self, user_id: int) -> bool:
        """The user turned spoken replies on (/voice on); a database read, so call it on the loop."""
        ...

    def speak(self, text: str) -> bytes | None:
        """An OGG/Opus voice note saying `text`, or None with no engine; slow, so run it off the loop."""
        ...


class NoAnswers:
    """Where no feature answers questions (a core built bare in a test): nothing is known."""

    def is_red_flag(self, text: str) -> bool:
        return False

    def knows(self, text: str) -> bool:
        return False

    def ask(self, user_id: int, text: str) -> Answered:
        return Answered([], matched=False, red_flag=False)

    def start(self) -> None:
        return None

    def ready(self) -> None:
        return None


class NoReadiness:
    """Where no feature reports recovery: nothing known, nothing held."""

    def soreness(self, user_id: int) -> int | None:
        return None

    def held(self, user_id: int) -> bool:
        return False


class NullScheduler:
    """Used where nothing runs timers (one-shot `hamcoach ask`)."""

    def schedule(self, name: str, when: datetime) -> None:
        log.debug("not scheduling %s at %s", name, when)

    def cancel(self, name: str) -> None:
        log.debug("not cancelling %s", name)


Handler = Callable[[Incoming, str], list[Reply]]
CONFIRM_PREFIX = "x"  # "x:no", the No of a "did you mean ...?" question
TextHook = Callable[[Incoming], list[Reply] | None]
TimerHandler = Callable[[str], list[Outgoing]]
PendingTimers = Callable[[], list[Due]]
Listener = Callable[[int, dict[str, object]], list[Reply]]


@dataclass(frozen=True)
class Command:
    name: str
    handler: Handler
    description: str
    menu: bool = True  # shown in Telegram's command menu and /help


@dataclass
class Coach:
    """Routes each Incoming to the feature that owns it."""

    kb: KnowledgeBase
    store: Store
    config: Config
    clock: Clock = utcnow
    scheduler: Scheduler = field(default_factory=NullScheduler)
    commands: dict[str, Command] = field(default_factory=dict)
    buttons: dict[str, Handler] = field(default_factory=dict)
    text_hooks: list[TextHook] = field(default_factory=list)
    timers: dict[str, TimerHandler] = field(default_factory=dict)
    pending: list[PendingTimers] = field(default_factory=list)
    start_buttons: list[Button] = field(default_factory=list)
    # A start button that reads differently per user ("Start my next session"), by callback data.
    start_variants: dict[str, Callable[[int], Button]] = field(default_factory=dict)
    # Buttons that work in a group (callback data or its prefix): the Q&A's topics and entries.
    group_buttons: set[str] = field(default_factory=set)
    fallback_text: Handler | None = None
    listeners: dict[str, list[Listener]] = field(default_factory=dict)
    ears: Ears | None = None  # set by bot/voice/feature.py
    readiness: Readiness = field(default_factory=NoReadiness)  # set by bot/checkins/feature.py
    answers: Answers = field(default_factory=NoAnswers)  # set by bot/app.py (answering/service.py)
    speaker: Speaker | None = None  # set by bot/voice (spoken replies)
    training: Training = field(default_factory=NoTraining)  # set by bot/session/feature.py
    local_time: LocalTime = field(default_factory=UtcTime)  # set by bot/checkins/feature.py
    replies: ReplyWords = field(default_factory=lambda: load_replies(DEFAULT_DIR))  # replies.yaml
    # Whose timers this process runs: None for everyone's (the bot), a user id for `hamcoach chat`,
    # which shares the bot's database and must not take other users' check-ins and rests.
    timer_user: int | None = None

    def __post_init__(self) -> None:
        self.expectations = Expectations(self.store.db)
        self.buttons[CONFIRM_PREFIX] = self._declined

    def command(self, name: str, description: str, menu: bool = True) -> Callable[[Handler], Handler]:
        """Decorator registering `/name`."""

        def register(handler: Handler) -> Handler:
            self.commands[name] = Command(name, handler, description, menu)
            return handler

        return register

    def button(self, prefix: str) -> Callable[[Handler], Handler]:
        """Decorator registering a handler for callback data `prefix:payload`."""

        def register(handler: Handler) -> Handler:
            self.buttons[prefix] = handler
            return handler

        return register

    def on(self, event: str, listener: Listener) -> None:
        """Subscribe to a core event: "session_finished" (data: session_id, finished_at, total_reps),
        "hold_cleared" (a clinician cleared the user), "local_time_changed" (the user's time zone or
        quiet hours changed), "forget" (delete all of the user's rows), "blocked" (a reply got 403:
        the user blocked the bot) or "retention" (data: before, a stamp; delete rows older than it)."""
        self.listeners.setdefault(event, []).append(listener)

    def emit(self, event: str, user_id: int, data: dict[str, object]) -> list[Reply]:
        """Tell other features something happened; their replies are appended to the current answer."""
        return [reply for listener in self.listeners.get(event, []) for reply in listener(user_id, data)]

    def handle(self, msg: Incoming) -> list[Reply]:
        """Everything a user does goes through here; the user is remembered first, and what the
        replies ask for becomes what the chat waits for."""
        self.store.touch_user(msg.user_id, msg.chat_id if msg.private else None, msg.first_name, self.clock())
        if not msg.private:
            return self._in_group(msg)
        replies = self._answer(msg)
        self.expectations.record(msg.chat_id, msg.user_id, replies, self.clock())
        return replies

    def _in_group(self, msg: Incoming) -> list[Reply]:
        """A group: questions get answers, and everything private (sessions, check-ins, settings)
        a pointer to the private chat; a group's stickers and photos get nothing. Nothing is waited
        for in a group, so a number there is never somebody's reps."""
        if msg.kind == "button":
            if msg.text in self.group_buttons or msg.text.partition(":")[0] in self.group_buttons:
                return self._answer(msg)
        elif msg.kind == "unsupported":
            return []
        elif not msg.text.strip().startswith("/"):
            assert self.fallback_text is not None, "the Q&A feature registers the fallback"
            return self.fallback_text(msg, msg.text.strip())
        return [Reply.plain(self.kb.texts["group_private"])]

    def _answer(self, msg: Incoming, spoken: bool = False) -> list[Reply]:
        if msg.kind == "button":
            prefix, _, payload = msg.text.partition(":")
            handler = self.buttons.get(prefix)
            if handler is None:
                return self.stale()
            return handler(msg, payload)
        if msg.kind == "unsupported":
            return [Reply.plain(self.kb.texts["unsupported"])]
        text = msg.text.strip()
        if text.startswith("/"):
            # Split at the first whitespace of any kind: "/broadcast\nline 1" carries its lines.
            name, *rest = text[1:].split(maxsplit=1) or [""]
            args = rest[0] if rest else ""
            name = name.split("@", 1)[0].lower()
            command = self.commands.get(name)
            if command is None:
                return [Reply.plain(self.kb.texts["unknown_command"])]
            return command.handler(msg, args.strip())
        expected = self.expectations.get(msg.chat_id) if msg.kind in ("text", "voice") else None
        choice = choose(text, expected, self.replies, spoken=spoken) if expected else None
        if expected and choice:
            return self._chosen(msg, expected, choice, spoken)
        for hook in self.text_hooks:
            replies = hook(msg)
            if replies is not None:
                return replies
        assert self.fallback_text is not None, "the Q&A feature registers the fallback"
        return self.fallback_text(msg, text)

    def _chosen(self, msg: Incoming, expected: Expectation, choice: Choice, spoken: bool) -> list[Reply]:
        """Act on a reply matched to what the chat waited for: press, confirm first, or narrow down."""
        texts = self.kb.texts
        if isinstance(choice, Press):
            replies = self._answer(dataclasses.replace(msg, kind="button", text=choice.button.data))
            number = expected.number
            if choice.number is not None and number and expected.over:
                taken = fill(texts["number_taken"], value=choice.number, name=number.name, over=expected.over)
                replies = [Reply.plain(taken), *replies]
            return replies
        if isinstance(choice, Confirm):
            sure = Button(
                clip_label(fill(texts["confirm_yes"], label=choice.button.label)), choice.button.data
            )
            others = [[b] for b in expected.buttons if not b.destructive]
            no = Button(texts["confirm_no"], f"{CONFIRM_PREFIX}:no")
            return [Reply.plain(fill(texts["confirm"], label=choice.button.label), [[sure], [no], *others])]
        return [Reply.plain(texts["narrow"], [[b] for b in choice.buttons])]

    def _declined(self, msg: Incoming, payload: str) -> list[Reply]:
        """The No of "did you mean ...?": nothing is done; the other choices are offered again."""
        expected = self.expectations.get(msg.chat_id)
        others = (
            [[b] for b in expected.buttons if b.data.partition(":")[0] != CONFIRM_PREFIX][1:]
            if expected
            else []
        )
        return [Reply.plain(self.kb.texts["confirm_declined"], others)]

    def expected_phrases(self, chat_id: int) -> list[str]:
        """The replies the chat is waiting for (button labels and their words, numbers), for the
        recogniser; empty when nothing is expected. A database read: call it on the loop."""
        expected = self.expectations.get(chat_id)
        return phrases_for(expected, self.replies) if expected else []

    def listen(self, audio: bytes, expected: Sequence[str] = ()) -> Heard:
        """What a voice note says (`audio`: the file's bytes, any format FFmpeg reads), given the
        phrases `expected_phrases` says the chat is waiting for. Slow and free of the database, so
        adapters run it off their event loop; then `hear` answers."""
        if self.ears is None:
            return Heard(problem="unsupported")
        return self.ears(audio, tuple(expected))

    def hear(self, msg: Incoming, heard: Heard) -> list[Reply]:
        """The reply to a voice note: what was heard, then the reply to those words as if typed, so a
        voice note can ask a question, log reps mid-session or answer a check-in alike."""
        self.store.touch_user(msg.user_id, msg.chat_id if msg.private else None, msg.first_name, self.clock())
        texts = self.kb.texts
        if heard.problem == "unsupported":
            return [Reply.plain(texts["unsupported"])]
        if heard.problem:
            seconds = f"{self.config.voice_max_seconds:g}"
            return [Reply.plain(fill(texts[f"voice_{heard.problem}"], seconds=seconds))]
        if not heard.text:
            return [Reply.plain(texts["voice_unclear"])]
        said = Reply.plain(fill(texts["voice_heard"], text=heard.text))
        typed = dataclasses.replace(msg, kind="text", text=heard.choice or heard.text)
        if not msg.private:
            return [said, *self._in_group(typed)]
        replies = [said, *self._answer(typed, spoken=True)]
        self.expectations.record(msg.chat_id, msg.user_id, replies, self.clock())
        return replies

    def starts(self, user_id: int) -> list[Button]:
        """The start buttons as this user should see them (a returning user is not a newcomer)."""
        return [
            self.start_variants[b.data](user_id) if b.data in self.start_variants else b
            for b in self.start_buttons
        ]

    def stale(self) -> list[Reply]:
        """The reply to a button this build no longer knows (an old message), with fresh buttons."""
        return [Reply.plain(self.kb.texts["stale_button"], buttons=[[b] for b in self.start_buttons])]

    def fire(self, name: str) -> list[Outgoing]:
        """Run the timer called `name`; handlers check the database, so a late or repeated fire is safe."""
        prefix = name.split(":", 1)[0]
        handler = self.timers.get(prefix)
        if handler is None:
            log.warning("no handler for timer %s", name)
            return []
        out = handler(name)
        for chat_id in dict.fromkeys(o.chat_id for o in out):  # private chats: the chat is the user
            self.expectations.record(
                chat_id, chat_id, [o.reply for o in out if o.chat_id == chat_id], self.clock()
            )
        return out

    def runs_timers_of(self, user_id: int) -> bool:
        """This process may run (and so mark done) a timer of `user_id`."""
        return self.timer_user is None or self.timer_user == user_id

    def pending_timers(self) -> list[Due]:
        """Every timer the database says is still to run, for the adapter to rebuild at start-up."""
        return [due for source in self.pending for due in source()]

    def menu(self) -> list[Command]:
        return [c for c in self.commands.values() if c.menu]
