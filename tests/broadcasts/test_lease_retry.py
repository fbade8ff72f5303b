"""A broadcast whose lease another live sender holds at start-up is tried again when that lease
expires (issue 13, defect 2: "nothing retries it", and /broadcast said "still going out" until the
next restart)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.broadcasts import feed, ledger
from bot.core.coach import utcnow
from bot.storage.database import Store, stamp
from tests.fakebot import FakeBotApi
from tests.support import make_config, running_bot

SUBSCRIBER, ADMIN = 7070, 7071


async def test_a_lease_held_elsewhere_at_start_up_is_retried_when_it_expires(
    fake_api: FakeBotApi, tmp_path: Path
) -> None:
    config = make_config(tmp_path)
    store = Store(config.db, extra=[ledger.migrations, feed.migrations])
    ledger.subscribe(store, SUBSCRIBER, SUBSCRIBER, utcnow())
    bid = ledger.create(store, ["The update"], "admin", utcnow(), created_by=ADMIN, approve_now=True)
    with store.db.conn:  # a sender on another host holds it for 8 s more (past start-up), then stops
        store.db.execute(
            "update broadcasts set lease_owner = 'elsewhere:1:token:run', lease_until = ? where id = ?",
            [stamp(utcnow() + timedelta(seconds=8)), bid],
        )
    store.close()
    async with running_bot(fake_api, config) as app:
        [message] = await fake_api.wait_for_messages_async(SUBSCRIBER, 1, timeout=30)
        assert message["text"] == "The update"
        [report] = await fake_api.wait_for_messages_async(ADMIN, 1, timeout=10)
        assert f"Update #{bid} is out" in report["text"]
        assert ledger.report(app.bot_data["coach"].store, bid).status == "done"
