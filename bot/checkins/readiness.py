"""Recovery read from check-in rows: the latest soreness, a red-flag hold, two very sore days in a row.

`CheckinReadiness` is the core's Readiness (coach.readiness), so the session feature plans the next
session from these rows without importing this package.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.checkins.store import CheckinStore
from bot.core.coach import Clock
from bot.storage.database import Store

RECENT_DAYS = 7  # DOMS resolves in about 5-7 days (Cheung 2003): older scores say nothing about today


def latest_soreness(store: Store, user_id: int, now: datetime | None = None) -> int | None:
    """The user's latest soreness score (0-10) from the last 7 days, or None; the session feature
    (through CheckinReadiness) makes the next session lighter when it is high."""
    now = now or datetime.now(UTC)
    if not store.db.table("soreness").exists():
        return None
    scores = CheckinStore(store.db).scores(user_id, now - timedelta(days=RECENT_DAYS), limit=1)
    return scores[0] if scores else None


def held(store: Store, user_id: int) -> bool:
    """True while a red flag holds the next session (until the user presses "I'm fine now")."""
    if not store.db.table("user_settings").exists():
        return False
    return CheckinStore(store.db).settings(user_id).held_since is not None


@dataclass(frozen=True)
class CheckinReadiness:
    """The core's Readiness read from check-in rows, so the session feature plans without importing us."""

    store: Store
    clock: Clock

    def soreness(self, user_id: int) -> int | None:
        return latest_soreness(self.store, user_id, self.clock())

    def held(self, user_id: int) -> bool:
        return held(self.store, user_id)


def needs_rest(store: Store, user_id: int, heavy: int = 8, now: datetime | None = None) -> bool:
    """Two latest scores (last 7 days) both `heavy` or more: suggest rest and a lighter next session."""
    now = now or datetime.now(UTC)
    if not store.db.table("soreness").exists():
        return False
    scores = CheckinStore(store.db).scores(user_id, now - timedelta(days=RECENT_DAYS), limit=2)
    return len(scores) == 2 and all(s >= heavy for s in scores)
