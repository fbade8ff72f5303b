"""Fake Telegram Bot API (real HTTP on 127.0.0.1) for testing the bot with real python-telegram-bot.

Example::

    with FakeBotApi() as api:
        app = (ApplicationBuilder().token(api.token).base_url(api.base_url)
               .base_file_url(api.base_file_url).build())
        app.add_handler(CommandHandler("start", start))
        async with app:
            await app.start()
            await app.updater.start_polling(poll_interval=0, timeout=1)
            api.user_sends_command(42, "/start")
            (reply,) = await api.wait_for_messages_async(42, 1)  # never the blocking variant here
            await app.updater.stop()
            await app.stop()

Behaviour, limits and error wording: see ``server.py`` and ``rules.py`` docstrings.
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
