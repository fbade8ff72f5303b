"""The update-feed watcher against a real feed served from a local http.server on 127.0.0.1:
first poll marks everything seen, a new entry is broadcast once (across restarts), ETag/304,
a feed that is down or malformed is logged and retried, and an entry's HTML is sanitised.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bot.adapters.telegram import broadcasting
from bot.broadcasts import feed, ledger
from bot.storage.database import Store
from tests.fakebot import FakeBotApi, check_text
from tests.support import exchange, make_config, running_bot

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def item(n: int, summary: str = "") -> str:
    return (
        f"<item><guid>https://example.org/p/{n}</guid><title>Post {n}</title>"
        f"<link>https://example.org/p/{n}</link>"
        f"<description><![CDATA[{summary or f'<p>Body of post {n}</p>'}]]></description></item>"
    )


class Site:
    """A tiny website with an RSS feed: change `items`, `mode` ("ok" | "down" | "garbage")."""

    def __init__(self) -> None:
        self.items: list[str] = [item(1), item(2)]
        self.mode = "ok"
        self.requests: list[tuple[str | None, int]] = []  # (If-None-Match sent, status answered)

    def body(self) -> bytes:
        items = "".join(reversed(self.items))  # newest first, as feeds do
        return (
            '<?xml version="1.0"?><rss version="2.0"><channel><title>Ham raise</title>'
            f"<link>https://example.org/</link><description>updates</description>{items}</channel></rss>"
        ).encode()

    def etag(self) -> str:
        return f'"v{len(self.items)}-{hash(tuple(self.items)) & 0xFFFF}"'


@pytest.fixture
def site() -> Iterator[tuple[Site, str]]:
    state = Site()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            sent = self.headers.get("If-None-Match")
            if state.mode == "down":
                status, payload = 503, b"maintenance"
            elif state.mode == "garbage":
                status, payload = 200, b"<html><body>Oops <b>not a feed"
            elif sent == state.etag():
                status, payload = 304, b""
            else:
                status, payload = 200, state.body()
            state.requests.append((sent, status))
            self.send_response(status)
            if status == 200:
                self.send_header("ETag", state.etag())
                self.send_header("Last-Modified", "Mon, 02 Mar 2026 12:00:00 GMT")
                self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}/feed.xml"
    finally:
        server.shutdown()
        server.server_close()


def open_store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "feed.db", extra=[ledger.migrations, feed.migrations])
    ledger.subscribe(store, 7, 7, NOW)
    return store


def test_first_poll_marks_seen_then_each_new_entry_goes_out_once(
    site: tuple[Site, str], tmp_path: Path
) -> None:
    state, url = site
    store = open_store(tmp_path)
    first = feed.poll(store, url, NOW)
    assert (first.status, first.new_broadcasts, first.seen) == ("primed", [], 2)
    assert store.count("broadcasts") == 0  # no blast of old posts

    assert feed.poll(store, url, NOW).status == "unchanged"
    assert state.requests[-1] == (state.etag(), 304)  # conditional GET answered 304

    state.items.append(item(3))
    new = feed.poll(store, url, NOW)
    assert new.status == "checked" and len(new.new_broadcasts) == 1
    b = ledger.get(store, new.new_broadcasts[0])
    assert b is not None and b.status == "sending" and b.source == "feed"
    assert b.feed_entry_id == "https://example.org/p/3"
    assert b.parts[0].startswith("<b>Post 3</b>") and 'href="https://example.org/p/3"' in b.parts[0]
    assert store.count("deliveries") == 1  # the ledger is written with the broadcast

    store.close()  # a restart: new store, same file; the site changes its ETag without new posts
    store = open_store(tmp_path)
    state.items = list(state.items)
    state.items.insert(0, item(0))  # an old post reappearing at the bottom is still "new"...
    again = feed.poll(store, url, NOW)
    assert [ledger.get(store, i).feed_entry_id for i in again.new_broadcasts] == [  # type: ignore[union-attr]
        "https://example.org/p/0"
    ]
    assert feed.poll(store, url, NOW).new_broadcasts == []  # ...but only once
    assert store.count("broadcasts", "source = 'feed'") == 2
    store.close()


def test_down_and_malformed_feeds_are_errors_that_clear(site: tuple[Site, str], tmp_path: Path) -> None:
    state, url = site
    store = open_store(tmp_path)
    state.mode = "down"
    with pytest.raises(feed.FeedError, match="503"):
        feed.poll(store, url, NOW)
    state.mode = "garbage"
    with pytest.raises(feed.FeedError):
        feed.poll(store, url, NOW)
    row = next(iter(store.db.query("select * from feed_state")))
    assert (row["failures"], row["primed"]) == (2, 0)
    state.mode = "ok"
    assert feed.poll(store, url, NOW).status == "primed"  # retried later, primes normally
    assert next(iter(store.db.query("select failures from feed_state")))["failures"] == 0
    with pytest.raises(feed.FeedError, match="cannot reach"):
        feed.poll(store, "http://127.0.0.1:9/nothing-listens-here", NOW)
    store.close()


def test_entry_with_scripts_and_broken_markup_is_sanitised(site: tuple[Site, str], tmp_path: Path) -> None:
    state, url = site
    store = open_store(tmp_path)
    feed.poll(store, url, NOW)
    evil = (
        "<p>Hello <b>world<script>alert('x')</script> <i>unclosed"
        '<a href="javascript:steal()">bad link</a><img src=x onerror=alert(1)><style>*{}</style>'
        + " long"
        * 400
    )
    state.items.append(item(4, evil))
    (bid,) = feed.poll(store, url, NOW).new_broadcasts
    (part,) = ledger.get(store, bid).parts  # type: ignore[union-attr]
    plain, _ = check_text(part, "HTML")  # Telegram's rules, strict
    assert "alert" not in part and "javascript" not in part and "style" not in part
    assert plain.startswith("Post 4\n\nHello world unclosedbad link long")
    assert "…" in plain and len(plain) < 900  # the summary is an excerpt
    store.close()


async def test_the_watcher_broadcasts_a_new_post_to_subscribers(
    fake_api: FakeBotApi, site: tuple[Site, str], tmp_path: Path
) -> None:
    state, url = site
    config = make_config(tmp_path, feed_url=url, feed_minutes=60.0)
    async with running_bot(fake_api, config) as app:
        assert "feed" in [j.name for j in app.job_queue.jobs()]  # type: ignore[union-attr]
        await exchange(fake_api, 55, "/subscribe")
        assert (await broadcasting.poll_feed(app)).status == "primed"  # type: ignore[union-attr]
        state.mode = "down"
        assert await broadcasting.poll_feed(app) is None  # logged, the bot carries on
        state.mode = "ok"
        state.items.append(item(9))
        before = len(fake_api.sent_messages(55))
        result = await broadcasting.poll_feed(app)
        assert result is not None and len(result.new_broadcasts) == 1
        (message,) = (await fake_api.wait_for_messages_async(55, before + 1))[before:]
        assert message["text"].startswith("Post 9")
        assert (await exchange(fake_api, 55, "/updates"))[0]["text"].startswith("Latest site updates")
