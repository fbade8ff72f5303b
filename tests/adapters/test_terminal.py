"""`hamcoach chat`: with spoken replies on, each batch's voice note is saved as a file and its path
printed as `[voice: PATH]` (DESIGN.md's contract), in a fresh folder under the temp directory; /quit."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

from bot.adapters.terminal import chat
from tests.support import make_config
from tests.voice.opus import read_note


def test_chat_saves_the_voice_reply_and_prints_its_path(tmp_path: Path) -> None:
    env = {**os.environ, "HAMCOACH_DB": str(tmp_path / "c.db"), "TMPDIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "chat"],
        input="/session\n/voice on\n1\n/voice off\n1\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    paths = [Path(p) for p in re.findall(r"^\[voice: (.+)\]$", result.stdout, re.MULTILINE)]
    assert len(paths) == 2, result.stdout  # "/voice on" and the next step; nothing once it is off
    assert result.stdout.index("When to do it") < result.stdout.index(f"[voice: {paths[1]}]")
    for path in paths:
        assert path.is_file() and path.is_relative_to(tmp_path)
        note = read_note(path.read_bytes())
        assert (note.codec, note.rate, note.channels) == ("opus", 48_000, 1) and note.seconds > 2
    assert "Set-up" in result.stdout.split(f"[voice: {paths[1]}]")[1]


def test_quit_ends_the_chat_and_keeps_what_came_before(tmp_path: Path) -> None:
    """/quit (or /exit) leaves `hamcoach chat` like Ctrl-D; the lines after it are never handled."""
    config = make_config(tmp_path)

    def run(lines: str) -> str:
        out = io.StringIO()
        assert chat(config, io.StringIO(lines), out) == 0
        return out.getvalue()

    started = run("/help\n/session\n")
    assert "Safety first" in started  # what /session shows, so its absence below means something
    for word in ("/quit", "/EXIT"):
        shown = run(f"/help\n{word}\n/session\n")
        assert "/quit or Ctrl-D quits" in shown and "/session" in shown  # the banner, then /help's list
        assert "Safety first" not in shown, shown
