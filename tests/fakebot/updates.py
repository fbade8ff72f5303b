"""Builders for Bot API JSON objects (User, Chat, Message, Update, ...).

Pure functions with no server state, so tests can also build updates by hand for
``Application.process_update`` or a webhook POST. The server uses them with its own ids.
"""

from __future__ import annotations

import time
from typing import Any

JsonDict = dict[str, Any]


def now() -> int:
    """Telegram dates are UNIX seconds as ints."""
    return int(time.time())


def user_dict(
    user_id: int,
    *,
    first_name: str | None = None,
    last_name: str | None = None,
    username: str | None = None,
    language_code: str | None = "en",
    is_bot: bool = False,
) -> JsonDict:
    """A ``User`` object; optional fields are left out when unset, as Telegram does."""
    user: JsonDict = {"id": user_id, "is_bot": is_bot, "first_name": first_name or f"User{user_id}"}
    if last_name:
        user["last_name"] = last_name
    if username:
        user["username"] = username
    if language_code:
        user["language_code"] = language_code
    return user


def private_chat_dict(user: JsonDict) -> JsonDict:
    """The private ``Chat`` with a user: chat id equals user id."""
    chat: JsonDict = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
    for key in ("last_name", "username"):
        if key in user:
            chat[key] = user[key]
    return chat


def group_chat_dict(chat_id: int, title: str | None = None) -> JsonDict:
    """A group (or supergroup for -100... ids) ``Chat``."""
    kind = "supergroup" if chat_id <= -1_000_000_000_000 else "group"
    return {"id": chat_id, "type": kind, "title": title or f"Group {chat_id}"}


def message_dict(
    *,
    message_id: int,
    chat: JsonDict,
    sender: JsonDict,
    date: int | None = None,
    text: str | None = None,
    entities: list[JsonDict] | None = None,
    **extra: Any,
) -> JsonDict:
    """A ``Message``; ``extra`` adds content fields (voice, photo, reply_markup, ...)."""
    message: JsonDict = {
        "message_id": message_id,
        "from": sender,
        "chat": chat,
        "date": now() if date is None else date,
    }
    if text is not None:
        message["text"] = text
    if entities:
        message["entities"] = entities
    message.update({key: value for key, value in extra.items() if value is not None})
    return message


def update_dict(update_id: int, kind: str, payload: JsonDict) -> JsonDict:
    """An ``Update`` with exactly one payload field (``message``, ``callback_query``, ...)."""
    return {"update_id": update_id, kind: payload}


def callback_query_dict(
    query_id: str, sender: JsonDict, message: JsonDict, data: str, chat_instance: str
) -> JsonDict:
    """A ``CallbackQuery`` from pressing an inline button under ``message``."""
    return {
        "id": query_id,
        "from": sender,
        "message": message,
        "chat_instance": chat_instance,
        "data": data,
    }


def update_kind(update: JsonDict) -> str:
    """The payload field name of an update (what ``allowed_updates`` filters on)."""
    for key in update:
        if key != "update_id":
            return key
    return ""
