"""Sessions, sets and rest timers in SQLite: the truth a restarted bot resumes from.

Every step change is one transaction that writes the set (if any), the rest row (if any) and the new
state together, guarded by the session's `seq`; so a crash leaves either all of a step or none of it,
and a double press or a repeated timer cannot log a set twice (sets are unique per session and set_no).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlite_utils
from sqlite_utils.migrations import Migrations

from bot.session.flow import State
from bot.session.progression import Past, Plan
from bot.session.timers import rest_timer
from bot.storage.database import parse_stamp, select, stamp
from bot.storage.transaction import transaction

migrations = Migrations("hamcoach.session")

STATUSES = ("active", "paused", "finished", "cancelled")


@migrations()
def m001_sessions(db: sqlite_utils.Database) -> None:
    db.table("sessions").create(
        {
            "id": int,
            "user_id": int,
            "chat_id": int,
            "started_at": str,
            "finished_at": str,
            "updated_at": str,
            "status": str,  # active | paused | finished | cancelled
            "step": str,  # a step id of bot/knowledge/data/session.yaml
            "history": str,  # json list of step ids, for "back"
            "set_no": int,  # the set to log next
            "resting": int,
            "seq": int,  # bumped on every change; buttons carry it, so old buttons are recognised
            "plan": str,  # json of progression.Plan
            "stop_reason": str,
        },
        pk="id",
        not_null={"user_id", "chat_id", "started_at", "status", "step", "seq", "plan"},
        defaults={"status": "active", "history": "[]", "set_no": 1, "resting": 0, "seq": 0},
    )
    db.table("sessions").create_index(["user_id", "status"])
    # At most one running (active or paused) session per user, whatever a double press tries.
    db.execute(
        "create unique index sessions_one_running on sessions (user_id) where status in ('active', 'paused')"
    )
    db.table("sets").create(
        {"id": int, "session_id": int, "user_id": int, "set_no": int, "reps": int, "logged_at": str},
        pk="id",
        not_null={"session_id", "user_id", "set_no", "reps", "logged_at"},
    )
    db.table("sets").create_index(["session_id", "set_no"], unique=True)
    db.table("sets").create_index(["user_id"])
    db.table("rests").create(
        {"session_id": int, "set_no": int, "user_id": int, "due_at": str, "status": str},
        pk=("session_id", "set_no"),
        not_null={"user_id", "due_at", "status"},
        defaults={"status": "pending"},  # pending | done | skipped | cancelled
    )
    db.table("rests").create_index(["status", "due_at"])


@dataclass(frozen=True)
class SessionRow:
    id: int
    user_id: int
    chat_id: int
    started_at: datetime
    finished_at: datetime | None
    status: str
    state: State
    seq: int
    plan: Plan
    stop_reason: str

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> SessionRow:
        status = row["status"]
        state = State(
            step=row["step"],
            history=tuple(json.loads(row["history"] or "[]")),
            set_no=row["set_no"] or 1,
            resting=bool(row["resting"]),
            done=status in ("finished", "cancelled"),
        )
        return cls(
            id=row["id"],
            user_id=row["user_id"],
            chat_id=row["chat_id"],
            started_at=parse_stamp(row["started_at"]),
            finished_at=parse_stamp(row["finished_at"]) if row["finished_at"] else None,
            status=status,
            state=state,
            seq=row["seq"],
            plan=Plan.from_json(json.loads(row["plan"])),
            stop_reason=row["stop_reason"] or "",
        )


@dataclass(frozen=True)
class Change:
    """One step's worth of writes, applied atomically by `SessionStore.apply`."""

    state: State
    logged: tuple[int, int] | None = None
    unlogged: int | None = None  # delete this set's reps (an undo)
    rest_due: datetime | None = None  # start a rest for the set just logged
    rest_end: str = ""  # "done" or "skipped": close the pending rest
    status: str = ""  # "finished" or "cancelled" to end the session
    stop_reason: str = ""


