"""SIGKILL of `hamcoach run` while several users are mid-session over Telegram, then a restart.

What a crash may cost: an update fetched but not yet handled (the user got no answer and says it
again), or a reply not yet sent for a row already written. What it may never cost: a set the bot
acknowledged ("2 reps logged") missing from the database, a set logged twice, or a session that
cannot go on from where the database says it is. (tests/session/test_restart.py kills `hamcoach
chat` the same way; this is the Telegram side, where updates come in batches from getUpdates.)
"""

from __future__ import annotations

import signal
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.fakebot import FakeBotApi
from tests.reliability.processes import bot_process, stop
from tests.support import callback_data, keyboard_labels

pytestmark = pytest.mark.reliability

USERS = [7001 + i for i in range(6)]


def last(api: FakeBotApi, user: int) -> dict[str, Any]:
    return api.sent_messages(user)[-1]


def say(api: FakeBotApi, user: int, text: str, expect: str) -> dict[str, Any]:
    """`user` types `text`; the bot's next message containing `expect`."""
    before = len(api.sent_messages(user))
    api.user_sends_text(user, text) if not text.startswith("/") else api.user_sends_command(user, text)
    for _ in range(4):
        before += 1
        message = api.wait_for_messages(user, before, timeout=30)[before - 1]
        if expect in message["text"]:
            return message
    raise AssertionError(f"{expect!r} not in the replies to {text!r}")


def walk_to_sets(api: FakeBotApi, user: int) -> None:
    """`/session`, then the first button of each step, as tests/session/test_restart.py does."""
    message = say(api, user, "/session", "")
    while not message["text"].startswith("Set 1 of 2"):
        before = len(api.sent_messages(user))
        api.user_presses(user, message["message_id"], callback_data(message, keyboard_labels(message)[0]))
        message = api.wait_for_messages(user, before + 1, timeout=30)[before]


def sets(db: Path, user: int) -> list[tuple[int, int]]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("select set_no, reps from sets where user_id = ? order by set_no", [user])
        return [(int(n), int(r)) for n, r in rows]


def acknowledged(api: FakeBotApi, user: int) -> int:
    return sum("2 reps logged" in m["text"] for m in api.sent_messages(user))


def test_sigkill_mid_session_loses_no_acknowledged_set_and_doubles_none(
    fake_api: FakeBotApi, tmp_path: Path
) -> None:
    db, log = tmp_path / "bot.db", tmp_path / "bot.log"
    with bot_process(fake_api, db, log) as first:
        for user in USERS:
            walk_to_sets(fake_api, user)
        fake_api.set_delay(0.05, "sendMessage")  # replies in flight when the kill lands
        mark = fake_api.mark()
        for user in USERS:
            fake_api.user_sends_text(user, "2")
        fake_api.wait_for(
            lambda c: c.method == "sendMessage" and "2 reps logged" in c.params["text"], since=mark
        )
        assert stop(first, signal.SIGKILL, log) == -signal.SIGKILL
    fake_api.set_delay(0.0, "sendMessage")
    for user in USERS:
        assert acknowledged(fake_api, user) <= len(sets(db, user)) <= 1, "an acknowledged set is stored, once"
    assert any(sets(db, user) for user in USERS), "the kill came after the first set was logged"

    with bot_process(fake_api, db, log) as second:
        for user in USERS:
            now = say(fake_api, user, "repeat", "Set")
            if "reps logged" not in now["text"]:  # not logged before the crash: the user says it again
                say(fake_api, user, "2", "2 reps logged")
            assert "Skip rest" in keyboard_labels(last(fake_api, user)), last(fake_api, user)["text"]
            say(fake_api, user, "skip", "Set 2 of 2")
            say(fake_api, user, "4", "You logged 2 sets: 2 and 4 reps")
        assert stop(second, signal.SIGTERM, log) == 0
    for user in USERS:
        assert sets(db, user) == [(1, 2), (2, 4)]
    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*), min(status), max(status) from sessions").fetchone() == (
            len(USERS),
            "finished",
            "finished",
        )
