"""Reminder rows in SQLite: the one truth about who wants reminders and which ping is due.

`reminders` holds a user's rule (days, local time, on or off); `reminder_pings` one row per reminder
to send, unique by user and local slot ("2026-10-26T18:00"), so a restart or a repeated timer can never
make a second one. A ping is claimed (pending -> sent) in one UPDATE before it is sent. Times are UTC
stamps in the one fixed format, so string order is time order.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlite_utils
from sqlite_utils.migrations import Migrations

from bot.reminders.schedule import Rule
from bot.storage.database import parse_stamp, stamp
from bot.storage.transaction import transaction

migrations = Migrations("hamcoach.reminders")

STATUSES = ("pending", "sent", "started", "skipped", "passed", "missed", "cancelled")


@migrations()
def m001_reminders(db: sqlite_utils.Database) -> None:
    db.table("reminders").create(
        {"user_id": int, "chat_id": int, "code": str, "active": int, "updated_at": str},
        pk="user_id",
        not_null={"chat_id", "code", "active"},
    )
    db.table("reminder_pings").create(
        {
            "id": int,
            "user_id": int,
            "chat_id": int,
            "slot": str,  # the local wall-clock time it is for, "2026-10-26T18:00"
            "due_at": str,  # when to send (UTC), after quiet hours; later when snoozed
            "status": str,
            "snoozes": int,
            "created_at": str,
            "sent_at": str,
        },
        pk="id",
        not_null={"user_id", "chat_id", "slot", "due_at", "status"},
        defaults={"status": "pending", "snoozes": 0},
    )
    db.table("reminder_pings").create_index(["user_id", "slot"], unique=True)
    db.table("reminder_pings").create_index(["status", "due_at"])
    db.table("reminder_pings").create_index(["user_id", "status"])


@dataclass(frozen=True)
class Ping:
    id: int
    user_id: int
    chat_id: int
    slot: str
    due_at: datetime
    status: str
    snoozes: int

    @classmethod
    def from_row(cls, r: dict[str, Any]) -> Ping:
        return cls(
            r["id"],
            r["user_id"],
            r["chat_id"],
            r["slot"],
            parse_stamp(r["due_at"]),
            r["status"],
            r["snoozes"] or 0,
        )


@dataclass(frozen=True)
class Setting:
    user_id: int
    chat_id: int
    rule: Rule
    active: bool


class ReminderStore:
    """Queries for reminders; every write commits before anything is scheduled or sent."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def _commit(self) -> None:
        self.db.conn.commit()

    def setting(self, user_id: int) -> Setting | None:
        row = self.db.execute(
            "select chat_id, code, active from reminders where user_id = ?", [user_id]
        ).fetchone()
        rule = Rule.from_code(row[1]) if row else None
        return Setting(user_id, int(row[0]), rule, bool(row[2])) if row and rule else None

    def save(self, user_id: int, chat_id: int, rule: Rule, active: bool, now: datetime) -> None:
        self.db.execute(
            "insert into reminders (user_id, chat_id, code, active, updated_at) values (?, ?, ?, ?, ?)"
            " on conflict(user_id) do update set chat_id = excluded.chat_id, code = excluded.code,"
            " active = excluded.active, updated_at = excluded.updated_at",
            [user_id, chat_id, rule.code, int(active), stamp(now)],
        )
        self._commit()

    def add(self, user_id: int, chat_id: int, slot: str, due: datetime, now: datetime) -> int | None:
        """A pending ping for this slot; None when the user already has one for it (sent or not)."""
        cursor = self.db.execute(
            "insert or ignore into reminder_pings (user_id, chat_id, slot, due_at, status, snoozes,"
            " created_at) values (?, ?, ?, ?, 'pending', 0, ?)",
            [user_id, chat_id, slot, stamp(due), stamp(now)],
        )
        self._commit()
        return int(cursor.lastrowid) if cursor.rowcount == 1 and cursor.lastrowid else None

    def has_slot(self, user_id: int, slot: str) -> bool:
        sql = "select 1 from reminder_pings where user_id = ? and slot = ?"
        return self.db.execute(sql, [user_id, slot]).fetchone() is not None

    def get(self, ping_id: int) -> Ping | None:
        rows = list(self.db.query("select * from reminder_pings where id = ?", [ping_id]))
        return Ping.from_row(rows[0]) if rows else None

    def next_pending(self, user_id: int) -> Ping | None:
        sql = "select * from reminder_pings where user_id = ? and status = 'pending' order by due_at limit 1"
        rows = list(self.db.query(sql, [user_id]))
        return Ping.from_row(rows[0]) if rows else None

    def set_status(self, ping_id: int, status: str, *, only_from: tuple[str, ...], now: datetime) -> bool:
        """Move a ping on, only from the statuses given: exactly one of several racing timers wins."""
        marks = ",".join("?" for _ in only_from)
        sent = "sent_at = ?," if status == "sent" else ""
        params = [stamp(now)] if sent else []
        cursor = self.db.execute(
            f"update reminder_pings set {sent} status = ? where id = ? and status in ({marks})",
            [*params, status, ping_id, *only_from],
        )
        self._commit()
        return cursor.rowcount == 1

    def move(self, ping_id: int, due: datetime, *, snooze: bool) -> bool:
        """Pending again at `due` (a snooze, or quiet hours and time zone applied again)."""
        cursor = self.db.execute(
            "update reminder_pings set status = 'pending', due_at = ?, snoozes = snoozes + ?"
            " where id = ? and status in ('pending', 'sent')",
            [stamp(due), int(snooze), ping_id],
        )
        self._commit()
        return cursor.rowcount == 1

    def cancel_pending(self, user_id: int) -> list[int]:
        """Delete the user's unsent pings (a new rule or off), so their slots are free again."""
        sql = "select id from reminder_pings where user_id = ? and status = 'pending'"
        ids = [r[0] for r in self.db.execute(sql, [user_id])]
        self.db.execute("delete from reminder_pings where user_id = ? and status = 'pending'", [user_id])
        self._commit()
        return ids

    def reslot(self, ping_id: int, slot: str, due: datetime) -> bool:
        """A pending ping moved to another slot (the user's clock changed); False if that slot is taken."""
        try:
            cursor = self.db.execute(
                "update reminder_pings set slot = ?, due_at = ? where id = ? and status = 'pending'",
                [slot, stamp(due), ping_id],
            )
        except sqlite3.IntegrityError:
            return False
        finally:
            self._commit()
        return cursor.rowcount == 1

    def miss_stale(self, due_before: datetime) -> list[int]:
        """Pending pings more than the grace late become missed; return their users, to arm again."""
        sql = "select user_id from reminder_pings where status = 'pending' and due_at < ?"
        users = sorted({int(r[0]) for r in self.db.execute(sql, [stamp(due_before)])})
        if users:
            self.db.execute(
                "update reminder_pings set status = 'missed' where status = 'pending' and due_at < ?",
                [stamp(due_before)],
            )
            self._commit()
        return users

    def any_active(self) -> bool:
        return self.db.execute("select 1 from reminders where active = 1 limit 1").fetchone() is not None

    def unarmed(self, limit: int) -> list[int]:
        """Users with reminders on but no pending ping (a crash between sending and arming the next)."""
        rows = self.db.execute(
            "select r.user_id from reminders r where r.active = 1 and not exists (select 1 from"
            " reminder_pings p where p.user_id = r.user_id and p.status = 'pending') limit ?",
            [limit],
        ).fetchall()
        return [int(r[0]) for r in rows]

    def due_until(self, until: datetime, limit: int) -> list[tuple[int, datetime]]:
        rows = self.db.execute(
            "select id, due_at from reminder_pings where status = 'pending' and due_at <= ?"
            " order by due_at, id limit ?",
            [stamp(until), limit],
        ).fetchall()
        return [(int(r[0]), parse_stamp(r[1])) for r in rows]

    def forget(self, user_id: int) -> list[int]:
        """Delete the user's reminder rows; return the ping ids whose jobs must be cancelled."""
        ids = [r[0] for r in self.db.execute("select id from reminder_pings where user_id = ?", [user_id])]
        with transaction(self.db):
            self.db.execute("delete from reminder_pings where user_id = ?", [user_id])
            self.db.execute("delete from reminders where user_id = ?", [user_id])
        return ids
