"""Reminders through the real Application and the fake Bot API server: the offer's buttons, a choice
pressed, and /reminders showing it with Change and Turn off."""

from __future__ import annotations

from pathlib import Path

from tests.fakebot import FakeBotApi
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
