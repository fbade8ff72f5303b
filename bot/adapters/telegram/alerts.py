"""Tell the admins (HAMCOACH_ADMIN_IDS) when an update fails: at most one message a minute.

A second error handler beside `handlers.on_error` (which logs and tells the user). The alert names
only the update id and the exception's type, never its message: API errors can carry URLs, and the
Bot API's URLs contain the token. A failed getUpdates (a network error with no update) is not news
for an admin: the polling loop retries it by itself, and the log has it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from telegram import Update
from telegram.error import NetworkError
from telegram.ext import Application, ContextTypes

from bot.adapters.telegram.handlers import coach_of

log = logging.getLogger(__name__)

EVERY = timedelta(minutes=1)


@dataclass
class AlertState:
    """When the last alert went out, and how many errors were held back since."""

    last: datetime | None = None
    held_back: int = 0


def alert_text(update: object, error: BaseException | None, held_back: int) -> str:
    update_id = update.update_id if isinstance(update, Update) else None
    what = type(error).__name__ if error is not None else "unknown error"
    where = f"update {update_id}" if update_id is not None else "a job (no update)"
    more = f" ({held_back} more since the last alert)" if held_back else ""
    return f"hamcoach: {what} while handling {where}{more}. Details are in the bot's log."


async def tell_admins(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The error handler for admins; its own failures are logged, never raised."""
    coach = coach_of(context)
    admins = sorted(coach.config.admin_ids)
    if not admins or (update is None and isinstance(context.error, NetworkError)):
        return
    state: AlertState = context.application.bot_data.setdefault("alerts", AlertState())
    now = coach.clock()
    if state.last is not None and now - state.last < EVERY:
        state.held_back += 1
        return
    text = alert_text(update, context.error, state.held_back)
    state.last, state.held_back = now, 0
    for admin in admins:  # an admin's private chat has the admin's user id
        try:
            await context.bot.send_message(admin, text)
        except Exception:  # one unreachable admin must not stop the others
            log.warning("could not alert admin %d", admin, exc_info=True)


def install(app: Application) -> None:
    app.add_error_handler(tell_admins)
