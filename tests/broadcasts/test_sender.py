"""The fan-out (bot/broadcasts/sender.py): everyone once, paced under the rate and a second per chat,
429s and network errors retried, blocked users dropped, and the lease that keeps a second sender out.

Where the engine has to wait (retry_after, backoff) the tests give it a fake monotonic clock whose
sleep just moves time; only the tests that switch the fake server's real-time flood limits on take
real time, about a second each.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.broadcasts import ledger, sender
from bot.broadcasts.sender import Lease, SendResult
from bot.broadcasts.text import prepare
from bot.storage.database import Store
from tests.broadcasts.helpers import NOW, FakeTime, fan_out, ok_sends, store_with
from tests.fakebot import FakeBotApi


async def test_everyone_gets_it_once_reading_subscribers_in_pages(
    fake_api: FakeBotApi, tmp_path: Path
) -> None:
    users = list(range(500, 525))
    store = store_with(tmp_path, users)
    bid = ledger.create(store, prepare("<b>New</b> guide"), "cli", NOW, approve_now=True)
    clock = FakeTime()
    report = await fan_out(
        fake_api, tmp_path, store, bid, 25, page_size=4, monotonic=clock, sleep=clock.sleep
    )
    assert (report.status, report.sent, report.pending) == ("done", 25, 0)
    assert ok_sends(fake_api) == dict.fromkeys(users, 1)
    assert fake_api.sent_messages(500)[0]["entities"][0]["type"] == "bold"
    # Paced at the rate: 24 gaps of (1 + margin) / 25 s each, in fake time.
    assert sum(clock.slept) == pytest.approx(24 * 1.01 / 25, rel=0.01)
    again = await fan_out(fake_api, tmp_path, store, bid, 25, monotonic=clock, sleep=clock.sleep)
    assert again.sent == 25 and len(fake_api.calls_of("sendMessage")) == 25  # nothing re-sent
    assert store.status()["deliveries"] == 25


async def test_429_is_honoured_and_the_message_retried(fake_api: FakeBotApi, tmp_path: Path) -> None:
    store = store_with(tmp_path, [1, 2, 3])
    bid = ledger.create(store, prepare("hello"), "cli", NOW, approve_now=True)
    fake_api.fail_next("sendMessage", 429, retry_after=7, chat_id=2)
    clock = FakeTime()
    report = await fan_out(fake_api, tmp_path, store, bid, 25, monotonic=clock, sleep=clock.sleep)
    assert report.retry_afters == 1 and report.sent == 3
    assert ok_sends(fake_api) == {1: 1, 2: 1, 3: 1}
    assert sum(clock.slept) >= 7  # everything paused for retry_after
    assert fake_api.count("sendMessage", status=429) == 1


async def test_real_flood_limits_are_never_hit(fake_api: FakeBotApi, tmp_path: Path) -> None:
    """The server enforces 20/s overall and 1/s per chat in real time; a 2-part update to 16 chats."""
    fake_api.set_rate_limits(global_per_second=20, per_chat_per_second=1)
    users = list(range(700, 716))
    store = store_with(tmp_path, users)
    bid = ledger.create(store, prepare("line one\n" + "y" * 4100), "cli", NOW, approve_now=True)
    report = await fan_out(fake_api, tmp_path, store, bid, 20)
    assert report.sent == 16 and report.retry_afters == 0
    assert fake_api.count("sendMessage", status=429) == 0
    assert ok_sends(fake_api) == dict.fromkeys(users, 2)  # both parts, once each


async def test_a_part_that_reaches_telegram_late_still_leaves_a_second_before_the_next(
    tmp_path: Path,
) -> None:
    """Part 1 reaches the server 0.3 s after its planned start (a slow commit, a late wake-up);
    part 2 must still arrive at least a second after it, measured where Telegram measures."""
    store = store_with(tmp_path, [1, 2])
    bid = ledger.create(store, prepare("line one\n" + "y" * 4100), "cli", NOW, approve_now=True)
    clock = FakeTime()
    arrivals: dict[int, list[float]] = {1: [], 2: []}

    async def send(chat_id: int, html: str) -> SendResult:
        if not arrivals[chat_id]:
            clock.t += 0.3  # the first part is late on the way in
        arrivals[chat_id].append(clock.t)
        clock.t += 0.01  # the answer
        return sender.OK

    report = await sender.deliver(store, bid, send, 20, monotonic=clock, sleep=clock.sleep)
    assert report.sent == 2
    for chat, times in arrivals.items():
        assert len(times) == 2, chat
        assert times[1] - times[0] >= 1.0, (chat, times)


async def test_blocked_and_vanished_users_are_marked_inactive_without_retry(
    fake_api: FakeBotApi, tmp_path: Path
) -> None:
    store = store_with(tmp_path, [11, 12, 13])
    fake_api.block(11)
    fake_api.mark_chat_not_found(12)
    bid = ledger.create(store, prepare("hello"), "cli", NOW, approve_now=True)
    clock = FakeTime()
    report = await fan_out(fake_api, tmp_path, store, bid, 25, monotonic=clock, sleep=clock.sleep)
    assert (report.sent, report.blocked, report.failed) == (1, 2, 0)
    assert len(fake_api.calls_of("sendMessage", chat_id=11)) == 1
    assert len(fake_api.calls_of("sendMessage", chat_id=12)) == 1
    assert not ledger.is_subscribed(store, 11) and not ledger.is_subscribed(store, 12)
    assert store.status()["subscribers"] == 1
    # The next broadcast does not even try them.
    bid2 = ledger.create(store, prepare("again"), "cli", NOW, approve_now=True)
    assert (
        await fan_out(fake_api, tmp_path, store, bid2, 25, monotonic=clock, sleep=clock.sleep)
    ).audience == 1


async def test_network_errors_are_retried_with_backoff_then_given_up(
    fake_api: FakeBotApi, tmp_path: Path
) -> None:
    store = store_with(tmp_path, [21, 22])
    fake_api.fail_next("sendMessage", 502, times=2, chat_id=21)  # recovers on the 3rd try
    fake_api.fail_next("sendMessage", 502, times=99, chat_id=22)  # never does
    bid = ledger.create(store, prepare("hello"), "cli", NOW, approve_now=True)
    clock = FakeTime()
    report = await fan_out(
        fake_api, tmp_path, store, bid, 25, monotonic=clock, sleep=clock.sleep, max_retries=3
    )
    assert (report.sent, report.failed) == (1, 1)
    assert len(fake_api.calls_of("sendMessage", chat_id=21)) == 3
    assert len(fake_api.calls_of("sendMessage", chat_id=22)) == 4  # 1 + 3 retries, then failed
    assert ledger.is_subscribed(store, 22)  # a network failure is not a block
    row = next(iter(store.db.query("select * from deliveries where user_id = 22")))
    assert (row["status"], row["attempts"], row["errors"]) == ("failed", 4, 3)
    assert sum(clock.slept) >= 1 + 2 + 4  # backoff 1, 2, 4 s


async def test_a_send_that_raises_nothing_but_fails_permanently_is_recorded() -> None:
    """The core needs no Telegram: a scripted `send` drives every outcome kind."""
    store = Store(":memory:", extra=[ledger.migrations])
    for u in (1, 2):
        ledger.subscribe(store, u, u, NOW)
    bid = ledger.create(store, ["hi"], "cli", NOW, approve_now=True)
    seen: list[int] = []

    async def send(chat_id: int, html: str) -> SendResult:
        seen.append(chat_id)
        return SendResult("failed", detail="message is too long") if chat_id == 1 else sender.OK

    clock = FakeTime()
    report = await sender.deliver(store, bid, send, 10, monotonic=clock, sleep=clock.sleep)
    assert (report.sent, report.failed, seen) == (1, 1, [1, 2])


async def test_a_live_lease_keeps_a_second_sender_out(tmp_path: Path) -> None:
    store = store_with(tmp_path, [1])
    bid = ledger.create(store, ["hi"], "cli", NOW, approve_now=True)
    assert ledger.claim(store, bid, "elsewhere:1:abc", NOW)  # another host, lease not expired
    calls: list[int] = []

    async def send(chat_id: int, html: str) -> SendResult:
        calls.append(chat_id)
        return sender.OK

    report = await sender.deliver(store, bid, send, 10, now=lambda: NOW)
    assert calls == [] and report.pending == 1


def lease_row(store: Store, bid: int) -> tuple[str | None, str | None]:
    row = next(iter(store.db.query("select lease_owner, lease_until from broadcasts where id = ?", [bid])))
    return row["lease_owner"], row["lease_until"]


async def test_the_lease_is_released_when_the_body_raises(tmp_path: Path) -> None:
    """Whatever ends the sending (here a bug), the claim is given back at once, so the next run (another
    host, whose live lease would otherwise keep it waiting) can claim the broadcast without waiting."""
    store = store_with(tmp_path, [1])
    bid = ledger.create(store, ["hi"], "cli", NOW, approve_now=True)
    clock = FakeTime()
    lease = Lease(store, bid, "here:1:abc", lease_s=60.0, clock=lambda: NOW, monotonic=clock)
    with pytest.raises(RuntimeError, match="a bug"):
        async with lease:
            assert lease.held
            assert lease_row(store, bid)[0] == "here:1:abc"
            raise RuntimeError("a bug")
    assert not lease.held
    assert lease_row(store, bid) == (None, None)
    assert ledger.claim(store, bid, "elsewhere:1:abc", NOW)


async def test_a_lease_it_could_not_claim_is_left_to_its_owner(tmp_path: Path) -> None:
    store = store_with(tmp_path, [1])
    bid = ledger.create(store, ["hi"], "cli", NOW, approve_now=True)
    assert ledger.claim(store, bid, "elsewhere:1:abc", NOW)  # another host, lease not expired
    held_by_other = lease_row(store, bid)
    lease = Lease(store, bid, "here:1:abc", lease_s=60.0, clock=lambda: NOW, monotonic=FakeTime())
    async with lease:
        assert not lease.held
    assert lease_row(store, bid) == held_by_other
