"""Who wants spoken replies: one row per user who used /voice, in the voice feature's own table."""

from __future__ import annotations

from datetime import datetime

import sqlite_utils
from sqlite_utils.migrations import Migrations

from bot.storage.database import stamp
from bot.storage.transaction import transaction

migrations = Migrations("hamcoach.voice")


@migrations()
def m001_voice_replies(db: sqlite_utils.Database) -> None:
    db.table("voice_replies").create(
        {"user_id": int, "spoken": int, "updated_at": str},  # spoken: 1 on, 0 off (no row: off)
        pk="user_id",
        not_null={"spoken", "updated_at"},
    )


class VoicePrefs:
    """/voice on|off per user; off until the user turns it on."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def wants(self, user_id: int) -> bool:
        row = self.db.execute("select spoken from voice_replies where user_id = ?", [user_id]).fetchone()
        return bool(row and row[0])

    def set(self, user_id: int, spoken: bool, now: datetime) -> None:
        self.db.execute(
            "insert into voice_replies (user_id, spoken, updated_at) values (?, ?, ?) "
            "on conflict(user_id) do update set spoken = excluded.spoken, updated_at = excluded.updated_at",
            [user_id, int(spoken), stamp(now)],
        )
        self.db.conn.commit()

    def forget(self, user_id: int) -> None:
        with transaction(self.db):
            self.db.execute("delete from voice_replies where user_id = ?", [user_id])
