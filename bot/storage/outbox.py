"""Replies Telegram did not take, kept as rows until they are sent, so an outage loses nothing.

Why: a step, a score or a check-in is stored before its reply goes out. When every retry of that reply
fails (a long 5xx outage, no network), the user would never see it, and the bot would wait for an
answer to a question nobody saw. The adapter keeps the unsent replies here, in order, sends them oldest
first as soon as Telegram answers again (after a restart too), and queues a chat's new replies behind
them. A picture or a file is kept as its caption (its bytes are made on demand), so the user still
learns what it was.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlite_utils
from sqlite_utils.migrations import Migrations

from bot.core.reply import Button, Number, Reply
from bot.storage.database import Store, stamp
from bot.storage.transaction import transaction

migrations = Migrations("hamcoach.outbox")


@migrations()
def m001_outbox(db: sqlite_utils.Database) -> None:
    db.table("outbox").create({"id": int, "chat_id": int, "reply": str, "queued_at": str}, pk="id")
    db.table("outbox").create_index(["chat_id", "id"])


def encode(reply: Reply) -> str:
    """A reply as JSON: its HTML, buttons and the number it asks for (not an attachment's bytes)."""
    data: dict[str, Any] = {
        "html": reply.html,
        "buttons": [[[b.label, b.data, b.destructive, b.aside] for b in row] for row in reply.buttons],
    }
    if reply.asks is not None:
        data["asks"] = [reply.asks.name, reply.asks.low, reply.asks.high, reply.asks.data]
    return json.dumps(data, ensure_ascii=False)


def decode(text: str) -> Reply:
    data = json.loads(text)
    buttons = tuple(tuple(Button(*b) for b in row) for row in data["buttons"])
    asks = Number(*data["asks"]) if "asks" in data else None
    return Reply(data["html"], buttons, asks)


class Outbox:
    """The queued replies by chat; which chats have any is also kept in memory, so the common case
    (nothing queued) costs no query per reply."""

    def __init__(self, store: Store) -> None:
        self.db = store.db
        rows = self.db.execute("select distinct chat_id from outbox").fetchall()
        self.chats: set[int] = {int(r[0]) for r in rows}

    def waiting(self, chat_id: int) -> bool:
        return chat_id in self.chats

    def keep(self, chat_id: int, replies: list[Reply], now: datetime) -> None:
        """Queue the replies behind whatever the chat already has, in one transaction."""
        if not replies:
            return
        with transaction(self.db):
            self.db.conn.executemany(
                "insert into outbox (chat_id, reply, queued_at) values (?, ?, ?)",
                [(chat_id, encode(r), stamp(now)) for r in replies],
            )
        self.chats.add(chat_id)

    def first(self, chat_id: int) -> tuple[int, Reply] | None:
        """The chat's oldest queued reply and its row id, or None (and the chat is no longer waiting)."""
        row = self.db.execute(
            "select id, reply from outbox where chat_id = ? order by id limit 1", [chat_id]
        ).fetchone()
        if row is None:
            self.chats.discard(chat_id)
            return None
        return int(row[0]), decode(row[1])

    def sent(self, row_id: int) -> None:
        with transaction(self.db):
            self.db.execute("delete from outbox where id = ?", [row_id])

    def drop(self, chat_id: int) -> int:
        """Delete everything queued for a chat (it blocked the bot, or the user asked to be forgotten)."""
        with transaction(self.db):
            count = self.db.execute("delete from outbox where chat_id = ?", [chat_id]).rowcount
        self.chats.discard(chat_id)
        return int(count)
