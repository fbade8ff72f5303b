"""The Telegram side of broadcasts: a `send` for the core's fan-out, the runner, the feed job, the CLI.

Why a second Bot without AIORateLimiter for broadcast sends: the application's limiter caps all
traffic at 30 msg/s with a shared leaky bucket and retries 429s itself (blocking every request),
and `rate_limit_args` can only change its retry count (0 even falls back to the default). The
fan-out in bot/broadcasts/sender.py already paces to HAMCOACH_BROADCAST_RATE, spaces chats by a second and
handles retry_after from the ledger, so its sends go through a plain Bot and see Telegram's answer
directly. Keep HAMCOACH_BROADCAST_RATE a little under Telegram's ~30/s (default 25) so replies to
users, which still go through the application's limiter, fit beside a running broadcast.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from datetime import timedelta

from telegram import Bot, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application, ContextTypes, JobQueue
from telegram.request import HTTPXRequest

from bot.adapters.telegram.handlers import deliver
from bot.adapters.telegram.jobs import JobQueueScheduler
from bot.broadcasts import feed, ledger, sender
from bot.broadcasts.ledger import Report
from bot.broadcasts.sender import SendResult
from bot.broadcasts.text import BroadcastTextError, prepare
from bot.config import Config
from bot.core.coach import Coach, utcnow
from bot.core.reply import Reply
from bot.storage.database import Store

log = logging.getLogger(__name__)

TIMER = "bc"
RETRY_HELD = timedelta(seconds=60)  # when a held lease has no expiry to wait for
GONE = ("chat not found", "user not found", "user is deactivated", "bot was kicked", "peer_id_invalid")


def broadcast_bot(config: Config) -> Bot:
    """A Bot without a rate limiter (see the module docstring); use as `async with`."""
    request = HTTPXRequest(
        connection_pool_size=4, read_timeout=15.0, write_timeout=15.0, connect_timeout=10.0
    )
    if config.api_base_url:
        return Bot(config.token, base_url=config.api_base_url, request=request)
    return Bot(config.token, request=request)


def make_send(bot: Bot) -> sender.Send:
    """Map python-telegram-bot's outcomes onto the core's SendResult; never raises for API errors."""
    no_preview = LinkPreviewOptions(is_disabled=True)

    async def send(chat_id: int, html: str) -> SendResult:
        try:
            await bot.send_message(chat_id, html, parse_mode=ParseMode.HTML, link_preview_options=no_preview)
            return sender.OK
        except RetryAfter as exc:  # _retry_after: the timedelta, without PTB's deprecation warning
            return SendResult("retry_after", exc._retry_after.total_seconds(), str(exc))
        except Forbidden as exc:
            return SendResult("blocked", detail=exc.message)
        except BadRequest as exc:  # before NetworkError: BadRequest subclasses it
            gone = any(g in exc.message.lower() for g in GONE)
            return SendResult("blocked" if gone else "failed", detail=exc.message)
        except NetworkError as exc:  # TimedOut, connection errors, 5xx
            return SendResult("transient", detail=f"{type(exc).__name__}: {exc.message}")
        except TelegramError as exc:
            return SendResult("failed", detail=f"{type(exc).__name__}: {exc.message}")

    return send


def scheduler(job_queue: JobQueue[ContextTypes.DEFAULT_TYPE]) -> JobQueueScheduler:
    """The core's scheduler, with `bc:<id>` timers running the async fan-out instead of coach.fire."""
    return JobQueueScheduler(job_queue, runners={TIMER: _run_job})


async def _run_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    await run_broadcasts(context.application)


async def run_broadcasts(app: Application) -> list[Report]:
    """Send every approved broadcast, one runner at a time; tell each admin how theirs went."""
    coach: Coach = app.bot_data["coach"]
    lock: asyncio.Lock = app.bot_data.setdefault("broadcast_lock", asyncio.Lock())
    async with lock:
        if not ledger.sending(coach.store):
            return []
        async with broadcast_bot(coach.config) as bot:
            reports = await sender.deliver_all(
                coach.store,
                make_send(bot),
                coach.config.broadcast_rate,
                now=coach.clock,
                keep_going=lambda: app.running,
            )
    for r in reports:
        log.info("%s", r.line())
        if r.status == "done":
            await _tell_admin(app, coach, r)
        elif r.status == "sending" and app.running:
            _try_again(coach, r.broadcast_id)
    return reports


