"""Site-update broadcasts' tables: subscribers, broadcasts, the deliveries ledger, leases, reports.

The database is the truth. Approving a broadcast writes one `deliveries` row per active subscriber
(one SQL statement, so memory does not grow with the audience); the fan-out (sender.py) walks those
rows and records each one's fate, so a crash loses nothing and resuming re-reads the ledger.

A broadcast is claimed with a lease (owner host:pid:process token, an expiry renewed while sending)
so `hamcoach broadcast` and a running bot never send the same broadcast at once; a lease whose process
is dead (or an earlier start of our own PID) is taken over at once, any other only when it expires.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import sqlite_utils
from sqlite_utils.migrations import Migrations

from bot.storage.database import Store, parse_stamp, restamp, stamp
from bot.storage.transaction import transaction

log = logging.getLogger(__name__)

migrations = Migrations("hamcoach.broadcast")

Source = Literal["admin", "feed", "cli"]


@migrations()
def m001_broadcast(db: sqlite_utils.Database) -> None:
    db.table("subscribers").create(
        {
            "user_id": int,
            "chat_id": int,
            "active": int,
            "subscribed_at": str,
            "unsubscribed_at": str,
            "blocked_at": str,
        },
        pk="user_id",
        not_null={"chat_id", "active"},
        defaults={"active": 1},
    )
    db.table("broadcasts").create(
        {
            "id": int,
            "text": str,  # sanitised Telegram HTML, the whole update
            "parts": str,  # JSON list of the messages it is sent as (fixed at creation, for resume)
            "source": str,  # admin | feed | cli
            "feed_entry_id": str,
            "created_at": str,
            "created_by": int,
            "status": str,  # preview | sending | done | cancelled
            "audience": int,
            "started_at": str,
            "finished_at": str,
            "lease_owner": str,
            "lease_until": str,
        },
        pk="id",
        not_null={"text", "parts", "source", "created_at", "status"},
    )
    db.table("broadcasts").create_index(["feed_entry_id"], unique=True)
    db.table("broadcasts").create_index(["status"])
    db.table("deliveries").create(
        {
            "broadcast_id": int,
            "user_id": int,
            "status": str,  # pending | sending | sent | blocked | failed
            "attempts": int,  # Bot API calls made for this row (all parts, all retries)
            "errors": int,  # transient failures, bounded by max_retries
            "parts_sent": int,
            "sent_at": str,
            "error": str,
        },
        pk=("broadcast_id", "user_id"),
        not_null={"status", "attempts", "errors", "parts_sent"},
        defaults={"status": "pending", "attempts": 0, "errors": 0, "parts_sent": 0},
        foreign_keys=[("broadcast_id", "broadcasts", "id")],
    )
    db.table("deliveries").create_index(["user_id"])


@migrations()
def m002_one_time_format(db: sqlite_utils.Database) -> None:
    """Times written by `isoformat()` (lease expiries among them, compared as strings) in stamp() form."""
    restamp(db, "subscribers", ["subscribed_at", "unsubscribed_at", "blocked_at"])
    restamp(db, "broadcasts", ["created_at", "started_at", "finished_at", "lease_until"])
    restamp(db, "deliveries", ["sent_at"])


# ---------------------------------------------------------------------- subscriptions


def subscribe(store: Store, user_id: int, chat_id: int, now: datetime) -> bool:
    """Subscribe (or re-activate); False when already subscribed."""
    db = store.db
    row = _one(db, "select active from subscribers where user_id = ?", [user_id])
    if row is not None and row["active"] == 1:
        with transaction(db):
            db.execute("update subscribers set chat_id = ? where user_id = ?", [chat_id, user_id])
        return False
    with transaction(db):
        db.execute(
            "insert into subscribers (user_id, chat_id, active, subscribed_at) values (?, ?, 1, ?) "
            "on conflict(user_id) do update set chat_id = excluded.chat_id, active = 1, "
            "subscribed_at = excluded.subscribed_at, unsubscribed_at = null, blocked_at = null",
            [user_id, chat_id, stamp(now)],
        )
    return True


def unsubscribe(store: Store, user_id: int, now: datetime) -> bool:
    """Stop updates; pending deliveries to this user are dropped. False when not subscribed."""
    db = store.db
    with transaction(db):
        cur = db.execute(
            "update subscribers set active = 0, unsubscribed_at = ? where user_id = ? and active = 1",
            [stamp(now), user_id],
        )
        db.execute("delete from deliveries where user_id = ? and status = 'pending'", [user_id])
    return cur.rowcount > 0


def blocked(store: Store, user_id: int, now: datetime) -> None:
    """The user blocked the bot: inactive from now on (a later /subscribe re-activates)."""
    with transaction(store.db):
        store.db.execute(
            "update subscribers set active = 0, blocked_at = ? where user_id = ? and active = 1",
            [stamp(now), user_id],
        )


def prune(store: Store, before: datetime) -> int:
    """Retention: delete the delivery rows of broadcasts finished before `before` (the broadcasts
    themselves stay: /updates shows them); returns how many rows."""
    with transaction(store.db):
        cur = store.db.execute(
            "delete from deliveries where broadcast_id in (select id from broadcasts "
            "where status = 'done' and finished_at < ?)",
            [stamp(before)],
        )
    if cur.rowcount:
        log.info("retention: deleted %d broadcast deliveries", cur.rowcount)
    return cur.rowcount


def is_subscribed(store: Store, user_id: int) -> bool:
    row = _one(store.db, "select active from subscribers where user_id = ?", [user_id])
    return row is not None and row["active"] == 1


def forget(store: Store, user_id: int) -> None:
    """Delete everything this feature keeps about the user (the /forget promise)."""
    with transaction(store.db):
        store.db.execute("delete from deliveries where user_id = ?", [user_id])
        store.db.execute("delete from subscribers where user_id = ?", [user_id])


# ---------------------------------------------------------------------- broadcasts


@dataclass(frozen=True)
class Broadcast:
    id: int
    text: str
    parts: list[str]
    source: str
    status: str
    created_at: str
    created_by: int | None
    feed_entry_id: str | None
    audience: int | None
    started_at: str | None
    finished_at: str | None


def create(
    store: Store,
    parts: list[str],
    source: Source,
    now: datetime,
    *,
    created_by: int | None = None,
    feed_entry_id: str | None = None,
    approve_now: bool = False,
) -> int:
    """A new broadcast in `preview` (or, with approve_now, already `sending` with its ledger)."""
    db = store.db
    with transaction(db):
        cur = db.execute(
            "insert into broadcasts (text, parts, source, feed_entry_id, created_at, created_by, status) "
            "values (?, ?, ?, ?, ?, ?, 'preview')",
            ["\n\n".join(parts), json.dumps(parts), source, feed_entry_id, stamp(now), created_by],
        )
        broadcast_id = int(cur.lastrowid or 0)
        if approve_now:
            _approve(db, broadcast_id, now)
    return broadcast_id


def approve(store: Store, broadcast_id: int, now: datetime) -> bool:
    """preview -> sending, writing the ledger for today's active subscribers; False if not a preview."""
    with transaction(store.db):
        return _approve(store.db, broadcast_id, now)


