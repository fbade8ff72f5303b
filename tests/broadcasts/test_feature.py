"""The broadcast conversation: /subscribe and /unsubscribe, /updates, and the admins' /broadcast
(preview, Send, Cancel, status), in the core and end to end through the Telegram adapter.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.broadcasts import ledger
from tests.broadcasts.helpers import ADMIN, NOW, telegram_accepts
from tests.fakebot import ApiError, FakeBotApi, check_text
from tests.support import button_data, exchange, make_coach, make_config, press, running_bot, say


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
        ledger.create(coach.store, [f"<b>Update {i}</b>"], "feed", NOW, approve_now=True)
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


async def test_the_report_waits_for_the_sending_line(fake_api: FakeBotApi, tmp_path: Path) -> None:
    """The broadcast runs as a job beside the button's handler: while "Sending update" waits to be
    tried again after a 502, the finished broadcast's report queues behind it, not ahead."""
    config = make_config(tmp_path, admin_ids=frozenset({ADMIN}), broadcast_rate=25.0)
    async with running_bot(fake_api, config):
        await exchange(fake_api, 31, "/subscribe")
        preview = await exchange(fake_api, ADMIN, "/broadcast Hips in line", expect=2)
        before = len(fake_api.sent_messages(ADMIN))
        fake_api.fail_next("sendMessage", 502, chat_id=ADMIN)
        fake_api.user_presses(ADMIN, preview[1]["message_id"], "bc:send:1")
        messages = await fake_api.wait_for_messages_async(ADMIN, before + 2, timeout=10)
        assert fake_api.sent_messages(31)[-1]["text"] == "Hips in line"
        assert [m["text"].split(" ")[0] for m in messages[before:]] == ["Sending", "Update"]
