"""Reminders through the real Application and the fake Bot API server: the offer's buttons, a choice
pressed, /reminders showing it with Change and Turn off; a due reminder and its buttons."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.fakebot import FakeBotApi
from tests.reminders.test_restart import arm
from tests.support import callback_data, exchange, keyboard_labels, make_config, running_bot, tap

USER = 7373


async def test_reminders_by_button_through_telegram(fake_api: FakeBotApi, tmp_path: Path) -> None:
    async with running_bot(fake_api, make_config(tmp_path)):
        off, offer = await exchange(fake_api, USER, "/reminders", expect=2)
        assert off["text"].startswith("Reminders of your next session are off")
        assert keyboard_labels(offer) == ["Mon 18:00", "Wed 18:00", "Sat 10:00"]
        [done] = await tap(fake_api, USER, offer, callback_data(offer, "Wed 18:00"))
        assert done["text"].startswith("Done: I'll remind you Wed at 18:00 (UTC time).")
        [shown] = await exchange(fake_api, USER, "/reminders")
        assert keyboard_labels(shown) == ["Change days or time", "Turn off reminders"]
        assert callback_data(shown, "Turn off") == "rm:off"
        assert "reminders" in {c["command"] for c in fake_api.commands()}


async def test_a_due_reminder_arrives_with_its_buttons_and_they_work(
    fake_api: FakeBotApi, tmp_path: Path
) -> None:
    """A reminder due a minute ago (within the grace) goes out at start-up; Snooze 1 h and Skip today
    answer through Telegram like any button."""
    minute = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=1)
    arm(tmp_path, [USER], minute)
    async with running_bot(fake_api, make_config(tmp_path)):
        [ping] = await fake_api.wait_for_messages_async(USER, 1, timeout=30)
        assert ping["text"] == "Session 1 of week 1: 2 sets of 5. Start now?"
        assert keyboard_labels(ping) == ["Start", "Snooze 1 h", "Skip today"]
        [snoozed] = await tap(fake_api, USER, ping, callback_data(ping, "Snooze 1 h"))
        later = (datetime.now(UTC) + timedelta(hours=1)).strftime("%H:")
        assert snoozed["text"].startswith("OK, I'll remind you again at") and later in snoozed["text"]
        [skipped] = await tap(fake_api, USER, ping, callback_data(ping, "Skip today"))
        assert skipped["text"].startswith("Skipped for today. The next reminder:")
