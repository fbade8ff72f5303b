"""The core's timers as JobQueue jobs, named by timer so re-scheduling replaces and never duplicates."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine, Mapping
from datetime import datetime
from typing import Any

from telegram.ext import Application, ContextTypes, JobQueue

from bot.adapters.telegram.handlers import coach_of, deliver
from bot.adapters.telegram.send import speak_replies
from bot.core.reply import Reply

log = logging.getLogger(__name__)


JobCallback = Callable[[ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]


class JobQueueScheduler:
    """Implements the core's Scheduler protocol on python-telegram-bot's JobQueue.

    A timer runs `fire` (the core's handler, sending what it returns) unless its name's prefix has
    its own async runner in `runners`, as broadcasts (`bc:`) do.
    """

    def __init__(
        self, job_queue: JobQueue[ContextTypes.DEFAULT_TYPE], runners: Mapping[str, JobCallback] | None = None
    ) -> None:
        self.job_queue = job_queue
        self.runners = dict(runners or {})

    def schedule(self, name: str, when: datetime) -> None:
        self.cancel(name)
        callback = self.runners.get(name.split(":", 1)[0], fire)
        # misfire_grace_time=None: a job that starts late (busy loop, rebuilt after a restart) still
        # runs; APScheduler's default of 1 s would silently drop it. The core decides from the database.
        self.job_queue.run_once(callback, when, name=name, job_kwargs={"misfire_grace_time": None})

    def cancel(self, name: str) -> None:
        for job in self.job_queue.get_jobs_by_name(name):
            job.schedule_removal()


async def fire(context: ContextTypes.DEFAULT_TYPE) -> None:
    """A timer is due: the core decides (from the database) what, if anything, to send."""
    job = context.job
    if job is None or job.name is None:
        return
    coach = coach_of(context)
    sent: dict[int, list[Reply]] = {}
    for out in coach.fire(job.name):
        try:  # timers write to private chats, where the chat id is the user id; kept if Telegram is down
            if await deliver(context.application, out.chat_id, out.chat_id, [out.reply]):
                sent.setdefault(out.chat_id, []).append(out.reply)
        except Exception:
            log.exception("timer %s could not send to chat %s", job.name, out.chat_id)
    for chat_id, replies in sent.items():
        # Timers write to private chats, where the chat id is the user id.
        await speak_replies(context.bot, coach.speaker, chat_id, chat_id, replies)


def rebuild(app: Application) -> int:
    """Schedule every timer the database holds; called once at start-up."""
    coach = app.bot_data["coach"]
    pending = coach.pending_timers()
    for due in pending:
        coach.scheduler.schedule(due.name, due.when)
    log.info("rebuilt %d timers from the database", len(pending))
    return len(pending)
