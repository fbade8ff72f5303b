"""The latest question wins: a soreness check-in that arrives mid-set takes the next number as the
score and says so; the number after that is reps again."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.checkins.scores import score_in
from bot.core.coach import Coach, Outgoing
from bot.session.store import SessionStore
from tests.support import USER, FakeClock, button_data, make_coach, press, say

TO_SETS = ("/session", "no", "yes", "ok", "ok", "ok", "ok")


def checkin_due(tmp_path: Path, *, mid_set: bool) -> tuple[Coach, list[Outgoing]]:
    """A finished session with check-ins on, 25 hours later (in the sets of a new session if
    `mid_set`), and the check-in that is due fired."""
    clock = FakeClock()
    coach = make_coach(tmp_path, clock)
    for word in (*TO_SETS, "3", "skip", "4", "check in", "UTC"):
        say(coach, word)
    clock.advance(hours=25)
    for word in TO_SETS if mid_set else ():
        say(coach, word)
    [due] = [d for d in coach.pending_timers() if d.name.startswith("ci:") and d.when <= clock()]
    return coach, coach.fire(due.name)


def test_a_check_in_mid_set_takes_the_next_number_as_the_score(tmp_path: Path) -> None:
    coach, [asked] = checkin_due(tmp_path, mid_set=True)
    assert "sore" in asked.reply.text.lower()
    taken = say(coach, "4")
    assert "Taken as your soreness score: 4 (not as your reps for set 1)" in taken[0].text
    [(checkin_score,)] = coach.store.db.execute(
        "select score from checkins where score is not null"
    ).fetchall()
    assert checkin_score == 4
    say(coach, "2")
    sessions = SessionStore(coach.store.db)
    [(_row, sets), *_] = sessions.history(USER, limit=2)
    assert sets == [(1, 2)], "the number after the score is reps"


def test_a_red_flag_reply_keeps_its_score_and_says_so(tmp_path: Path) -> None:
    coach, _asked = checkin_due(tmp_path, mid_set=False)
    replies = say(coach, "it's a 6 but I have sharp pain and swelling")
    text = "\n".join(r.text for r in replies)
    assert "clinician" in text and "I noted your soreness score too: 6/10" in text
    [(score, flagged)] = coach.store.db.execute(
        "select score, red_flag from checkins where score is not null"
    ).fetchall()
    assert (score, flagged) == (6, 1)


def test_a_score_can_be_taken_back_and_given_again(tmp_path: Path) -> None:
    """A misheard voice note or a slip of the thumb stores a score: Undo takes it back, with the
    check-in it unlocked (the 72-h one after a 48-h score of 4 or more), and asks again."""
    clock = FakeClock()
    coach = make_coach(tmp_path, clock)
    for word in (*TO_SETS, "3", "skip", "4", "check in", "UTC"):
        say(coach, word)
    db = coach.store.db
    for hours, score in ((25, "2"), (24, "9")):
        clock.advance(hours=hours)
        for due in [d for d in coach.pending_timers() if d.name.startswith("ci:") and d.when <= clock()]:
            coach.fire(due.name)
        stored = say(coach, score)
    assert "9/10" in stored[0].text and "Undo" in stored[0].labels()
    assert db.execute("select kind from checkins where status = 'pending'").fetchall() == [("h72",)]
    again = press(coach, button_data(stored, "Undo"))
    assert "took that score back" in again[0].text and "10" in again[0].labels()
    assert db.execute("select count(*) from soreness").fetchone()[0] == 1, "the 24-h score stays"
    assert db.execute("select status, score from checkins where kind = 'h48'").fetchall() == [("sent", None)]
    assert db.execute("select count(*) from checkins where kind = 'h72'").fetchone()[0] == 0
    assert [d.name for d in coach.pending_timers() if d.name.startswith("ci:")] == ["ci:sweep"]
    say(coach, "3")
    assert db.execute("select score from checkins where kind = 'h48'").fetchone()[0] == 3
    assert "no score to take back" in press(coach, button_data(stored, "Undo"))[0].text.lower()


@pytest.mark.parametrize(
    ("text", "score"),
    [
        ("it's a 6 but sharp pain", 6),
        ("seven, and my pee is dark", 7),
        ("sharp pain in one leg", None),
        ("3 or 4", None),
        ("6.5 and a pop", None),
    ],
)
def test_score_in_reads_one_clear_number(text: str, score: int | None) -> None:
    assert score_in(text) == score
