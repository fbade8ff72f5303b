"""Sending a chat's replies so that none is lost when Telegram is down for longer than the retries.

send.py retries a reply for about 3.5 s. If Telegram still fails (5xx, no network), the reply and the
rest of its batch go to the outbox (bot/storage/outbox.py) instead of vanishing; a job sends them every
FLUSH_EVERY_S, oldest first, and a chat's new replies wait behind its queued ones, so the order holds.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from enum import Enum

from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError
from telegram.ext import Application, ContextTypes

from bot.adapters.telegram.send import send_reply
from bot.adapters.telegram.turns import Turns
from bot.core.coach import Coach
from bot.core.reply import Reply
from bot.storage.outbox import Outbox

log = logging.getLogger(__name__)

FLUSH_EVERY_S = 10.0


class Sent(Enum):
    ALL = "all"  # every reply went out
    KEPT = "kept"  # Telegram failed: the rest is queued in the outbox
    BLOCKED = "blocked"  # 403: the chat blocked the bot, nothing more is sent (or kept)


def install(app: Application, coach: Coach) -> Courier:
    """The courier in `bot_data`, the outbox's rows deleted on "forget", and the job that empties it."""
    courier = Courier(Outbox(coach.store))
    app.bot_data["courier"] = courier

    def forget(user_id: int, data: dict[str, object]) -> list[Reply]:
        courier.outbox.drop(user_id)  # private chats: the chat id is the user id
        return []

    coach.on("forget", forget)
    assert app.job_queue is not None
    app.job_queue.run_repeating(_flush_all, FLUSH_EVERY_S, first=1.0, name="outbox")
    return courier


class Courier:
    """Sends replies through the outbox, one batch per chat at a time: a handler's batch, a timer's,
    a broadcast report or the job emptying the queue. So batches never interleave (a broadcast's
    report cannot overtake the "Sending" line still waiting out a 429), and no queued reply goes out
    twice."""

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox
        self._turn = Turns()

    async def deliver(self, bot: Bot, chat_id: int, replies: Sequence[Reply]) -> Sent:
        """Send the replies in order, behind anything the chat already has queued."""
        async with self._turn(chat_id):
            return await self._deliver(bot, chat_id, replies)

    async def _deliver(self, bot: Bot, chat_id: int, replies: Sequence[Reply]) -> Sent:
        if self.outbox.waiting(chat_id):
            status = await self._flush(bot, chat_id)
            if status is Sent.KEPT:
                self.outbox.keep(chat_id, list(replies), datetime.now(UTC))
            if status is not Sent.ALL:
                return status
        for i, reply in enumerate(replies):
            try:
                await send_reply(bot, chat_id, reply)
            except Forbidden as exc:
                log.info("chat %s blocked the bot (%s); not sending the rest", chat_id, exc.message)
                return Sent.BLOCKED
            except BadRequest:
                raise  # Telegram refused the message itself: a bug, for the error handler
            except NetworkError as exc:
                log.warning(
                    "chat %s: Telegram still fails (%s); %d replies kept", chat_id, exc, len(replies) - i
                )
                self.outbox.keep(chat_id, list(replies[i:]), datetime.now(UTC))
                return Sent.KEPT
        return Sent.ALL

    async def _flush(self, bot: Bot, chat_id: int) -> Sent:
        """Send a chat's queued replies, oldest first, until none is left or Telegram fails again
        (the caller holds the chat's turn)."""
        while (queued := self.outbox.first(chat_id)) is not None:
            row_id, reply = queued
            try:
                await send_reply(bot, chat_id, reply)
            except Forbidden:
                dropped = self.outbox.drop(chat_id)
                log.info("chat %s blocked the bot; %d queued replies dropped", chat_id, dropped)
                return Sent.BLOCKED
            except BadRequest as exc:  # it will never go through: drop it rather than block the queue
                log.error("chat %s: Telegram refused a queued reply (%s); dropped", chat_id, exc)
            except NetworkError:
                return Sent.KEPT
            self.outbox.sent(row_id)
        return Sent.ALL

    async def flush_all(self, bot: Bot) -> list[int]:
        """Every chat's queue, until Telegram fails again; the chats found blocked."""
        blocked = []
        for chat_id in sorted(self.outbox.chats):
            async with self._turn(chat_id):
                status = await self._flush(bot, chat_id)
            if status is Sent.BLOCKED:
                blocked.append(chat_id)
            elif status is Sent.KEPT:
                break  # Telegram is still down: the next round tries again
        return blocked


async def _flush_all(context: ContextTypes.DEFAULT_TYPE) -> None:
    from bot.adapters.telegram.handlers import blocked, coach_of  # handlers send through this module

    courier: Courier = context.application.bot_data["courier"]
    for chat_id in await courier.flush_all(context.bot):
        blocked(coach_of(context), chat_id, chat_id)
