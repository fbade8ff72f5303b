"""Issue 13's smaller defects, each through the real core on a temporary database."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.session.test_feature import to_sets
from tests.support import FakeClock, button_data, make_coach, press, say


def test_history_of_a_session_without_sets_reads_well(tmp_path: Path) -> None:
    coach = make_coach(tmp_path)
    say(coach, "/session")
    say(coach, "/cancel")
    shown = say(coach, "/history")[0].text
    assert "no sets" in shown and "no sets reps" not in shown


def test_start_for_a_returning_user_offers_the_next_session(tmp_path: Path) -> None:
    coach = make_coach(tmp_path)
    assert "Start my first session" in say(coach, "/start")[0].labels()
    say(coach, "/session")
    say(coach, "/cancel")
    labels = say(coach, "/start")[0].labels()
    assert "Start my first session" not in labels and "Start my next session" in labels


def test_updates_never_tell_a_subscriber_to_subscribe(tmp_path: Path) -> None:
    coach = make_coach(tmp_path)
    assert "/subscribe" in say(coach, "/updates")[0].text
    say(coach, "/subscribe")
    assert "/subscribe" not in say(coach, "/updates")[0].text


@pytest.mark.parametrize("text", [".", "?", "\u200b", "👍", "🔥💪", "?!...", " \u200b "])
def test_wordless_messages_get_the_empty_prompt_and_are_not_logged(tmp_path: Path, text: str) -> None:
    coach = make_coach(tmp_path)
    replies = say(coach, text)
    assert replies[0].text == coach.kb.texts["empty"]
    assert coach.store.db.execute("select count(*) from questions").fetchone()[0] == 0


def test_continue_after_a_question_during_rest_shows_the_time_left(tmp_path: Path) -> None:
    clock = FakeClock()
    coach = make_coach(tmp_path, clock)
    rest = press(coach, button_data(to_sets(coach), "2"))
    assert "Rest about 2 minutes" in rest[0].text
    clock.advance(seconds=45)
    answer = say(coach, "why do my calves cramp?")
    back = press(coach, button_data(answer, "Continue"))
    assert "Rest about 2 minutes" not in back[0].text
    assert "1 min 15 s" in back[0].text
