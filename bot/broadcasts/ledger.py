"""Site-update broadcasts: subscribers, broadcasts, a delivery ledger, and the fan-out engine.

The database is the truth. Approving a broadcast writes one `deliveries` row per active subscriber
(one SQL statement, so memory does not grow with the audience); `deliver` then walks the pending
rows in pages, marks each row `sending` (committed) before the Bot API call and `sent` (committed)
after it. Exactly one message is in flight at a time, so a crash at any instant leaves at most one
row whose fate is unknown: resuming re-sends it (at most one duplicate per crash) and never re-sends
a `sent` row. Sending one at a time also keeps the rate honest: a pacer spaces sends evenly by
(1 + margin)/rate, may catch up after a slow send, but never lets the server see more than `rate`
sends in a sliding second (Telegram's and the fake server's model); each chat gets at most one a second.
Concurrency would be faster against a slow API, but each message in flight at a crash is a possible
duplicate: one in flight is what makes "at most one duplicate per crash" true.

A broadcast is claimed with a lease (owner host:pid, renewed while sending) so `hamcoach broadcast`
and a running bot never send the same broadcast at once; a lease whose process is dead is taken over
at once, one whose process is alive only when it expires.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import json
import logging
import os
import socket
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

import sqlite_utils
from sqlite_utils.migrations import Migrations

from bot.storage.database import Store

log = logging.getLogger(__name__)

migrations = Migrations("hamcoach.broadcast")

Source = Literal["admin", "feed", "cli"]
ResultKind = Literal["ok", "retry_after", "blocked", "transient", "failed"]
UNFINISHED = ("pending", "sending")
CATCH_UP_S = 1.0  # how far behind its even schedule the pacer may catch up


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


# ---------------------------------------------------------------------- subscriptions


def subscribe(store: Store, user_id: int, chat_id: int, now: datetime) -> bool:
    """Subscribe (or re-activate); False when already subscribed."""
    db = store.db
    row = _one(db, "select active from subscribers where user_id = ?", [user_id])
    if row is not None and row["active"] == 1:
        with db.conn:
            db.execute("update subscribers set chat_id = ? where user_id = ?", [chat_id, user_id])
        return False
    with db.conn:
        db.execute(
            "insert into subscribers (user_id, chat_id, active, subscribed_at) values (?, ?, 1, ?) "
            "on conflict(user_id) do update set chat_id = excluded.chat_id, active = 1, "
            "subscribed_at = excluded.subscribed_at, unsubscribed_at = null, blocked_at = null",
            [user_id, chat_id, now.isoformat()],
        )
    return True


def unsubscribe(store: Store, user_id: int, now: datetime) -> bool:
    """Stop updates; pending deliveries to this user are dropped. False when not subscribed."""
    db = store.db
    with db.conn:
        cur = db.execute(
            "update subscribers set active = 0, unsubscribed_at = ? where user_id = ? and active = 1",
            [now.isoformat(), user_id],
        )
        db.execute("delete from deliveries where user_id = ? and status = 'pending'", [user_id])
    return cur.rowcount > 0


def is_subscribed(store: Store, user_id: int) -> bool:
    row = _one(store.db, "select active from subscribers where user_id = ?", [user_id])
    return row is not None and row["active"] == 1


def forget(store: Store, user_id: int) -> None:
    """Delete everything this feature keeps about the user (the /forget promise)."""
    with store.db.conn:
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
    with db.conn:
        cur = db.execute(
            "insert into broadcasts (text, parts, source, feed_entry_id, created_at, created_by, status) "
            "values (?, ?, ?, ?, ?, ?, 'preview')",
            ["\n\n".join(parts), json.dumps(parts), source, feed_entry_id, now.isoformat(), created_by],
        )
        broadcast_id = int(cur.lastrowid or 0)
        if approve_now:
            _approve(db, broadcast_id, now)
    return broadcast_id


def approve(store: Store, broadcast_id: int, now: datetime) -> bool:
    """preview -> sending, writing the ledger for today's active subscribers; False if not a preview."""
    with store.db.conn:
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
    log.info("broadcast %d approved at %s", broadcast_id, now.isoformat())
    return True


