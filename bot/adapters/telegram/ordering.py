"""Process updates from different chats concurrently while keeping each chat's updates in order.

python-telegram-bot handles one update at a time by default, so 50 users tapping at once queue behind
each other's HTTP round trips. Running everything concurrently would let two taps of one user race;
a lock per chat gives both: parallel across chats, sequential within a chat.

Why the slots are our own semaphore, taken after the chat's lock: PTB's `process_update` (final)
takes a slot of its semaphore before calling `do_process_update`, so a chat's queued updates would
each hold a slot while waiting for that chat's lock, and one chat flooding more updates than there
are slots would hold all of them (another user's first reply went from 0.05 s to 1.6 s). PTB's
semaphore is therefore given room for any number of updates (it only counts them); an update takes one of our
`max_concurrent_updates` slots only once it is its chat's turn, so a chat holds at most one.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.adapters.telegram.turns import Turns

DEFAULT_SLOTS = 64


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """At most `max_concurrent_updates` at once, one per chat at a time; a chat's turn comes first."""

    def __init__(self, max_concurrent_updates: int = DEFAULT_SLOTS) -> None:
        if max_concurrent_updates < 1:
            raise ValueError("max_concurrent_updates must be a positive integer")
        super().__init__(sys.maxsize)  # PTB's semaphore only counts; ours below limits
        self._slots_max = max_concurrent_updates
        self._slots = asyncio.BoundedSemaphore(max_concurrent_updates)
        self._turns = Turns()

    @property
    def slots(self) -> int:
        """How many updates may run at once (PTB's `max_concurrent_updates` is unbounded here)."""
        return self._slots_max

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        key = chat.id if chat is not None else 0
        async with self._turns(key), self._slots:  # the chat's turn first, then a slot
            await coroutine

    async def initialize(self) -> None:
        """Nothing to allocate."""

    async def shutdown(self) -> None:
        """Nothing to free."""
