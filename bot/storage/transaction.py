"""One write transaction: every statement inside commits together, or none does.

Why not `with db.conn:`: that only commits or rolls back at the end; it opens no transaction. sqlite-utils
4 commits each `db.execute()` write on its own unless a transaction is already open, so inside such a
block a session's step update was committed before its set row was inserted, and a crash between the two
kept a step with no set (tests/storage/test_transaction.py). `BEGIN IMMEDIATE` takes the write lock at
the start (waiting up to the busy timeout), so a transaction that reads before it writes cannot fail
half-way because another connection wrote in between.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import sqlite_utils


@contextlib.contextmanager
def transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """Commit everything written inside at the end, or roll all of it back on an exception. Nested, it
    is a savepoint of the outer transaction."""
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.conn.rollback()
        raise
    db.conn.commit()
