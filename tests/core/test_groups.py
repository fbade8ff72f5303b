"""Whatever a user sends in a group, their private chat stays theirs and nothing private starts there."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.coach import Coach, Incoming
from tests.support import USER, make_coach, say

GROUP = -100_5

words = st.sampled_from(
    ["/session", "/start", "/checkins", "/subscribe", "/forget", "/voice on", "3", "yes", "ok", "stop", "."]
)
texts = st.one_of(words, st.text(max_size=40))
kinds = st.sampled_from(["text", "edited", "button", "unsupported"])
datas = st.sampled_from(["s:begin", "ci:optin", "sub:on", "forget:yes", "m:topics", "t:technique", "x:no"])


def in_group(coach: Coach, kind: str, text: str) -> None:
    coach.handle(Incoming(USER, GROUP, kind, text, "Tess", private=False))  # type: ignore[arg-type]


def test_nothing_private_happens_in_a_group(tmp_path: Path) -> None:
    coach = make_coach(tmp_path)  # one coach for every example: what holds must hold after them all
    say(coach, "/start")
    db = coach.store.db

    @settings(max_examples=40, deadline=None)
    @given(st.lists(st.tuples(kinds, texts, datas), min_size=1, max_size=8))
    def check(steps: list[tuple[str, str, str]]) -> None:
        for kind, text, data in steps:
            in_group(coach, kind, data if kind == "button" else text)
        assert db.execute("select chat_id from users where user_id = ?", [USER]).fetchone() == (USER,)
        for table in ("sessions", "checkins", "subscribers", "expectations"):
            assert db.execute(f"select count(*) from {table} where chat_id = ?", [GROUP]).fetchone() == (0,)
        assert db.execute("select count(*) from users").fetchone() == (1,), (
            "/forget in a group deletes nothing"
        )

    check()
    coach.store.close()
