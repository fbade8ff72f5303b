"""A stored session, as the store would return it, for the tests of rendering and button data."""

from __future__ import annotations

from bot.session.flow import State
from bot.session.progression import first_session
from bot.session.store import SessionRow
from tests.support import FakeClock

ROW = SessionRow(
    id=7,
    user_id=1,
    chat_id=1,
    started_at=FakeClock().now,
    finished_at=None,
    status="active",
    state=State("sets"),
    seq=3,
    plan=first_session(),
    stop_reason="",
)
