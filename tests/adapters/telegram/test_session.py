"""The guided session end to end: the real Application against the fake Bot API server."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta
from pathlib import Path
from typing import Any

from telegram.ext import Application

from bot.core.coach import utcnow
from bot.session.loader import MESSAGE_LIMIT
from bot.session.store import SessionStore
from bot.session.timers import parse_rest_timer
from bot.storage.database import Store
from tests.fakebot import FakeBotApi
from tests.support import callback_data, exchange, keyboard_labels, make_config, running_bot, tap

USER = 5151


async def press(
    api: FakeBotApi, message: dict[str, Any], label: str, expect: int = 1
) -> list[dict[str, Any]]:
    """The user taps `label` under `message`; return the bot's next `expect` messages."""
    return await tap(api, USER, message, callback_data(message, label), expect)


def sets_logged(app: Application) -> list[tuple[int, int]]:
    store = SessionStore(app.bot_data["coach"].store.db)
    [(_row, sets)] = store.history(USER, limit=1)
    return sets


async def fire_rest(app: Application) -> str:
    """Run the pending rest job now instead of waiting two minutes."""
    assert app.job_queue is not None
    [job] = [j for j in app.job_queue.jobs() if parse_rest_timer(j.name or "")]
    assert job.next_t is not None
    assert timedelta(seconds=110) < job.next_t - utcnow() <= timedelta(seconds=120)
    await job.run(app)
    job.schedule_removal()
    assert job.name is not None
    return job.name


async def test_full_walkthrough(fake_api: FakeBotApi, tmp_path: Path) -> None:
    async with running_bot(fake_api, make_config(tmp_path)) as app:
        [welcome] = await exchange(fake_api, USER, "/start")
        [safety] = await press(fake_api, welcome, "Start my first session")
        assert safety["text"].startswith("Safety first")
        [injury] = await press(fake_api, safety, "Yes, I have an injury")
        assert "clinician" in injury["text"]
        [timing] = await press(fake_api, injury, "A clinician has cleared me")
        [warm] = await press(fake_api, timing, "No, I'm cold")
        [setup] = await press(fake_api, warm, "I'm warm now")
        assert "toes" in setup["text"]
        [question, waiting] = await exchange(fake_api, USER, "what can I hook my feet under?", 2)
        assert "anchor" in question["text"].lower() and "Set-up" in waiting["text"]
        [setup_again] = await press(fake_api, waiting, "Continue")
        assert setup_again["text"] == setup["text"]
        [posture] = await press(fake_api, setup_again, "I'm set up")
        [first_rep] = await press(fake_api, posture, "Got it")
        [plan] = await press(fake_api, first_rep, "Ready")
        assert "2 sets of up to 5 reps" in plan["text"]
        [set1] = await press(fake_api, plan, "Start my sets")
        assert set1["text"].startswith("Set 1 of 2") and keyboard_labels(set1)[:9] == [
            str(n) for n in range(9)
        ]
        [rest] = await press(fake_api, set1, "3")
        assert "3 reps logged" in rest["text"] and "Skip rest" in keyboard_labels(rest)
        [resting] = await exchange(fake_api, USER, "4")
        assert resting["text"].startswith("Resting")
        before = len(fake_api.sent_messages(USER))
        name = await fire_rest(app)
        over, set2 = (await fake_api.wait_for_messages_async(USER, before + 2))[before:]
        assert over["text"] == "Rest is over." and set2["text"].startswith("Set 2 of 2")
        assert app.bot_data["coach"].fire(name) == [], "a second fire of the same rest says nothing"
        wrap, more = await exchange(fake_api, USER, "III", 2)
        assert "You logged 2 sets: 3 and 3 reps, 6 in total." in wrap["text"]
        assert "week 2" in more["text"]
        assert keyboard_labels(more) == [
            "Check in on my soreness",
            "Notify me of site updates",
            "Remind me of my next session",
        ]
        steps = [m["text"] for m in fake_api.sent_messages(USER)[1:] if "Source:" not in m["text"]]
        assert all(len(t) < MESSAGE_LIMIT for t in steps), max(steps, key=len)  # knowledge answers aside
        [history] = await exchange(fake_api, USER, "/history")
        assert "3 + 3 = 6" in history["text"]
        assert sets_logged(app) == [(1, 3), (2, 3)]
        await press(fake_api, more, "Check in on my soreness")  # the check-in feature answers it
    assert all(c.status == 200 for c in fake_api.calls_of("sendMessage"))


async def test_old_button_and_double_press(fake_api: FakeBotApi, tmp_path: Path) -> None:
    async with running_bot(fake_api, make_config(tmp_path)) as app:
        [safety] = await exchange(fake_api, USER, "/session")
        [timing] = await press(fake_api, safety, "No, I'm fine")
        stale, where = await press(fake_api, safety, "No, I'm fine", expect=2)
        assert "earlier step" in stale["text"] and where["text"] == timing["text"]
        message = timing
        for label in ("Yes, legs are warm", "I'm set up", "Got it", "Ready", "Start my sets"):
            [message] = await press(fake_api, message, label)
        before = len(fake_api.sent_messages(USER))
        data = callback_data(message, "2")
        fake_api.user_presses(USER, message["message_id"], data)
        fake_api.user_presses(USER, message["message_id"], data)  # the double tap
        replies = (await fake_api.wait_for_messages_async(USER, before + 3))[before:]
        assert "2 reps logged" in replies[0]["text"]
        assert "earlier step" in replies[1]["text"] and "2 reps logged" in replies[2]["text"]
        await asyncio.sleep(0.05)
        assert len(fake_api.sent_messages(USER)) == before + 3
        assert sets_logged(app) == [(1, 2)]
        [running] = await exchange(fake_api, USER, "/session")
        assert "already have a session" in running["text"]
        [paused] = await exchange(fake_api, USER, "/pause")
        assert app.job_queue is not None and not [
            j for j in app.job_queue.jobs() if parse_rest_timer(j.name or "")
        ]
        [resumed] = await press(fake_api, paused, "Resume")
        assert resumed["text"].startswith("Set 2 of 2")
        [cramp] = await press(fake_api, resumed, "Cramp")
        [stop] = await press(fake_api, cramp, "Stop for today")
        assert "saved" in stop["text"]
        [over] = await press(fake_api, resumed, "5")
        assert "session is over" in over["text"]
        assert sets_logged(app) == [(1, 2)]


async def test_rest_due_while_down_is_rebuilt_and_says_so(fake_api: FakeBotApi, tmp_path: Path) -> None:
    config = make_config(tmp_path)
    async with running_bot(fake_api, config):
        [message] = await exchange(fake_api, USER, "/session")
        for label in ("No, I'm fine", "Yes, legs are warm", "I'm set up", "Got it", "Ready", "Start my sets"):
            [message] = await press(fake_api, message, label)
        await press(fake_api, message, "1")
    store = Store(config.db)  # while "down", the rest's due time passes
    store.db.execute("update rests set due_at = '2000-01-01T00:00:00.000000+00:00'")
    store.db.conn.commit()
    store.close()
    before = len(fake_api.sent_messages(USER))
    async with running_bot(fake_api, dataclasses.replace(config)):
        late, set2 = (await fake_api.wait_for_messages_async(USER, before + 2))[before:]
        assert late["text"] == "Rest is over (it ended while I was offline)."
        assert set2["text"].startswith("Set 2 of 2")
        [wrap, _more] = await press(fake_api, set2, "4", expect=2)
        assert "1 and 4 reps" in wrap["text"]