class SessionStore:
    """Queries for the session feature; each write commits before anything is sent or scheduled."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def _one(self, sql: str, params: list[Any]) -> SessionRow | None:
        rows = select(self.db, sql, params)
        return SessionRow.from_row(rows[0]) if rows else None

    def create(
        self, user_id: int, chat_id: int, state: State, plan: Plan, now: datetime
    ) -> SessionRow | None:
        """A new active session, or None if the user already has one running."""
        try:
            with transaction(self.db):
                cursor = self.db.execute(
                    "insert into sessions (user_id, chat_id, started_at, updated_at, status, step, history,"
                    " set_no, resting, seq, plan) values (?, ?, ?, ?, 'active', ?, '[]', 1, 0, 1, ?)",
                    [user_id, chat_id, stamp(now), stamp(now), state.step, json.dumps(plan.to_json())],
                )
        except sqlite3.IntegrityError:
            return None
        return self.get(int(cursor.lastrowid or 0))

    def get(self, session_id: int) -> SessionRow | None:
        return self._one("select * from sessions where id = ?", [session_id])

    def running(self, user_id: int) -> SessionRow | None:
        """The user's active or paused session, if any."""
        return self._one(
            "select * from sessions where user_id = ? and status in ('active', 'paused')"
            " order by id desc limit 1",
            [user_id],
        )

    def apply(self, row: SessionRow, change: Change, now: datetime) -> SessionRow | None:
        """Write a step atomically if nobody changed the session since `row` was read; else None."""
        try:
            return self._apply(row, change, now)
        except sqlite3.IntegrityError:  # a set already logged: the transaction rolled back whole
            return None

    def _apply(self, row: SessionRow, change: Change, now: datetime) -> SessionRow | None:
        state = change.state
        with transaction(self.db):
            cursor = self.db.execute(
                "update sessions set step = ?, history = ?, set_no = ?, resting = ?, seq = seq + 1,"
                " updated_at = ?, status = coalesce(nullif(?, ''), status),"
                " finished_at = case when ? != '' then ? else finished_at end,"
                " stop_reason = coalesce(nullif(?, ''), stop_reason)"
                " where id = ? and seq = ? and status in ('active', 'paused')",
                [
                    state.step,
                    json.dumps(list(state.history)),
                    state.set_no,
                    int(state.resting),
                    stamp(now),
                    change.status,
                    change.status,
                    stamp(now),
                    change.stop_reason,
                    row.id,
                    row.seq,
                ],
            )
            if cursor.rowcount != 1:
                return None
            if change.logged is not None:
                set_no, reps = change.logged
                self.db.execute(
                    "insert into sets (session_id, user_id, set_no, reps, logged_at) values (?, ?, ?, ?, ?)",
                    [row.id, row.user_id, set_no, reps, stamp(now)],
                )
            if change.unlogged is not None:
                self.db.execute(
                    "delete from sets where session_id = ? and set_no = ?", [row.id, change.unlogged]
                )
                self.db.execute(
                    "delete from rests where session_id = ? and set_no = ?", [row.id, change.unlogged]
                )
            if change.rest_end:
                self.db.execute(
                    "update rests set status = ? where session_id = ? and status = 'pending'",
                    [change.rest_end, row.id],
                )
            if change.rest_due is not None and change.logged is not None:
                self.db.execute(
                    "insert or replace into rests (session_id, set_no, user_id, due_at, status)"
                    " values (?, ?, ?, ?, 'pending')",
                    [row.id, change.logged[0], row.user_id, stamp(change.rest_due)],
                )
            if change.status:
                self.db.execute(
                    "update rests set status = 'cancelled' where session_id = ? and status = 'pending'",
                    [row.id],
                )
        return self.get(row.id)

    def set_status(self, row: SessionRow, status: str, now: datetime) -> SessionRow | None:
        """Pause, resume or cancel; pausing or cancelling ends a pending rest (a resume shows the set)."""
        with transaction(self.db):
            cursor = self.db.execute(
                "update sessions set status = ?, seq = seq + 1, updated_at = ?, resting = 0,"
                " finished_at = case when ? = 'cancelled' then ? else finished_at end,"
                " stop_reason = case when ? = 'cancelled' then 'cancelled' else stop_reason end"
                " where id = ? and seq = ?",
                [status, stamp(now), status, stamp(now), status, row.id, row.seq],
            )
            if cursor.rowcount != 1:
                return None
            self.db.execute(
                "update rests set status = ? where session_id = ? and status = 'pending'",
                ["cancelled" if status == "cancelled" else "done", row.id],
            )
        return self.get(row.id)

    def sets_of(self, session_id: int) -> list[tuple[int, int]]:
        rows = self.db.execute(
            "select set_no, reps from sets where session_id = ? order by set_no", [session_id]
        ).fetchall()
        return [(int(r[0]), int(r[1])) for r in rows]

    def history(self, user_id: int, limit: int = 10) -> list[tuple[SessionRow, list[tuple[int, int]]]]:
        """Latest sessions first, each with its sets."""
        sql = "select * from sessions where user_id = ? order by id desc limit ?"
        rows = self.db.query(sql, [user_id, limit])
        out = []
        for r in rows:
            row = SessionRow.from_row(r)
            out.append((row, self.sets_of(row.id)))
        return out

    def past(self, user_id: int) -> list[Past]:
        """Finished sessions with their reps, oldest first, for progression."""
        rows = self.db.query(
            "select * from sessions where user_id = ? and status = 'finished' order by finished_at", [user_id]
        )
        out = []
        for r in rows:
            row = SessionRow.from_row(r)
            assert row.finished_at is not None
            reps = tuple(reps for _, reps in self.sets_of(row.id))
            out.append(Past(row.finished_at, row.plan.position, row.plan.targets, reps))
        return out

    def all_of(self, user_id: int) -> list[tuple[SessionRow, list[tuple[int, int, datetime]]]]:
        """Every session of a user, oldest first, with (set_no, reps, logged_at) of its sets."""
        sets: dict[int, list[tuple[int, int, datetime]]] = {}
        for r in self.db.execute(
            "select session_id, set_no, reps, logged_at from sets where user_id = ?"
            " order by session_id, set_no",
            [user_id],
        ):
            sets.setdefault(int(r[0]), []).append((int(r[1]), int(r[2]), parse_stamp(r[3])))
        rows = self.db.query("select * from sessions where user_id = ? order by started_at, id", [user_id])
        return [(row, sets.get(row.id, [])) for row in map(SessionRow.from_row, rows)]

    def last_ended(self, user_id: int) -> SessionRow | None:
        return self._one(
            "select * from sessions where user_id = ? and status in ('finished', 'cancelled')"
            " order by finished_at desc, id desc limit 1",
            [user_id],
        )

    def rest(self, session_id: int, set_no: int) -> tuple[datetime, str] | None:
        row = self.db.execute(
            "select due_at, status from rests where session_id = ? and set_no = ?", [session_id, set_no]
        ).fetchone()
        return (parse_stamp(row[0]), str(row[1])) if row else None

    def close_rest(self, session_id: int, set_no: int) -> None:
        """A rest that no longer fits the session's state is closed, so it is not rebuilt again."""
        self.db.execute(
            "update rests set status = 'done' where session_id = ? and set_no = ? and status = 'pending'",
            [session_id, set_no],
        )
        self.db.conn.commit()

    def pending_rests(self, user_id: int | None = None) -> list[tuple[int, int, datetime]]:
        """(session_id, set_no, due_at) of every rest still to ping (of `user_id` only, when given),
        for rebuilding timers at start-up."""
        rows = self.db.execute(
            "select r.session_id, r.set_no, r.due_at from rests r join sessions s on s.id = r.session_id"
            " where r.status = 'pending' and s.status = 'active' and (? is null or s.user_id = ?)"
            " order by r.due_at",
            [user_id, user_id],
        ).fetchall()
        return [(int(r[0]), int(r[1]), parse_stamp(r[2])) for r in rows]

    def forget(self, user_id: int) -> list[str]:
        """Delete a user's sessions, sets and rests; return the rest timer names to cancel."""
        sql = "select session_id, set_no from rests where user_id = ? and status = 'pending'"
        names = [rest_timer(r[0], r[1]) for r in self.db.execute(sql, [user_id])]
        with transaction(self.db):
            for table in ("rests", "sets", "sessions"):
                self.db.execute(f"delete from {table} where user_id = ?", [user_id])
        return names
