"""Replies survive brief API errors; a user who blocked the bot gets no "Sorry" (issue 13, defects 5, 7).

End to end: the fake Bot API answers 5xx or 403 and the real Application runs the bot."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from telegram.error import NetworkError

from bot.broadcasts import ledger
from tests.fakebot import FakeBotApi
from tests.support import callback_data, exchange, keyboard_labels, make_config, running_bot

USER = 6060
QUESTION = "where do my hips go"


@pytest.mark.parametrize(("status", "times"), [(500, 1), (502, 2), (503, 3)])
async def test_a_reply_survives_brief_server_errors(
    fake_api: FakeBotApi, tmp_path: Path, status: int, times: int
) -> None:
    async with running_bot(fake_api, make_config(tmp_path)):
        fake_api.fail_next("sendMessage", status, times=times, chat_id=USER)
        [answer] = await exchange(fake_api, USER, QUESTION)
        assert "hip" in answer["text"].lower() and "went wrong" not in answer["text"]
    statuses = [c.status for c in fake_api.calls_of("sendMessage", chat_id=USER)]
    assert statuses == [status] * times + [200]


async def test_a_session_step_is_not_lost_to_two_bad_gateways(fake_api: FakeBotApi, tmp_path: Path) -> None:
    async with running_bot(fake_api, make_config(tmp_path)):
        fake_api.fail_next("sendMessage", 502, times=2, chat_id=USER)
        [step] = await exchange(fake_api, USER, "/session")
        assert step.get("reply_markup"), "the session's first step, with its buttons"


async def test_a_user_who_blocked_the_bot_gets_no_sorry_and_no_more_updates(
    fake_api: FakeBotApi, tmp_path: Path
) -> None:
    config = make_config(tmp_path)
    async with running_bot(fake_api, config) as app:
        await exchange(fake_api, USER, "/subscribe")
        fake_api.block(USER)
        fake_api.user_sends_text(USER, QUESTION)
        await fake_api.wait_for_async(lambda c: c.method == "sendMessage" and c.status == 403)
        fake_api.unblock(USER)
        [answer] = await exchange(fake_api, USER, QUESTION)  # after the blocked one: same chat, in order
        store = app.bot_data["coach"].store
        assert not ledger.is_subscribed(store, USER), "a 403 unsubscribes, as a broadcast's does"
    statuses = [c.status for c in fake_api.calls_of("sendMessage", chat_id=USER)]
    assert statuses == [200, 403, 200], "one try at the blocked reply, and no 'Sorry' after it"
    assert "hip" in answer["text"].lower()


async def test_a_failed_get_updates_is_one_warning_line(
    fake_api: FakeBotApi, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """What run_polling does with each failed getUpdates: the error handler with no update, no job."""
    async with running_bot(fake_api, make_config(tmp_path)) as app:
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            await app.process_error(None, NetworkError("Bad Gateway"))
    ours = [r for r in caplog.records if r.name.startswith("bot.")]
    assert len(ours) == 1 and ours[0].levelno == logging.WARNING and ours[0].exc_info is None
    assert "Bad Gateway" in ours[0].getMessage() and "handling an update" not in ours[0].getMessage()


async def test_a_button_press_is_answered_when_its_acknowledgement_fails(
    fake_api: FakeBotApi, tmp_path: Path
) -> None:
    """answerCallbackQuery only stops the spinner: a 500 on it must not cost the press its reply."""
    async with running_bot(fake_api, make_config(tmp_path)):
        [welcome] = await exchange(fake_api, USER, "/start")
        fake_api.fail_next("answerCallbackQuery", 500)
        fake_api.user_presses(USER, welcome["message_id"], callback_data(welcome, "Browse topics"))
        messages = await fake_api.wait_for_messages_async(USER, 2)
        assert len(keyboard_labels(messages[1])) >= 5, "the topics, despite the failed acknowledgement"
        assert "went wrong" not in messages[1]["text"]
