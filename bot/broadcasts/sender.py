"""The broadcast fan-out: send one broadcast's pending deliveries, paced, resumable, one at a time.

`deliver` walks the pending rows in pages, marks each row `sending` (committed) before the Bot API
call and `sent` (committed) after it. Exactly one message is in flight at a time, so a crash at any
instant leaves at most one row whose fate is unknown: resuming re-sends it (at most one duplicate per
crash) and never re-sends a `sent` row. Sending one at a time also keeps the rate honest: the Pacer
spaces sends evenly by (1 + margin)/rate, may catch up after a slow send, but never lets the server
see more than `rate` sends in a sliding second (Telegram's and the fake server's model); each chat
gets at most one a second. Concurrency would be faster against a slow API, but each message in flight
at a crash is a possible duplicate: one in flight is what makes "at most one duplicate per crash" true.

The parts: Pacer (when the next send may start), Lease (the claim on the broadcast, always released),
Rows (which deliveries are still to send, in order), Bookkeeping (each outcome into the ledger, and
the Report), and _FanOut, the loop that joins them.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import KW_ONLY, dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Any, Literal

from bot.broadcasts import ledger
from bot.broadcasts.ledger import Report
from bot.storage.database import Store, stamp
from bot.storage.transaction import transaction

log = logging.getLogger(__name__)

ResultKind = Literal["ok", "retry_after", "blocked", "transient", "failed"]
CATCH_UP_S = 1.0  # how far behind its even schedule the pacer may catch up


@dataclass(frozen=True)
class SendResult:
    """What the adapter's `send` reports; it never raises for Bot API outcomes."""

    kind: ResultKind
    retry_after: float = 0.0
    detail: str = ""


OK = SendResult("ok")
Send = Callable[[int, str], Awaitable[SendResult]]
Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], datetime]
Monotonic = Callable[[], float]


# ---------------------------------------------------------------------- pacing


class Pacer:
    """When the next send may start: `rate` overall, and a chat's next part a while after its last.

    The even schedule (one slot every (1 + margin)/rate s) may catch up, up to CATCH_UP_S behind,
    after a slow send or a database hiccup. The hard cap mirrors Telegram's (and the fake server's)
    sliding window of one second: send k+cap starts at least cap/rate s after send k's *answer*
    arrived. The server handled send k before answering and handles k+cap after we start it, so
    however the network jitters, the server never sees more than `rate` in a second.
    """

    def __init__(self, rate: float, start: float, *, margin: float, per_chat_interval: float) -> None:
        self.rate = rate
        self.interval = (1.0 + margin) / rate
        self.per_chat_interval = per_chat_interval
        self.next_slot = start
        self.cap = max(1, int(rate))
        self.window_s = self.cap / rate + 0.005
        self.answered: deque[float] = deque(maxlen=self.cap)
        self.chat_ready: dict[int, float] = {}

    def chat_free_at(self, chat_id: int) -> float:
        """The earliest time this chat may get its next message."""
        return self.chat_ready.get(chat_id, 0.0)

    def plan(self, t: float) -> tuple[float, float]:
        """(slot, start): the schedule slot a send at `t` takes, and when it may start."""
        slot = max(self.next_slot, t - CATCH_UP_S)
        start = max(slot, t)
        if len(self.answered) == self.cap:
            start = max(start, self.answered[0] + self.window_s)
        return slot, start

    def take(self, slot: float) -> None:
        """The send planned for `slot` is going out now."""
        self.next_slot = slot + self.interval

    def answer(self, done_at: float) -> None:
        """Telegram answered a send at `done_at` (whatever it said)."""
        self.answered.append(done_at)

    def chat_sent(self, chat_id: int, done_at: float) -> float:
        """A message to `chat_id` was accepted at `done_at`; returns when its next part may go.

        From the answer, not the planned start: the server saw this part before answering, so a part
        sent per_chat_interval after the answer can never reach it within 1 s, however late this one
        started (a slow commit, a late wake-up).
        """
        ready = done_at + self.per_chat_interval
        self.chat_ready[chat_id] = ready
        if len(self.chat_ready) > 2 * self.rate + 100:
            self.chat_ready = {c: r for c, r in self.chat_ready.items() if r > done_at}
        return ready

    def pause_until(self, t: float) -> None:
        """Telegram asked everything to wait (retry_after) until `t`."""
        self.next_slot = max(self.next_slot, t)


