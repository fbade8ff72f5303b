"""Hands-free by typing: a whole session through the fake Bot API server in single words, no taps."""

from __future__ import annotations

from pathlib import Path

from bot.session.store import SessionStore
from tests.fakebot import FakeBotApi
from tests.support import exchange, keyboard_labels, make_config, running_bot

USER = 5252


async def test_a_whole_session_in_words_only(fake_api: FakeBotApi, tmp_path: Path) -> None:
    async with running_bot(fake_api, make_config(tmp_path)) as app:
        await exchange(fake_api, USER, "/start")
        [safety] = await exchange(fake_api, USER, "yes")
        assert safety["text"].startswith("Safety first")
        [which] = await exchange(fake_api, USER, "ok")
        assert keyboard_labels(which) == ["No, I'm fine", "Yes, I have an injury"], "ok asks which"
        [timing] = await exchange(fake_api, USER, "no")
        assert timing["text"].startswith("When to do it")
        [setup] = await exchange(fake_api, USER, "yes")
        assert setup["text"].startswith("Set-up")
        [posture] = await exchange(fake_api, USER, "ok")
        [first_rep] = await exchange(fake_api, USER, "got it")
        assert posture["text"].startswith("Hips forward") and first_rep["text"].startswith("How to do a rep")
        [plan] = await exchange(fake_api, USER, "ready")
        [set1] = await exchange(fake_api, USER, "let's go")
        assert plan["text"].startswith("Today's sets") and set1["text"].startswith("Set 1 of 2")
        [rest] = await exchange(fake_api, USER, "three reps")
        assert "3 reps logged" in rest["text"]
        [cramp] = await exchange(fake_api, USER, "cramp")
        [back] = await exchange(fake_api, USER, "ok")
        assert cramp["text"].startswith("Cramp") and "3 reps logged" in back["text"], "ok carries on"
        [set2] = await exchange(fake_api, USER, "skip")
        assert set2["text"].startswith("Set 2 of 2")
        done = await exchange(fake_api, USER, "four", 2)
        assert done[0]["text"].startswith("Session done")
        store = SessionStore(app.bot_data["coach"].store.db)
        [(row, sets)] = store.history(USER, limit=1)
        assert row.status == "finished" and sets == [(1, 3), (2, 4)]


async def test_stop_needs_the_plain_word_or_a_yes(fake_api: FakeBotApi, tmp_path: Path) -> None:
    async with running_bot(fake_api, make_config(tmp_path)) as app:
        await exchange(fake_api, USER, "/session")
        for word in ("no", "yes", "ok", "ok", "ok", "ok"):
            await exchange(fake_api, USER, word)
        [asked] = await exchange(fake_api, USER, "pain")
        assert "Sharp pain" in asked["text"] and keyboard_labels(asked)[:2] == ["Yes: Sharp pain", "No"]
        [kept] = await exchange(fake_api, USER, "no")
        assert kept["text"].startswith("OK, nothing done")
        await exchange(fake_api, USER, "cramp")
        [stopped] = await exchange(fake_api, USER, "stop")
        assert stopped["text"].startswith("Stopped for today")
        [(row, _sets)] = SessionStore(app.bot_data["coach"].store.db).history(USER, limit=1)
        assert row.status == "cancelled" and row.stop_reason == "user"


async def test_after_a_question_mid_set_a_number_logs_the_set(fake_api: FakeBotApi, tmp_path: Path) -> None:
    async with running_bot(fake_api, make_config(tmp_path)) as app:
        await exchange(fake_api, USER, "/session")
        for word in ("no", "yes", "ok", "ok", "ok", "ok"):
            await exchange(fake_api, USER, word)
        *_, waiting = await exchange(fake_api, USER, "why do my calves cramp?", 2)
        assert keyboard_labels(waiting) == ["Continue"]
        [rest] = await exchange(fake_api, USER, "three")
        assert "Set 1: 3 reps logged" in rest["text"]
        [(_row, sets)] = SessionStore(app.bot_data["coach"].store.db).history(USER, limit=1)
        assert sets == [(1, 3)]