def _approve(db: sqlite_utils.Database, broadcast_id: int, now: datetime) -> bool:
    cur = db.execute(
        "update broadcasts set status = 'sending' where id = ? and status = 'preview'", [broadcast_id]
    )
    if cur.rowcount == 0:
        return False
    db.execute(
        "insert or ignore into deliveries (broadcast_id, user_id) "
        "select ?, user_id from subscribers where active = 1",
        [broadcast_id],
    )
    audience = db.execute("select count(*) from deliveries where broadcast_id = ?", [broadcast_id])
    db.execute("update broadcasts set audience = ? where id = ?", [audience.fetchone()[0], broadcast_id])
    log.info("broadcast %d approved at %s", broadcast_id, stamp(now))
    return True


def cancel(store: Store, broadcast_id: int) -> bool:
    """Drop a preview; False if it was already sent or cancelled."""
    with transaction(store.db):
        cur = store.db.execute(
            "update broadcasts set status = 'cancelled' where id = ? and status = 'preview'", [broadcast_id]
        )
    return cur.rowcount > 0


def get(store: Store, broadcast_id: int) -> Broadcast | None:
    row = _one(store.db, "select * from broadcasts where id = ?", [broadcast_id])
    return None if row is None else _broadcast(row)


def sending(store: Store) -> list[int]:
    """Approved broadcasts not yet finished, oldest first (they go out one after another)."""
    return [r[0] for r in store.db.execute("select id from broadcasts where status = 'sending' order by id")]


def latest(store: Store, limit: int = 3) -> list[Broadcast]:
    """The most recent updates that went (or are going) out, newest first."""
    rows = store.db.query(
        "select * from broadcasts where status in ('sending', 'done') order by id desc limit ?", [limit]
    )
    return [_broadcast(r) for r in rows]


def latest_any(store: Store) -> Broadcast | None:
    row = _one(store.db, "select * from broadcasts where status != 'cancelled' order by id desc limit 1", [])
    return None if row is None else _broadcast(row)


