"""The flood guard in front of every handler: a user over their token bucket (bot/core/flood.py) is
not answered; the first time, they get one polite notice (texts.yaml `flood`)."""

from __future__ import annotations

import html
import logging
import time

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, ContextTypes, TypeHandler

from bot.adapters.telegram.handlers import coach_of
from bot.config import Config
from bot.core.flood import FloodGuard, Seconds, Verdict

log = logging.getLogger(__name__)

GROUP = -1  # handler group run before the feature handlers (group 0)


def install(app: Application, config: Config, clock: Seconds = time.monotonic) -> FloodGuard:
    """One guard for the application (HAMCOACH_FLOOD_RATE, HAMCOACH_FLOOD_BURST), in `bot_data`."""
    guard = FloodGuard(config.flood_rate, config.flood_burst, clock)
    app.bot_data["flood"] = guard
    app.add_handler(TypeHandler(Update, gate), group=GROUP)
    return guard


async def gate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Let the update through, or stop it here: no database, no answer, no further handler."""
    user, chat = update.effective_user, update.effective_chat
    if user is None:
        return
    guard: FloodGuard = context.application.bot_data["flood"]
    verdict = guard.check(user.id)
    if verdict is Verdict.ADMIT:
        return
    heartbeat = context.application.bot_data.get("heartbeat")
    if heartbeat is not None:  # `hamcoach status` shows them (flood_dropped, flood_notices)
        heartbeat.add("flood_dropped")
        if verdict is Verdict.NOTICE:
            heartbeat.add("flood_notices")
    if verdict is Verdict.NOTICE and chat is not None:
        try:
            text = coach_of(context).kb.texts["flood"]
            await context.bot.send_message(chat.id, html.escape(text, quote=False))
        except Exception:  # the notice is a courtesy; the flood is held back either way
            log.exception("could not send the flood notice to chat %s", chat.id)
    raise ApplicationHandlerStop
