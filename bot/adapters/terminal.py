"""`hamcoach chat`: the bot's conversations in a terminal, over the same core and database.

Buttons print numbered; typing the number or the label presses them. A button that stops, cancels
or deletes gets no number (type its label), and where the bot asks for a number (reps, a soreness
score) a typed number is that answer, never a button's index. Timers (rest, check-ins) print when
due, because a reader thread feeds lines to the main loop, which waits on both; only the terminal
user's timers run, since the bot may share the database and its users' check-ins are the bot's to
send. With /voice on, each batch of replies is also saved as a voice note and printed as
`[voice: PATH]`; a chart or a file (/progress, /export) is saved and printed as `[picture: PATH]` or
`[file: PATH]`.
"""

from __future__ import annotations

import heapq
import queue
import tempfile
import threading
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TextIO

from bot.app import build_coach
from bot.config import Config
from bot.core.coach import Clock, Coach, Incoming, utcnow
from bot.core.reply import Button, Reply
from bot.voice.speaking import batch_text

TERMINAL_USER = 1
BANNER = "hamcoach chat: type a question, a command (/help) or a button's number. /quit or Ctrl-D quits."
QUIT = {"/quit", "/exit"}  # the terminal's own: the bot has no such commands, so nothing is shadowed


class TerminalScheduler:
    """A heap of named timers; re-scheduling a name replaces it."""

    def __init__(self) -> None:
        self._when: dict[str, datetime] = {}
        self._heap: list[tuple[datetime, str]] = []

    def schedule(self, name: str, when: datetime) -> None:
        self._when[name] = when
        heapq.heappush(self._heap, (when, name))

    def cancel(self, name: str) -> None:
        self._when.pop(name, None)

    def next_due(self) -> datetime | None:
        while self._heap and self._when.get(self._heap[0][1]) != self._heap[0][0]:
            heapq.heappop(self._heap)
        return self._heap[0][0] if self._heap else None

    def pop_due(self, now: datetime) -> list[str]:
        names = []
        while (when := self.next_due()) is not None and when <= now:
            _, name = heapq.heappop(self._heap)
            del self._when[name]
            names.append(name)
        return names


class Terminal:
    """Shows replies and turns typed lines into messages or button presses."""

    def __init__(self, coach: Coach, out: TextIO, voice_dir: Path | None = None) -> None:
        self.coach = coach
        self.out = out
        self.buttons: list[Button] = []  # every button on screen, for labels typed exactly
        self.numbered: list[Button] = []  # the ones a bare number presses
        self.voice_dir = voice_dir  # made on the first voice note when not given
        self.voice_notes = 0
        self.files_dir: Path | None = None  # made on the first picture or file
        self.files = 0

    def answer(self, replies: Sequence[Reply]) -> None:
        """Show a batch of replies, then its voice note if the user turned spoken replies on."""
        self.show(replies)
        self.speak(replies)

    def speak(self, replies: Sequence[Reply]) -> None:
        """Save the batch's voice note as a file and print `[voice: PATH]` (DESIGN.md's contract)."""
        speaker = self.coach.speaker
        if speaker is None or not replies or not speaker.wants(TERMINAL_USER):
            return
        note = speaker.speak(batch_text(replies))
        if note is None:
            return
        if self.voice_dir is None:
            self.voice_dir = Path(tempfile.mkdtemp(prefix="hamcoach-voice-"))
        self.voice_notes += 1
        path = self.voice_dir / f"voice-{self.voice_notes:04d}.ogg"
        path.write_bytes(note)
        self.out.write(f"[voice: {path}]\n\n")
        self.out.flush()

    def save(self, reply: Reply) -> None:
        """A reply's picture or file saved under a fresh folder, its path printed (DESIGN.md's contract)."""
        attachment = reply.attachment
        if attachment is None:
            return
        if self.files_dir is None:
            self.files_dir = Path(tempfile.mkdtemp(prefix="hamcoach-files-"))
        self.files += 1
        path = self.files_dir / f"{self.files:04d}-{attachment.filename}"
        path.write_bytes(attachment.make())
        self.out.write(f"[{attachment.kind}: {path}]\n")

    def show(self, replies: Sequence[Reply]) -> None:
        for reply in replies:
            self.out.write(reply.text + "\n")
            self.save(reply)
            if reply.buttons or reply.asks:
                self.buttons = [b for row in reply.buttons for b in row]
                # Asked for a number, the digits are answers, so no button gets one.
                self.numbered = [] if reply.asks else [b for b in self.buttons if not b.destructive]
                shown = [self._shown(b) for b in self.buttons]
                if shown:
                    self.out.write("  " + "   ".join(shown) + "\n")
            self.out.write("\n")
        self.out.flush()

    def _shown(self, button: Button) -> str:
        if button in self.numbered:
            return f"[{self.numbered.index(button) + 1}] {button.label}"
        return f"[{button.label}]" if button.label.isdigit() else f"[type: {button.label}]"

    def to_incoming(self, line: str) -> Incoming:
        text = line.strip()
        # A label typed exactly wins over a button number, so "3" on rep buttons "0".."8" means 3 reps.
        pressed = next((b for b in self.buttons if b.label.casefold() == text.casefold()), None)
        if pressed is None and text.isdigit() and 1 <= int(text) <= len(self.numbered):
            pressed = self.numbered[int(text) - 1]
        if pressed is not None:
            return Incoming(TERMINAL_USER, TERMINAL_USER, "button", pressed.data)
        return Incoming(TERMINAL_USER, TERMINAL_USER, "text", line.rstrip("\n"))

    def fire_due(self, scheduler: TerminalScheduler) -> None:
        for name in scheduler.pop_due(self.coach.clock()):
            self.answer([o.reply for o in self.coach.fire(name) if o.chat_id == TERMINAL_USER])


def _read_lines(source: TextIO, lines: queue.Queue[str | None]) -> None:
    for line in source:
        lines.put(line)
    lines.put(None)


def chat(config: Config, source: TextIO, out: TextIO, clock: Clock = utcnow) -> int:
    """Run the chat until end of input."""
    scheduler = TerminalScheduler()
    coach = build_coach(config, clock=clock, scheduler=scheduler)
    coach.timer_user = TERMINAL_USER  # the bot may share this database: its users' timers are its own
    for due in coach.pending_timers():
        scheduler.schedule(due.name, due.when)
    term = Terminal(coach, out)
    out.write(BANNER + "\n\n")
    lines: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=_read_lines, args=(source, lines), daemon=True).start()
    while True:
        term.fire_due(scheduler)
        next_due = scheduler.next_due()
        timeout = None if next_due is None else max(0.0, (next_due - coach.clock()).total_seconds())
        try:
            line = lines.get(timeout=timeout)
        except queue.Empty:
            continue
        if line is None or line.strip().casefold() in QUIT:
            break
        if line.strip():
            term.answer(coach.handle(term.to_incoming(line)))
    coach.store.close()
    return 0
