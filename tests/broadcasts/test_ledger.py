"""The ledger's tables (bot/broadcasts/ledger.py): subscriptions and their deliveries, the lease's
ownership rules, and the ledger as a state machine: whatever Telegram answers and wherever the
process dies, every delivery row ends sent, blocked or failed, nobody is missed, and a message goes
out twice at most once per crash.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.broadcasts import ledger, sender
from bot.broadcasts.sender import SendResult
from bot.storage.database import Store
from tests.broadcasts.helpers import NOW, FakeTime


def test_unsubscribe_drops_pending_deliveries_and_forget_drops_everything() -> None:
    store = Store(":memory:", extra=[ledger.migrations])
    for u in (1, 2):
        ledger.subscribe(store, u, u, NOW)
    bid = ledger.create(store, ["hi"], "cli", NOW, approve_now=True)
    assert ledger.report(store, bid).audience == 2
    assert ledger.unsubscribe(store, 1, NOW) and not ledger.unsubscribe(store, 1, NOW)
    assert [r["user_id"] for r in store.db.query("select user_id from deliveries")] == [2]
    ledger.forget(store, 2)
    assert store.count("deliveries") == 0 and store.count("subscribers") == 1  # 1 stays, inactive


def test_a_dead_owner_is_taken_over_at_once_a_live_one_only_when_it_expires() -> None:
    store = Store(":memory:", extra=[ledger.migrations])
    ledger.subscribe(store, 1, 1, NOW)
    bid = ledger.create(store, ["hi"], "cli", NOW, approve_now=True)
    gone = subprocess.Popen([sys.executable, "-c", ""])
    gone.wait()
    assert ledger.claim(store, bid, f"{socket.gethostname()}:{gone.pid}:dead", NOW)
    assert ledger.claim(store, bid, "elsewhere:1:abc", NOW)  # its process died: taken at once
    assert not ledger.claim(store, bid, "here:2:def", NOW + timedelta(seconds=59))  # alive, not expired
    assert ledger.claim(store, bid, "here:2:def", NOW + timedelta(seconds=61))  # expired


class Crash(Exception):
    """The process dies in the middle of a send."""


@settings(max_examples=60, deadline=None)
@given(
    users=st.integers(min_value=1, max_value=12),
    parts=st.integers(min_value=1, max_value=2),
    script=st.lists(st.sampled_from(["ok", "blocked", "transient", "retry_after", "failed"]), max_size=40),
    crashes=st.lists(st.tuples(st.integers(min_value=0, max_value=30), st.booleans()), max_size=3),
)
def test_any_outcomes_and_crashes_lose_nothing_and_duplicate_at_most_once_per_crash(
    users: int, parts: int, script: list[str], crashes: list[tuple[int, bool]]
) -> None:
    """Whatever Telegram answers, and wherever the process dies (before or after the message got
    through), every subscriber ends sent/blocked/failed, an ok'd message is never sent again except
    the one in flight at a crash, and nobody who was not blocked or failed is missed."""
    import asyncio

    store = Store(":memory:", extra=[ledger.migrations])
    for u in range(users):
        ledger.subscribe(store, u, u, NOW)
    bid = ledger.create(store, [f"part {i}" for i in range(parts)], "cli", NOW, approve_now=True)
    got: dict[int, int] = {}
    calls = 0
    crash_at = dict(crashes)

    async def send(chat_id: int, html: str) -> SendResult:
        nonlocal calls
        calls += 1
        if calls in crash_at:
            delivered = crash_at.pop(calls)
            if delivered:
                got[chat_id] = got.get(chat_id, 0) + 1
            raise Crash
        kind = script[calls - 1] if calls <= len(script) else "ok"
        if kind == "ok":
            got[chat_id] = got.get(chat_id, 0) + 1
            return sender.OK
        return SendResult(kind, retry_after=2.0)  # type: ignore[arg-type]

    clock = FakeTime()
    crashed = 0
    for _ in range(len(crashes) + 1):
        try:
            asyncio.run(sender.deliver(store, bid, send, 10, monotonic=clock, sleep=clock.sleep))
            break
        except Crash:
            crashed += 1
    report = ledger.report(store, bid)
    assert report.status == "done" and report.pending == 0
    rows = {r["user_id"]: r for r in store.db.query("select * from deliveries")}
    assert {r["status"] for r in rows.values()} <= {"sent", "blocked", "failed"}
    assert all(r["parts_sent"] == parts for r in rows.values() if r["status"] == "sent")
    # Every message the ledger says went out did (nobody lost); anything beyond is a duplicate.
    duplicates = 0
    for u, r in rows.items():
        assert got.get(u, 0) >= r["parts_sent"]
        duplicates += got.get(u, 0) - r["parts_sent"]
    assert duplicates <= crashed  # at most one per crash


def test_a_lease_left_by_an_earlier_start_with_our_pid_is_reclaimed() -> None:
    """In a container the bot is PID 1 after every restart: a lease the crashed start held carries our
    host and PID, but not this start's token, so it is free at once; a run of this very start is not."""
    import os

    store = Store(":memory:", extra=[ledger.migrations])
    ledger.subscribe(store, 1, 1, NOW)
    bid = ledger.create(store, ["hi"], "cli", NOW, approve_now=True)
    previous = f"{socket.gethostname()}:{os.getpid()}:earlierstart:run1"
    assert ledger.claim(store, bid, previous, NOW)
    ours = ledger.new_owner()
    assert ledger.claim(store, bid, ours, NOW + timedelta(seconds=1)), "the previous start is gone"
    assert not ledger.claim(store, bid, ledger.new_owner(), NOW + timedelta(seconds=2)), "ours is alive"


def test_a_lease_expiry_is_a_time_whatever_form_it_was_stored_in() -> None:
    """An expiry written with isoformat() (no microseconds) or with another offset still expires at
    its time: the check compares times, not strings."""
    store = Store(":memory:", extra=[ledger.migrations])
    ledger.subscribe(store, 1, 1, NOW)
    bid = ledger.create(store, ["hi"], "cli", NOW, approve_now=True)
    with store.db.conn:  # a live owner elsewhere, whose expiry 12:01 was stored as 14:01+02:00
        store.db.execute(
            "update broadcasts set lease_owner = 'elsewhere:7:abc:def', lease_until = ? where id = ?",
            ["2026-03-02T14:01:00+02:00", bid],
        )
    assert not ledger.claim(store, bid, "here:2:def:1", NOW + timedelta(seconds=59))
    assert ledger.claim(store, bid, "here:2:def:1", NOW + timedelta(seconds=61))


def test_a_lease_that_cannot_be_released_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    store = Store(":memory:", extra=[ledger.migrations])
    ledger.subscribe(store, 1, 1, NOW)
    bid = ledger.create(store, ["hi"], "cli", NOW, approve_now=True)
    owner = ledger.new_owner()
    assert ledger.claim(store, bid, owner, NOW)
    store.close()
    ledger.release(store, bid, owner)
    assert any(f"broadcast {bid}" in r.getMessage() and "lease" in r.getMessage() for r in caplog.records)
