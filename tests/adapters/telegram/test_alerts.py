"""Admins hear of a failed update through the fake Bot API: the update id and the exception's type,
never the token nor the error's text, and at most one message a minute (the rest are counted)."""

from __future__ import annotations

from pathlib import Path

from tests.fakebot import FakeBotApi
from tests.support import FakeClock, make_config, running_bot

ADMIN, USER = 4242, 5353


async def failing_update(api: FakeBotApi) -> int:
    """One of the bot's replies to USER is refused with a 400 whose text holds the token; returns the
    update id once every error handler has run (a chat's updates are handled in order)."""
    api.fail_next("sendMessage", 400, f"Bad Request: bot{api.token} is not allowed", chat_id=USER)
    before = len(api.sent_messages(USER))
    update_id = int(api.user_sends_text(USER, "why do my calves cramp")["update_id"])
    [sorry] = (await api.wait_for_messages_async(USER, before + 1))[before:]
    assert "went wrong" in sorry["text"].lower()
    api.user_sends_command(USER, "/help")  # the chat's next update: answered once all handlers are done
    await api.wait_for_messages_async(USER, before + 2)
    return update_id


async def test_errors_reach_admins_once_a_minute_without_the_token(
    fake_api: FakeBotApi, tmp_path: Path
) -> None:
    clock = FakeClock()
    config = make_config(tmp_path, admin_ids=frozenset({ADMIN}))
    async with running_bot(fake_api, config, clock=clock):
        first = await failing_update(fake_api)
        [alert] = await fake_api.wait_for_messages_async(ADMIN, 1)
        assert f"update {first}" in alert["text"] and "BadRequest" in alert["text"]
        await failing_update(fake_api)  # within the minute: held back
        clock.advance(seconds=61)
        third = await failing_update(fake_api)
        alerts = await fake_api.wait_for_messages_async(ADMIN, 2)
    assert len(alerts) == 2, [a["text"] for a in alerts]
    assert f"update {third}" in alerts[1]["text"] and "1 more since the last alert" in alerts[1]["text"]
    for message in alerts:
        assert fake_api.token not in message["text"] and "not allowed" not in message["text"]
