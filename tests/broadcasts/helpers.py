"""Shared by the broadcast tests: a fake monotonic clock, a ledger with subscribers, a fan-out through
the fake Bot API, and Telegram's text rules as the fake server checks them.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.adapters.telegram.broadcasting import broadcast_bot, make_send
from bot.broadcasts import ledger, sender
from bot.config import Config
from bot.storage.database import Store
from tests.fakebot import FakeBotApi, check_text
from tests.support import make_config

ADMIN = 4242
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


class FakeTime:
    """A monotonic clock and an async sleep that only moves it: waits are recorded, never slept."""

    def __init__(self) -> None:
        self.t = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += seconds


def telegram_accepts(part: str) -> None:
    """The fake server's re-implementation of Telegram's HTML and length rules, strict mode."""
    check_text(part, "HTML", strict=True)


def store_with(tmp_path: Path, users: list[int]) -> Store:
    store = Store(tmp_path / "b.db", extra=[ledger.migrations])
    for u in users:
        ledger.subscribe(store, u, u, NOW)
    return store


def bot_config(api: FakeBotApi, tmp_path: Path) -> Config:
    return dataclasses.replace(make_config(tmp_path), token=api.token, api_base_url=api.base_url)


async def fan_out(api: FakeBotApi, tmp_path: Path, store: Store, bid: int, rate: float, **kw: Any) -> Any:
    async with broadcast_bot(bot_config(api, tmp_path)) as bot:
        return await sender.deliver(store, bid, make_send(bot), rate, **kw)


def ok_sends(api: FakeBotApi) -> dict[int, int]:
    counts: dict[int, int] = {}
    for call in api.calls_of("sendMessage"):
        if call.ok:
            counts[call.chat_id] = counts.get(call.chat_id, 0) + 1
    return counts
