"""A write transaction commits all of its statements or none: the step of a session and its set row, a
broadcast's delivery and its ledger, never one without the other."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest
import sqlite_utils

from bot.session.store import Change, SessionStore
from bot.storage.transaction import transaction
from tests.session.test_feature import to_sets
from tests.support import USER, FakeClock, make_coach


def _database(tmp_path: Path) -> sqlite_utils.Database:
    db = sqlite_utils.Database(tmp_path / "t.db")
    db.execute("create table t (x integer primary key)")
    return db


def test_a_failure_half_way_keeps_none_of_the_writes(tmp_path: Path) -> None:
    db = _database(tmp_path)
    with pytest.raises(sqlite3.IntegrityError), transaction(db):
        db.execute("insert into t values (1)")
        db.execute("insert into t values (1)")  # the same key: fails after the first write
    assert db.execute("select count(*) from t").fetchone() == (0,)
    with transaction(db):
        db.execute("insert into t values (1)")
        db.execute("insert into t values (2)")
    assert db.execute("select count(*) from t").fetchone() == (2,)


def test_what_the_old_idiom_did(tmp_path: Path) -> None:
    """Why transaction() exists: `with db.conn:` opens no transaction, and sqlite-utils commits each
    db.execute() on its own, so the first write of a failed block stayed."""
    db = _database(tmp_path)
    with pytest.raises(sqlite3.IntegrityError), db.conn:
        db.execute("insert into t values (1)")
        db.execute("insert into t values (1)")
    assert db.execute("select count(*) from t").fetchone() == (1,)


def test_nested_it_is_a_savepoint_of_the_outer_one(tmp_path: Path) -> None:
    db = _database(tmp_path)
    with transaction(db):
        db.execute("insert into t values (1)")
        with pytest.raises(sqlite3.IntegrityError), transaction(db):
            db.execute("insert into t values (2)")
            db.execute("insert into t values (1)")
        db.execute("insert into t values (3)")
    assert [x for (x,) in db.execute("select x from t order by x")] == [1, 3]


def test_another_connection_sees_nothing_until_the_commit(tmp_path: Path) -> None:
    db = _database(tmp_path)
    db.enable_wal()
    other = sqlite3.connect(tmp_path / "t.db")
    with transaction(db):
        db.execute("insert into t values (1)")
        assert other.execute("select count(*) from t").fetchone() == (0,)
    assert other.execute("select count(*) from t").fetchone() == (1,)
    other.close()


def test_a_set_that_cannot_be_logged_leaves_the_session_at_its_step(tmp_path: Path) -> None:
    """store.py's promise: "a set already logged: the transaction rolled back whole". Before
    transaction(), the step update committed before the set's insert failed."""
    clock = FakeClock()
    coach = make_coach(tmp_path, clock)
    to_sets(coach)
    store = SessionStore(coach.store.db)
    row = store.running(USER)
    assert row is not None
    logged = store.apply(row, Change(replace(row.state, set_no=2, resting=True), logged=(1, 5)), clock.now)
    assert logged is not None
    # the same set again, from the row as it is now: the insert fails on the set's unique key
    again = Change(replace(logged.state, set_no=3, resting=True), logged=(1, 6))
    assert store.apply(logged, again, clock.now) is None
    after = store.get(row.id)
    assert after is not None and (after.state, after.seq) == (logged.state, logged.seq)
    assert store.sets_of(row.id) == [(1, 5)]


def test_no_module_writes_inside_the_old_idiom() -> None:
    """`with db.conn:` looks like a transaction and is not one (above): write blocks use transaction()."""
    root = Path(__file__).resolve().parents[2] / "bot"
    offenders = [
        f"{path.relative_to(root)}:{n}"
        for path in root.rglob("*.py")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.match(r"\s*with\s+[\w.]+\.conn\s*:", line)
    ]
    assert offenders == []
