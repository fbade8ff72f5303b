"""Handlers: each turns an Update into an `Incoming`, asks the core, and sends what it says."""

from __future__ import annotations

import asyncio
import html
import logging
from datetime import timedelta

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from bot.adapters.telegram.send import send_replies, speak_replies
from bot.core.coach import Coach, Heard, Incoming, Kind
from bot.knowledge.texts import fill
from bot.voice.audio import MAX_BYTES

log = logging.getLogger(__name__)


def coach_of(context: ContextTypes.DEFAULT_TYPE) -> Coach:
    coach: Coach = context.application.bot_data["coach"]
    return coach


async def _dispatch(update: Update, context: ContextTypes.DEFAULT_TYPE, kind: Kind, text: str) -> None:
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    coach = coach_of(context)
    private = chat.type == ChatType.PRIVATE
    replies = coach.handle(Incoming(user.id, chat.id, kind, text, user.first_name or "", private))
    await send_replies(context.bot, chat.id, replies)
    if private:  # spoken replies are a private setting
        await speak_replies(context.bot, coach.speaker, user.id, chat.id, replies)


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A typed message or command."""
    message = update.message
    if message is not None:
        await _dispatch(update, context, "text", message.text or "")


async def on_edited(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An edited message is answered again, saying so."""
    message = update.edited_message
    if message is not None and message.text is not None:
        await _dispatch(update, context, "edited", message.text)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button press: acknowledge at once (the spinner stops), then answer."""
    query = update.callback_query
    if query is None:
        return
    await query.answer()
    await _dispatch(update, context, "button", query.data or "")


async def on_voice(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A voice note (or an audio file): downloaded, heard off the event loop (recognition takes about
    0.08 s per second of speech, and other chats must not wait), then answered like typed text. One
    longer than HAMCOACH_VOICE_MAX_SECONDS by Telegram's own count, or too big for the Bot API to hand
    over, is refused without downloading."""
    message, user, chat = update.message, update.effective_user, update.effective_chat
    if message is None or user is None or chat is None:
        return
    coach = coach_of(context)
    audio = message.voice or message.audio
    if audio is None:
        return
    duration = audio.duration  # an int of seconds, or a timedelta with PTB_TIMEDELTA set
    seconds = duration.total_seconds() if isinstance(duration, timedelta) else float(duration or 0)
    if (audio.file_size or 0) > MAX_BYTES:
        heard = Heard(problem="too_large")
    elif seconds > coach.config.voice_max_seconds:
        heard = Heard(problem="too_long")
    else:
        data = bytes(await (await audio.get_file()).download_as_bytearray())
        heard = await asyncio.to_thread(coach.listen, data, coach.expected_phrases(chat.id))
    private = chat.type == ChatType.PRIVATE
    incoming = Incoming(user.id, chat.id, "voice", "", user.first_name or "", private)
    replies = coach.hear(incoming, heard)
    await send_replies(context.bot, chat.id, replies)
    if not private:
        return
    echo = fill(coach.kb.texts["voice_heard"], text=heard.text) if heard.text else ""
    await speak_replies(context.bot, coach.speaker, user.id, chat.id, replies, skip=echo)


async def on_unsupported(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stickers, photos, files: a polite line instead of silence; a caption is read as typed text."""
    caption = update.message.caption if update.message is not None else None
    if caption and caption.strip():
        await _dispatch(update, context, "text", caption)
    else:
        await _dispatch(update, context, "unsupported", "")


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure with its update, tell the user, and keep running."""
    log.error("error while handling an update", exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat is not None:
        try:
            text = coach_of(context).kb.texts["error"]
            await context.bot.send_message(update.effective_chat.id, html.escape(text, quote=False))
        except Exception:  # the error reply itself failed; the log above already has the cause
            log.exception("could not tell the user about the error")