# ---------------------------------------------------------------------- the lease


@dataclass
class Lease:
    """`async with Lease(...) as lease:` claims the broadcast (`lease.held` says whether it could) and
    releases it on the way out, however the body ends (shutdown, a bug), so the next run can claim it
    without waiting. The ownership rules are ledger.claim's; `keep` renews while sending."""

    store: Store
    broadcast_id: int
    owner: str
    _: KW_ONLY
    lease_s: float
    clock: Clock
    monotonic: Monotonic
    held: bool = field(default=False, init=False)
    renewed: float = field(default=0.0, init=False)

    async def __aenter__(self) -> Lease:
        self.held = ledger.claim(self.store, self.broadcast_id, self.owner, self.clock(), self.lease_s)
        self.renewed = self.monotonic()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.held:
            ledger.release(self.store, self.broadcast_id, self.owner)
            self.held = False

    def keep(self, t: float) -> bool:
        """Renew the lease when a third of it has passed; False when it was lost (stop sending)."""
        if t - self.renewed <= self.lease_s / 3:
            return True
        if not ledger.renew(self.store, self.broadcast_id, self.owner, self.clock(), self.lease_s):
            log.warning("broadcast %d: lost the lease (cancelled or taken over); stopping", self.broadcast_id)
            return False
        self.renewed = t
        return True


# ---------------------------------------------------------------------- the rows to send


@dataclass
class Row:
    """One delivery still to send, with what the sender needs of its subscriber."""

    user_id: int
    chat_id: int
    active: bool
    parts_sent: int
    errors: int


@dataclass(order=True)
class _Due:
    due: float
    seq: int
    row: Row = field(compare=False)


@dataclass
class Rows:
    """The deliveries still to send, in user order, a page at a time, plus those deferred until later
    (a chat's next part, a retry): a deferred row that is due goes before the next new one."""

    store: Store
    broadcast_id: int
    _: KW_ONLY
    page_size: int
    max_deferred: int
    deferred: list[_Due] = field(default_factory=list, init=False)
    seq: int = field(default=0, init=False)
    buffer: list[Row] = field(default_factory=list, init=False)
    cursor: int = field(default=-(2**63), init=False)
    exhausted: bool = field(default=False, init=False)

    def next(self, t: float) -> Row | None:
        """A deferred row due by `t`, else the next row of the current page; None when neither."""
        if self.deferred and self.deferred[0].due <= t:
            return heapq.heappop(self.deferred).row
        if self.buffer:
            return self.buffer.pop()
        return None

    def refill(self) -> bool:
        """Read the next page, unless the ledger is exhausted or too many rows wait; True if it read."""
        if self.exhausted or len(self.deferred) >= self.max_deferred:
            return False
        page = self._page(self.cursor, self.page_size)
        if len(page) < self.page_size:
            self.exhausted = True
        if page:
            self.cursor = page[-1].user_id
        self.buffer = page[::-1]
        return True

    def wait(self, t: float) -> float | None:
        """How long until the first deferred row is due; None when nothing is left at all."""
        return self.deferred[0].due - t if self.deferred else None

    def defer(self, row: Row, due: float) -> None:
        self.seq += 1
        heapq.heappush(self.deferred, _Due(due, self.seq, row))

    def put_back(self, row: Row) -> None:
        """`row` was taken but not sent (shutting down); it is the next one again."""
        self.buffer.append(row)

    def _page(self, after: int, size: int) -> list[Row]:
        rows = self.store.db.execute(
            "select d.user_id, s.chat_id, coalesce(s.active, 0), d.parts_sent, d.errors "
            "from deliveries d left join subscribers s on s.user_id = d.user_id "
            "where d.broadcast_id = ? and d.user_id > ? and d.status in ('pending', 'sending') "
            "order by d.user_id limit ?",
            [self.broadcast_id, after, size],
        ).fetchall()
        return [Row(u, c if c is not None else u, bool(a), p, e) for u, c, a, p, e in rows]