def cancel(store: Store, broadcast_id: int) -> bool:
    """Drop a preview; False if it was already sent or cancelled."""
    with store.db.conn:
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
    """Where a broadcast stands (from the ledger), plus what this run of `deliver` saw."""

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
        delta = datetime.fromisoformat(b.finished_at) - datetime.fromisoformat(b.started_at)
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


def new_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _owner_dead(owner: str | None) -> bool:
    """True when `owner` names a process on this host that no longer exists (it crashed)."""
    if not owner:
        return True
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def claim(store: Store, broadcast_id: int, owner: str, now: datetime, lease_s: float = 60.0) -> bool:
    """Take the right to send `broadcast_id`; False if another live sender holds it or it is not sending."""
    row = _one(
        store.db, "select status, lease_owner, lease_until from broadcasts where id = ?", [broadcast_id]
    )
    if row is None or row["status"] != "sending":
        return False
    free = (
        row["lease_owner"] in (None, owner)
        or (row["lease_until"] or "") < now.isoformat()
        or _owner_dead(row["lease_owner"])
    )
    if not free:
        return False
    until = (now + timedelta(seconds=lease_s)).isoformat()
    with store.db.conn:
        cur = store.db.execute(
            "update broadcasts set lease_owner = ?, lease_until = ?, started_at = coalesce(started_at, ?) "
            "where id = ? and status = 'sending' and coalesce(lease_owner, '') = ?",
            [owner, until, now.isoformat(), broadcast_id, row["lease_owner"] or ""],
        )
    return cur.rowcount == 1


def _renew(store: Store, broadcast_id: int, owner: str, now: datetime, lease_s: float) -> bool:
    with store.db.conn:
        cur = store.db.execute(
            "update broadcasts set lease_until = ? where id = ? and lease_owner = ? and status = 'sending'",
            [(now + timedelta(seconds=lease_s)).isoformat(), broadcast_id, owner],
        )
    return cur.rowcount == 1


# ---------------------------------------------------------------------- the fan-out engine


@dataclass(frozen=True)
class SendResult:
    """What the adapter's `send` reports; it never raises for Bot API outcomes."""

    kind: ResultKind
    retry_after: float = 0.0
    detail: str = ""


OK = SendResult("ok")
Send = Callable[[int, str], Awaitable[SendResult]]
Sleep = Callable[[float], Awaitable[None]]


@dataclass(order=True)
class _Due:
    due: float
    seq: int
    row: _Row = field(compare=False)


@dataclass
class _Row:
    user_id: int
    chat_id: int
    active: bool
    parts_sent: int
    errors: int


