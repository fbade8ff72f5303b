"""In a group the bot answers questions only (issue 13, defect 4): private features stay in the private
chat, and a user speaking in a group never moves their check-ins there. End to end through the fake
Bot API server."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.fakebot import FakeBotApi
from tests.support import exchange, make_config, running_bot

USER = 4646
GROUP = -100_777


async def in_group(api: FakeBotApi, text: str) -> dict[str, object]:
    before = len(api.sent_messages(GROUP))
    api.user_sends_text(USER, text, chat_id=GROUP)
    messages = await api.wait_for_messages_async(GROUP, before + 1)
    return messages[before]


async def test_a_group_gets_answers_and_a_pointer_to_the_private_chat(
    fake_api: FakeBotApi, tmp_path: Path
) -> None:
    config = make_config(tmp_path)
    async with running_bot(fake_api, config):
        await exchange(fake_api, USER, "/start")
        answer = await in_group(fake_api, "why do my calves cramp?")
        assert "toes" in str(answer["text"]).lower()
        for command in ("/help", "/session", "/checkins", "/subscribe", "/start"):
            pointer = await in_group(fake_api, command)
            assert "message me privately" in str(pointer["text"]), command
            assert "reply_markup" not in pointer, "no private feature's buttons in a group"
        [private] = await exchange(fake_api, USER, "/session")
        assert "Safety first" in private["text"], "the private chat still has every feature"
    with sqlite3.connect(config.db) as db:
        assert db.execute("select chat_id from users where user_id = ?", [USER]).fetchone() == (USER,)
        assert db.execute("select count(*) from sessions where chat_id = ?", [GROUP]).fetchone() == (0,)
        assert db.execute("select count(*) from expectations where chat_id = ?", [GROUP]).fetchone() == (0,)


async def test_a_user_first_seen_in_a_group_is_reached_privately(
    fake_api: FakeBotApi, tmp_path: Path
) -> None:
    config = make_config(tmp_path)
    async with running_bot(fake_api, config):
        await in_group(fake_api, "where do my hips go?")
    with sqlite3.connect(config.db) as db:
        assert db.execute("select chat_id from users where user_id = ?", [USER]).fetchone() == (USER,)


def test_rows_pointing_at_a_group_are_moved_back_to_the_private_chat(tmp_path: Path) -> None:
    """A database from before the fix: the user's chat and pending check-in point at a group."""
    from tests.support import make_coach

    coach = make_coach(tmp_path)
    db = coach.store.db
    coach.store.touch_user(USER, GROUP, "Tess", coach.clock())
    db.execute(
        "insert into checkins (user_id, chat_id, session_id, kind, due_at, status)"
        " values (?, ?, 1, 'h24', '2026-03-03', 'pending'), (?, ?, 2, 'h24', '2026-03-01', 'answered')",
        [USER, GROUP, USER, GROUP],
    )
    db.execute("delete from _sqlite_migrations where name = 'm003_private_chats'")
    db.conn.commit()
    coach.store.close()
    coach = make_coach(tmp_path)
    rows = coach.store.db.execute("select status, chat_id from checkins order by session_id").fetchall()
    assert rows == [("pending", USER), ("answered", GROUP)], "only what is still to be sent moves"
    assert coach.store.db.execute("select chat_id from users").fetchone() == (USER,)
    coach.store.close()
