"""A clocked coach for the reminder tests: time moves by hand and each timer fires at its own time."""

from __future__ import annotations

from datetime import datetime

from bot.core.coach import Outgoing
from bot.core.reply import Reply
from bot.reminders.store import ReminderStore
from tests.checkins.clocked import Bot
from tests.support import button_data, press, say


def fire_until(bot: Bot, until: datetime) -> list[tuple[datetime, Outgoing]]:
    """Like Bot.run_until, but each message with the time it was sent."""
    return bot.fire_until(until)


def pings(sent: list[tuple[datetime, Outgoing]]) -> list[tuple[datetime, str]]:
    return [
        (when, o.reply.text)
        for when, o in sent
        if any(b.data.startswith("rm:") for r in o.reply.buttons for b in r)
    ]


def train(bot: Bot, user: int) -> list[Reply]:
    """A whole first session through its buttons: 5 and 5 reps."""
    replies = say(bot.coach, "/session", user)
    for label in ("No, I'm fine", "Yes, legs are warm", "I'm set up", "Got it", "Ready", "Start my sets"):
        replies = press(bot.coach, button_data(replies, label), user)
    replies = press(bot.coach, button_data(replies, "5"), user)
    replies = press(bot.coach, button_data(replies, "Skip rest"), user)
    return press(bot.coach, button_data(replies, "5"), user)


def store(bot: Bot) -> ReminderStore:
    return ReminderStore(bot.coach.store.db)
