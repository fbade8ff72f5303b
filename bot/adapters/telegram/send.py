"""Sending core replies through python-telegram-bot, with a plain-text fallback for HTML Telegram refuses.

Why replies retry: a brief API error (a 500, a 502, a dropped connection) used to lose the answer, and
in a session the step had already advanced. Like broadcast sends, a reply is retried a few times with
backoff on 5xx and network errors (a timed-out send may have got through: at most one duplicate).
Anything else (400, 403, 429 after the rate limiter's own retries) is not retried.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest, NetworkError

from bot.adapters.telegram.files import send_attachment
from bot.core.coach import Speaker
from bot.core.reply import Reply
from bot.voice.speaking import batch_text

log = logging.getLogger(__name__)

RETRIES = 3  # after the first try: 4 sends at most
BACKOFF_S = 0.5  # then 1 s, then 2 s: about 3.5 s in all before giving up


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=b.data) for b in row] for row in reply.buttons]
    )


async def retrying(chat_id: int, call: Callable[[], Awaitable[Message]]) -> Message:
    """`call()`, again after BACKOFF_S, 2·BACKOFF_S, ... on 5xx and network errors, RETRIES times."""
    for attempt in range(RETRIES):
        try:
            return await call()
        except BadRequest:  # a NetworkError subclass, but Telegram refused the message itself
            raise
        except NetworkError as exc:  # TimedOut, connection errors, 5xx
            wait = BACKOFF_S * 2**attempt
            log.warning(
                "send to chat %s failed (%s: %s); retrying in %g s", chat_id, type(exc).__name__, exc, wait
            )
            await asyncio.sleep(wait)
    return await call()


async def send_reply(bot: Bot, chat_id: int, reply: Reply) -> Message:
    """Send one reply (retried on brief API errors); if Telegram cannot parse our HTML (a bug, never
    expected), send it as plain text."""
    if reply.attachment is not None:  # a chart or a file: bot/adapters/telegram/files.py
        return await send_attachment(bot, chat_id, reply, reply.attachment)
    markup = keyboard(reply)
    try:
        return await retrying(
            chat_id,
            lambda: bot.send_message(chat_id, reply.html, parse_mode=ParseMode.HTML, reply_markup=markup),
        )
    except BadRequest as exc:
        if "parse entities" not in str(exc).lower():
            raise
        log.error("Telegram refused our HTML (%s); sending plain text instead", exc)
        return await retrying(chat_id, lambda: bot.send_message(chat_id, reply.text, reply_markup=markup))


async def speak_replies(
    bot: Bot, speaker: Speaker | None, user_id: int, chat_id: int, replies: Sequence[Reply], skip: str = ""
) -> None:
    """After a batch's text replies, one voice note saying them (leaving out `skip`), if the user
    turned spoken replies on. Synthesis runs in a thread, so other chats are not held up; any failure
    is logged and the conversation goes on in text, which has been sent already."""
    if speaker is None or not replies or not speaker.wants(user_id):
        return
    text = batch_text(replies, skip)
    if not text:
        return
    try:
        note = await asyncio.to_thread(speaker.speak, text)
        if note is not None:
            await bot.send_voice(chat_id, note)
    except Exception:  # the text is out already; a lost voice note must not look like a failed update
        log.exception("could not send the spoken reply to chat %s", chat_id)
