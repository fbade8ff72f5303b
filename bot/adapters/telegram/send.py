"""Sending core replies through python-telegram-bot, with a plain-text fallback for HTML Telegram refuses."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.core.reply import Reply

log = logging.getLogger(__name__)


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=b.data) for b in row] for row in reply.buttons]
    )


async def send_reply(bot: Bot, chat_id: int, reply: Reply) -> Message:
    """Send one reply; if Telegram cannot parse our HTML (a bug, never expected), send it as plain text."""
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
