"""Fake Telegram Bot API (real HTTP on 127.0.0.1) for testing the bot with real python-telegram-bot.

Usage: ``with FakeBotApi() as api: ApplicationBuilder().token(api.token).base_url(api.base_url)
.base_file_url(api.base_file_url)...``; inject input with ``api.user_sends_*``, inspect with
``api.calls`` / ``api.sent_messages()``. See ``server.py`` for behaviour and limits.
"""

from .rules import ApiError, check_text, parse_html, utf16_len, validate_commands, validate_reply_markup
from .server import DEFAULT_TOKEN, RATE_LIMITED_METHODS, Call, FakeBotApi, UploadedFile, messages_texts
from .updates import (
    callback_query_dict,
    group_chat_dict,
    message_dict,
    private_chat_dict,
    update_dict,
    user_dict,
)

__all__ = [
    "DEFAULT_TOKEN",
    "RATE_LIMITED_METHODS",
    "ApiError",
    "Call",
    "FakeBotApi",
    "UploadedFile",
    "callback_query_dict",
    "check_text",
    "group_chat_dict",
    "message_dict",
    "messages_texts",
    "parse_html",
    "private_chat_dict",
    "update_dict",
    "user_dict",
    "utf16_len",
    "validate_commands",
    "validate_reply_markup",
]
