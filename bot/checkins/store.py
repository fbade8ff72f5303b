"""Check-in rows in SQLite: the one truth about which soreness pings are due, sent and answered.

A ping is a row before it is a job, so a restart rebuilds jobs from here and a repeated or late
timer finds the row already `sent` and does nothing. Times are stored as UTC ISO strings in one
fixed format (microseconds, +00:00), so string order is time order and `due_at` can be indexed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlite_utils
from sqlite_utils.migrations import Migrations

from bot.storage.database import parse_stamp, select, stamp
from bot.storage.transaction import transaction

migrations = Migrations("hamcoach.checkins")

STATUSES = ("pending", "sent", "answered", "missed", "cancelled")


@migrations()
def m001_checkins(db: sqlite_utils.Database) -> None:
    db.table("checkins").create(
        {
            "id": int,
            "user_id": int,
            "chat_id": int,
            "session_id": int,
            "kind": str,  # the schedule id in bot/knowledge/data/checkins.yaml, e.g. "h24"
            "offset_hours": float,
            "finished_at": str,  # when the session ended (UTC)
            "base_at": str,  # due time before quiet hours (re-applied when the time zone changes)
            "due_at": str,  # when to send (UTC), after quiet hours
            "status": str,
            "score": int,
            "red_flag": int,
            "snoozes": int,
            "created_at": str,
            "sent_at": str,
            "answered_at": str,
        },
        pk="id",
        not_null={"user_id", "chat_id", "session_id", "kind", "due_at", "status"},
        defaults={"status": "pending", "red_flag": 0, "snoozes": 0},
    )
    db.table("checkins").create_index(["user_id", "session_id", "kind"], unique=True)
    db.table("checkins").create_index(["status", "due_at"])
    db.table("user_settings").create(
        {
            "user_id": int,
            "tz": str,  # IANA name ("Europe/Berlin") or fixed offset ("UTC+02:00"); NULL: not set (UTC)
            "quiet_start": str,  # "HH:MM"; NULL: the default from checkins.yaml
            "quiet_end": str,
            "optin": int,  # NULL: never asked, 1: yes, 0: stopped
            "held_since": str,  # a red flag holds the next session until the user says they are fine
            "last_session_id": int,
            "last_finished_at": str,
            "updated_at": str,
        },
        pk="user_id",
    )
    db.table("soreness").create(
        {
            "id": int,
            "user_id": int,
            "checkin_id": int,
            "session_id": int,
            "score": int,
            "recorded_at": str,
        },
        pk="id",
    )
    db.table("soreness").create_index(["user_id", "recorded_at"])
    db.table("soreness").create_index(["checkin_id"], unique=True)


@dataclass(frozen=True)
class CheckinRow:
    id: int
    user_id: int
    chat_id: int
    session_id: int
    kind: str
    offset_hours: float
    finished_at: datetime
    base_at: datetime
    due_at: datetime
    status: str
    score: int | None
    snoozes: int
    sent_at: datetime | None
    answered_at: datetime | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> CheckinRow:
        def maybe(key: str) -> datetime | None:
            return parse_stamp(row[key]) if row.get(key) else None

        return cls(
            id=row["id"],
            user_id=row["user_id"],
            chat_id=row["chat_id"],
            session_id=row["session_id"],
            kind=row["kind"],
            offset_hours=row["offset_hours"] or 0.0,
            finished_at=parse_stamp(row["finished_at"]),
            base_at=parse_stamp(row["base_at"]),
            due_at=parse_stamp(row["due_at"]),
            status=row["status"],
            score=row["score"],
            snoozes=row["snoozes"] or 0,
            sent_at=maybe("sent_at"),
            answered_at=maybe("answered_at"),
        )


@dataclass(frozen=True)
class Settings:
    user_id: int
    tz: str | None = None
    quiet_start: str | None = None
    quiet_end: str | None = None
    optin: bool | None = None
    held_since: datetime | None = None
    last_session_id: int | None = None
    last_finished_at: datetime | None = None


class CheckinStore:
    """Queries for the check-in feature; every write commits before anything is sent or scheduled."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def _commit(self) -> None:
        self.db.conn.commit()

    # ------------------------------------------------------------------ check-ins

    def add(
        self,
        *,
        user_id: int,
        chat_id: int,
        session_id: int,
        kind: str,
        offset_hours: float,
        finished_at: datetime,
        base_at: datetime,
        due_at: datetime,
        now: datetime,
    ) -> int | None:
        """Insert one pending check-in; None if this session already has one of this kind."""
        cursor = self.db.execute(
            "insert or ignore into checkins (user_id, chat_id, session_id, kind, offset_hours, finished_at,"
            " base_at, due_at, status, red_flag, snoozes, created_at)"
            " values (?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, 0, ?)",
            [
                user_id,
                chat_id,
                session_id,
                kind,
                offset_hours,
                stamp(finished_at),
                stamp(base_at),
                stamp(due_at),
                stamp(now),
            ],
        )
        self._commit()
        return int(cursor.lastrowid) if cursor.rowcount == 1 and cursor.lastrowid else None

    def get(self, checkin_id: int) -> CheckinRow | None:
        rows = list(self.db.query("select * from checkins where id = ?", [checkin_id]))
        return CheckinRow.from_row(rows[0]) if rows else None

    def for_user(self, user_id: int, statuses: tuple[str, ...] = STATUSES) -> list[CheckinRow]:
        marks = ",".join("?" for _ in statuses)
        rows = self.db.query(
            f"select * from checkins where user_id = ? and status in ({marks}) order by due_at, id",
            [user_id, *statuses],
        )
        return [CheckinRow.from_row(r) for r in rows]

    def of_session(self, user_id: int, session_id: int) -> list[CheckinRow]:
        rows = self.db.query(
            "select * from checkins where user_id = ? and session_id = ? order by due_at, id",
            [user_id, session_id],
        )
        return [CheckinRow.from_row(r) for r in rows]

    def awaiting(self, user_id: int, sent_after: datetime) -> CheckinRow | None:
        """The latest check-in sent (and not answered) since `sent_after`."""
        rows = select(
            self.db,
            "select * from checkins where user_id = ? and status = 'sent' and sent_at >= ?"
            " order by sent_at desc, id desc limit 1",
            [user_id, stamp(sent_after)],
        )
        return CheckinRow.from_row(rows[0]) if rows else None

    def claim_for_sending(self, checkin_id: int, now: datetime) -> bool:
        """pending -> sent, atomically: exactly one timer (of any number of fires) wins."""
        cursor = self.db.execute(
            "update checkins set status = 'sent', sent_at = ? where id = ? and status = 'pending'",
            [stamp(now), checkin_id],
        )
        self._commit()
        return cursor.rowcount == 1

    def set_status(self, checkin_id: int, status: str, *, only_from: tuple[str, ...]) -> bool:
        marks = ",".join("?" for _ in only_from)
        cursor = self.db.execute(
            f"update checkins set status = ? where id = ? and status in ({marks})",
            [status, checkin_id, *only_from],
        )
        self._commit()
        return cursor.rowcount == 1

    def reschedule(self, checkin_id: int, base_at: datetime, due_at: datetime, *, snooze: bool) -> None:
        """Back to pending with a new due time (snooze, quiet hours, a new time zone)."""
        self.db.execute(
            "update checkins set status = 'pending', base_at = ?, due_at = ?, sent_at = null,"
            " snoozes = snoozes + ? where id = ?",
            [stamp(base_at), stamp(due_at), int(snooze), checkin_id],
        )
        self._commit()

    def answer(self, row: CheckinRow, score: int, now: datetime) -> None:
        """Record (or correct) the score of a check-in and its soreness history row, once each."""
        with transaction(self.db):
            self.db.execute(
                "update checkins set status = 'answered', score = ?, answered_at = ? where id = ?",
                [score, stamp(now), row.id],
            )
            self.db.execute(
                "insert into soreness (user_id, checkin_id, session_id, score, recorded_at)"
                " values (?, ?, ?, ?, ?) on conflict(checkin_id) do update set"
                " score = excluded.score, recorded_at = excluded.recorded_at",
                [row.user_id, row.id, row.session_id, score, stamp(now)],
            )

    def unanswer(self, row: CheckinRow, follower_kinds: tuple[str, ...]) -> list[int]:
        """Undo a score: the check-in waits again, its soreness row goes, and the pending check-ins
        that score unlocked are removed; their ids are returned so their jobs can be dropped."""
        marks = ",".join("?" for _ in follower_kinds) or "''"
        where = f"user_id = ? and session_id = ? and status = 'pending' and kind in ({marks})"
        args = [row.user_id, row.session_id, *follower_kinds]
        dropped = [int(r["id"]) for r in self.db.query(f"select id from checkins where {where}", args)]
        with transaction(self.db):
            self.db.execute(
                "update checkins set status = 'sent', score = null, answered_at = null"
                " where id = ? and status = 'answered'",
                [row.id],
            )
            self.db.execute("delete from soreness where checkin_id = ?", [row.id])
            self.db.execute(f"delete from checkins where {where}", args)
        return dropped

    def mark_red_flag(self, checkin_id: int) -> None:
        self.db.execute("update checkins set red_flag = 1 where id = ?", [checkin_id])
        self._commit()

    def cancel_pending(self, user_id: int) -> list[int]:
        """Cancel a user's pending and unanswered check-ins; return their ids (for job cancelling)."""
        ids = [
            r["id"]
            for r in self.db.query(
                "select id from checkins where user_id = ? and status in ('pending', 'sent')", [user_id]
            )
        ]
        self.db.execute(
            "update checkins set status = 'cancelled' where user_id = ? and status in ('pending', 'sent')",
            [user_id],
        )
        self._commit()
        return ids

    def expire_sent(self, sent_before: datetime, user_id: int | None = None) -> int:
        """Sent check-ins nobody answered within the answer window become missed (only `user_id`'s
        when given: `hamcoach chat` touches no one else's)."""
        cursor = self.db.execute(
            "update checkins set status = 'missed' where status = 'sent' and sent_at < ?"
            " and (? is null or user_id = ?)",
            [stamp(sent_before), user_id, user_id],
        )
        self._commit()
        return cursor.rowcount

    def miss_stale(self, due_before: datetime, user_id: int | None = None) -> int:
        """Pending check-ins more than the grace late are marked missed, never sent in a burst."""
        cursor = self.db.execute(
            "update checkins set status = 'missed' where status = 'pending' and due_at < ?"
            " and (? is null or user_id = ?)",
            [stamp(due_before), user_id, user_id],
        )
        self._commit()
        return cursor.rowcount

    def due_until(
        self, until: datetime, limit: int = -1, user_id: int | None = None
    ) -> list[tuple[int, datetime]]:
        """(id, due_at) of the first `limit` pending check-ins due by `until` (of `user_id` only,
        when given), for the job queue."""
        rows = self.db.execute(
            "select id, due_at from checkins where status = 'pending' and due_at <= ?"
            " and (? is null or user_id = ?) order by due_at, id limit ?",
            [stamp(until), user_id, user_id, limit],
        ).fetchall()
        return [(r[0], parse_stamp(r[1])) for r in rows]

    def pending_count(self) -> int:
        return int(self.db.execute("select count(*) from checkins where status = 'pending'").fetchone()[0])

    # ------------------------------------------------------------------ soreness history

    def scores(self, user_id: int, since: datetime, limit: int = 10) -> list[int]:
        """Recent scores, newest first."""
        rows = self.db.execute(
            "select score from soreness where user_id = ? and recorded_at >= ?"
            " order by recorded_at desc, id desc limit ?",
            [user_id, stamp(since), limit],
        ).fetchall()
        return [int(r[0]) for r in rows]

    # ------------------------------------------------------------------ settings

    def settings(self, user_id: int) -> Settings:
        rows = list(self.db.query("select * from user_settings where user_id = ?", [user_id]))
        if not rows:
            return Settings(user_id)
        r = rows[0]
        return Settings(
            user_id=user_id,
            tz=r["tz"],
            quiet_start=r["quiet_start"],
            quiet_end=r["quiet_end"],
            optin=None if r["optin"] is None else bool(r["optin"]),
            held_since=parse_stamp(r["held_since"]) if r["held_since"] else None,
            last_session_id=r["last_session_id"],
            last_finished_at=parse_stamp(r["last_finished_at"]) if r["last_finished_at"] else None,
        )

    def update_settings(self, user_id: int, now: datetime, **values: Any) -> None:
        """Upsert only the given columns (datetimes are stamped), leaving the others as they are."""
        values = {k: stamp(v) if isinstance(v, datetime) else v for k, v in values.items()}
        values["updated_at"] = stamp(now)
        columns = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        updates = ", ".join(f"{k} = excluded.{k}" for k in values)
        self.db.execute(
            f"insert into user_settings (user_id, {columns}) values (?, {marks})"
            f" on conflict(user_id) do update set {updates}",
            [user_id, *values.values()],
        )
        self._commit()

    # ------------------------------------------------------------------ forget

    def forget(self, user_id: int) -> list[int]:
        """Delete every check-in row of a user; return the ids whose jobs must be cancelled."""
        ids = [r[0] for r in self.db.execute("select id from checkins where user_id = ?", [user_id])]
        with transaction(self.db):
            for table in ("checkins", "soreness", "user_settings"):
                self.db.execute(f"delete from {table} where user_id = ?", [user_id])
        return ids
