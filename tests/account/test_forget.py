"""/forget across every feature: each deletes its own rows, the user and questions go last, and
nobody else's rows are touched."""

from __future__ import annotations

from pathlib import Path

from bot.core.coach import Coach
from bot.core.reply import Reply
from tests.support import USER, make_coach, press, say

OTHER = 2002
PER_USER_TABLES = (
    "users", "questions", "sessions", "sets", "rests", "checkins", "soreness", "user_settings",
    "subscribers", "deliveries", "voice_replies",
)  # fmt: skip


def texts(replies: list[Reply]) -> str:
    return "\n".join(r.text for r in replies)


def leave_traces(user: int, coach: Coach) -> None:
    """A question, a started session, check-ins on with a time zone, a site-update subscription,
    spoken replies on."""
    say(coach, "why do my calves cramp?", user)
    say(coach, "/voice on", user)
    say(coach, "/timezone Europe/Berlin", user)
    press(coach, "ci:optin", user)
    say(coach, "/subscribe", user)
    press(coach, "s:begin", user)


def test_forget_deletes_every_features_rows_and_only_this_users(tmp_path: Path) -> None:
    coach = make_coach(tmp_path)
    for user in (USER, OTHER):
        leave_traces(user, coach)
    db = coach.store.db
    kept = {t: db.table(t).count_where("user_id = ?", [OTHER]) for t in PER_USER_TABLES}
    assert all(
        kept[t] for t in ("users", "questions", "sessions", "user_settings", "subscribers", "voice_replies")
    )

    asked = say(coach, "/forget")
    assert "cannot be undone" in texts(asked)
    assert [b.data for row in asked[0].buttons for b in row] == ["forget:yes", "forget:no"]
    assert "nothing was deleted" in texts(press(coach, "forget:no"))
    assert db.table("sessions").count_where("user_id = ?", [USER]) == 1

    assert "deleted your data" in texts(press(coach, "forget:yes"))
    for table in PER_USER_TABLES:
        assert db.table(table).count_where("user_id = ?", [USER]) == 0, table
        assert db.table(table).count_where("user_id = ?", [OTHER]) == kept[table], table


def test_an_unknown_forget_payload_deletes_nothing(tmp_path: Path) -> None:
    coach = make_coach(tmp_path)
    leave_traces(USER, coach)
    assert "deleted" not in texts(press(coach, "forget:maybe"))
    assert coach.store.db.table("sessions").count_where("user_id = ?", [USER]) == 1
