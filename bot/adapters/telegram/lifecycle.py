"""The bot's life around the handlers: the heartbeat, a clean stop on SIGTERM, and the webhook server.

Shutdown, in order (python-telegram-bot's run_polling does this on SIGINT/SIGTERM, and `run_webhook`
below the same): stop taking updates (the updater, or the webhook server), finish the updates already
taken, let running jobs finish (a broadcast stops between two sends, since its `keep_going` is
`app.running`, and every delivered row is marked before the next send), stop the scheduler, and
stop the voice workers and close the database last, in `post_shutdown`. Nothing needs to be written
at the end that is not already a row: what was not sent is still pending in SQLite and resumes at
the next start.

Why our own webhook server rather than `Updater.start_webhook`: PTB's tornado app serves exactly one
path, and /healthz must be served on the same port. PTB documents this pattern (a custom webhook
server putting `Update.de_json` into `application.update_queue`, with `updater(None)`); the secret
check is the same as PTB's (403 without the right `X-Telegram-Bot-Api-Secret-Token`).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
import signal
from typing import Any

import tornado.web
from telegram import Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes, TypeHandler
from telegram.request import HTTPXRequest
from tornado.httpserver import HTTPServer

from bot.adapters.telegram import alerts
from bot.broadcasts import ledger
from bot.config import Config
from bot.storage.health import Heartbeat, judge
from bot.voice import pool

log = logging.getLogger(__name__)

ALIVE_EVERY_S = 30.0  # webhook mode: how often the bot notes it is alive (Telegram calls us, not we it)


class PollingRequest(HTTPXRequest):
    """The getUpdates connection (PTB's defaults: one connection), noting each successful poll."""

    def __init__(self, heartbeat: Heartbeat) -> None:
        super().__init__(connection_pool_size=1)
        self.heartbeat = heartbeat

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        code, payload = await super().do_request(*args, **kwargs)
        if code == 200:
            self.heartbeat.beat("polled")
        return code, payload


def configure(builder: ApplicationBuilder, config: Config) -> tuple[ApplicationBuilder, Heartbeat]:
    """Before build: the heartbeat's getUpdates request, the shutdown hooks, no Updater for a webhook."""
    heartbeat = Heartbeat()
    builder = builder.get_updates_request(PollingRequest(heartbeat))
    builder = builder.post_stop(_post_stop).post_shutdown(_post_shutdown)
    return (builder.updater(None) if config.webhook_url else builder), heartbeat


def install(app: Application, heartbeat: Heartbeat) -> None:
    """After build: the heartbeat gets the store, every update that went through the handlers (group 1
    runs after them) is noted, and admins hear of errors."""
    heartbeat.store = app.bot_data["coach"].store
    app.bot_data["heartbeat"] = heartbeat
    alerts.install(app)
    app.add_handler(TypeHandler(Update, _handled), group=1)


async def _handled(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    context.application.bot_data["heartbeat"].beat("handled")


async def _alive(context: ContextTypes.DEFAULT_TYPE) -> None:
    context.application.bot_data["heartbeat"].beat("alive")


async def _post_stop(app: Application) -> None:
    coach = app.bot_data["coach"]
    unfinished = ledger.sending(coach.store)
    log.info(
        "stopped: no more updates taken, the ones taken handled, timers stopped%s",
        f"; broadcasts {unfinished} resume at the next start" if unfinished else "",
    )


async def _post_shutdown(app: Application) -> None:
    if "heartbeat" in app.bot_data:
        app.bot_data["heartbeat"].flush()
    await asyncio.to_thread(pool.close_all)  # the voice workers, after the last note was heard
    app.bot_data["coach"].store.close()
    log.info("database closed; bye")


# ---------------------------------------------------------------------- webhook mode


class _Updates(tornado.web.RequestHandler):
    """Telegram's POSTs: the secret checked in constant time, the update queued for the Application."""

    def initialize(self, app: Application, secret: str) -> None:
        self.app, self.secret = app, secret

    async def post(self) -> None:
        given = self.request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            self.set_status(403)
            return
        try:
            update = Update.de_json(json.loads(self.request.body), self.app.bot)
        except (ValueError, TypeError, KeyError, AttributeError):
            self.set_status(400)
            return
        await self.app.update_queue.put(update)


class _Healthz(tornado.web.RequestHandler):
    """GET /healthz: what `hamcoach health` says (the knowledge is loaded: the bot is running)."""

    def initialize(self, config: Config) -> None:
        self.config = config

    def get(self) -> None:
        health = judge(self.config.db, self.config.health_max_seconds)
        self.set_status(200 if health.ok else 503)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(health.as_dict()))


async def open_webhook(app: Application, config: Config, options: dict[str, Any]) -> HTTPServer:
    """Serve the webhook path and /healthz, then tell Telegram the URL (and the secret). `options`:
    app.webhook_options(config)."""
    path = re.escape("/" + options["url_path"].strip("/")).rstrip("/")  # "" for the root
    routes: list[Any] = [
        (r"/healthz", _Healthz, {"config": config}),
        (rf"{path}/?", _Updates, {"app": app, "secret": options["secret_token"]}),
    ]
    server = HTTPServer(tornado.web.Application(routes))
    server.listen(options["port"], address=options["listen"])
    await app.bot.set_webhook(
        options["webhook_url"], secret_token=options["secret_token"], allowed_updates=Update.ALL_TYPES
    )
    assert app.job_queue is not None
    app.bot_data["heartbeat"].beat("alive")
    app.job_queue.run_repeating(_alive, interval=ALIVE_EVERY_S, first=ALIVE_EVERY_S, name="alive")
    return server


async def close_webhook(server: HTTPServer) -> None:
    server.stop()
    await server.close_all_connections()


def run_webhook(app: Application, config: Config, options: dict[str, Any]) -> None:
    """`hamcoach run` with HAMCOACH_WEBHOOK_URL: until SIGINT or SIGTERM, then the clean stop."""
    asyncio.run(_serve_webhook(app, config, options))


async def _serve_webhook(app: Application, config: Config, options: dict[str, Any]) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await app.initialize()
    try:
        if app.post_init is not None:
            await app.post_init(app)
        server = await open_webhook(app, config, options)
        await app.start()
        log.info("webhook: listening on %s:%d", *config.webhook_listen)
        await stop.wait()
        await close_webhook(server)  # first: take no more updates
        await app.stop()
        if app.post_stop is not None:
            await app.post_stop(app)
    finally:
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)