def _try_again(coach: Coach, broadcast_id: int) -> None:
    """Unfinished and the bot still running: another sender holds the lease, or took it over. Try
    again just after that lease expires (it is renewed while its owner sends), else in a minute."""
    now = coach.clock()
    until = ledger.lease_until(coach.store, broadcast_id)
    when = max(until or now + RETRY_HELD, now) + timedelta(seconds=1)
    log.info("broadcast %d: held by another sender; trying again at %s", broadcast_id, when)
    coach.scheduler.schedule(f"{TIMER}:{broadcast_id}", when)


async def _tell_admin(app: Application, coach: Coach, r: Report) -> None:
    b = ledger.get(coach.store, r.broadcast_id)
    if b is None or b.created_by is None:
        return
    row = next(
        iter(coach.store.db.query("select chat_id from users where user_id = ?", [b.created_by])), None
    )
    chat_id = row["chat_id"] if row else b.created_by
    took = "" if r.duration_s is None else f" in {r.duration_s:.0f} s"
    text = (
        f"Update #{r.broadcast_id} is out{took}: {r.sent} sent, {r.blocked} blocked "
        f"(they left or blocked the bot; now unsubscribed), {r.failed} failed."
    )
    try:  # behind whatever that chat is being sent, such as the "Sending update" line
        await deliver(app, b.created_by, chat_id, [Reply.plain(text)])
    except TelegramError:
        log.exception("could not report broadcast %d to admin %d", r.broadcast_id, b.created_by)


# ---------------------------------------------------------------------- the feed watcher


async def poll_feed(app: Application) -> feed.PollResult | None:
    """One poll of HAMCOACH_FEED_URL; new entries are approved broadcasts and their runner is started."""
    coach: Coach = app.bot_data["coach"]
    url = coach.config.feed_url
    try:
        result = await feed.poll_async(coach.store, url, coach.clock())
    except feed.FeedError as exc:
        log.warning("feed %s: %s (will try again at the next poll)", url, exc)
        return None
    except Exception:  # a feed must never stop the bot
        log.exception("feed %s: unexpected error (will try again at the next poll)", url)
        return None
    log.info("feed %s: %s, %d new", url, result.status, len(result.new_broadcasts))
    for bid in result.new_broadcasts:
        coach.scheduler.schedule(f"{TIMER}:{bid}", coach.clock())
    return result


async def _feed_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    await poll_feed(context.application)


def start(app: Application) -> None:
    """At start-up (post_init): the feed watcher, when HAMCOACH_FEED_URL is set.

    Unfinished broadcasts resume through the core's pending timers (rebuild), which this module's
    scheduler() turns into runner jobs.
    """
    coach: Coach = app.bot_data["coach"]
    if coach.config.feed_url and app.job_queue is not None:
        app.job_queue.run_repeating(_feed_job, interval=coach.config.feed_minutes * 60, first=10, name="feed")
        log.info("watching %s every %g min", coach.config.feed_url, coach.config.feed_minutes)


# ---------------------------------------------------------------------- `hamcoach broadcast`


def cli(config: Config, text: str | None, resume: bool, as_json: bool) -> int:
    """`hamcoach broadcast "TEXT"` (or --resume): the same ledger and fan-out as the bot; prints reports."""
    import json

    if not config.token:
        print("hamcoach: set TELEGRAM_BOT_TOKEN to broadcast", file=sys.stderr)
        return 2
    if not text and not resume:
        print('hamcoach: give the text (hamcoach broadcast "TEXT") or --resume', file=sys.stderr)
        return 2
    store = Store(config.db, extra=[ledger.migrations, feed.migrations])
    try:
        if text:
            busy = ledger.sending(store)
            if busy:
                print(
                    f"hamcoach: update #{busy[0]} is still going out; finish it first with "
                    "`hamcoach broadcast --resume`",
                    file=sys.stderr,
                )
                return 1
            try:
                parts = prepare(text)
            except BroadcastTextError as exc:
                print(f"hamcoach: {exc}", file=sys.stderr)
                return 1
            bid = ledger.create(store, parts, "cli", utcnow(), approve_now=True)
            audience = ledger.report(store, bid).audience
            print(f"update #{bid}: {len(parts)} message(s) to {audience} subscribers")
        reports = asyncio.run(_cli_run(config, store))
    finally:
        store.close()
    for r in reports:
        print(json.dumps(r.__dict__) if as_json else r.line(), flush=True)
    return 0 if all(r.status == "done" for r in reports) else 1


async def _cli_run(config: Config, store: Store) -> list[Report]:
    """SIGINT or SIGTERM stops the fan-out between two sends (the rest stay pending for --resume)."""
    stopping = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stopping.set)
    async with broadcast_bot(config) as bot:
        return await sender.deliver_all(
            store, make_send(bot), config.broadcast_rate, keep_going=lambda: not stopping.is_set()
        )
