"""Build the python-telegram-bot Application around the core; `hamcoach run` starts it."""

from __future__ import annotations

import gc
import logging
import threading
from typing import Any
from urllib.parse import urlsplit

from telegram import BotCommand, Update
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    MessageHandler,
    filters,
)

from bot.adapters.telegram import broadcasting, flood, handlers, lifecycle, outbox
from bot.adapters.telegram.jobs import rebuild
from bot.adapters.telegram.ordering import PerChatUpdateProcessor
from bot.app import build_coach
from bot.config import Config
from bot.core.coach import Clock, utcnow
from bot.progress import chart
from bot.voice import pool

log = logging.getLogger(__name__)

# Connections for the bot's own calls (sends, answers to presses); getUpdates and broadcasts have
# their own. httpcore checks every pooled connection, each against all the others, on every request:
# with PTB's 256 a burst of 20 chats kept 17 open and a press cost 3.0 ms of CPU instead of 2.4 ms
# with 8 (benchmarks/load.py). Telegram takes about 30 messages a second from a bot, which 8
# connections carry with room to spare even at 250 ms a call.
SEND_CONNECTIONS = 8
# How long a call may wait for a connection to come free before it counts as timed out and is retried
# (send.py): with PTB's 1 s, calls queued behind a slow Telegram (over 1 s a call) failed unsent.
POOL_WAIT_S = 5.0


def file_url(base_url: str) -> str:
    """The Bot API's file URL for a base URL ending in /bot: only the path's last "/bot" gains
    "/file" (a host or an earlier path part named bot... stays as it is)."""
    parts = urlsplit(base_url)
    head, bot, tail = parts.path.rpartition("/bot")
    return parts._replace(path=f"{head}/file{bot}{tail}" if bot else f"{parts.path}/file").geturl()


def build_application(
    config: Config,
    *,
    clock: Clock = utcnow,
    rate_limiter: bool = True,
    base_file_url: str | None = None,
    concurrent_updates: bool = True,
) -> Application:
    """The whole wiring in one readable place: core first, then handlers, then start-up jobs."""
    builder = ApplicationBuilder().token(config.token)
    builder = builder.connection_pool_size(SEND_CONNECTIONS).pool_timeout(POOL_WAIT_S)
    if config.api_base_url:
        builder = builder.base_url(config.api_base_url)
        builder = builder.base_file_url(base_file_url or file_url(config.api_base_url))
    if rate_limiter:
        builder = builder.rate_limiter(AIORateLimiter(max_retries=3))  # type: ignore[arg-type]
    if concurrent_updates:  # chats in parallel, each chat's updates in order (benchmarks/session.py)
        builder = builder.concurrent_updates(PerChatUpdateProcessor())
    builder, heartbeat = lifecycle.configure(builder, config)  # getUpdates heartbeat, shutdown hooks
    app = builder.post_init(_post_init).build()
    assert app.job_queue is not None, "install python-telegram-bot[job-queue]"
    # `bc:<id>` timers run the async broadcast fan-out; every other timer runs the core's handler.
    scheduler = broadcasting.scheduler(app.job_queue)
    app.bot_data["coach"] = build_coach(config, clock=clock, scheduler=scheduler)
    outbox.install(app, app.bot_data["coach"])  # replies Telegram did not take, sent when it is back
    flood.install(app, config)  # before every other handler: a flood costs no one else anything
    message = filters.UpdateType.MESSAGE
    app.add_handler(MessageHandler(message & (filters.TEXT | filters.COMMAND), handlers.on_text))
    app.add_handler(MessageHandler(filters.UpdateType.EDITED_MESSAGE & filters.TEXT, handlers.on_edited))
    app.add_handler(CallbackQueryHandler(handlers.on_button))
    app.add_handler(MessageHandler(message & (filters.VOICE | filters.AUDIO), handlers.on_voice))
    app.add_handler(MessageHandler(message, handlers.on_unsupported))
    app.add_error_handler(handlers.on_error)
    lifecycle.install(app, heartbeat)  # heartbeat rows, admin alerts
    return app


async def _post_init(app: Application) -> None:
    """Register the command menu, rebuild timers (and unfinished broadcasts), start the feed watcher,
    and the voice workers (without waiting: they load the recogniser while the bot starts polling)."""
    pool.start_all()
    coach = app.bot_data["coach"]
    await app.bot.set_my_commands([BotCommand(c.name, c.description) for c in coach.menu()])
    rebuild(app)
    broadcasting.start(app)


def webhook_options(config: Config) -> dict[str, Any]:
    """What the webhook server (lifecycle.open_webhook) gets: listen where the reverse proxy forwards
    to, on the public URL's path, and accept only calls carrying the secret (others get 403)."""
    host, port = config.webhook_listen
    return {
        "listen": host,
        "port": port,
        "url_path": urlsplit(config.webhook_url).path.lstrip("/"),
        "webhook_url": config.webhook_url,
        "secret_token": config.webhook_secret,
        "allowed_updates": Update.ALL_TYPES,
    }


class WarmUp:
    """Once polling runs, build the answer index in a thread (start-up does not wait for it: the first
    questions do) and load matplotlib for /progress, then collect the start-up garbage and freeze what
    is left (the knowledge, the index, the spelling dictionary: about 90,000 objects) out of the
    garbage collector's sight. Its full
    collections walked all of them, 100-180 ms on the event loop each time, and showed up as the p99 of
    replies (benchmarks/load.py). Only for a long-running bot: frozen objects are never freed.

    `finish()` waits for it before the process exits: a SIGTERM during the build left ONNX Runtime's
    threads running into the interpreter's teardown, and the process died of SIGABRT ("terminate
    called without an active exception") instead of exiting 0."""

    def __init__(self, app: Application, settle: float = 0.3) -> None:
        self.app, self.settle = app, settle
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._work, name="warm-up", daemon=True)
        self.thread.start()

    def finish(self, timeout: float = 30.0) -> None:
        """Stop waiting for polling, and let a build that has begun end."""
        self.stopping.set()
        self.thread.join(timeout)

    def _work(self) -> None:
        app = self.app
        while app.updater is not None and not app.updater.running:
            if self.stopping.wait(0.05):
                return  # stopped before polling began: nothing to warm
        if self.stopping.wait(self.settle):  # the first getUpdates goes out before onnx's import
            return
        app.bot_data["coach"].answers.ready()
        chart.warm()  # the first /progress would otherwise wait for matplotlib's import
        gc.collect()
        gc.freeze()


def run(config: Config) -> int:
    """Long polling, or a webhook when HAMCOACH_WEBHOOK_URL is set, until Ctrl-C or SIGTERM."""
    if not config.token:
        print("hamcoach: set TELEGRAM_BOT_TOKEN (from @BotFather) to run the bot", flush=True)
        return 2
    app = build_application(config)
    warm = WarmUp(app)
    log.info("starting %r", config)
    try:
        if config.webhook_url:
            lifecycle.run_webhook(app, config, webhook_options(config))  # /healthz; clean stop on SIGTERM
        else:  # PTB stops cleanly on SIGINT/SIGTERM; the database closes in post_shutdown
            app.run_polling(allowed_updates=Update.ALL_TYPES)
    finally:
        warm.finish()
    return 0
