"""SQLite storage through sqlite-utils: the one source of truth that survives restarts.

Schema changes are sqlite-utils `Migrations`, applied at open; each feature may bring its own
migration set, so features add tables without editing each other's steps.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils
from sqlite_utils.migrations import Migrations

from bot.storage.transaction import transaction

migrations = Migrations("hamcoach.core")

QUESTION_LIMIT = 2000


@migrations()
def m001_users_and_questions(db: sqlite_utils.Database) -> None:
    db.table("users").create(
        {"user_id": int, "chat_id": int, "first_name": str, "created_at": str, "last_seen_at": str},
        pk="user_id",
    )
    db.table("questions").create(
        {
            "id": int,
            "user_id": int,
            "asked_at": str,
            "question": str,
            "topic": str,
            "matched": int,
            "score": float,
            "red_flag": int,
        },
        pk="id",
    )
    db.table("questions").create_index(["user_id"])


@migrations()
def m002_expectations(db: sqlite_utils.Database) -> None:
    """What each chat's last question waits for (bot/core/expectation.py), so it survives a restart."""
    db.table("expectations").create(
        {"chat_id": int, "user_id": int, "choices": str, "number": str, "over": str, "set_at": str},
        pk="chat_id",
    )


# Where a private feature writes to the user: before issue 13 (defect 4) the chat a user last spoke
# in, a group included. Telegram numbers a private chat as its user and groups below zero.
PRIVATE_CHAT_TABLES = {
    "users": "",
    "checkins": " and status in ('pending', 'sent')",
    "sessions": " and status in ('active', 'paused')",
    "subscribers": "",
}


@migrations()
def m003_private_chats(db: sqlite_utils.Database) -> None:
    """Point private features back at the private chat (feature tables that already exist)."""
    for table, where in PRIVATE_CHAT_TABLES.items():
        if table in db.table_names():
            db.execute(f"update {table} set chat_id = user_id where chat_id < 0{where}")


@migrations()
def m004_one_time_format(db: sqlite_utils.Database) -> None:
    """Times written by `isoformat()` before stamp() was used everywhere, rewritten in stamp() form."""
    restamp(db, "users", ["created_at", "last_seen_at"])
    restamp(db, "questions", ["asked_at"])


@migrations()
def m005_users_blocked_at(db: sqlite_utils.Database) -> None:
    """When a reply last got 403 (the user blocked the bot); cleared when they write again."""
    db.table("users").add_column("blocked_at", str)