# ---------------------------------------------------------------------- outcomes


@dataclass
class Bookkeeping:
    """Each outcome into the ledger (its own committed transaction), the retry policy, the Report."""

    store: Store
    broadcast_id: int
    parts: int
    _: KW_ONLY
    max_retries: int
    backoff: float
    clock: Clock
    retry_afters: int = field(default=0, init=False)
    transient: int = field(default=0, init=False)

    def sending(self, row: Row) -> None:
        """Committed before the Bot API call: a crash now leaves this row to be sent again."""
        self._set(row.user_id, "status = 'sending', attempts = attempts + 1", [])

    def delivered(self, row: Row) -> bool:
        """One more part went out; True when it was the last."""
        row.parts_sent += 1
        done = row.parts_sent >= self.parts
        status = "sent" if done else "pending"
        self._set(
            row.user_id,
            "status = ?, parts_sent = ?, sent_at = ?",
            [status, row.parts_sent, stamp(self.clock())],
        )
        return done

    def retry_after(self, row: Row, result: SendResult) -> float:
        """Telegram's 429: how long everything waits before this row is tried again."""
        self.retry_afters += 1
        wait = max(result.retry_after, 0.5)
        log.warning("broadcast %d: Telegram asks to wait %.1f s", self.broadcast_id, wait)
        self._again(row, f"retry after {wait:g}")
        return wait

    def failed(self, row: Row, result: SendResult) -> float | None:
        """Any other refusal: the backoff before a retry, or None once the row is blocked or failed."""
        if result.kind == "transient":
            self.transient += 1
            if row.errors < self.max_retries:
                row.errors += 1
                self._again(row, result.detail)
                return self.backoff * 2 ** (row.errors - 1)
        self.final(row, "blocked" if result.kind == "blocked" else "failed", result.detail)
        return None

    def final(self, row: Row, status: str, detail: str) -> None:
        self._set(row.user_id, "status = ?, error = ?", [status, detail[:200]])
        if status == "blocked":
            with transaction(self.store.db):
                self.store.db.execute(
                    "update subscribers set active = 0, blocked_at = ? where user_id = ?",
                    [stamp(self.clock()), row.user_id],
                )

    def finish(self) -> bool:
        """Mark the broadcast done (and free its lease) once no row is left; True if this did it."""
        with transaction(self.store.db):
            cur = self.store.db.execute(
                "update broadcasts set status = 'done', finished_at = ?, lease_owner = null, "
                "lease_until = null "
                "where id = ? and status = 'sending' and not exists (select 1 from deliveries "
                "where broadcast_id = ? and status in ('pending', 'sending'))",
                [stamp(self.clock()), self.broadcast_id, self.broadcast_id],
            )
        return cur.rowcount == 1

    def report(self) -> Report:
        out = ledger.report(self.store, self.broadcast_id)
        out.retry_afters, out.transient_errors = self.retry_afters, self.transient
        return out

    def _again(self, row: Row, detail: str) -> None:
        self._set(row.user_id, "status = 'pending', errors = ?, error = ?", [row.errors, detail[:200]])

    def _set(self, user_id: int, sql: str, params: list[Any]) -> None:
        with transaction(self.store.db):
            self.store.db.execute(
                f"update deliveries set {sql} where broadcast_id = ? and user_id = ?",
                [*params, self.broadcast_id, user_id],
            )


# ---------------------------------------------------------------------- the loop


