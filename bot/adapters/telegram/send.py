"""Sending core replies through python-telegram-bot, with a plain-text fallback for HTML Telegram refuses."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.adapters.telegram.files import send_attachment
from bot.core.coach import Speaker
from bot.core.reply import Reply
from bot.voice.speaking import batch_text

log = logging.getLogger(__name__)


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=b.data) for b in row] for row in reply.buttons]
    )


async def send_reply(bot: Bot, chat_id: int, reply: Reply) -> Message:
    """Send one reply; if Telegram cannot parse our HTML (a bug, never expected), send it as plain text."""
    if reply.attachment is not None:  # a chart or a file: bot/adapters/telegram/files.py
        return await send_attachment(bot, chat_id, reply, reply.attachment)
    try:
        return await bot.send_message(
            chat_id, reply.html, parse_mode=ParseMode.HTML, reply_markup=keyboard(reply)
        )
    except BadRequest as exc:
        if "parse entities" not in str(exc).lower():
            raise
        log.error("Telegram refused our HTML (%s); sending plain text instead", exc)
        return await bot.send_message(chat_id, reply.text, reply_markup=keyboard(reply))


async def send_replies(bot: Bot, chat_id: int, replies: Iterable[Reply]) -> None:
    for reply in replies:
        await send_reply(bot, chat_id, reply)


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
