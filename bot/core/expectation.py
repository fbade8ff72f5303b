"""What a chat is waiting for: the buttons of the bot's last question and the number it asked for.

Recorded from the replies themselves whenever the bot speaks to a chat, as a row first (so it
survives a restart); the latest question wins, so a check-in that arrives mid-set takes the next
number. `bot/core/choosing.py` decides what typed or spoken words mean against it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlite_utils

from bot.core.reply import Button, Number, Reply
from bot.storage.database import select, stamp


@dataclass(frozen=True)
class Expectation:
    """The offered buttons, the number asked for, and `over`: the name of a number asked earlier that
    this one displaced ("reps for set 1"), so taking a number here can say it is not that one."""

    buttons: tuple[Button, ...] = ()
    number: Number | None = None
    over: str = ""


def of_replies(replies: Iterable[Reply]) -> Expectation | None:
    """The expectation the last reply with buttons or a number sets up; None if none asks anything."""
    asking = [r for r in replies if r.buttons or r.asks]
    if not asking:
        return None
    last = asking[-1]
    return Expectation(tuple(b for row in last.buttons for b in row), last.asks)


class Expectations:
    """The `expectations` table (bot/storage/database.py makes it): one row per chat."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def get(self, chat_id: int) -> Expectation | None:
        rows = select(self.db, "select * from expectations where chat_id = ?", [chat_id])
        return _from_row(rows[0]) if rows else None

    def record(self, chat_id: int, user_id: int, replies: Iterable[Reply], now: datetime) -> None:
        """What the replies just sent to `chat_id` ask for replaces what the chat waited for; replies
        that ask nothing clear it, so old buttons are not pressed by words."""
        new = of_replies(replies)
        if new is None:
            self.clear(chat_id)
            return
        old = self.get(chat_id)
        if new.number and old and old.number and _owner(old.number) != _owner(new.number):
            new = Expectation(new.buttons, new.number, old.number.name)
        # vars(), not asdict(): the fields are plain values, and asdict copies each one deeply
        choices = json.dumps([vars(b) for b in new.buttons])
        number = json.dumps(vars(new.number)) if new.number else ""
        # Plain SQL: sqlite-utils' upsert reads the table's schema on every call, and this runs for
        # every reply the bot sends (it was a quarter of a question's CPU).
        self.db.execute(
            "insert into expectations (chat_id, user_id, choices, number, over, set_at) "
            "values (?, ?, ?, ?, ?, ?) on conflict(chat_id) do update set user_id = excluded.user_id, "
            "choices = excluded.choices, number = excluded.number, over = excluded.over, "
            "set_at = excluded.set_at",
            [chat_id, user_id, choices, number, new.over, stamp(now)],
        )
        self.db.conn.commit()

    def clear(self, chat_id: int) -> None:
        self.db.execute("delete from expectations where chat_id = ?", [chat_id])
        self.db.conn.commit()


def _owner(number: Number) -> str:
    """The feature a number's answer goes to: the prefix of its button data ("s", "ci")."""
    return number.data.partition(":")[0]


def _from_row(row: dict[str, Any]) -> Expectation | None:
    """The stored row as an Expectation; a row this build cannot read is treated as none."""
    try:
        buttons = tuple(Button(**b) for b in json.loads(row["choices"] or "[]"))
        number = Number(**json.loads(row["number"])) if row["number"] else None
    except (TypeError, ValueError):
        return None
    return Expectation(buttons, number, row["over"] or "")
