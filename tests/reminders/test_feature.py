"""Reminders end to end through the core with an injected clock: off by default, set by button, typed
words or a voice transcript, sent in the user's time zone outside quiet hours (over a daylight-saving
change), Start / Snooze 1 h / Skip today, the gentle word after a gap, /reminders and /forget."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.core.coach import Heard, Incoming
from bot.core.reply import Reply
from tests.checkins.clocked import MONDAY_NOON, Bot
from tests.reminders.helpers import fire_until, pings, store, train
from tests.support import USER, FakeClock, button_data, press, say


def labels(replies: list[Reply]) -> list[str]:
    return [label for r in replies for label in r.labels()]


@pytest.fixture
def bot(tmp_path: Path) -> Bot:
    b = Bot(tmp_path, FakeClock(MONDAY_NOON))
    say(b.coach, "/start")
    say(b.coach, "/timezone Berlin")
    return b


def test_off_by_default_then_set_by_the_end_of_session_button(bot: Bot) -> None:
    wrap = train(bot, USER)
    assert "Remind me of my next session" in labels(wrap)
    assert bot.coach.store.status()["pending_reminders"] == 0 and store(bot).setting(USER) is None
    assert pings(fire_until(bot, MONDAY_NOON + timedelta(days=8))) == [], "nothing without opting in"
    offer = press(bot.coach, button_data(wrap, "Remind me"))
    assert "2 sessions a week" in offer[0].text  # week 2 of the protocol asks for two
    assert labels(offer) == ["Mon Thu 18:00", "Tue Fri 18:00", "Wed Sat 10:00"]
    done = press(bot.coach, button_data(offer, "Tue Fri"))
    assert "Tue Fri at 18:00 (Europe/Berlin time)" in done[0].text
    assert bot.coach.store.status()["pending_reminders"] == 1


def test_the_ping_says_the_next_session_in_local_time_with_its_buttons(bot: Bot) -> None:
    say(bot.coach, "/reminders Mon Wed Fri 18:00")
    [(when, text)] = pings(fire_until(bot, MONDAY_NOON + timedelta(hours=6)))
    assert when == datetime(2026, 3, 2, 17, 0, tzinfo=UTC)  # 18:00 in Berlin in winter
    assert text == "Session 1 of week 1: 2 sets of 5. Start now?"
    assert bot.coach.store.status()["pending_reminders"] == 1, "the next one (Wednesday) is armed"


def test_daylight_saving_and_quiet_hours(tmp_path: Path) -> None:
    """07:00 falls inside the default quiet hours (22:00-08:00), so it waits until 08:00 local; Berlin
    leaves summer time on 25 October 2026, so 08:00 is 06:00 UTC before and 07:00 UTC after."""
    bot = Bot(tmp_path, FakeClock(datetime(2026, 10, 21, 12, 0, tzinfo=UTC)))
    say(bot.coach, "/timezone Europe/Berlin")
    set_reply = say(bot.coach, "/reminders Mon Fri 07:00")
    assert "quiet hours (22:00-08:00)" in set_reply[0].text
    sent = pings(fire_until(bot, datetime(2026, 10, 31, tzinfo=UTC)))
    assert [when for when, _ in sent] == [
        datetime(2026, 10, 23, 6, 0, tzinfo=UTC),
        datetime(2026, 10, 26, 7, 0, tzinfo=UTC),
        datetime(2026, 10, 30, 7, 0, tzinfo=UTC),
    ]


def test_typed_words_press_start_and_snooze_but_skip_asks_first(bot: Bot) -> None:
    say(bot.coach, "/reminders Mon 18:00")
    fire_until(bot, MONDAY_NOON + timedelta(hours=5))  # 17:00 UTC, 18:00 in Berlin
    snoozed = say(bot.coach, "snooze")
    assert snoozed[0].text == "OK, I'll remind you again at Mon 02 Mar, 19:00."
    [(when, _)] = pings(fire_until(bot, MONDAY_NOON + timedelta(hours=7)))
    assert when == datetime(2026, 3, 2, 18, 0, tzinfo=UTC)
    asked = say(bot.coach, "skip")
    assert "is that what you want?" in asked[0].text, "a vague word never skips"
    assert store(bot).get(1) is not None and store(bot).get(1).status == "sent"  # type: ignore[union-attr]
    skipped = say(bot.coach, "Skip today")
    assert skipped[0].text == "Skipped for today. The next reminder: Mon 09 Mar, 18:00."


def test_ok_starts_the_session(bot: Bot) -> None:
    say(bot.coach, "/reminders Mon 18:00")
    fire_until(bot, MONDAY_NOON + timedelta(hours=6))
    started = say(bot.coach, "ok")
    assert "Safety first" in started[0].text


def test_start_after_a_snooze_cancels_the_snoozed_ping(bot: Bot) -> None:
    say(bot.coach, "/reminders Mon 18:00")
    [(_, ping)] = fire_until(bot, MONDAY_NOON + timedelta(hours=5))
    say(bot.coach, "snooze")
    started = press(bot.coach, button_data([ping.reply], "Start"))
    assert "Safety first" in started[0].text
    assert pings(fire_until(bot, MONDAY_NOON + timedelta(hours=8))) == [], "no second ping an hour on"


def test_a_voice_note_answers_the_offer_with_days_and_a_time(bot: Bot) -> None:
    say(bot.coach, "/reminders on")
    msg = Incoming(USER, USER, "voice", "", "Tess")
    replies = bot.coach.hear(msg, Heard(text="Tuesdays and Fridays at six pm"))
    assert "Tue Fri at 18:00" in replies[1].text


def test_turning_off_by_word_asks_first_then_reminders_stop(bot: Bot) -> None:
    say(bot.coach, "/reminders Mon 18:00")
    shown = say(bot.coach, "/reminders")
    assert "Reminders: Mon at 18:00 (Europe/Berlin time). The next one: Mon 02 Mar, 18:00." in shown[0].text
    assert "is that what you want?" in say(bot.coach, "turn off")[0].text
    assert say(bot.coach, "Turn off reminders")[0].text.startswith("Reminders are off.")
    assert pings(fire_until(bot, MONDAY_NOON + timedelta(days=8))) == []
    assert bot.coach.store.status()["pending_reminders"] == 0


def test_a_gap_brings_the_gentle_message_and_a_week_back(bot: Bot) -> None:
    train(bot, USER)  # week 1 done on Monday 2 March
    say(bot.coach, "/reminders Sat 10:00")
    bot.clock.now = MONDAY_NOON + timedelta(days=11, hours=12)  # Saturday 14 March, 00:00 local
    sent = pings(fire_until(bot, MONDAY_NOON + timedelta(days=12)))
    assert sent[-1][1].startswith("It's been 11 days since your last session; the evidence says")
    sent = pings(fire_until(bot, MONDAY_NOON + timedelta(days=19)))
    assert sent[-1][1].startswith("It's been 18 days; the evidence says at least one session every 3 weeks")
    assert "Want an easier one today? We step back a week: 2 sets of 5." in sent[-1][1]


def test_a_finished_session_that_day_means_no_ping(bot: Bot) -> None:
    say(bot.coach, "/reminders Mon 18:00")
    train(bot, USER)
    assert pings(fire_until(bot, MONDAY_NOON + timedelta(hours=6))) == []
    assert bot.coach.store.status()["pending_reminders"] == 1, "next Monday is armed"


def test_forget_deletes_the_rows_and_the_jobs(bot: Bot) -> None:
    say(bot.coach, "/reminders Mon 18:00")
    say(bot.coach, "/forget")
    press(bot.coach, "forget:yes")
    assert store(bot).setting(USER) is None and bot.coach.store.status()["pending_reminders"] == 0
    assert not [n for n in bot.scheduler.timers if n.startswith("rm:") and n != "rm:sweep"]


def test_bad_words_and_stale_buttons(bot: Bot) -> None:
    assert "couldn't read days and a time" in say(bot.coach, "/reminders someday")[-1].text
    assert "/reminders" in press(bot.coach, "rm:z:999")[0].text
    assert press(bot.coach, "rm:set:9:9999")[0].text == bot.coach.stale()[0].text


def test_reminders_before_any_say_they_are_off_and_offer_the_weeks_choices(bot: Bot) -> None:
    replies = say(bot.coach, "/reminders")
    assert replies[0].text.startswith("Reminders of your next session are off")
    assert labels(replies) == ["Mon 18:00", "Wed 18:00", "Sat 10:00"]  # week 1: one session a week
    assert "Mon Thu at 18:30" in say(bot.coach, "mon thu 18:30")[0].text, "typed after the offer"
    assert say(bot.coach, "/reminders off")[0].text.startswith("Reminders are off.")
    assert say(bot.coach, "/reminders off")[0].text == "Reminders are already off."


def test_by_voice_start_is_pressed_and_skip_today_asks_for_a_yes(bot: Bot) -> None:
    say(bot.coach, "/reminders Mon 18:00")
    fire_until(bot, MONDAY_NOON + timedelta(hours=5))
    msg = Incoming(USER, USER, "voice", "", "Tess")
    asked = bot.coach.hear(msg, Heard(text="Skip today", choice="skip today"))
    assert "is that what you want?" in asked[1].text, "a recogniser can mishear: stopping waits for a yes"
    started = bot.coach.hear(msg, Heard(text="start"))
    assert any("Safety first" in r.text for r in started)


def test_a_new_time_zone_or_the_same_rule_again_keeps_the_next_reminder_on_time(tmp_path: Path) -> None:
    bot = Bot(tmp_path, FakeClock(MONDAY_NOON))
    say(bot.coach, "/checkins quiet 00:00-00:00")
    say(bot.coach, "/reminders Mon 18:00")
    say(bot.coach, "/reminders Mon 18:00")  # set again: still today, not next week
    assert "The next one: Mon 02 Mar, 18:00." in say(bot.coach, "/reminders")[0].text
    say(bot.coach, "/timezone America/New_York")  # 18:00 there is 23:00 UTC
    [(when, _)] = pings(fire_until(bot, MONDAY_NOON + timedelta(hours=12)))
    assert when == datetime(2026, 3, 2, 23, 0, tzinfo=UTC)