@dataclass
class _Ledger:
    """The row-level writes of `deliver`, each its own committed transaction."""

    store: Store
    broadcast_id: int

    def page(self, after: int, size: int) -> list[_Row]:
        rows = self.store.db.execute(
            "select d.user_id, s.chat_id, coalesce(s.active, 0), d.parts_sent, d.errors "
            "from deliveries d left join subscribers s on s.user_id = d.user_id "
            "where d.broadcast_id = ? and d.user_id > ? and d.status in ('pending', 'sending') "
            "order by d.user_id limit ?",
            [self.broadcast_id, after, size],
        ).fetchall()
        return [_Row(u, c if c is not None else u, bool(a), p, e) for u, c, a, p, e in rows]

    def _set(self, user_id: int, sql: str, params: list[Any]) -> None:
        with self.store.db.conn:
            self.store.db.execute(
                f"update deliveries set {sql} where broadcast_id = ? and user_id = ?",
                [*params, self.broadcast_id, user_id],
            )

    def before(self, row: _Row) -> None:
        self._set(row.user_id, "status = 'sending', attempts = attempts + 1", [])

    def sent(self, row: _Row, parts_sent: int, done: bool, now: datetime) -> None:
        status = "sent" if done else "pending"
        self._set(
            row.user_id, "status = ?, parts_sent = ?, sent_at = ?", [status, parts_sent, now.isoformat()]
        )

    def again(self, row: _Row, errors: int, detail: str) -> None:
        self._set(row.user_id, "status = 'pending', errors = ?, error = ?", [errors, detail[:200]])

    def final(self, row: _Row, status: str, detail: str, now: datetime) -> None:
        self._set(row.user_id, "status = ?, error = ?", [status, detail[:200]])
        if status == "blocked":
            with self.store.db.conn:
                self.store.db.execute(
                    "update subscribers set active = 0, blocked_at = ? where user_id = ?",
                    [now.isoformat(), row.user_id],
                )

    def finish(self, now: datetime) -> bool:
        with self.store.db.conn:
            cur = self.store.db.execute(
                "update broadcasts set status = 'done', finished_at = ?, lease_owner = null, "
                "lease_until = null "
                "where id = ? and status = 'sending' and not exists (select 1 from deliveries "
                "where broadcast_id = ? and status in ('pending', 'sending'))",
                [now.isoformat(), self.broadcast_id, self.broadcast_id],
            )
        return cur.rowcount == 1


