"""The `bot` fixture: a clocked coach on a temporary database, the user already greeted with /start."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.checkins.clocked import MONDAY_NOON, Bot
from tests.support import FakeClock, say


@pytest.fixture
def bot(tmp_path: Path) -> Bot:
    b = Bot(tmp_path, FakeClock(MONDAY_NOON))
    say(b.coach, "/start")
    return b
