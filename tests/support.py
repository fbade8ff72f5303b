"""Test support shared by every test module: a settable clock, a recording scheduler, a coach
on a temporary database, and a real python-telegram-bot Application talking to the fake server.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from telegram.ext import Application

from bot.app import build_coach
from bot.config import Config
from bot.core.coach import Coach, Incoming
from bot.core.reply import Reply
from tests.fakebot import FakeBotApi

USER = 1001


class FakeClock:
    """A clock the test moves by hand: no sleeping in tests."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 3, 2, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


class RecordingScheduler:
    """The core's Scheduler protocol, remembering timers so a test can fire them when due."""

    def __init__(self) -> None:
        self.timers: dict[str, datetime] = {}

    def schedule(self, name: str, when: datetime) -> None:
        self.timers[name] = when

    def cancel(self, name: str) -> None:
        self.timers.pop(name, None)

    def due(self, now: datetime) -> list[str]:
        """Names due by `now` (removed, as a fired job would be), earliest first."""
        names = sorted((w, n) for n, w in self.timers.items() if w <= now)
        for _, name in names:
            del self.timers[name]
        return [n for _, n in names]


# Tests and benchmarks drive users at machine speed; only the flood guard's own tests set its limits.
NO_FLOOD_GUARD = {"flood_burst": 1e9}
# Notes heard in the test's own process: running_bot stops the workers at shutdown as the bot does, and
# a fresh worker per test would load the recogniser again each time. tests/voice/test_workers.py runs them.
IN_PROCESS_VOICE = {"voice_workers": 0}


def make_config(tmp_path: Path, **overrides: Any) -> Config:
    base = Config.from_env({"HAMCOACH_DB": str(tmp_path / "test.db")})
    return dataclasses.replace(base, **{**NO_FLOOD_GUARD, **IN_PROCESS_VOICE, **overrides})


def make_coach(tmp_path: Path, clock: FakeClock | None = None, **overrides: Any) -> Coach:
    return build_coach(
        make_config(tmp_path, **overrides), clock=clock or FakeClock(), scheduler=RecordingScheduler()
    )


def say(coach: Coach, text: str, user: int = USER) -> list[Reply]:
    """A user types `text`."""
    return coach.handle(Incoming(user, user, "text", text, "Tess"))


def press(coach: Coach, data: str, user: int = USER) -> list[Reply]:
    """A user presses the button whose callback data is `data`."""
    return coach.handle(Incoming(user, user, "button", data, "Tess"))


def button_data(replies: list[Reply], label: str) -> str:
    """The callback data of the button labelled `label` (case-insensitive substring)."""
    for reply in replies:
        for row in reply.buttons:
            for b in row:
                if label.casefold() in b.label.casefold():
                    return b.data
    raise AssertionError(f"no button {label!r} in {[r.labels() for r in replies]}")


@asynccontextmanager
async def running_bot(
    api: FakeBotApi, config: Config, clock: Any = None, **options: bool
) -> AsyncIterator[Application]:
    """Start the real Application (long polling) against the fake server, stop it afterwards.
    `options` go to `build_application` (rate_limiter, concurrent_updates: benchmarks/session.py)."""
    from bot.adapters.telegram.app import build_application

    config = dataclasses.replace(config, token=api.token, api_base_url=api.base_url)
    derive = options.pop("derive_file_url", False)  # True: the app builds the file URL itself
    kwargs: dict[str, Any] = {"base_file_url": None if derive else api.base_file_url, **options}
    if clock is not None:
        kwargs["clock"] = clock
    app = build_application(config, **kwargs)
    # `hamcoach run` builds the answer index once it polls (WarmUp); a test starts with it built, so
    # the first reply is not held up by it inside the test's few seconds.
    await asyncio.to_thread(app.bot_data["coach"].answers.ready)
    async with app:
        if app.post_init is not None:  # run_polling() would call it; we drive the stages ourselves
            await app.post_init(app)
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()
            if app.post_stop is not None:  # as run_polling() does
                await app.post_stop(app)
    if app.post_shutdown is not None:
        await app.post_shutdown(app)  # flushes the counters, closes the database
    app.bot_data["coach"].store.close()


async def exchange(
    api: FakeBotApi,
    user: int,
    text: str,
    expect: int = 1,
    timeout: float = 5.0,
) -> list[dict[str, Any]]:
    """Send `text` as `user` and return the bot's next `expect` messages to that chat."""
    before = len(api.sent_messages(user))
    if text.startswith("/"):
        command, _, args = text.partition(" ")
        api.user_sends_command(user, command, args)
    else:
        api.user_sends_text(user, text)
    messages = await api.wait_for_messages_async(user, before + expect, timeout)
    await asyncio.sleep(0)
    return messages[before:]


class BotThread:
    """The real Application polling the fake server from its own thread and event loop, so plain
    (sync) tests, such as hypothesis tests, and benchmarks/session.py can drive it with the fake
    server's blocking waits. `options` go to `running_bot`."""

    def __init__(self, api: FakeBotApi, config: Config, **options: bool) -> None:
        import threading

        self.api = api
        self.config = config
        self.options = options
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)
        self.error: BaseException | None = None

    async def _main(self) -> None:
        try:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            async with running_bot(self.api, self.config, **self.options):
                self._ready.set()
                await self._stop.wait()
        except BaseException as exc:  # surfaced by stop()
            self.error = exc
            self._ready.set()

    def __enter__(self) -> BotThread:
        self._thread.start()
        assert self._ready.wait(15), "the bot did not start"
        if self.error is not None:
            raise self.error
        return self

    def __exit__(self, *exc: object) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(15)
        if self.error is not None:
            raise self.error

    def send(self, user: int, text: str, expect: int = 1, timeout: float = 5.0) -> list[dict[str, Any]]:
        before = len(self.api.sent_messages(user))
        self.api.user_sends_text(user, text)
        return self.api.wait_for_messages(user, before + expect, timeout)[before:]


def keyboard_labels(message: dict[str, Any]) -> list[str]:
    """Labels of the inline keyboard under a message the fake server stored."""
    return [b["text"] for row in message.get("reply_markup", {}).get("inline_keyboard", []) for b in row]


def callback_data(message: dict[str, Any], label: str) -> str:
    """Callback data of the button labelled `label` (exact, or contained when longer than 2 chars)."""
    for row in message.get("reply_markup", {}).get("inline_keyboard", []):
        for button in row:
            if button["text"] == label or (len(label) > 2 and label in button["text"]):
                return str(button["callback_data"])
    raise AssertionError(f"no {label!r} in {keyboard_labels(message)}")


async def tap(
    api: FakeBotApi,
    user: int,
    message: dict[str, Any],
    data: str,
    expect: int = 1,
) -> list[dict[str, Any]]:
    """`user` presses the button carrying `data` under `message`; return the bot's next `expect`
    messages once the press is also acknowledged (answerCallbackQuery)."""
    before = len(api.sent_messages(user))
    query_id = api.user_presses(user, message["message_id"], data)
    messages = await api.wait_for_messages_async(user, before + expect)
    await api.wait_for_async(
        lambda c: c.method == "answerCallbackQuery" and c.params.get("callback_query_id") == query_id
    )
    return messages[before:]
