"""The site's update feed (RSS or Atom): poll it, and turn each new entry into one broadcast.

Why the first poll only marks entries seen: subscribing the bot to a feed must not blast years of old
posts. Entry ids are remembered in `feed_seen` and as the broadcast's unique `feed_entry_id`, in the
same transaction as the broadcast, so an entry goes out once across restarts. Fetching uses
conditional GET (ETag / Last-Modified) so an unchanged feed costs a 304. A feed that is down or
malformed raises FeedError; the caller logs it and tries again at the next poll.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlite_utils
from sqlite_utils.migrations import Migrations

from bot.broadcasts import ledger
from bot.broadcasts.text import BroadcastTextError, excerpt, prepare, sanitise
from bot.core.reply import bold, escape
from bot.storage.database import Store, restamp, stamp
from bot.storage.transaction import transaction

log = logging.getLogger(__name__)

migrations = Migrations("hamcoach.feed")

MAX_NEW_PER_POLL = 5  # more than this at once (a feed migration, a long outage): the rest are marked seen
SUMMARY_CHARS = 700
USER_AGENT = "hamcoach-feed/1 (+https://github.com/)"


@migrations()
def m001_feed(db: sqlite_utils.Database) -> None:
    db.table("feed_state").create(
        {
            "url": str,
            "etag": str,
            "modified": str,
            "primed": int,  # 1 once the first successful poll has marked the existing entries seen
            "last_polled_at": str,
            "last_ok_at": str,
            "last_error": str,
            "failures": int,  # consecutive failed polls
        },
        pk="url",
        defaults={"primed": 0, "failures": 0},
    )
    db.table("feed_seen").create(
        {"url": str, "entry_id": str, "seen_at": str}, pk=("url", "entry_id"), not_null={"seen_at"}
    )


@migrations()
def m002_one_time_format(db: sqlite_utils.Database) -> None:
    """Times written by `isoformat()`, in stamp() form (HTTP's Last-Modified stays as the server sent it)."""
    restamp(db, "feed_state", ["last_polled_at", "last_ok_at"])
    restamp(db, "feed_seen", ["seen_at"])


class FeedError(Exception):
    """The feed could not be fetched or parsed this time; try again later."""


@dataclass(frozen=True)
class Fetched:
    status: int  # 200 or 304
    body: bytes = b""
    etag: str | None = None
    modified: str | None = None


Fetcher = Callable[[str, str | None, str | None], Fetched]


def fetch(url: str, etag: str | None, modified: str | None, timeout: float = 20.0) -> Fetched:
    """Conditional GET with urllib (blocking: run it in a thread from async code)."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    if etag:
        request.add_header("If-None-Match", etag)
    if modified:
        request.add_header("If-Modified-Since", modified)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read(5_000_000)
            return Fetched(200, body, response.headers.get("ETag"), response.headers.get("Last-Modified"))
    except urllib.error.HTTPError as exc:
        if exc.code == 304:
            return Fetched(304, b"", etag, modified)
        raise FeedError(f"HTTP {exc.code} from {url}") from exc
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise FeedError(f"cannot reach {url}: {exc}") from exc


@dataclass(frozen=True)
class Entry:
    id: str
    title: str
    link: str
    summary: str


def parse(body: bytes) -> list[Entry]:
    """Entries oldest first; FeedError when the document is not a feed at all."""
    import feedparser  # here, not at the top: its import is a tenth of the bot's start-up

    parsed: Any = feedparser.parse(body)
    if parsed.get("bozo") and not parsed.entries:
        raise FeedError(f"malformed feed: {parsed.get('bozo_exception')}")
    if not parsed.get("version") and not parsed.entries:
        raise FeedError("not an RSS or Atom feed")
    entries: list[Entry] = []
    for e in parsed.entries:
        title = str(e.get("title", "")).strip()
        link = str(e.get("link", "")).strip()
        summary = str(e.get("summary", "") or "")
        key = str(e.get("id") or link or "")
        if not key:
            key = "sha1:" + hashlib.sha1(f"{title}\n{summary}".encode()).hexdigest()
        entries.append(Entry(key[:500], title, link, summary))
    return entries[::-1]  # feeds list newest first


def render_entry(entry: Entry) -> list[str]:
    """The broadcast for one entry: bold title, a sanitised excerpt, and a link."""
    pieces = [bold(entry.title)] if entry.title else []
    summary = excerpt(sanitise(entry.summary, collapse=True), SUMMARY_CHARS)
    if summary:
        pieces.append(summary)
    if entry.link.lower().startswith(("http://", "https://")):
        pieces.append(f'<a href="{escape(entry.link).replace(chr(34), "&quot;")}">Read more</a>')
    return prepare("\n\n".join(pieces))


@dataclass(frozen=True)
class PollResult:
    status: str  # "primed" | "unchanged" | "checked"
    new_broadcasts: list[int]
    seen: int = 0


def poll(store: Store, url: str, now: datetime, fetcher: Fetcher = fetch) -> PollResult:
    """One poll: fetch (conditionally), parse, broadcast entries not seen before. Raises FeedError."""
    db = store.db
    state = next(iter(db.query("select * from feed_state where url = ?", [url])), None)
    etag = state["etag"] if state else None
    modified = state["modified"] if state else None
    primed = bool(state and state["primed"])
    at = stamp(now)
    try:
        got = fetcher(url, etag if primed else None, modified if primed else None)
        entries = parse(got.body) if got.status == 200 else []
    except FeedError as exc:
        with transaction(db):
            db.execute(
                "insert into feed_state (url, last_polled_at, last_error, failures) values (?, ?, ?, 1) "
                "on conflict(url) do update set last_polled_at = excluded.last_polled_at, "
                "last_error = excluded.last_error, failures = feed_state.failures + 1",
                [url, at, str(exc)[:300]],
            )
        raise
    new_ids: list[int] = []
    if got.status == 200:
        seen = {r["entry_id"] for r in db.query("select entry_id from feed_seen where url = ?", [url])}
        fresh = [e for e in entries if e.id not in seen]
        if primed:
            if len(fresh) > MAX_NEW_PER_POLL:
                log.warning(
                    "feed %s: %d new entries at once; sending the newest %d",
                    url,
                    len(fresh),
                    MAX_NEW_PER_POLL,
                )
            for entry in fresh[-MAX_NEW_PER_POLL:]:
                new_ids += _broadcast_entry(store, entry, now)
    with transaction(db):
        db.conn.executemany(
            "insert or ignore into feed_seen (url, entry_id, seen_at) values (?, ?, ?)",
            [(url, e.id, at) for e in entries if got.status == 200],
        )
        db.execute(
            "insert into feed_state (url, etag, modified, primed, last_polled_at, last_ok_at, failures) "
            "values (?, ?, ?, 1, ?, ?, 0) on conflict(url) do update set etag = excluded.etag, "
            "modified = excluded.modified, primed = 1, last_polled_at = excluded.last_polled_at, "
            "last_ok_at = excluded.last_ok_at, last_error = null, failures = 0",
            [url, got.etag, got.modified, at, at],
        )
    status = "unchanged" if got.status == 304 else ("checked" if primed else "primed")
    return PollResult(status, new_ids, len(entries))


async def poll_async(store: Store, url: str, now: datetime, fetcher: Fetcher = fetch) -> PollResult:
    """`poll` for the event loop: the (blocking) fetch runs in a thread, the database stays on the loop."""
    state = next(
        iter(store.db.query("select etag, modified, primed from feed_state where url = ?", [url])), None
    )
    primed = bool(state and state["primed"])
    etag = state["etag"] if state and primed else None
    modified = state["modified"] if state and primed else None
    try:
        got: Fetched | FeedError = await asyncio.to_thread(fetcher, url, etag, modified)
    except FeedError as exc:
        got = exc

    def replay(_url: str, _etag: str | None, _modified: str | None) -> Fetched:
        if isinstance(got, FeedError):
            raise got
        return got

    return poll(store, url, now, replay)


def _broadcast_entry(store: Store, entry: Entry, now: datetime) -> list[int]:
    """A `sending` broadcast for the entry; [] if it cannot be rendered or was broadcast before.

    The unique `feed_entry_id` is what makes "once" hold even if we crash before `feed_seen` is written.
    """
    try:
        parts = render_entry(entry)
    except BroadcastTextError as exc:
        log.warning("feed entry %s cannot be broadcast: %s", entry.id, exc)
        return []
    known = next(iter(store.db.query("select id from broadcasts where feed_entry_id = ?", [entry.id])), None)
    if known is not None:
        return []
    broadcast_id = ledger.create(store, parts, "feed", now, feed_entry_id=entry.id, approve_now=True)
    log.info("feed entry %s -> broadcast %d", entry.id, broadcast_id)
    return [broadcast_id]
