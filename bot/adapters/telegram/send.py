"""Sending core replies through python-telegram-bot, with a plain-text fallback for HTML Telegram refuses.

Why replies retry: a brief API error (a 500, a 502, a dropped connection) used to lose the answer, and
in a session the step had already advanced. Like broadcast sends, a reply is retried a few times with
backoff on 5xx and network errors (a timed-out send may have got through: at most one duplicate).
Anything else (400, 403, 429 after the rate limiter's own retries) is not retried.

Why text replies go out through `Bot._post` rather than `Bot.send_message`: the latter builds a
`Message` (its chat, user, entities and keyboard objects) from Telegram's answer, which nothing here
reads. That parse was about a tenth of the bot's CPU per button press in benchmarks/load.py. The
request itself is the same: the same JSON, the same rate limiter, the same errors.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import BadRequest, NetworkError

from bot.adapters.telegram.files import send_attachment
from bot.core.coach import Speaker
from bot.core.reply import Reply
from bot.voice.speaking import batch_text

log = logging.getLogger(__name__)

RETRIES = 3  # after the first try: 4 sends at most
BACKOFF_S = 0.5  # then 1 s, then 2 s: about 3.5 s in all before giving up

T = TypeVar("T")


Markup = dict[str, list[list[dict[str, str]]]]  # an InlineKeyboardMarkup as Telegram's JSON


def keyboard(reply: Reply) -> Markup | None:
    """The reply's buttons as the JSON InlineKeyboardMarkup.to_dict() would give: PTB objects for
    each button, only to turn them back into dicts, were a few percent of a button press."""
    if not reply.buttons:
        return None
    rows = [[{"text": b.label, "callback_data": b.data} for b in row] for row in reply.buttons]
    return {"inline_keyboard": rows}


async def retrying(chat_id: int, call: Callable[[], Awaitable[T]]) -> T:
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


async def send_text(bot: Bot, chat_id: int, text: str, markup: Markup | None, html: bool) -> None:
    """One sendMessage, as `bot.send_message` makes it, without parsing Telegram's answer into a Message."""
    data: dict[str, object] = {"chat_id": chat_id, "text": text}
    if html:
        data["parse_mode"] = ParseMode.HTML
    if markup is not None:
        data["reply_markup"] = markup
    await bot._post("sendMessage", data)  # private, see the module's docstring


async def send_reply(bot: Bot, chat_id: int, reply: Reply) -> None:
    """Send one reply (retried on brief API errors); if Telegram cannot parse our HTML (a bug, never
    expected), send it as plain text."""
    if reply.attachment is not None:  # a chart or a file: bot/adapters/telegram/files.py
        await send_attachment(bot, chat_id, reply, reply.attachment)
        return
    markup = keyboard(reply)
    try:
        await retrying(chat_id, lambda: send_text(bot, chat_id, reply.html, markup, html=True))
    except BadRequest as exc:
        if "parse entities" not in str(exc).lower():
            raise
        log.error("Telegram refused our HTML (%s); sending plain text instead", exc)
        await retrying(chat_id, lambda: send_text(bot, chat_id, reply.text, markup, html=False))


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
