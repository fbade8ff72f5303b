"""What a chat waits for is a row: recorded from the replies, replaced by the latest question,
cleared by replies that ask nothing, and still there after the database is reopened."""

from __future__ import annotations

from pathlib import Path

from bot.core.expectation import Expectations
from bot.core.reply import Button, Number, Reply
from bot.storage.database import Store
from tests.support import FakeClock

SET = Reply.plain("Set 1", [[Button("3", "s:1.2:r3")]], Number("reps for set 1", 0, 30, "s:1.2:r{n}"))
CHECKIN = Reply.plain("How sore?", [[Button("4", "ci:s:7:4")]], Number("soreness score", 0, 10, "ci:s:7:{n}"))


def test_it_survives_a_reopen_and_the_latest_question_wins(tmp_path: Path) -> None:
    clock = FakeClock()
    store = Store(tmp_path / "db.sqlite")
    Expectations(store.db).record(5, 5, [Reply.plain("hi"), SET], clock())
    Expectations(store.db).record(5, 5, [CHECKIN], clock())
    store.close()
    again = Expectations(Store(tmp_path / "db.sqlite").db).get(5)
    assert again is not None and again.number is not None
    assert again.number.press(4) == "ci:s:7:4" and again.over == "reps for set 1"
    assert [b.data for b in again.buttons] == ["ci:s:7:4"]


def test_replies_that_ask_nothing_clear_it(tmp_path: Path) -> None:
    expectations = Expectations(Store(tmp_path / "db.sqlite").db)
    expectations.record(5, 5, [SET], FakeClock()())
    expectations.record(5, 5, [Reply.plain("Thanks")], FakeClock()())
    assert expectations.get(5) is None


def test_a_row_this_build_cannot_read_counts_as_none(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.sqlite")
    expectations = Expectations(store.db)
    expectations.record(5, 5, [SET], FakeClock()())
    store.db.execute("update expectations set choices = '[{\"nonsense\": 1}]'")
    assert expectations.get(5) is None
