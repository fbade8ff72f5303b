"""Broadcasts: text handling, the delivery ledger and fan-out through the fake Bot API, and the
admin conversation (preview, Send, report) end to end.

Where the engine has to wait (retry_after, backoff) the tests give it a fake monotonic clock whose
sleep just moves time; only the tests that switch the fake server's real-time flood limits on take
real time, about a second each.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.adapters.telegram.broadcasting import broadcast_bot, make_send
from bot.broadcasts import ledger as broadcast
from bot.broadcasts.ledger import SendResult
from bot.broadcasts.text import MAX_PARTS, BroadcastTextError, prepare, sanitise
from bot.config import Config
from bot.storage.database import Store
from tests.fakebot import ApiError, FakeBotApi, check_text
from tests.support import button_data, exchange, make_coach, make_config, press, running_bot, say

ADMIN = 4242
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


class FakeTime:
    """A monotonic clock and an async sleep that only moves it: waits are recorded, never slept."""

    def __init__(self) -> None:
        self.t = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += seconds


def telegram_accepts(part: str) -> None:
    """The fake server's re-implementation of Telegram's HTML and length rules, strict mode."""
    check_text(part, "HTML", strict=True)


def store_with(tmp_path: Path, users: list[int]) -> Store:
    store = Store(tmp_path / "b.db", extra=[broadcast.migrations])
    for u in users:
        broadcast.subscribe(store, u, u, NOW)
    return store


def bot_config(api: FakeBotApi, tmp_path: Path) -> Config:
    return dataclasses.replace(make_config(tmp_path), token=api.token, api_base_url=api.base_url)


async def fan_out(api: FakeBotApi, tmp_path: Path, store: Store, bid: int, rate: float, **kw: Any) -> Any:
    async with broadcast_bot(bot_config(api, tmp_path)) as bot:
        return await broadcast.deliver(store, bid, make_send(bot), rate, **kw)


def ok_sends(api: FakeBotApi) -> dict[int, int]:
    counts: dict[int, int] = {}
    for call in api.calls_of("sendMessage"):
        if call.ok:
            counts[call.chat_id] = counts.get(call.chat_id, 0) + 1
    return counts


# ---------------------------------------------------------------------- text


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [*"ab <>/&;\"'=\n#x", "<b>", "</b>", "<i>", "</i>", "<a href=", "&amp;", "<pre>", "z" * 900]
        )
    ).map("".join)
)
def test_any_text_is_either_refused_clearly_or_accepted_by_telegram(text: str) -> None:
    try:
        parts = prepare(text)
    except BroadcastTextError as exc:
        assert "nothing to send" in str(exc) or "too long" in str(exc)
        return
    for part in parts:
        telegram_accepts(part)


@pytest.mark.parametrize(
    "raw",
    [
        "<b>unclosed bold",
        "<b><i>crossed</b></i>",
        "</b>stray end",
        "a & b < c > d",
        '<a href="javascript:alert(1)">click</a>',
        "<a>no href</a>",
        "<div><p>blocks</p><br/>and <span>spans</span></div>",
        "<script>alert('x')</script>visible",
        "<pre><b>bold in pre</b></pre>",
        "&bogus; &#xZZ; &",
    ],
)
def test_html_telegram_would_refuse_is_made_safe(raw: str) -> None:
    for part in prepare(raw):
        telegram_accepts(part)
        assert "alert" not in part and "javascript" not in part


def test_feed_html_loses_scripts_and_keeps_simple_formatting() -> None:
    out = sanitise(
        "<p>New <strong>guide</strong>!</p><script>steal()</script><style>p{}</style>"
        '<p>Read <a href="https://example.org/g?a=1&b=2">it</a><img src=x onerror=y></p>',
        collapse=True,
    )
    assert out == 'New <b>guide</b>!\n\nRead <a href="https://example.org/g?a=1&amp;b=2">it</a>'
    telegram_accepts(out)


def test_empty_broadcast_is_refused_clearly() -> None:
    for empty in ("", "   ", "<b></b>", "<script>x</script>"):
        with pytest.raises(BroadcastTextError, match="nothing to send"):
            prepare(empty)


def test_a_5000_character_broadcast_is_split_at_a_line_break_keeping_formatting() -> None:
    para = "<b>Hips</b> stay in line with the shoulders. " * 20
    text = "\n".join([para] * 6)  # about 5,000 visible characters, with tags
    parts = prepare(text)
    assert len(parts) == 2
    for part in parts:
        telegram_accepts(part)
    plain = [check_text(p, "HTML")[0] for p in parts]
    assert " ".join(plain).split() == check_text(text, "HTML", limit=10**6)[0].split()  # no word lost
    assert plain[0].endswith("shoulders.")  # cut at a line break, not mid-sentence
    assert parts[1].startswith("<b>Hips</b>")


def test_a_huge_broadcast_is_refused_with_the_numbers() -> None:
    with pytest.raises(BroadcastTextError, match=f"the most I send is {MAX_PARTS}"):
        prepare("word " * 5000)


def test_a_long_word_without_spaces_is_cut_hard_and_still_fits() -> None:
    parts = prepare("x" * 5000)
    assert [len(check_text(p, "HTML")[0]) for p in parts] == [4096, 904]


# ---------------------------------------------------------------------- the ledger and fan-out


async def test_everyone_gets_it_once_reading_subscribers_in_pages(
    fake_api: FakeBotApi, tmp_path: Path
) -> None:
    users = list(range(500, 525))
    store = store_with(tmp_path, users)
    bid = broadcast.create(store, prepare("<b>New</b> guide"), "cli", NOW, approve_now=True)
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
    bid = broadcast.create(store, prepare("hello"), "cli", NOW, approve_now=True)
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
    bid = broadcast.create(store, prepare("line one\n" + "y" * 4100), "cli", NOW, approve_now=True)
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
    bid = broadcast.create(store, prepare("line one\n" + "y" * 4100), "cli", NOW, approve_now=True)
    clock = FakeTime()
    arrivals: dict[int, list[float]] = {1: [], 2: []}

    async def send(chat_id: int, html: str) -> SendResult:
        if not arrivals[chat_id]:
            clock.t += 0.3  # the first part is late on the way in
        arrivals[chat_id].append(clock.t)
        clock.t += 0.01  # the answer
        return broadcast.OK

    report = await broadcast.deliver(store, bid, send, 20, monotonic=clock, sleep=clock.sleep)
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
    bid = broadcast.create(store, prepare("hello"), "cli", NOW, approve_now=True)
    clock = FakeTime()
    report = await fan_out(fake_api, tmp_path, store, bid, 25, monotonic=clock, sleep=clock.sleep)
    assert (report.sent, report.blocked, report.failed) == (1, 2, 0)
    assert len(fake_api.calls_of("sendMessage", chat_id=11)) == 1
    assert len(fake_api.calls_of("sendMessage", chat_id=12)) == 1
    assert not broadcast.is_subscribed(store, 11) and not broadcast.is_subscribed(store, 12)
    assert store.status()["subscribers"] == 1
    # The next broadcast does not even try them.
    bid2 = broadcast.create(store, prepare("again"), "cli", NOW, approve_now=True)
    assert (
        await fan_out(fake_api, tmp_path, store, bid2, 25, monotonic=clock, sleep=clock.sleep)
    ).audience == 1


async def test_network_errors_are_retried_with_backoff_then_given_up(
    fake_api: FakeBotApi, tmp_path: Path
) -> None:
    store = store_with(tmp_path, [21, 22])
    fake_api.fail_next("sendMessage", 502, times=2, chat_id=21)  # recovers on the 3rd try
    fake_api.fail_next("sendMessage", 502, times=99, chat_id=22)  # never does
    bid = broadcast.create(store, prepare("hello"), "cli", NOW, approve_now=True)
    clock = FakeTime()
    report = await fan_out(
        fake_api, tmp_path, store, bid, 25, monotonic=clock, sleep=clock.sleep, max_retries=3
    )
    assert (report.sent, report.failed) == (1, 1)
    assert len(fake_api.calls_of("sendMessage", chat_id=21)) == 3
    assert len(fake_api.calls_of("sendMessage", chat_id=22)) == 4  # 1 + 3 retries, then failed
    assert broadcast.is_subscribed(store, 22)  # a network failure is not a block
    row = next(iter(store.db.query("select * from deliveries where user_id = 22")))
    assert (row["status"], row["attempts"], row["errors"]) == ("failed", 4, 3)
    assert sum(clock.slept) >= 1 + 2 + 4  # backoff 1, 2, 4 s


async def test_a_send_that_raises_nothing_but_fails_permanently_is_recorded() -> None:
    """The core needs no Telegram: a scripted `send` drives every outcome kind."""
    store = Store(":memory:", extra=[broadcast.migrations])
    for u in (1, 2):
        broadcast.subscribe(store, u, u, NOW)
    bid = broadcast.create(store, ["hi"], "cli", NOW, approve_now=True)
    seen: list[int] = []

    async def send(chat_id: int, html: str) -> SendResult:
        seen.append(chat_id)
        return SendResult("failed", detail="message is too long") if chat_id == 1 else broadcast.OK

    clock = FakeTime()
    report = await broadcast.deliver(store, bid, send, 10, monotonic=clock, sleep=clock.sleep)
    assert (report.sent, report.failed, seen) == (1, 1, [1, 2])


async def test_a_live_lease_keeps_a_second_sender_out(tmp_path: Path) -> None:
    store = store_with(tmp_path, [1])
    bid = broadcast.create(store, ["hi"], "cli", NOW, approve_now=True)
    assert broadcast.claim(store, bid, "elsewhere:1:abc", NOW)  # another host, lease not expired
    calls: list[int] = []

    async def send(chat_id: int, html: str) -> SendResult:
        calls.append(chat_id)
        return broadcast.OK

    report = await broadcast.deliver(store, bid, send, 10, now=lambda: NOW)
    assert calls == [] and report.pending == 1


# ---------------------------------------------------------------------- the conversation (core)


def test_subscribe_unsubscribe_and_start_button(tmp_path: Path) -> None:
    coach = make_coach(tmp_path)
    start = say(coach, "/start")
    assert button_data(start, "Notify me of site updates") == "sub:on"
    assert "I'll send you site updates" in press(coach, "sub:on")[0].text
    assert "already subscribed" in say(coach, "/subscribe")[0].text
    assert coach.store.status()["subscribers"] == 1
    assert "no more site updates" in say(coach, "/unsubscribe")[0].text
    assert "weren't subscribed" in press(coach, "sub:off")[0].text
    assert coach.store.status()["subscribers"] == 0


def test_non_admin_is_refused_and_logged(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    coach = make_coach(tmp_path, admin_ids=frozenset({ADMIN}))
    with caplog.at_level(logging.WARNING):
        replies = say(coach, "/broadcast buy crypto", user=666)
    assert "only the site's admins" in replies[0].text
    assert "666" in caplog.text and "not an admin" in caplog.text
    assert coach.store.count("broadcasts") == 0
    assert "only the site's admins" in press(coach, "bc:send:1", user=666)[0].text
    assert "only the site's admins" in say(coach, "/broadcast_status", user=666)[0].text


def test_preview_then_send_then_a_second_broadcast_is_refused(tmp_path: Path) -> None:
    coach = make_coach(tmp_path, admin_ids=frozenset({ADMIN}))
    for u in (1, 2):
        press(coach, "sub:on", user=u)
    assert "Write the update after the command" in say(coach, "/broadcast", user=ADMIN)[0].text
    preview = say(coach, "/broadcast <b>New</b> guide <script>x</script>", user=ADMIN)
    assert preview[0].html == "<b>New</b> guide"
    assert "to 2 subscribers. Send it?" in preview[-1].text
    send = button_data(preview, "Send")
    assert coach.store.count("deliveries") == 0  # nothing before Send
    assert "Sending update #1 to 2 subscribers" in press(coach, send, user=ADMIN)[0].text
    assert coach.scheduler.timers == {"bc:1": coach.clock()}  # type: ignore[attr-defined]
    assert coach.store.count("deliveries") == 2
    assert "already on its way" in press(coach, send, user=ADMIN)[0].text  # double tap: nothing twice
    assert "Update #1 is still going out" in say(coach, "/broadcast another", user=ADMIN)[0].text
    assert "0 sent" in say(coach, "/broadcast_status", user=ADMIN)[0].text
    assert [d.name for d in coach.pending_timers() if d.name.startswith("bc:")] == ["bc:1"]


def test_cancel_and_too_long_and_forget(tmp_path: Path) -> None:
    coach = make_coach(tmp_path, admin_ids=frozenset({ADMIN}))
    press(coach, "sub:on")
    preview = say(coach, "/broadcast hello", user=ADMIN)
    assert "will not be sent" in press(coach, button_data(preview, "Cancel"), user=ADMIN)[0].text
    assert "was cancelled" in press(coach, button_data(preview, "Send"), user=ADMIN)[0].text
    assert "too long to broadcast" in say(coach, "/broadcast " + "word " * 5000, user=ADMIN)[0].text
    assert len(say(coach, "/broadcast " + "word " * 1000, user=ADMIN)) == 3  # 2 parts + the question
    coach.emit("forget", 1001, {})
    assert coach.store.count("subscribers") == 0


def test_updates_shows_the_latest_few(tmp_path: Path) -> None:
    coach = make_coach(tmp_path)
    assert "No site updates yet" in say(coach, "/updates")[0].text
    for i in range(5):
        broadcast.create(coach.store, [f"<b>Update {i}</b>"], "feed", NOW, approve_now=True)
    text = say(coach, "/updates")[0].html
    assert "Update 4" in text and "Update 2" in text and "Update 1" not in text
    telegram_accepts(text)


# ---------------------------------------------------------------------- end to end


async def test_admin_broadcast_end_to_end_with_report(fake_api: FakeBotApi, tmp_path: Path) -> None:
    fake_api.set_rate_limits(global_per_second=30, per_chat_per_second=1)
    config = make_config(tmp_path, admin_ids=frozenset({ADMIN}), broadcast_rate=25.0)
    async with running_bot(fake_api, config):
        for user in (31, 32, 33):
            (reply,) = await exchange(fake_api, user, "/subscribe")
            assert "I'll send you site updates" in reply["text"]
        fake_api.block(33)
        (refusal,) = await exchange(fake_api, 34, "/broadcast hi all")
        assert "only the site's admins" in refusal["text"]
        preview = await exchange(fake_api, ADMIN, "/broadcast <b>New guide</b>: hips in line", expect=2)
        assert preview[0]["entities"][0]["type"] == "bold"
        before = len(fake_api.sent_messages(ADMIN))
        fake_api.user_presses(ADMIN, preview[1]["message_id"], "bc:send:1")
        messages = await fake_api.wait_for_messages_async(ADMIN, before + 2, timeout=10)
        assert "Sending update #1 to 3 subscribers" in messages[before]["text"]
        assert "Update #1 is out" in messages[before + 1]["text"]
        assert "2 sent, 1 blocked" in messages[before + 1]["text"]
    for user in (31, 32):
        assert fake_api.sent_messages(user)[-1]["text"] == "New guide: hips in line"
    # The admin's own chat may see 429s (preview, "Sending", report within a second: the application's
    # AIORateLimiter retries those); the broadcast itself never does.
    assert all(not c.chat_id or c.chat_id == ADMIN for c in fake_api.calls if c.status == 429)
    with pytest.raises(ApiError):
        check_text("<b>", "HTML")  # the fake really is strict: what passed above would pass Telegram


# ---------------------------------------------------------------------- the ledger as a state machine


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

    store = Store(":memory:", extra=[broadcast.migrations])
    for u in range(users):
        broadcast.subscribe(store, u, u, NOW)
    bid = broadcast.create(store, [f"part {i}" for i in range(parts)], "cli", NOW, approve_now=True)
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
            return broadcast.OK
        return SendResult(kind, retry_after=2.0)  # type: ignore[arg-type]

    clock = FakeTime()
    crashed = 0
    for _ in range(len(crashes) + 1):
        try:
            asyncio.run(broadcast.deliver(store, bid, send, 10, monotonic=clock, sleep=clock.sleep))
            break
        except Crash:
            crashed += 1
    report = broadcast.report(store, bid)
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