def select(db: sqlite_utils.Database, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    """A read's rows as dicts. Not `db.query()`: sqlite-utils 4 wraps each read in a SAVEPOINT and a
    RELEASE, three statements for one, and every update runs a few reads (benchmarks/load.py)."""
    cursor = db.conn.execute(sql, params)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def stamp(when: datetime) -> str:
    """The one stored form of a time: UTC with microseconds, so stored strings sort like the times."""
    return when.astimezone(UTC).isoformat(timespec="microseconds")


def parse_stamp(text: str) -> datetime:
    """A stored time back; one without an offset (never written by stamp()) is taken as UTC."""
    when = datetime.fromisoformat(text)
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _restamped(value: Any) -> Any:
    """`value` in stamp() form; anything that is not a time is left as it was (never lost)."""
    if not isinstance(value, str) or not value:
        return value
    try:
        return stamp(parse_stamp(value))
    except ValueError:
        return value


def restamp(db: sqlite_utils.Database, table: str, columns: list[str]) -> int:
    """Rewrite `columns` of `table` (if it exists) in stamp() form, for a migration: comparing stored
    strings is only comparing times when every one has the same form. Returns the rows changed."""
    if not db.table(table).exists():
        return 0
    changed = []
    for rowid, *values in db.execute(f"select rowid, {', '.join(columns)} from {table}").fetchall():
        new = [_restamped(v) for v in values]
        if new != values:
            changed.append([*new, rowid])
    assignments = ", ".join(f"{c} = ?" for c in columns)
    db.conn.executemany(f"update {table} set {assignments} where rowid = ?", changed)
    return len(changed)


class Store:
    """Thin, typed access to the database; features add their own query helpers beside this."""

    def __init__(self, path: str | Path, extra: Iterable[Migrations] = ()) -> None:
        self.path = str(path)
        memory = self.path == ":memory:"
        self.db = sqlite_utils.Database(memory=True) if memory else sqlite_utils.Database(self.path)
        if not memory:
            self.db.enable_wal()
            # In WAL mode NORMAL syncs at checkpoints, not at every commit: a commit survives the bot
            # crashing (the OS keeps the WAL) and only a power cut can lose the last ones. FULL made
            # each message's two commits (touch_user, log_question) wait for an fsync on the event loop.
            self.db.execute("pragma synchronous = normal")
        self.db.execute("pragma busy_timeout = 5000")
        self.db.execute("pragma foreign_keys = on")
        for migration_set in (migrations, *extra):
            migration_set.apply(self.db)

    def close(self) -> None:
        self.db.close()

    def touch_user(self, user_id: int, chat_id: int | None, first_name: str, now: datetime) -> None:
        """Remember the user; `chat_id` is their private chat, None when they spoke in a group (the
        private chat then stays as it was, or is the user id, as Telegram numbers private chats).
        Writing again ends a block (a 403) stored by `mark_blocked`."""
        at = stamp(now)
        self.db.execute(
            "insert into users (user_id, chat_id, first_name, created_at, last_seen_at) "
            "values (?, coalesce(?, ?), ?, ?, ?) on conflict(user_id) do update set "
            "chat_id = coalesce(?, users.chat_id), last_seen_at = excluded.last_seen_at, blocked_at = null, "
            "first_name = coalesce(nullif(excluded.first_name, ''), users.first_name)",
            [user_id, chat_id, user_id, first_name[:100], at, at, chat_id],
        )
        self.db.conn.commit()

    def mark_blocked(self, user_id: int, now: datetime) -> None:
        """A reply to the user got 403: they blocked the bot (kept until they write again)."""
        with transaction(self.db):
            self.db.execute("update users set blocked_at = ? where user_id = ?", [stamp(now), user_id])

    def forget_user(self, user_id: int) -> None:
        """Delete the rows the core keeps (the user and their questions); each feature deletes its own
        on the core's "forget" event first."""
        with transaction(self.db):
            for table in ("questions", "expectations", "users"):
                self.db.execute(f"delete from {table} where user_id = ?", [user_id])

    def log_question(
        self, user_id: int, question: str, topic: str | None, score: float, red_flag: bool, now: datetime
    ) -> None:
        """Questions are kept so a coach can see what the bot could not answer. Plain SQL: sqlite-utils'
        insert reads the table's schema on every call."""
        self.db.execute(
            "insert into questions (user_id, asked_at, question, topic, matched, score, red_flag) "
            "values (?, ?, ?, ?, ?, ?, ?)",
            [
                user_id,
                stamp(now),
                question[:QUESTION_LIMIT],
                topic or "",
                int(topic is not None),
                round(score, 3),
                int(red_flag),
            ],
        )
        self.db.conn.commit()

    def prune_questions(self, before: datetime) -> int:
        """Delete questions asked before `before` (retention); returns how many."""
        with transaction(self.db):
            cur = self.db.execute("delete from questions where asked_at < ?", [stamp(before)])
        return cur.rowcount

    def unanswered(self, limit: int) -> list[dict[str, Any]]:
        """The newest questions that got "I don't know"."""
        return list(self.db.table("questions").rows_where("matched = 0", order_by="id desc", limit=limit))

    def count(self, table: str, where: str | None = None, params: Iterable[Any] = ()) -> int:
        """Row count, or 0 when a feature's table does not exist yet."""
        if not self.db.table(table).exists():
            return 0
        return self.db.table(table).count_where(where or "1", list(params))

    def status(self) -> dict[str, int]:
        """The counts of `hamcoach status --json` (DESIGN.md contract)."""
        return {
            "users": self.count("users"),
            "sessions": self.count("sessions"),
            "pending_checkins": self.count("checkins", "status = ?", ["pending"]),
            "pending_reminders": self.count("reminder_pings", "status = ?", ["pending"]),
            "subscribers": self.count("subscribers", "active = 1"),
            "deliveries": self.count("deliveries"),
            "questions": self.count("questions"),
            "unanswered": self.count("questions", "matched = 0"),
            "flood_dropped": self.counter("flood_dropped"),
            "flood_notices": self.counter("flood_notices"),
        }

    def counter(self, name: str) -> int:
        """A counter the bot keeps (bot/storage/health.py), or 0 before it was ever counted."""
        if not self.db.table("counters").exists():
            return 0
        row = self.db.execute("select value from counters where name = ?", [name]).fetchone()
        return int(row[0]) if row else 0
