"""Operations on the database that need no Telegram: the heartbeat, the health verdict, the online backup.

Why a heartbeat row: `hamcoach health` runs in another process (Docker's HEALTHCHECK, a monitor) and
can only learn whether the bot is alive from the database it shares. The bot writes when it last
heard from Telegram (`polled`: a successful getUpdates; `alive`: its own tick in webhook mode, where
Telegram calls us) and when it last handled an update (`handled`), at most every few seconds each.
Counters that `hamcoach status` reports (messages the flood guard dropped) ride along with those writes.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils
from sqlite_utils.migrations import Migrations

from bot.storage.database import Store, parse_stamp, stamp

log = logging.getLogger(__name__)
migrations = Migrations("hamcoach.ops")

BEAT_EVERY_S = 5.0  # at most one write per kind this often: the heartbeat must not cost the bot
KINDS = ("polled", "alive", "handled")
LIVE = ("polled", "alive")  # what proves the bot is in touch; `handled` may be old on a quiet day


@migrations()
def m001_heartbeat(db: sqlite_utils.Database) -> None:
    db.table("heartbeat").create({"kind": str, "at": str}, pk="kind")


@migrations()
def m002_counters(db: sqlite_utils.Database) -> None:
    db.table("counters").create({"name": str, "value": int}, pk="name")


class Heartbeat:
    """Throttled heartbeat writes into the bot's own store (set once the store exists), and the counters
    added since the last write, so a flood of dropped messages costs one write every few seconds."""

    def __init__(self, every_s: float = BEAT_EVERY_S) -> None:
        self.store: Store | None = None
        self.every_s = every_s
        self._last: dict[str, float] = {}
        self._counts: dict[str, int] = {}

    def add(self, counter: str, n: int = 1) -> None:
        """Count something; it reaches the database with the next heartbeat write or `flush`."""
        self._counts[counter] = self._counts.get(counter, 0) + n

    def beat(self, kind: str) -> None:
        now = time.monotonic()
        if self.store is None or now - self._last.get(kind, -1e9) < self.every_s:
            return
        self._last[kind] = now
        try:
            self.store.db.execute(
                "insert into heartbeat (kind, at) values (?, ?) "
                "on conflict(kind) do update set at = excluded.at",
                [kind, stamp(datetime.now(UTC))],
            )
            self._write_counts()
            self.store.db.conn.commit()
            self._counts.clear()
        except sqlite3.Error:  # a busy or closed database must not fail the poll that beat; health shows it
            log.warning("could not write the %s heartbeat", kind, exc_info=True)

    def flush(self) -> None:
        """Write the counters now (at shutdown, before the database closes)."""
        if self.store is None or not self._counts:
            return
        try:
            self._write_counts()
            self.store.db.conn.commit()
            self._counts.clear()
        except sqlite3.Error:
            log.warning("could not write the counters %s", self._counts, exc_info=True)

    def _write_counts(self) -> None:
        """Add the counts in the open transaction; they are cleared only once it commits, so a busy
        database keeps them for the next write instead of losing them."""
        assert self.store is not None
        for name, n in self._counts.items():
            self.store.db.execute(
                "insert into counters (name, value) values (?, ?) "
                "on conflict(name) do update set value = value + excluded.value",
                [name, n],
            )


@dataclass
class Health:
    """The verdict of `hamcoach health` and /healthz: every problem found, and the heartbeat read."""

    problems: list[str] = field(default_factory=list)
    beats: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, object]:
        return {"ok": self.ok, "problems": self.problems, "heartbeat": self.beats}


def read_heartbeat(db: Path) -> dict[str, str]:
    """The heartbeat rows, read-only (a health probe every 30 s must not write to the bot's database).
    Raises sqlite3.Error when the database cannot be opened or read."""
    if not db.exists():
        raise sqlite3.OperationalError(f"no database at {db}")
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
    try:
        conn.execute("select count(*) from sqlite_master").fetchone()
        if not conn.execute("select 1 from sqlite_master where name = 'heartbeat'").fetchone():
            return {}
        return {kind: at for kind, at in conn.execute("select kind, at from heartbeat")}
    finally:
        conn.close()


def judge(db: Path, max_age_s: float, now: datetime | None = None) -> Health:
    """Healthy when the database opens and the bot heard from Telegram within `max_age_s`."""
    health = Health()
    try:
        health.beats = read_heartbeat(db)
    except sqlite3.Error as exc:
        health.problems.append(f"database {db}: {exc}")
        return health
    live = [parse_stamp(health.beats[k]) for k in LIVE if k in health.beats]
    if not live:
        health.problems.append("the bot has not run on this database yet (no heartbeat)")
        return health
    age = ((now or datetime.now(UTC)) - max(live)).total_seconds()
    if age > max_age_s:
        health.problems.append(f"no contact with Telegram for {age:.0f} s (limit {max_age_s:g} s)")
    return health


def backup(db: Path, target: Path) -> dict[str, int]:
    """SQLite's online backup of `db` into `target` while the bot keeps writing (one step: a consistent
    snapshot under a read lock, which in WAL mode never blocks the bot). The copy is written beside
    `target` and renamed into place, checked with `integrity_check` first, and left as one
    self-contained file (journal_mode=delete). Returns the copy's row counts per table."""
    if not db.exists():
        raise FileNotFoundError(f"no database at {db}")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    source = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
    copy = sqlite3.connect(partial)
    try:
        source.backup(copy)
        copy.execute("pragma journal_mode = delete")
        verdict = copy.execute("pragma integrity_check").fetchone()[0]
        if verdict != "ok":
            raise sqlite3.DatabaseError(f"the copy failed integrity_check: {verdict}")
        tables = [r[0] for r in copy.execute("select name from sqlite_master where type = 'table'")]
        counts = {t: copy.execute(f'select count(*) from "{t}"').fetchone()[0] for t in tables}
    finally:
        source.close()
        copy.close()
    partial.replace(target)
    return counts
