"""Handlers: each turns an Update into an `Incoming`, asks the core, and sends what it says."""

from __future__ import annotations

import asyncio
import html
import logging
from datetime import timedelta

from telegram import Update
from telegram.constants import ChatType
from telegram.error import Forbidden, TelegramError
from telegram.ext import Application, ContextTypes

from bot.adapters.telegram.outbox import Courier, Sent
from bot.adapters.telegram.send import speak_replies
from bot.core.coach import Coach, Heard, Incoming, Kind
from bot.core.reply import Reply
from bot.knowledge.texts import fill
from bot.voice.audio import MAX_BYTES

log = logging.getLogger(__name__)


def coach_of(context: ContextTypes.DEFAULT_TYPE) -> Coach:
    coach: Coach = context.application.bot_data["coach"]
    return coach


def blocked(coach: Coach, user_id: int, chat_id: int) -> None:
    """A reply got 403. In a private chat the user blocked the bot: stored, and the features told
    ("blocked": broadcasts stop); no "Sorry" follows, it would bounce too. In a group the bot was
    removed from the group, which says nothing about the user."""
    if user_id != chat_id:
        return
    coach.store.mark_blocked(user_id, coach.clock())
    coach.emit("blocked", user_id, {})


async def deliver(app: Application, user_id: int, chat_id: int, replies: list[Reply]) -> bool:
    """Send (or keep in the outbox) a batch, a 403 marking the user blocked; True when all of it went
    out now (what spoken replies then repeat)."""
    courier: Courier = app.bot_data["courier"]
    status = await courier.deliver(app.bot, chat_id, replies)
    if status is Sent.BLOCKED:
        blocked(app.bot_data["coach"], user_id, chat_id)
    return status is Sent.ALL


async def _dispatch(update: Update, context: ContextTypes.DEFAULT_TYPE, kind: Kind, text: str) -> None:
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    coach = coach_of(context)
    private = chat.type == ChatType.PRIVATE
    replies = coach.handle(Incoming(user.id, chat.id, kind, text, user.first_name or "", private))
    if not await deliver(context.application, user.id, chat.id, replies):
        return
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
    try:
        await query.answer()
    except TelegramError as exc:  # it only stops the spinner; the press still gets its reply
        log.warning("could not acknowledge a button press (%s: %s)", type(exc).__name__, exc)
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
    if not await deliver(context.application, user.id, chat.id, replies):
        return
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
    """Log the failure with its update, tell the user, and keep running.

    A failed getUpdates (`run_polling` hands each one here, with no update and no job) is one warning
    line: PTB retries it by itself, and an outage must not fill the log with tracebacks that say
    "error while handling an update". A 403 means the user blocked the bot: no "Sorry" for them."""
    error = context.error
    if update is None and context.job is None and isinstance(error, TelegramError):
        log.warning("fetching updates failed (%s: %s); retrying", type(error).__name__, error)
        return
    chat = update.effective_chat if isinstance(update, Update) else None
    user = update.effective_user if isinstance(update, Update) else None
    if isinstance(error, Forbidden) and chat is not None:
        log.info("chat %s blocked the bot (%s)", chat.id, error.message)
        if user is not None:
            blocked(coach_of(context), user.id, chat.id)
        return
    log.error("error while handling an update", exc_info=error)
    if chat is not None:
        try:
            text = coach_of(context).kb.texts["error"]
            await context.bot.send_message(chat.id, html.escape(text, quote=False))
        except Exception:  # the error reply itself failed; the log above already has the cause
            log.exception("could not tell the user about the error")