@dataclass
class _FanOut:
    """One run over a claimed broadcast: take the next row, wait for its turn, send, record."""

    parts: list[str]
    send: Send
    lease: Lease
    pacer: Pacer
    rows: Rows
    book: Bookkeeping
    monotonic: Monotonic
    sleep: Sleep
    keep_going: Callable[[], bool]

    async def run(self) -> None:
        while self.keep_going():
            t = self.monotonic()
            if not self.lease.keep(t):
                break
            row = self.rows.next(t)
            if row is None:
                if self.rows.refill():
                    continue
                wait = self.rows.wait(t)
                if wait is None:
                    break
                await self.nap(wait)
                continue
            if not row.active:
                self.book.final(row, "blocked", "not an active subscriber")
                continue
            ready = self.pacer.chat_free_at(row.chat_id)
            if ready > t:
                self.rows.defer(row, ready)
                continue
            slot, start = self.pacer.plan(t)
            if start > t:
                await self.nap(start - t)
                if not self.keep_going():
                    self.rows.put_back(row)
                    break
            self.pacer.take(slot)
            await self.send_one(row)

    async def send_one(self, row: Row) -> None:
        self.book.sending(row)
        result = await self.send(row.chat_id, self.parts[row.parts_sent])
        done_at = self.monotonic()
        self.pacer.answer(done_at)
        if result.kind == "ok":
            finished = self.book.delivered(row)
            ready = self.pacer.chat_sent(row.chat_id, done_at)
            if not finished:
                self.rows.defer(row, ready)
        elif result.kind == "retry_after":
            wait = self.book.retry_after(row, result)
            self.pacer.pause_until(done_at + wait)
            self.rows.defer(row, done_at + wait)
        else:
            backoff = self.book.failed(row, result)
            if backoff is not None:
                self.rows.defer(row, done_at + backoff)

    async def nap(self, seconds: float) -> None:
        """Sleep `seconds` in short naps, waking early when `keep_going` turns False."""
        end = self.monotonic() + seconds
        while self.keep_going() and (left := end - self.monotonic()) > 0:
            await self.sleep(min(left, 0.5))


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
    monotonic: Monotonic = time.monotonic,
    sleep: Sleep = asyncio.sleep,
    now: Clock | None = None,
    keep_going: Callable[[], bool] = lambda: True,
) -> Report:
    """Send broadcast `broadcast_id` to every pending ledger row, under `rate` messages per second.

    `send(chat_id, html)` returns a SendResult: ok; retry_after (everything pauses that long, the row
    is retried); blocked (403 / chat not found: the subscriber goes inactive, no retry); transient
    (network: retried up to `max_retries` times, backing off `backoff`·2ⁿ s, then failed); failed
    (Telegram refused the message itself). Safe to call again after a crash or on a finished broadcast.
    `keep_going` is polled between sends (and during waits): False stops cleanly, leaving the rest
    pending for the next run (the bot is shutting down).
    `margin` spaces the even schedule slightly wider than 1/rate (the Pacer's sliding window is the
    hard guarantee); `per_chat_interval` (a little over 1 s) spaces the parts of a long update.
    """
    from bot.core.coach import utcnow

    clock = now or utcnow
    lease = Lease(
        store, broadcast_id, owner or ledger.new_owner(), lease_s=lease_s, clock=clock, monotonic=monotonic
    )
    async with lease:
        if not lease.held:
            return ledger.report(store, broadcast_id)
        b = ledger.get(store, broadcast_id)
        assert b is not None
        book = Bookkeeping(
            store, broadcast_id, len(b.parts), max_retries=max_retries, backoff=backoff, clock=clock
        )
        fan_out = _FanOut(
            parts=b.parts,
            send=send,
            lease=lease,
            pacer=Pacer(rate, monotonic(), margin=margin, per_chat_interval=per_chat_interval),
            rows=Rows(store, broadcast_id, page_size=page_size, max_deferred=max_deferred),
            book=book,
            monotonic=monotonic,
            sleep=sleep,
            keep_going=keep_going,
        )
        await fan_out.run()
        book.finish()
    return book.report()


async def deliver_all(store: Store, send: Send, rate: float, **options: Any) -> list[Report]:
    """Send every approved, unfinished broadcast, oldest first (start-up resume and the CLI use this)."""
    reports: list[Report] = []
    tried: set[int] = set()
    while True:
        todo = [i for i in ledger.sending(store) if i not in tried]
        if not todo:
            return reports
        tried.add(todo[0])
        reports.append(await deliver(store, todo[0], send, rate, **options))
