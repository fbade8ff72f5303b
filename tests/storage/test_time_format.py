"""One stored form of a time (issue 13, defect 6): everything writes stamp(), and a migration rewrites
rows written before in `isoformat()` form, so comparing stored strings is comparing times."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlite_utils

from bot.broadcasts import feed, ledger, sender
from bot.broadcasts.sender import SendResult
from bot.storage import database
from bot.storage.database import Store, parse_stamp
from tests.support import FakeClock, make_coach, say

STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00")
RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>s</title>
<item><guid>a</guid><title>A post</title><link>https://example.org/a</link></item>
</channel></rss>"""


def times(db: sqlite_utils.Database) -> dict[str, list[str]]:
    """Every stored value of every column named like a time (`*_at`, `*_until`), by table.column."""
    found: dict[str, list[str]] = {}
    for table in db.table_names():
        for column in db.table(table).columns_dict:
            if column.endswith(("_at", "_until")) and not table.startswith("_"):
                rows = db.execute(f"select {column} from [{table}] where {column} is not null")
                found[f"{table}.{column}"] = [r[0] for r in rows]
    return found


def test_every_feature_writes_times_in_one_form(tmp_path: Path) -> None:
    clock = FakeClock()  # 12:00:00 sharp, which isoformat() writes without microseconds
    coach = make_coach(tmp_path, clock=clock)
    say(coach, "/start")
    say(coach, "why do my calves cramp")
    say(coach, "/subscribe")
    bid = ledger.create(coach.store, ["hi"], "cli", clock(), approve_now=True)

    async def send(chat_id: int, html: str) -> SendResult:
        return sender.OK

    asyncio.run(sender.deliver(coach.store, bid, send, 100, now=clock))
    feed.poll(coach.store, "https://example.org/feed", clock(), lambda u, e, m: feed.Fetched(200, RSS))
    found = times(coach.store.db)
    for column in ("users.created_at", "questions.asked_at", "subscribers.subscribed_at"):
        assert found[column], column
    for column in ("broadcasts.started_at", "deliveries.sent_at", "feed_seen.seen_at"):
        assert found[column], column
    wrong = {c: v for c, vs in found.items() for v in vs if not STAMP.fullmatch(v)}
    assert not wrong
    coach.store.close()


def test_rows_written_before_are_migrated(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = sqlite_utils.Database(path)
    database.migrations.apply(db, stop_before="m004_one_time_format")
    ledger.migrations.apply(db, stop_before="m002_one_time_format")
    feed.migrations.apply(db, stop_before="m002_one_time_format")
    noon = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    old = {  # what isoformat() wrote: no microseconds, another offset, none at all
        "plain": "2026-03-02T12:00:00+00:00",
        "offset": "2026-03-02T14:00:00.250000+02:00",
        "naive": "2026-03-02T12:00:00",
    }
    db.table("users").insert(
        {"user_id": 1, "chat_id": 1, "created_at": old["plain"], "last_seen_at": old["offset"]}
    )
    db.table("questions").insert({"user_id": 1, "asked_at": old["naive"], "question": "q"})
    db.table("subscribers").insert({"user_id": 1, "chat_id": 1, "active": 1, "subscribed_at": old["plain"]})
    db.table("broadcasts").insert(
        {"id": 1, "text": "t", "parts": '["t"]', "source": "cli", "status": "sending"}
        | {"created_at": old["plain"], "lease_owner": "x:1:y", "lease_until": old["offset"]}
    )
    db.table("deliveries").insert(
        {"broadcast_id": 1, "user_id": 1, "status": "sent", "sent_at": old["naive"]}
    )
    db.table("feed_seen").insert({"url": "u", "entry_id": "e", "seen_at": old["offset"]})
    db.table("feed_state").insert(
        {"url": "u", "last_polled_at": old["plain"], "modified": "Mon, 02 Mar 2026"}
    )
    db.close()

    store = Store(path, extra=[ledger.migrations, feed.migrations])
    found = times(store.db)
    values = [v for vs in found.values() for v in vs]
    assert len(values) == 9 and all(STAMP.fullmatch(v) for v in values), found
    assert {parse_stamp(v) for v in values} == {noon, noon + timedelta(milliseconds=250)}
    assert found["broadcasts.lease_until"] == ["2026-03-02T12:00:00.250000+00:00"]
    assert store.db.execute("select modified from feed_state").fetchone()[0] == "Mon, 02 Mar 2026"
    store.close()


def test_a_value_that_is_not_a_time_is_kept_as_it_was() -> None:
    db = sqlite_utils.Database(memory=True)
    rows: list[dict[str, str | None]] = [{"at": "yesterday"}, {"at": "2026-03-02T12:00:00"}, {"at": None}]
    db.table("t").insert_all(rows)
    assert database.restamp(db, "t", ["at"]) == 1
    assert [r[0] for r in db.execute("select at from t order by rowid")] == [
        "yesterday",
        "2026-03-02T12:00:00.000000+00:00",
        None,
    ]
    assert database.restamp(db, "missing", ["at"]) == 0
