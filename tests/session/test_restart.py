"""Crash and restart mid-session with real processes: `hamcoach chat` on one database, killed and restarted.

The database is the truth: after a kill -9 the new process resumes every session at the same step, no set
is lost or logged twice, and a rest timer pending at the kill still pings (or says it ended meanwhile).
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from bot.knowledge.base import DEFAULT_DIR

TO_SETS = ["/session", "1", "1", "1", "1", "1", "1"]  # terminal buttons by number, up to "Set 1 of 2"


class Chat:
    """`python -m bot chat` with a pipe in and a reader thread collecting what it prints."""

    def __init__(self, db: Path, knowledge: Path) -> None:
        env = {**os.environ, "HAMCOACH_DB": str(db), "HAMCOACH_KNOWLEDGE": str(knowledge)}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "chat"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
            env=env,
        )
        self.lines: list[str] = []
        self.cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()
        self.wait_for("hamcoach chat:")

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self.cond:
                self.lines.append(line.rstrip("\n"))
                self.cond.notify_all()

    def output(self, since: int = 0) -> str:
        with self.cond:
            return "\n".join(self.lines[since:])

    def mark(self) -> int:
        with self.cond:
            return len(self.lines)

    def wait_for(self, text: str, since: int = 0, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        with self.cond:
            while text not in "\n".join(self.lines[since:]):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"{text!r} not printed; got:\n" + "\n".join(self.lines[since:]))
                self.cond.wait(min(remaining, 0.2))

    def send(self, line: str, expect: str | None = None) -> str:
        """Type a line; with `expect`, wait until the answer contains it and return that answer."""
        since = self.mark()
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        if expect is not None:
            self.wait_for(expect, since)
        # the blank line that ends the previous answer may arrive after this mark was taken
        return self.output(since).lstrip("\n")

    def kill(self) -> None:
        """As hard as a crash: no clean shutdown, no flush of anything in memory."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def close(self) -> str:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(20)
        assert self.proc.returncode == 0, self.proc.stderr.read() if self.proc.stderr else ""
        return self.output()


def knowledge(tmp_path: Path, rest_seconds: int) -> Path:
    folder = tmp_path / "kb"
    shutil.copytree(DEFAULT_DIR, folder)
    path = folder / "session.yaml"
    path.write_text(path.read_text().replace("rest_seconds: 120", f"rest_seconds: {rest_seconds}"))
    return folder


def rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return list(conn.execute(sql))


def test_killed_mid_session_resumes_at_the_same_step_and_the_rest_still_pings(tmp_path: Path) -> None:
    # The rest must outlast a kill and a restart (about 1 s each, several on a loaded machine).
    db, kb = tmp_path / "h.db", knowledge(tmp_path, rest_seconds=20)
    first = Chat(db, kb)
    answers = [first.send(line, expect="[1]") for line in ["/session", "1", "1"]]
    assert answers[-1].startswith("Set-up")
    first.kill()

    second = Chat(db, kb)
    assert "Set-up" in second.send("repeat", expect="[1]"), "same step after the crash"
    for _ in range(4):
        second.send("1", expect="[1]")
    second.send("3", expect="3 reps logged")
    second.kill()
    due = datetime.fromisoformat(str(rows(db, "select due_at from rests")[0][0]))

    third = Chat(db, kb)
    assert datetime.now(UTC) < due, "this test needs the restart to happen before the rest is over"
    resting = third.send("repeat", expect="Skip rest")
    assert "Set 1: 3 reps logged" in resting
    mark = third.mark()
    third.wait_for("Rest is over.", since=mark, timeout=40)
    assert "offline" not in third.output(mark)
    third.wait_for("Set 2 of 2", since=mark)
    third.send("4", expect="You logged 2 sets: 3 and 4 reps")
    third.close()
    assert rows(db, "select set_no, reps from sets order by set_no") == [(1, 3), (2, 4)]
    assert rows(db, "select status from sessions") == [("finished",)]
    assert rows(db, "select status from rests") == [("done",)]


def test_a_rest_that_ended_while_down_says_so(tmp_path: Path) -> None:
    db, kb = tmp_path / "h.db", knowledge(tmp_path, rest_seconds=120)
    first = Chat(db, kb)
    for line in TO_SETS:
        first.send(line, expect="[1]")
    first.send("2", expect="2 reps logged")
    first.kill()
    with sqlite3.connect(db) as conn:  # two minutes pass while the bot is down
        conn.execute("update rests set due_at = '2000-01-01T00:00:00.000000+00:00'")
    second = Chat(db, kb)
    second.wait_for("Rest is over (it ended while I was offline).")
    second.wait_for("Set 2 of 2")
    second.send("5", expect="2 and 5 reps")
    second.close()
    assert rows(db, "select set_no, reps from sets order by set_no") == [(1, 2), (2, 5)]


def test_kills_at_any_moment_lose_and_duplicate_nothing(tmp_path: Path) -> None:
    """Fire lines without waiting and kill mid-stream, three times; the sets stay exact."""
    db, kb = tmp_path / "h.db", knowledge(tmp_path, rest_seconds=120)
    chat = Chat(db, kb)
    for line in TO_SETS:
        chat.send(line, expect="[1]")
    for delay in (0.0, 0.05, 0.2):
        for line in ("3", "skip", "3", "skip", "3"):
            chat.send(line)
        time.sleep(delay)  # how far it got is up to the race; that is the point
        chat.kill()
        sets = rows(db, "select set_no, reps from sets order by set_no")
        state = rows(db, "select status, set_no, resting from sessions order by id desc limit 1")[0]
        assert [n for n, _ in sets] == list(range(1, len(sets) + 1)), "no gap, no duplicate"
        assert state[1] == len(sets) + 1 or state[0] == "finished", (state, sets)
        chat = Chat(db, kb)
        if state[0] == "finished":
            break
        chat.send("skip" if state[2] else "repeat", expect="Set ")
    while rows(db, "select status from sessions")[0][0] != "finished":  # finish it, whatever happened
        resting = rows(db, "select resting from sessions")[0][0]
        chat.send("skip" if resting else "3", expect="Set " if resting else "logged")
    chat.close()
    assert rows(db, "select set_no, reps from sets order by set_no") == [(1, 3), (2, 3)]
    assert rows(db, "select count(*) from sessions") == [(1,)]
