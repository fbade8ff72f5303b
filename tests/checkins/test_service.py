"""What a user does with check-ins: consent and stop, time zone and quiet hours, snooze, scores
(pressed, typed, corrected, expired, bad), red-flag holds and the rest advice.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.checkins.readiness import held, latest_soreness
from tests.checkins.clocked import MONDAY_NOON, Bot, opted_in, score_data, texts
from tests.support import USER, press, say


def test_no_check_ins_without_consent_and_opt_in_after_the_session_schedules_them(bot: Bot) -> None:
    assert bot.finish_session(session_id=7) == []
    assert bot.rows() == []
    assert "not on yet" in texts(say(bot.coach, "/checkins"))
    bot.clock.advance(minutes=5)
    replies = press(bot.coach, "ci:optin")
    assert "time zone" in texts(replies).lower()  # asked, because it is not set
    assert [r.session_id for r in bot.rows()] == [7, 7]
    press(bot.coach, "ci:optin")  # pressing again duplicates nothing
    assert len(bot.rows()) == 2


def test_stop_cancels_pending_check_ins(bot: Bot) -> None:
    opted_in(bot)
    bot.finish_session()
    replies = press(bot.coach, "ci:stop")
    assert "off" in texts(replies)
    assert {r.status for r in bot.rows()} == {"cancelled"}
    assert not [n for n in bot.scheduler.timers if n.startswith("ci:") and n != "ci:sweep"]
    assert bot.finish_session(session_id=2) == [] and len(bot.rows()) == 2


def test_custom_quiet_hours(bot: Bot) -> None:
    press(bot.coach, "ci:optin")
    assert "23:00-07:00" in texts(say(bot.coach, "/checkins quiet 23:00-07:00"))
    bot.finish_session(at=datetime(2026, 3, 1, 22, 30, tzinfo=UTC))
    assert bot.rows()[0].due_at == datetime(2026, 3, 2, 22, 30, tzinfo=UTC)
    assert "24-hour clock" in texts(say(bot.coach, "/checkins quiet late-early"))


def test_unknown_time_zone_is_refused_and_nothing_changes(bot: Bot) -> None:
    say(bot.coach, "/timezone Berlin")
    replies = say(bot.coach, "/timezone Mars/Olympus")
    assert "don't know the time zone" in texts(replies) and "Mars/Olympus" in texts(replies)
    assert bot.store.settings(USER).tz == "Europe/Berlin"
    prompt = say(bot.coach, "/timezone")
    assert "Berlin" in [b.label for r in prompt for row in r.buttons for b in row]
    assert "Europe/London" in texts(press(bot.coach, "ci:tz:Europe/London"))
    assert bot.store.settings(USER).tz == "Europe/London"


def test_snooze_asks_again_in_two_hours_and_respects_quiet_hours(bot: Bot) -> None:
    opted_in(bot, "UTC")
    bot.finish_session()
    [ping] = bot.run_until(MONDAY_NOON + timedelta(hours=24))
    snooze = next(b.data for row in ping.reply.buttons for b in row if "Snooze" in b.label)
    assert "I'll ask again" in texts(press(bot.coach, snooze))
    assert bot.rows()[0].status == "pending"
    assert bot.run_until(MONDAY_NOON + timedelta(hours=25)) == []
    [again] = bot.run_until(MONDAY_NOON + timedelta(hours=26))
    assert again.reply.text == ping.reply.text
    press(bot.coach, snooze)
    twice = press(bot.coach, snooze)  # pressed again: already snoozed, same time
    assert "Tue 03 Mar 16:00" in texts(twice) and bot.rows()[0].snoozes == 2
    bot.run_until(MONDAY_NOON + timedelta(hours=34, minutes=30))  # asked at 16:00, now 22:30 UTC
    assert bot.rows()[0].status == "sent"
    press(bot.coach, snooze)
    assert bot.rows()[0].due_at == datetime(2026, 3, 4, 8, 0, tzinfo=UTC)  # after 08:00, not 00:30


def test_snooze_limit(bot: Bot) -> None:
    opted_in(bot, "UTC")
    bot.finish_session()
    [ping] = bot.run_until(MONDAY_NOON + timedelta(hours=24))
    snooze = next(b.data for row in ping.reply.buttons for b in row if "Snooze" in b.label)
    for _ in range(3):
        press(bot.coach, snooze)
        bot.run_until(bot.clock.now + timedelta(hours=2))
    assert "can't snooze" in texts(press(bot.coach, snooze))
    assert bot.rows()[0].snoozes == 3


def test_press_on_an_expired_check_in(bot: Bot) -> None:
    opted_in(bot, "UTC")
    bot.finish_session()
    [ping] = bot.run_until(MONDAY_NOON + timedelta(hours=24))
    bot.clock.advance(hours=21)  # longer than the 20-hour answer window
    assert "expired" in texts(press(bot.coach, score_data(ping, 4)))
    assert bot.rows()[0].status == "missed"
    assert latest_soreness(bot.coach.store, USER, bot.clock.now) is None
    assert "expired" in texts(press(bot.coach, "ci:s:99999:4"))  # a check-in that does not exist
    assert "expired" in texts(press(bot.coach, score_data(ping, 4), user=USER + 1))  # someone else's


def test_a_second_press_corrects_the_score_without_a_second_row(bot: Bot) -> None:
    opted_in(bot, "UTC")
    bot.finish_session()
    [ping] = bot.run_until(MONDAY_NOON + timedelta(hours=24))
    press(bot.coach, score_data(ping, 3))
    assert "changed your score to 7/10" in texts(press(bot.coach, score_data(ping, 7)))
    assert bot.coach.store.count("soreness") == 1
    assert latest_soreness(bot.coach.store, USER, bot.clock.now) == 7


def test_bad_input_while_a_check_in_waits(bot: Bot) -> None:
    opted_in(bot, "UTC")
    bot.finish_session()
    assert len(bot.run_until(MONDAY_NOON + timedelta(hours=24))) == 1
    for typed in ("11", "12/10", "-3", "7/5"):
        assert "whole number from 0 to 10" in texts(say(bot.coach, typed)), typed
    not_score = say(bot.coach, "banana")
    assert "waiting for a soreness score" in texts(not_score) and not_score[0].buttons
    question = say(bot.coach, "what is DOMS?")  # a question still gets its answer
    assert "delayed onset" in texts(question).lower()
    assert "no longer does anything" in texts(press(bot.coach, "ci:s:abc:3"))
    assert "no longer does anything" in texts(press(bot.coach, "ci:s:1:11"))
    assert "no longer does anything" in texts(press(bot.coach, "ci:whatever"))
    assert bot.coach.store.count("soreness") == 0 and bot.rows()[0].status == "sent"
    assert "7/10" in texts(say(bot.coach, "about seven out of ten"))


def test_numbers_are_not_scores_when_nothing_waits(bot: Bot) -> None:
    opted_in(bot, "UTC")
    bot.finish_session()
    replies = say(bot.coach, "7")  # nothing sent yet: the Q&A answers instead
    assert "waiting for a soreness score" not in texts(replies)
    assert bot.coach.store.count("soreness") == 0


def test_red_flag_in_a_reply_gives_the_safety_message_and_holds_the_next_session(bot: Bot) -> None:
    opted_in(bot, "UTC")
    bot.finish_session()
    bot.run_until(MONDAY_NOON + timedelta(hours=24))
    replies = say(bot.coach, "it's bruised and I can't walk properly")
    assert "Stop and see a clinician" in texts(replies)
    assert "on hold" in texts(replies)
    assert held(bot.coach.store, USER)
    assert bot.rows()[0].status == "sent"  # still waiting for a score
    assert "on hold" in texts(say(bot.coach, "/checkins"))
    assert "no longer on hold" in texts(press(bot.coach, "ci:fine"))
    assert not held(bot.coach.store, USER)
    assert "Nothing is on hold" in texts(press(bot.coach, "ci:fine"))


def test_a_check_in_hold_blocks_the_session_until_the_user_says_they_were_cleared(bot: Bot) -> None:
    opted_in(bot, "UTC")
    bot.finish_session()
    bot.run_until(MONDAY_NOON + timedelta(hours=24))
    say(bot.coach, "my pee is dark brown")
    hold = say(bot.coach, "/session")
    assert "on hold" in texts(hold) and "warning sign" in texts(hold)
    cleared = next(b.data for r in hold for row in r.buttons for b in row if "cleared" in b.label)
    started = press(bot.coach, cleared)
    assert "Safety first" in texts(started)
    assert not held(bot.coach.store, USER), "the check-in hold is lifted too, not only the session's"


def test_red_flag_without_check_ins_is_left_to_the_q_and_a(bot: Bot) -> None:
    replies = say(bot.coach, "I have sharp pain in my hamstring")
    assert "clinician" in texts(replies)
    assert not held(bot.coach.store, USER)


def test_two_scores_of_8_or_more_suggest_rest_and_a_lighter_session(bot: Bot) -> None:
    opted_in(bot, "UTC")
    bot.finish_session()
    [ping] = bot.run_until(MONDAY_NOON + timedelta(hours=24))
    first = texts(press(bot.coach, score_data(ping, 8)))
    assert "very sore" in first and "two very sore" not in first
    [ping48] = bot.run_until(MONDAY_NOON + timedelta(hours=48))
    second = texts(press(bot.coach, score_data(ping48, 9)))
    assert "two very sore check-ins in a row" in second and "lighter" in second
