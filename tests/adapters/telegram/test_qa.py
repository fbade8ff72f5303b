"""End to end through the fake Bot API server: the real Application answers questions."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fakebot import FakeBotApi
from tests.support import (
    BotThread,
    callback_data,
    exchange,
    keyboard_labels,
    make_config,
    running_bot,
    tap,
)

USER = 4242


async def press(
    api: FakeBotApi, message: dict[str, Any], label: str, expect: int = 1
) -> list[dict[str, Any]]:
    return await tap(api, USER, message, callback_data(message, label), expect)


async def test_start_question_topics_and_related(fake_api: FakeBotApi, tmp_path: Path) -> None:
    async with running_bot(fake_api, make_config(tmp_path)):
        [welcome] = await exchange(fake_api, USER, "/start")
        assert "ham raise" in welcome["text"].lower()
        assert "Browse topics" in keyboard_labels(welcome)
        [topics] = await press(fake_api, welcome, "Browse topics")
        assert len(keyboard_labels(topics)) >= 5
        [topic] = await press(fake_api, topics, "Technique")
        assert keyboard_labels(topic), "a topic lists its entries as buttons"
        [answer] = await exchange(fake_api, USER, "why do my calves cramp")
        assert "toes" in answer["text"].lower() and "Source:" in answer["text"]
        related = keyboard_labels(answer)
        assert related
        [second] = await press(fake_api, answer, related[0])
        assert second["text"].split("\n")[0] == related[0]
        commands = {c["command"] for c in fake_api.commands()}
        assert {"start", "help", "topics"} <= commands


async def test_help_lists_commands_and_off_topic_is_honest(fake_api: FakeBotApi, tmp_path: Path) -> None:
    async with running_bot(fake_api, make_config(tmp_path)):
        [help_] = await exchange(fake_api, USER, "/help")
        assert "/topics" in help_["text"]
        [dont] = await exchange(fake_api, USER, "best bench program?")
        assert "don't know" in dont["text"]
        assert len(keyboard_labels(dont)) >= 5
        [unknown] = await exchange(fake_api, USER, "/frobnicate")
        assert "/help" in unknown["text"]


async def test_red_flag_gets_safety_first(fake_api: FakeBotApi, tmp_path: Path) -> None:
    async with running_bot(fake_api, make_config(tmp_path)):
        first, second = await exchange(fake_api, USER, "sharp pain today. also, where do my hips go?", 2)
        assert "clinician" in first["text"].lower()
        assert "hip" in second["text"].lower()


async def test_two_questions_in_one_message_get_two_answers(fake_api: FakeBotApi, tmp_path: Path) -> None:
    async with running_bot(fake_api, make_config(tmp_path)):
        text = "where do nordics go in my session and how many sets the first week"
        first, second = await exchange(fake_api, USER, text, 2)
        titles = {first["text"].split("\n")[0], second["text"].split("\n")[0]}
        assert titles == {"Where it goes in your workout", "The 10-week progression"}
        assert "Source:" in first["text"] and "Source:" in second["text"]
        assert keyboard_labels(first) and keyboard_labels(second), "each answer offers its related entries"


async def test_unsupported_edited_and_stale_buttons(fake_api: FakeBotApi, tmp_path: Path) -> None:
    async with running_bot(fake_api, make_config(tmp_path)):
        fake_api.user_sends_sticker(USER)
        [sticker] = await fake_api.wait_for_messages_async(USER, 1)
        assert "text" in sticker["text"].lower()
        [answer] = await exchange(fake_api, USER, "calves cramp")
        fake_api.user_edits_message(USER, answer["message_id"] - 1, "where do my hips go")
        messages = await fake_api.wait_for_messages_async(USER, 4)
        assert "edited" in messages[2]["text"] and "hip" in messages[3]["text"].lower()
        fake_api.user_presses(USER, answer["message_id"], "gone:button", check_button=False)
        messages = await fake_api.wait_for_messages_async(USER, 5)
        assert "older message" in messages[4]["text"]


async def test_an_error_is_logged_and_the_user_told(
    fake_api: FakeBotApi, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_bot(fake_api, make_config(tmp_path)):
        fake_api.fail_next("sendMessage", 400, "Bad Request: something odd", chat_id=USER)
        fake_api.user_sends_text(USER, "where do my hips go")
        [sorry] = await fake_api.wait_for_messages_async(USER, 1)
        assert "went wrong" in sorry["text"]
        [answer] = await exchange(fake_api, USER, "where do my hips go")
        assert "hip" in answer["text"].lower(), "the bot keeps running after an error"
    assert any("error while handling" in r.message for r in caplog.records)


BAD_INPUTS = [
    "",
    " ",
    "x" * 10_000,
    "🔥💪🦵",
    "مرحبا كيف حالك",
    "שלום",
    "<b>",
    "&",
    "<script>alert(1)</script>",
    "a\x00b",
    "<i>hips</i> & <b>toes</b>",
    "&amp;&lt;",
    "\u202e\u202dcalves",
    "/start@hamcoach_test_bot",
]


@pytest.mark.parametrize("text", BAD_INPUTS)
async def test_bad_input_gets_a_clear_reply(fake_api: FakeBotApi, tmp_path: Path, text: str) -> None:
    async with running_bot(fake_api, make_config(tmp_path)):
        fake_api.user_sends_text(USER, text)
        messages = await fake_api.wait_for_messages_async(USER, 1)
        await asyncio.sleep(0.05)
    assert messages[0]["text"].strip()
    assert all(c.status == 200 for c in fake_api.calls_of("sendMessage")), "no HTML or length error"


def test_arbitrary_text_through_the_server(fake_api: FakeBotApi, tmp_path: Path) -> None:
    with BotThread(fake_api, make_config(tmp_path)) as bot:

        @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
        @given(st.text(min_size=1, max_size=5000).filter(lambda t: t.strip() and not t.startswith("/")))
        def check(text: str) -> None:
            replies = bot.send(USER, text)
            assert replies[0]["text"]

        check()
    errors = [c for c in fake_api.calls_of("sendMessage") if c.status != 200]
    assert not errors, errors[:3]
