"""The fake Bot API, driven by the real python-telegram-bot over real HTTP."""

from __future__ import annotations

import datetime as dtm
import html
import threading
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import pytest_asyncio
from hypothesis import given
from hypothesis import strategies as st
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import ApplicationBuilder, CommandHandler, ContextTypes

from tests.fakebot import ApiError, FakeBotApi, parse_html
from tests.fakebot.rules import check_text

CHAT = 4242

# PTB 22 warns that int retry_after/duration will become timedelta; not what these tests are about.
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    with FakeBotApi() as server:
        yield server


@pytest_asyncio.fixture
async def bot(api: FakeBotApi) -> AsyncIterator[Bot]:
    async with Bot(api.token, base_url=api.base_url, base_file_url=api.base_file_url) as real_bot:
        yield real_bot


def keyboard(*datas: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(d[:10] or "x", callback_data=d) for d in datas]])


def seconds(value: int | dtm.timedelta) -> int:
    """RetryAfter.retry_after is an int or a timedelta depending on PTB settings."""
    return int(value.total_seconds()) if isinstance(value, dtm.timedelta) else int(value)


# ----------------------------------------------------------------------------- basics


@pytest.mark.asyncio
async def test_get_me(bot: Bot, api: FakeBotApi) -> None:
    me = await bot.get_me()
    assert me.is_bot and me.id == 123456 and me.username == api.bot_username
    assert me.can_join_groups is True and me.supports_inline_queries is False
    assert api.calls_of("getMe")[0].ok


@pytest.mark.asyncio
async def test_wrong_token_and_unknown_method(api: FakeBotApi, bot: Bot) -> None:
    with pytest.raises(InvalidToken):
        async with Bot("999:wrong", base_url=api.base_url) as other:
            await other.get_me()
    assert api.calls[-1].status == 401
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("noSuchMethod")
    assert api.calls[-1].status == 404


@pytest.mark.asyncio
async def test_send_message_html_is_parsed_and_recorded(bot: Bot, api: FakeBotApi) -> None:
    first = await bot.send_message(CHAT, "<b>Hi</b> &amp; 😀 <i>welcome</i>", parse_mode="HTML")
    second = await bot.send_message(CHAT, "plain", reply_markup=keyboard("go"))
    assert first.text == "Hi & 😀 welcome"
    assert [(e.type, e.offset, e.length) for e in first.entities] == [("bold", 0, 2), ("italic", 8, 7)]
    assert second.message_id == first.message_id + 1
    assert first.chat.type == "private" and first.from_user is not None and first.from_user.is_bot
    assert second.reply_markup == keyboard("go")
    call = api.calls_of("sendMessage")[1]
    assert (
        call.params["chat_id"] == CHAT
        and call.params["reply_markup"]["inline_keyboard"][0][0]["text"] == "go"
    )
    assert [m["text"] for m in api.sent_messages(CHAT)] == ["Hi & 😀 welcome", "plain"]


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("<script>alert(1)</script>", 'unsupported start tag "script" at byte offset 0'),
        ("1 < 2", 'unsupported start tag "" at byte offset 2'),
        ("<b>never closed", 'find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", 'unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("Tom & Jerry", "end of the entity starting at byte offset 4"),
        ("é <b", "unclosed start tag at byte offset 3"),
        ("</i>", "unexpected end tag at byte offset 0"),
    ],
)
async def test_bad_html_is_rejected(bot: Bot, api: FakeBotApi, text: str, detail: str) -> None:
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities") as info:
        await bot.send_message(CHAT, text, parse_mode="HTML")
    assert detail in info.value.message.lower()
    assert api.calls_of("sendMessage")[0].status == 400
    assert api.sent_messages() == []


