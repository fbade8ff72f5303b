"""Pictures and files in replies (/progress, /export): the bytes are made off the event loop, then
sent with sendPhoto or sendDocument, the reply's text as the caption."""

from __future__ import annotations

import asyncio

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Message
from telegram.constants import ParseMode

from bot.core.reply import Attachment, Reply


def _keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    rows = [[InlineKeyboardButton(b.label, callback_data=b.data) for b in row] for row in reply.buttons]
    return InlineKeyboardMarkup(rows)


async def send_attachment(bot: Bot, chat_id: int, reply: Reply, attachment: Attachment) -> Message:
    """Render in a thread (a chart takes about 0.1 s; other chats must not wait), then upload."""
    data = await asyncio.to_thread(attachment.make)
    upload = InputFile(data, filename=attachment.filename)
    caption, markup = reply.html or None, _keyboard(reply)
    if attachment.kind == "picture":
        return await bot.send_photo(
            chat_id, upload, caption=caption, parse_mode=ParseMode.HTML, reply_markup=markup
        )
    return await bot.send_document(
        chat_id, upload, caption=caption, parse_mode=ParseMode.HTML, reply_markup=markup
    )
