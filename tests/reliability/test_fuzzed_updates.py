"""Hypothesis-generated updates of every kind the Bot API sends, through the real handlers: whatever
arrives, no handler raises (the error handler would log at ERROR) and the bot keeps answering.

The updates are built as Telegram would send them (tests/fakebot/updates.py), with random texts,
commands, callback data, captions, voice bytes and durations, in private chats and groups, from users
and from channels. Updates are handled one at a time here (concurrent_updates=False), so a sentinel
/help answered after each example proves every update before it was handled. (chat_member and
message_reaction updates are left out: they need allowed_updates, which tests/support.py's polling
does not ask for.)
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fakebot import FakeBotApi
from tests.fakebot import updates as upd
from tests.support import BotThread, make_config

pytestmark = pytest.mark.reliability

USERS = [9301, 9302, 9303]
GROUP = -100_777
SENTINEL = 9399
COMMANDS = ["/start", "/help", "/topics", "/session", "/pause", "/resume", "/cancel", "/history",
            "/checkins", "/timezone", "/subscribe", "/unsubscribe", "/updates", "/forget", "/voice",
            "/broadcast", "/broadcast_status", "/reminders", "/progress", "/export", "/nonsense"]  # fmt: skip
PREFIXES = ["", "s:", "ci:", "sub:", "bc:", "qa:", "topic:", "v:", "forget:", "x" * 60]

texts = st.one_of(
    st.text(max_size=300),
    st.sampled_from(["", " ", ".", "?", "\u200b", "🦵🔥", "3", "three", "III", "99", "-1", "yes", "stop"]),
    st.tuples(st.sampled_from(COMMANDS), st.text(max_size=40)).map(lambda p: f"{p[0]} {p[1]}".strip()),
)
callback_datas = st.tuples(st.sampled_from(PREFIXES), st.text(max_size=30)).map(
    lambda p: (p[0] + p[1]).encode()[:64].decode(errors="ignore")
)


class Builder:
    """Turns a drawn (kind, user, text, number, blob) into one Bot API update dict."""

    def __init__(self, api: FakeBotApi) -> None:
        self.api = api

    def build(self, kind: str, user: int, text: str, number: int, blob: bytes) -> dict[str, Any]:
        make: Callable[..., dict[str, Any]] = getattr(self, kind)
        return make(user, text, number, blob)

    def _wrap(self, field: str, payload: dict[str, Any]) -> dict[str, Any]:
        return upd.update_dict(self.api.next_update_id(), field, payload)

    def _message(self, chat: dict[str, Any], user: int | None, **content: Any) -> dict[str, Any]:
        sender = upd.user_dict(user) if user is not None else None
        message = upd.message_dict(
            message_id=1_000 + abs(hash(str(content))) % 10**6, chat=chat, sender={}, **content
        )
        if sender is None:
            del message["from"]
        else:
            message["from"] = sender
        return message

    def text(self, user: int, text: str, number: int, blob: bytes) -> dict[str, Any]:
        return self.api.make_update_text(user, text)

    def group_text(self, user: int, text: str, number: int, blob: bytes) -> dict[str, Any]:
        chat = upd.group_chat_dict(GROUP)
        return self._wrap("message", self._message(chat, user, text=text or "hi"))

    def edited(self, user: int, text: str, number: int, blob: bytes) -> dict[str, Any]:
        original = self.api.make_update_text(user, "why do my calves cramp")["message"]
        return self.api.make_update_edited_message(user, original["message_id"], text or "edited")

    def button(self, user: int, text: str, number: int, blob: bytes) -> dict[str, Any]:
        [first, *_] = self.api.sent_messages(user)
        return self.api.make_update_callback_query(user, first["message_id"], text, check_button=False)

    def sticker(self, user: int, text: str, number: int, blob: bytes) -> dict[str, Any]:
        return self.api.make_update_sticker(user, emoji=text[:2] or "👍")

    def photo(self, user: int, text: str, number: int, blob: bytes) -> dict[str, Any]:
        return self.api.make_update_photo(user, blob or b"x", caption=text or None)

    def voice(self, user: int, text: str, number: int, blob: bytes) -> dict[str, Any]:
        return self.api.make_update_voice(user, blob, duration=number)

    def audio(self, user: int, text: str, number: int, blob: bytes) -> dict[str, Any]:
        file = self.api.add_file(blob, kind="music", mime_type="audio/mpeg")
        audio = {"file_id": file["file_id"], "file_unique_id": file["file_unique_id"], "duration": number}
        chat = upd.private_chat_dict(upd.user_dict(user))
        return self._wrap("message", self._message(chat, user, audio={**audio, "file_size": len(blob)}))

    def location(self, user: int, text: str, number: int, blob: bytes) -> dict[str, Any]:
        chat = upd.private_chat_dict(upd.user_dict(user))
        return self._wrap("message", self._message(chat, user, location={"latitude": 1.5, "longitude": 2.5}))

    def channel_post(self, user: int, text: str, number: int, blob: bytes) -> dict[str, Any]:
        chat = {"id": -100_555, "type": "channel", "title": "News"}
        return self._wrap("channel_post", self._message(chat, None, text=text or "post"))

    def inline_query(self, user: int, text: str, number: int, blob: bytes) -> dict[str, Any]:
        query = {"id": str(number), "from": upd.user_dict(user), "query": text, "offset": ""}
        return self._wrap("inline_query", query)

    def my_chat_member(self, user: int, text: str, number: int, blob: bytes) -> dict[str, Any]:
        bot = upd.user_dict(self.api.bot_id, is_bot=True)
        change = {
            "chat": upd.group_chat_dict(GROUP),
            "from": upd.user_dict(user),
            "date": upd.now(),
            "old_chat_member": {"status": "left", "user": bot},
            "new_chat_member": {"status": "member", "user": bot},
        }
        return self._wrap("my_chat_member", change)

    def poll_answer(self, user: int, text: str, number: int, blob: bytes) -> dict[str, Any]:
        answer = {"poll_id": str(number), "user": upd.user_dict(user), "option_ids": [0]}
        answer["option_persistent_ids"] = ["0"]  # required since Bot API 9.6 (PTB 22.8)
        return self._wrap("poll_answer", answer)


KINDS = [name for name in vars(Builder) if not name.startswith("_") and name != "build"]
draws = st.tuples(
    st.sampled_from(KINDS),
    st.sampled_from(USERS),
    st.one_of(texts, callback_datas),
    st.integers(min_value=0, max_value=200),
    st.binary(max_size=64),
)


class Errors(logging.Handler):
    """Every ERROR (or worse) logged anywhere while the bot runs: an unhandled exception logs one."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def errors() -> Iterator[Errors]:
    handler = Errors()
    logging.getLogger().addHandler(handler)
    yield handler
    logging.getLogger().removeHandler(handler)


def test_fuzzed_updates_of_every_kind_raise_nothing(
    fake_api: FakeBotApi, tmp_path: Path, errors: Errors
) -> None:
    config = make_config(tmp_path, voice_backend="pocketsphinx")
    builder = Builder(fake_api)
    with BotThread(fake_api, config, concurrent_updates=False, rate_limiter=False) as bot:
        for user in USERS:
            bot.send(user, "/start")

        @settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
        @given(st.lists(draws, min_size=1, max_size=3))
        def run(batch: list[tuple[str, int, str, int, bytes]]) -> None:
            for kind, user, text, number, blob in batch:
                fake_api.queue_update(builder.build(kind, user, text, number, blob))
            bot.send(SENTINEL, "/help", timeout=15)  # handled in order: everything before it is done
            assert not errors.records, [r.getMessage() for r in errors.records] + [
                repr(r.exc_info[1]) for r in errors.records if r.exc_info
            ]

        run()
        assert bot.send(USERS[0], "why do my calves cramp")[0]["text"], "still answering"