@pytest.mark.asyncio
async def test_text_length_and_emptiness(bot: Bot) -> None:
    await bot.send_message(CHAT, "x" * 4096)
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(CHAT, "x" * 4097)
    # Counted after entity parsing: 4096 visible characters plus tags is fine.
    await bot.send_message(CHAT, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(CHAT, "<b>  </b>", parse_mode="HTML")


@pytest.mark.asyncio
async def test_callback_data_limit_is_64_bytes(bot: Bot) -> None:
    await bot.send_message(CHAT, "ok", reply_markup=keyboard("a" * 64, "é" * 32))
    for data in ("a" * 65, "é" * 33):
        with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
            await bot.send_message(CHAT, "no", reply_markup=keyboard(data))


# ----------------------------------------------------------------------------- faults


@pytest.mark.asyncio
async def test_injected_429_then_success(bot: Bot, api: FakeBotApi) -> None:
    api.fail_next("sendMessage", 429, "Too Many Requests: retry after 7", retry_after=7)
    with pytest.raises(RetryAfter) as info:
        await bot.send_message(CHAT, "one")
    assert seconds(info.value.retry_after) == 7
    await bot.send_message(CHAT, "two")
    assert [c.status for c in api.calls_of("sendMessage")] == [429, 200]
    assert api.count(status=429) == 1


@pytest.mark.asyncio
async def test_blocked_not_found_and_5xx(bot: Bot, api: FakeBotApi) -> None:
    api.block(CHAT)
    with pytest.raises(Forbidden, match="blocked by the user"):
        await bot.send_message(CHAT, "hi")
    api.unblock(CHAT)
    await bot.send_message(CHAT, "hi")
    api.mark_chat_not_found(77)
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(77, "hi")
    api.fail_next("sendMessage", 502, "Bad Gateway", chat_id=CHAT)
    await bot.send_message(78, "other chat is unaffected")
    with pytest.raises(NetworkError) as info:
        await bot.send_message(CHAT, "hi")
    assert not isinstance(info.value, BadRequest)


@pytest.mark.asyncio
async def test_delay_makes_the_client_time_out(bot: Bot, api: FakeBotApi) -> None:
    api.set_delay(0.5, "sendMessage")
    with pytest.raises(TimedOut):
        await bot.send_message(CHAT, "slow", read_timeout=0.1)


# ----------------------------------------------------------------------------- updates


@pytest.mark.asyncio
async def test_get_updates_offset_and_parsing(bot: Bot, api: FakeBotApi) -> None:
    api.add_user(CHAT, first_name="Ann", username="ann")
    api.user_sends_text(CHAT, "hello")
    api.user_sends_command(CHAT, "/start", "deep")
    updates = await bot.get_updates(timeout=0)
    assert [u.message.text for u in updates if u.message] == ["hello", "/start deep"]
    command = updates[1].message
    assert (
        command is not None and command.entities[0].type == "bot_command" and command.entities[0].length == 6
    )
    assert command.from_user is not None and command.from_user.username == "ann"
    assert await bot.get_updates(offset=updates[0].update_id + 1, timeout=0) == (updates[1],)
    assert await bot.get_updates(offset=updates[1].update_id + 1, timeout=0) == ()
    assert api.pending_updates == 0
    # Builders produce JSON that PTB parses, without queueing.
    raw = api.make_update_sticker(CHAT)
    parsed = Update.de_json(raw, bot)
    assert parsed.message is not None and parsed.message.sticker is not None and api.pending_updates == 0


@pytest.mark.asyncio
async def test_long_poll_wakes_on_new_update(bot: Bot, api: FakeBotApi) -> None:
    threading.Timer(0.2, api.user_sends_text, args=(CHAT, "late")).start()
    started = time.monotonic()
    updates = await bot.get_updates(timeout=5)
    assert 0.1 < time.monotonic() - started < 2
    assert updates[0].message is not None and updates[0].message.text == "late"


@pytest.mark.asyncio
async def test_long_poll_honours_timeout_and_allowed_updates(bot: Bot, api: FakeBotApi) -> None:
    api.user_sends_text(CHAT, "filtered out")
    started = time.monotonic()
    assert await bot.get_updates(timeout=1, allowed_updates=["callback_query"]) == ()
    assert 0.9 < time.monotonic() - started < 2.5


@pytest.mark.asyncio
async def test_webhook_blocks_get_updates(bot: Bot, api: FakeBotApi) -> None:
    assert await bot.set_webhook("https://example.org/hook")
    assert (await bot.get_webhook_info()).url == "https://example.org/hook"
    with pytest.raises(Conflict):
        await bot.get_updates(timeout=0)
    assert await bot.delete_webhook()
    assert await bot.get_updates(timeout=0) == ()


# ----------------------------------------------------------------------------- edits, callbacks


@pytest.mark.asyncio
async def test_edit_message_text_rules(bot: Bot, api: FakeBotApi) -> None:
    sent = await bot.send_message(CHAT, "<b>v1</b>", parse_mode="HTML", reply_markup=keyboard("a"))
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text(
            "<b>v1</b>", CHAT, sent.message_id, parse_mode="HTML", reply_markup=keyboard("a")
        )
    edited = await bot.edit_message_text("v2", CHAT, sent.message_id, reply_markup=keyboard("b"))
    assert isinstance(edited, object) and api.sent_messages(CHAT)[0]["text"] == "v2"
    assert "edit_date" in api.sent_messages(CHAT)[0]
    # Like Telegram: editing text without reply_markup drops the inline keyboard.
    await bot.edit_message_text("v3", CHAT, sent.message_id)
    assert "reply_markup" not in api.sent_messages(CHAT)[0]
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", CHAT, 999)
    assert await bot.delete_message(CHAT, sent.message_id)
    assert api.sent_messages(CHAT) == []


@pytest.mark.asyncio
async def test_answer_callback_query_once(bot: Bot, api: FakeBotApi) -> None:
    sent = await bot.send_message(CHAT, "pick", reply_markup=keyboard("yes", "no"))
    query_id = api.user_presses(CHAT, sent.message_id, "yes")
    (update,) = await bot.get_updates(timeout=0)
    assert update.callback_query is not None and update.callback_query.data == "yes"
    assert (
        update.callback_query.message is not None
        and update.callback_query.message.message_id == sent.message_id
    )
    with pytest.raises(BadRequest, match=r"(?i)message_too_long"):
        await bot.answer_callback_query(query_id, text="x" * 201)
    assert await bot.answer_callback_query(query_id, text="done")
    assert api.callback_answer(query_id) == {"callback_query_id": query_id, "text": "done"}
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(query_id)
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query("12345")
    with pytest.raises(ValueError, match="no button"):
        api.user_presses(CHAT, sent.message_id, "maybe")


# ----------------------------------------------------------------------------- rate limits


@pytest.mark.asyncio
async def test_global_rate_limit(bot: Bot, api: FakeBotApi) -> None:
    api.set_rate_limits(global_per_second=5)
    outcomes = []
    for i in range(8):
        try:
            await bot.send_message(1000 + i, "burst")
            outcomes.append("ok")
        except RetryAfter as exc:
            assert seconds(exc.retry_after) == 1
            outcomes.append("429")
    assert outcomes == ["ok"] * 5 + ["429"] * 3
    assert api.count("sendMessage", status=429) == 3


@pytest.mark.asyncio
async def test_per_chat_rate_limit(bot: Bot, api: FakeBotApi) -> None:
    api.set_rate_limits(per_chat_per_second=1, per_chat_burst=2)
    await bot.send_message(CHAT, "1")
    await bot.send_message(CHAT, "2")
    with pytest.raises(RetryAfter) as info:
        await bot.send_message(CHAT, "3")
    assert seconds(info.value.retry_after) == 1
    await bot.send_message(CHAT + 1, "another chat has its own bucket")
    assert api.status_counts()[429] == 1


# ----------------------------------------------------------------------------- commands, files


@pytest.mark.asyncio
async def test_my_commands(bot: Bot, api: FakeBotApi) -> None:
    assert await bot.set_my_commands([("start", "Start coaching"), ("log_set", "Log a set")])
    assert [c.command for c in await bot.get_my_commands()] == ["start", "log_set"]
    assert api.commands()[1] == {"command": "log_set", "description": "Log a set"}
    with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
        await bot.set_my_commands([("Start!", "bad")])
    with pytest.raises(BadRequest, match=r"(?i)bot_command_description_invalid"):
        await bot.set_my_commands([("ok", "")])
    assert await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()
    assert await bot.set_my_description("Coach for ham raises")
    assert api.description() == "Coach for ham raises"


@pytest.mark.asyncio
async def test_voice_in_and_out(bot: Bot, api: FakeBotApi) -> None:
    ogg = b"OggS\x00fake-voice-bytes"
    api.user_sends_voice(CHAT, ogg, 3)
    (update,) = await bot.get_updates(timeout=0)
    assert update.message is not None and update.message.voice is not None
    assert update.message.voice.duration == 3
    file = await bot.get_file(update.message.voice.file_id)
    assert bytes(await file.download_as_bytearray()) == ogg
    sent = await bot.send_voice(
        CHAT, voice=b"OggS reply", duration=2, caption="<i>cue</i>", parse_mode="HTML"
    )
    assert sent.voice is not None and sent.voice.duration == 2 and sent.caption == "cue"
    assert api.file_bytes(sent.voice.file_id) == b"OggS reply"
    doc = await bot.send_document(CHAT, document=b"%PDF-1.4", filename="plan.pdf")
    assert doc.document is not None and doc.document.file_name == "plan.pdf"
    await bot.send_chat_action(CHAT, "typing")
    with pytest.raises(BadRequest, match=r"(?i)invalid file_id"):
        await bot.get_file("nope")


def test_json_and_get_requests_are_understood(api: FakeBotApi) -> None:
    url = f"{api.base_url}{api.token}"
    with httpx.Client() as client:
        sent = client.post(
            f"{url}/sendMessage",
            json={
                "chat_id": CHAT,
                "text": "json",
                "reply_markup": {"inline_keyboard": [[{"text": "a", "callback_data": "a"}]]},
            },
        ).json()
        assert sent["ok"] and sent["result"]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "a"
        bad = client.get(f"{url}/sendMessage", params={"chat_id": CHAT, "text": "x", "reply_markup": "{oops"})
        assert bad.status_code == 400 and bad.json() == {
            "ok": False,
            "error_code": 400,
            "description": "Bad Request: can't parse reply keyboard markup JSON object",
        }
        assert client.get(f"{url}/getme").json()["result"]["is_bot"] is True  # method names ignore case


# ----------------------------------------------------------------------------- waiting helpers


def test_wait_for_blocks_until_a_matching_call(api: FakeBotApi) -> None:
    def later() -> None:
        with httpx.Client() as client:
            client.post(f"{api.base_url}{api.token}/sendMessage", data={"chat_id": str(CHAT), "text": "hi"})

    threading.Timer(0.1, later).start()
    call = api.wait_for(lambda c: c.method == "sendMessage", timeout=3)
    assert call.ok and call.result["text"] == "hi"
    assert api.wait_for_messages(CHAT, 1)[0]["text"] == "hi"
    with pytest.raises(TimeoutError):
        api.wait_for(lambda c: c.method == "deleteMessage", timeout=0.05)


# ----------------------------------------------------------------------------- full Application


@pytest.mark.asyncio
async def test_application_round_trip(api: FakeBotApi) -> None:
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(
            f"<b>echo</b> {html.escape(' '.join(context.args or []))}", parse_mode="HTML"
        )

    app = (
        ApplicationBuilder().token(api.token).base_url(api.base_url).base_file_url(api.base_file_url).build()
    )
    app.add_handler(CommandHandler("echo", echo))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        api.user_sends_command(CHAT, "/echo", "a<b & c")
        (reply,) = await api.wait_for_messages_async(CHAT, 1)
        await app.updater.stop()
        await app.stop()
    assert reply["text"] == "echo a<b & c"
    assert reply["entities"] == [{"type": "bold", "offset": 0, "length": 4}]
    assert api.calls_of("deleteWebhook") and api.calls_of("getUpdates")


# ----------------------------------------------------------------------------- rules (pure)


@given(st.text(max_size=200))
def test_escaped_text_round_trips(text: str) -> None:
    assert parse_html(html.escape(text, quote=False)) == (text, [])


def test_rules_offsets_and_lenient_mode() -> None:
    assert parse_html("😀<b>x</b>")[1] == [{"type": "bold", "offset": 2, "length": 1}]
    assert parse_html('<pre><code class="language-py">x</code></pre>')[1] == [
        {"type": "pre", "offset": 0, "length": 1, "language": "py"}
    ]
    assert parse_html("Tom & Jerry &lt", strict=False) == ("Tom & Jerry <", [])
    with pytest.raises(ApiError) as info:
        check_text('<span class="x">s</span>', "HTML")
    assert info.value.status == 400 and "span" in info.value.description


def test_stop_releases_a_pending_long_poll() -> None:
    api = FakeBotApi().start()
    result: list[int] = []

    def poll() -> None:
        with httpx.Client() as client:
            try:
                client.post(f"{api.base_url}{api.token}/getUpdates", data={"timeout": "30"}, timeout=10)
                result.append(1)
            except httpx.HTTPError:
                result.append(0)

    thread = threading.Thread(target=poll)
    thread.start()
    time.sleep(0.2)  # let the request reach the server and start waiting
    started = time.monotonic()
    api.stop()
    thread.join(timeout=5)
    assert result and time.monotonic() - started < 2