async def deliver(
    store: Store,
    broadcast_id: int,
    send: Send,
    rate: float,
    *,
    per_chat_interval: float = 1.05,
    margin: float = 0.01,
    page_size: int = 200,
    max_retries: int = 3,
    backoff: float = 1.0,
    max_deferred: int = 1000,
    lease_s: float = 60.0,
    owner: str | None = None,
    monotonic: Callable[[], float] = time.monotonic,
    sleep: Sleep = asyncio.sleep,
    now: Callable[[], datetime] | None = None,
    keep_going: Callable[[], bool] = lambda: True,
) -> Report:
    """Send broadcast `broadcast_id` to every pending ledger row, under `rate` messages per second.

    `send(chat_id, html)` returns a SendResult: ok; retry_after (everything pauses that long, the row
    is retried); blocked (403 / chat not found: the subscriber goes inactive, no retry); transient
    (network: retried up to `max_retries` times, backing off `backoff`·2ⁿ s, then failed); failed
    (Telegram refused the message itself). Safe to call again after a crash or on a finished broadcast.
    `keep_going` is polled between sends (and during waits): False stops cleanly, leaving the rest
    pending for the next run (the bot is shutting down).
    `margin` spaces the even schedule slightly wider than 1/rate (the sliding window below is the
    hard guarantee); `per_chat_interval` (a little over 1 s) spaces the parts of a long update.
    """
    from bot.core.coach import utcnow

    clock = now or utcnow
    owner = owner or new_owner()
    if not claim(store, broadcast_id, owner, clock(), lease_s):
        return report(store, broadcast_id)
    b = get(store, broadcast_id)
    assert b is not None
    parts = b.parts
    ledger = _Ledger(store, broadcast_id)
    interval = (1.0 + margin) / rate
    next_slot = monotonic()
    # Hard cap mirroring Telegram's (and the fake server's) sliding window of one second: send k+cap
    # starts at least cap/rate s after send k's *answer* arrived. The server handled send k before
    # answering and handles k+cap after we start it, so however the network jitters, the server never
    # sees more than `rate` in a second. The even schedule may catch up (up to CATCH_UP_S behind) after
    # a slow send or a database hiccup; this window is what keeps such a burst within the limit.
    cap = max(1, int(rate))
    window_s = cap / rate + 0.005
    answered: deque[float] = deque(maxlen=cap)
    renewed = monotonic()
    chat_ready: dict[int, float] = {}
    deferred: list[_Due] = []
    seq = 0
    buffer: list[_Row] = []
    cursor = -(2**63)
    exhausted = False
    retry_afters = transient = 0

    async def nap(seconds: float) -> None:
        end = monotonic() + seconds
        while keep_going() and (left := end - monotonic()) > 0:
            await sleep(min(left, 0.5))

    def defer(row: _Row, due: float) -> None:
        nonlocal seq
        seq += 1
        heapq.heappush(deferred, _Due(due, seq, row))

    try:
        while keep_going():
            t = monotonic()
            if t - renewed > lease_s / 3:
                if not _renew(store, broadcast_id, owner, clock(), lease_s):
                    log.warning(
                        "broadcast %d: lost the lease (cancelled or taken over); stopping", broadcast_id
                    )
                    break
                renewed = t
            if deferred and deferred[0].due <= t:
                row = heapq.heappop(deferred).row
            elif buffer:
                row = buffer.pop()
            elif not exhausted and len(deferred) < max_deferred:
                page = ledger.page(cursor, page_size)
                if len(page) < page_size:
                    exhausted = True
                if page:
                    cursor = page[-1].user_id
                buffer = page[::-1]
                continue
            elif deferred:
                await nap(deferred[0].due - t)
                continue
            else:
                break
            if not row.active:
                ledger.final(row, "blocked", "not an active subscriber", clock())
                continue
            ready = chat_ready.get(row.chat_id, 0.0)
            if ready > t:
                defer(row, ready)
                continue
            slot = max(next_slot, t - CATCH_UP_S)
            start = max(slot, t)
            if len(answered) == cap:
                start = max(start, answered[0] + window_s)
            if start > t:
                await nap(start - t)
                if not keep_going():
                    buffer.append(row)
                    break
            next_slot = slot + interval
            ledger.before(row)
            result = await send(row.chat_id, parts[row.parts_sent])
            done_at = monotonic()
            answered.append(done_at)
            if result.kind == "ok":
                row.parts_sent += 1
                finished = row.parts_sent >= len(parts)
                ledger.sent(row, row.parts_sent, finished, clock())
                # From the answer, not the planned start: the server saw this part before answering,
                # so a part sent per_chat_interval after the answer can never reach it within 1 s,
                # however late this one started (a slow commit, a late wake-up).
                chat_ready[row.chat_id] = done_at + per_chat_interval
                if not finished:
                    defer(row, done_at + per_chat_interval)
                if len(chat_ready) > 2 * rate + 100:
                    chat_ready = {c: r for c, r in chat_ready.items() if r > done_at}
            elif result.kind == "retry_after":
                retry_afters += 1
                wait = max(result.retry_after, 0.5)
                log.warning("broadcast %d: Telegram asks to wait %.1f s", broadcast_id, wait)
                next_slot = max(next_slot, done_at + wait)
                ledger.again(row, row.errors, f"retry after {wait:g}")
                defer(row, done_at + wait)
            elif result.kind == "transient" and row.errors < max_retries:
                transient += 1
                row.errors += 1
                ledger.again(row, row.errors, result.detail)
                defer(row, done_at + backoff * 2 ** (row.errors - 1))
            else:
                if result.kind == "transient":
                    transient += 1
                status = "blocked" if result.kind == "blocked" else "failed"
                ledger.final(row, status, result.detail, clock())
        ledger.finish(clock())
    finally:  # whatever happened (shutdown, a bug), let the next run claim it without waiting
        with contextlib.suppress(Exception), store.db.conn:
            store.db.execute(
                "update broadcasts set lease_owner = null, lease_until = null "
                "where id = ? and lease_owner = ?",
                [broadcast_id, owner],
            )
    out = report(store, broadcast_id)
    out.retry_afters, out.transient_errors = retry_afters, transient
    return out


async def deliver_all(store: Store, send: Send, rate: float, **options: Any) -> list[Report]:
    """Send every approved, unfinished broadcast, oldest first (start-up resume and the CLI use this)."""
    reports: list[Report] = []
    tried: set[int] = set()
    while True:
        todo = [i for i in sending(store) if i not in tried]
        if not todo:
            return reports
        tried.add(todo[0])
        reports.append(await deliver(store, todo[0], send, rate, **options))