def _broadcast(row: dict[str, Any]) -> Broadcast:
    return Broadcast(
        id=row["id"],
        text=row["text"],
        parts=json.loads(row["parts"]),
        source=row["source"],
        status=row["status"],
        created_at=row["created_at"],
        created_by=row["created_by"],
        feed_entry_id=row["feed_entry_id"],
        audience=row["audience"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
    )


def _one(db: sqlite_utils.Database, sql: str, params: list[Any]) -> dict[str, Any] | None:
    return next(iter(db.query(sql, params)), None)


# ---------------------------------------------------------------------- reports


@dataclass
class Report:
    """Where a broadcast stands (from the ledger), plus what this run of `sender.deliver` saw."""

    broadcast_id: int
    status: str
    audience: int
    sent: int
    blocked: int
    failed: int
    pending: int
    duration_s: float | None
    retry_afters: int = 0
    transient_errors: int = 0

    def line(self) -> str:
        took = "" if self.duration_s is None else f" in {self.duration_s:.1f} s"
        return (
            f"Broadcast #{self.broadcast_id} {self.status}{took}: {self.sent} sent, {self.blocked} blocked, "
            f"{self.failed} failed, {self.pending} still to send (of {self.audience})."
        )


def report(store: Store, broadcast_id: int) -> Report:
    b = get(store, broadcast_id)
    if b is None:
        raise KeyError(broadcast_id)
    counts = dict(
        store.db.execute(
            "select status, count(*) from deliveries where broadcast_id = ? group by status", [broadcast_id]
        ).fetchall()
    )
    duration = None
    if b.started_at and b.finished_at:
        delta = parse_stamp(b.finished_at) - parse_stamp(b.started_at)
        duration = delta.total_seconds()
    return Report(
        broadcast_id=broadcast_id,
        status=b.status,
        audience=b.audience or 0,
        sent=counts.get("sent", 0),
        blocked=counts.get("blocked", 0),
        failed=counts.get("failed", 0),
        pending=counts.get("pending", 0) + counts.get("sending", 0),
        duration_s=duration,
    )


# ---------------------------------------------------------------------- leases


# Unique to this start of this process. In a container the bot is PID 1 after every restart, so a
# host:pid owner left by a crash looks alive to its successor; this token tells the two apart.
PROCESS_TOKEN = uuid.uuid4().hex[:12]


def new_owner() -> str:
    """host:pid:process token:run, one per claim attempt (two runs in one process differ too)."""
    return f"{socket.gethostname()}:{os.getpid()}:{PROCESS_TOKEN}:{uuid.uuid4().hex[:8]}"


def _owner_dead(owner: str | None) -> bool:
    """True when `owner` names a process on this host that no longer exists (it crashed): its PID is
    gone, or it is our PID but an earlier start of it (its token is not ours). Owners elsewhere
    cannot be checked; their lease's expiry frees it."""
    if not owner:
        return True
    host, pid_text, token, *_ = [*owner.split(":"), "", ""]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return token != PROCESS_TOKEN
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _expired(lease_until: str | None, now: datetime) -> bool:
    """Compared as times, not strings (rows written before one time format were not comparable)."""
    return not lease_until or parse_stamp(lease_until) <= now


def claim(store: Store, broadcast_id: int, owner: str, now: datetime, lease_s: float = 60.0) -> bool:
    """Take the right to send `broadcast_id`; False if another live sender holds it or it is not sending."""
    row = _one(
        store.db, "select status, lease_owner, lease_until from broadcasts where id = ?", [broadcast_id]
    )
    if row is None or row["status"] != "sending":
        return False
    free = (
        row["lease_owner"] in (None, owner)
        or _expired(row["lease_until"], now)
        or _owner_dead(row["lease_owner"])
    )
    if not free:
        return False
    until = stamp(now + timedelta(seconds=lease_s))
    with transaction(store.db):
        cur = store.db.execute(
            "update broadcasts set lease_owner = ?, lease_until = ?, started_at = coalesce(started_at, ?) "
            "where id = ? and status = 'sending' and coalesce(lease_owner, '') = ?",
            [owner, until, stamp(now), broadcast_id, row["lease_owner"] or ""],
        )
    return cur.rowcount == 1


def renew(store: Store, broadcast_id: int, owner: str, now: datetime, lease_s: float) -> bool:
    """Extend `owner`'s lease; False when it lost it (cancelled, finished elsewhere or taken over)."""
    with transaction(store.db):
        cur = store.db.execute(
            "update broadcasts set lease_until = ? where id = ? and lease_owner = ? and status = 'sending'",
            [stamp(now + timedelta(seconds=lease_s)), broadcast_id, owner],
        )
    return cur.rowcount == 1


def lease_until(store: Store, broadcast_id: int) -> datetime | None:
    """When the current lease on `broadcast_id` expires; None when nobody holds it."""
    row = _one(store.db, "select lease_until from broadcasts where id = ?", [broadcast_id])
    return parse_stamp(row["lease_until"]) if row and row["lease_until"] else None


def release(store: Store, broadcast_id: int, owner: str) -> None:
    """Give up `owner`'s lease (never anyone else's). A database error is logged, not raised: this runs
    while unwinding, and the lease's expiry frees it anyway."""
    try:
        with transaction(store.db):
            store.db.execute(
                "update broadcasts set lease_owner = null, lease_until = null "
                "where id = ? and lease_owner = ?",
                [broadcast_id, owner],
            )
    except sqlite3.Error as exc:
        log.warning(
            "broadcast %d: could not release the lease of %s (%s); it expires by itself",
            broadcast_id,
            owner,
            exc,
        )
