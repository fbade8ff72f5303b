"""Telegram's input rules, re-implemented so tests fail where production Telegram would.

Everything here is pure (no server state): the server calls these checks and turns an
:class:`ApiError` into an ``{"ok": false, ...}`` response with the same HTTP status.

Choices (documented because Telegram does not document them precisely):

* Text length is counted in Unicode code points of the text *after* entity parsing and after
  trimming leading/trailing whitespace (the Bot API docs say "1-4096 characters after entities
  parsing"). Entity offsets/lengths are in UTF-16 code units, as Telegram sends them.
* ``strict=True`` (the default) is stricter than Telegram in two places, because both are
  bugs in a bot even though Telegram tolerates them: a bare ``&`` that does not start
  ``&lt; &gt; &amp; &quot; &#NN; &#xHH;`` (with the ``;``) is rejected, and ``<a>`` needs
  ``href``. ``strict=False`` follows tdlib (bare ``&`` kept literally, ``;`` optional).
"""

from __future__ import annotations

import re
from typing import Any

JsonDict = dict[str, Any]

MAX_MESSAGE_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_PHOTO_BYTES = 10 * 1024 * 1024  # sendPhoto: at most 10 MB, width + height at most 10000, ratio <= 20
MAX_PHOTO_SIDES = 10000
MAX_PHOTO_RATIO = 20
MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # other files: at most 50 MB through the Bot API


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG or JPEG, as Telegram reads it before accepting a photo; None if neither."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR" and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data[:2] != b"\xff\xd8":
        return None
    at = 2
    while at + 9 < len(data) and data[at] == 0xFF:
        marker, length = data[at + 1], int.from_bytes(data[at + 2 : at + 4], "big")
        if marker in (0xC0, 0xC1, 0xC2):
            return int.from_bytes(data[at + 7 : at + 9], "big"), int.from_bytes(data[at + 5 : at + 7], "big")
        at += 2 + length
    return None


def photo_sizes(width: int, height: int) -> list[tuple[int, int]]:
    """The sizes Telegram keeps of a photo: scaled to fit 90, 320, 800 and 1280 pixels, never larger
    than the original."""
    out: list[tuple[int, int]] = []
    for side in (90, 320, 800, 1280):
        scale = min(1.0, side / max(width, height))
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        if size not in out:
            out.append(size)
    return out


MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER_LENGTH = 200
MAX_INLINE_BUTTONS = 100
MAX_COMMANDS = 100
MAX_COMMAND_LENGTH = 32
MAX_COMMAND_DESCRIPTION_LENGTH = 256
MAX_BOT_DESCRIPTION_LENGTH = 512
MAX_BOT_SHORT_DESCRIPTION_LENGTH = 120

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)

CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)

PARSE_MODES = frozenset({"HTML", "Markdown", "MarkdownV2"})

# Exactly one of these must be present on an inline keyboard button.
INLINE_BUTTON_ACTIONS = (
    "callback_data",
    "url",
    "login_url",
    "web_app",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)

_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
_SPACES = frozenset(" \t\r\n\f\v\0")
_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "tg-emoji": "custom_emoji",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


class ApiError(Exception):
    """A Bot API failure: becomes ``{"ok": false, "error_code": status, ...}``."""

    def __init__(self, status: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> JsonDict:
        """The JSON body Telegram would send for this error."""
        body: JsonDict = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(detail: str) -> ApiError:
    """400 with Telegram's ``Bad Request: `` prefix."""
    return ApiError(400, f"Bad Request: {detail}")


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units: the unit of Telegram entity offsets."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8", "surrogatepass"))


def _entity_error(message: str) -> ApiError:
    return bad_request(f"can't parse entities: {message}")


def _decode_reference(text: str, pos: int, strict: bool) -> tuple[str, int] | None:
    """Decode an HTML character reference at ``text[pos] == '&'``; return (char, next_pos)."""
    n = len(text)
    end = pos + 1
    if end < n and text[end] == "#":
        end += 1
        hexadecimal = end < n and text[end] in "xX"
        if hexadecimal:
            end += 1
        start_digits = end
        digits = "0123456789abcdefABCDEF" if hexadecimal else "0123456789"
        while end < n and text[end] in digits:
            end += 1
        if end == start_digits or end - pos >= 10:
            return None
        code = int(text[start_digits:end], 16 if hexadecimal else 10)
        if code == 0 or code >= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return None
        char = chr(code)
    else:
        while end < n and text[end].isascii() and text[end].isalpha():
            end += 1
        named = _NAMED_ENTITIES.get(text[pos + 1 : end])
        if named is None:
            return None
        char = named
    if end < n and text[end] == ";":
        return char, end + 1
    if strict:
        return None
    return char, end


class _Open:
    """An open tag on the nesting stack."""

    __slots__ = ("argument", "byte_offset", "language", "name", "start")

    def __init__(self, name: str, argument: str, start: int, byte_offset: int) -> None:
        self.name = name
        self.argument = argument
        self.start = start  # UTF-16 offset in the output text
        self.byte_offset = byte_offset
        self.language = ""


def parse_html(text: str, *, strict: bool = True) -> tuple[str, list[JsonDict]]:
    """Parse Telegram-HTML into (plain text, entities) or raise ``ApiError`` like Telegram.

    Error wording and byte offsets follow tdlib's HTML parser.
    """
    out: list[str] = []
    out_pos = 0  # UTF-16 length of ''.join(out)
    stack: list[_Open] = []
    entities: list[JsonDict] = []
    n = len(text)
    i = 0

    def emit(piece: str) -> None:
        nonlocal out_pos
        out.append(piece)
        out_pos += utf16_len(piece)

    while i < n:
        ch = text[i]
        if ch == "&":
            decoded = _decode_reference(text, i, strict)
            if decoded is None:
                if strict:
                    raise _entity_error(
                        f"Can't find end of the entity starting at byte offset {_byte_offset(text, i)}"
                    )
                emit("&")
                i += 1
            else:
                emit(decoded[0])
                i = decoded[1]
            continue
        if ch != "<":
            j = i + 1
            while j < n and text[j] not in "<&":
                j += 1
            emit(text[i:j])
            i = j
            continue

        begin = i
        i += 1
        if i < n and text[i] == "/":
            # End tag.
            if not stack:
                raise _entity_error(f"Unexpected end tag at byte offset {_byte_offset(text, begin)}")
            i += 1
            name_start = i
            while i < n and text[i] not in _SPACES and text[i] != ">":
                i += 1
            end_name = text[name_start:i].lower()
            while i < n and text[i] in _SPACES:
                i += 1
            if i >= n or text[i] != ">":
                raise _entity_error(f"Unclosed end tag at byte offset {_byte_offset(text, begin)}")
            i += 1
            opened = stack.pop()
            if end_name and end_name != opened.name:
                raise _entity_error(
                    f"Unmatched end tag at byte offset {_byte_offset(text, begin)}, "
                    f'expected "</{opened.name}>", found "</{end_name}>"',
                )
            _close(opened, stack, out_pos, entities)
            continue

        # Start tag.
        name_start = i
        while i < n and text[i] not in _SPACES and text[i] != ">":
            i += 1
        if i >= n:
            raise _entity_error(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
        tag = text[name_start:i].lower()
        if tag not in _SIMPLE_TAGS:
            raise _entity_error(f'Unsupported start tag "{tag}" at byte offset {_byte_offset(text, begin)}')
        argument, i = _parse_attributes(text, i, tag, begin, strict)
        i += 1  # skip '>'
        if tag == "span" and argument != "spoiler":
            raise _entity_error(
                f'Tag "span" must have class "tg-spoiler" at byte offset {_byte_offset(text, begin)}'
            )
        if strict and tag == "a" and not argument:
            raise _entity_error(
                f'Tag "a" must have attribute "href" at byte offset {_byte_offset(text, begin)}'
            )
        if tag == "tg-emoji" and not argument:
            raise _entity_error(
                f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset {_byte_offset(text, begin)}',
            )
        stack.append(_Open(tag, argument, out_pos, _byte_offset(text, begin)))

    if stack:
        raise _entity_error(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    plain = "".join(out)
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return plain, entities


def _parse_attributes(text: str, i: int, tag: str, begin: int, strict: bool) -> tuple[str, int]:
    """Scan attributes up to '>'; return (the one argument Telegram cares about, index of '>')."""
    n = len(text)
    argument = ""

    def unclosed() -> ApiError:
        return _entity_error(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")

    while True:
        while i < n and text[i] in _SPACES:
            i += 1
        if i >= n:
            raise unclosed()
        if text[i] == ">":
            return argument, i
        attr_start = i
        while i < n and text[i] not in _SPACES and text[i] not in "=>":
            i += 1
        attr = text[attr_start:i].lower()
        if not attr:
            raise _entity_error(
                f'Empty attribute name in the tag "{tag}" at byte offset {_byte_offset(text, begin)}'
            )
        while i < n and text[i] in _SPACES:
            i += 1
        if i >= n:
            raise unclosed()
        if text[i] != "=":
            if tag == "blockquote" and attr == "expandable":
                argument = "expandable"
                continue
            raise _entity_error(
                f'Expected equal sign in declaration of an attribute of the tag "{tag}" '
                f"at byte offset {_byte_offset(text, begin)}",
            )
        i += 1
        while i < n and text[i] in _SPACES:
            i += 1
        if i >= n:
            raise unclosed()
        if text[i] in "\"'":
            quote = text[i]
            i += 1
            chars: list[str] = []
            while i < n and text[i] != quote:
                if text[i] == "&":
                    decoded = _decode_reference(text, i, strict)
                    if decoded is not None:
                        chars.append(decoded[0])
                        i = decoded[1]
                        continue
                chars.append(text[i])
                i += 1
            if i >= n:
                raise unclosed()
            i += 1
            value = "".join(chars)
        else:
            token_start = i
            while i < n and (text[i].isascii() and (text[i].isalnum() or text[i] in ".-")):
                i += 1
            if i >= n:
                raise unclosed()
            if text[i] not in _SPACES and text[i] != ">":
                raise _entity_error(
                    f"Unexpected end of name token at byte offset {_byte_offset(text, token_start)}"
                )
            value = text[token_start:i].lower()
        if tag == "a" and attr == "href":
            argument = value
        elif tag == "code" and attr == "class" and value.startswith("language-"):
            argument = value[len("language-") :]
        elif tag == "span" and attr == "class" and value.startswith("tg-"):
            argument = value[len("tg-") :]
        elif tag == "tg-emoji" and attr == "emoji-id":
            argument = value
        elif tag == "blockquote" and attr == "expandable":
            argument = "expandable"


def _close(opened: _Open, stack: list[_Open], end: int, entities: list[JsonDict]) -> None:
    """Turn a closed tag into an entity (dropping empty ones, merging <pre><code class=...>)."""
    if opened.name == "code" and stack and stack[-1].name == "pre":
        if opened.argument:
            stack[-1].language = opened.argument
        return
    length = end - opened.start
    if length <= 0:
        return
    kind = _SIMPLE_TAGS[opened.name]
    entity: JsonDict = {"type": kind, "offset": opened.start, "length": length}
    if kind == "text_link":
        if not opened.argument:
            return
        entity["url"] = opened.argument
    elif kind == "custom_emoji":
        entity["custom_emoji_id"] = opened.argument
    elif kind == "pre" and opened.language:
        entity["language"] = opened.language
    elif kind == "blockquote" and opened.argument == "expandable":
        entity["type"] = "expandable_blockquote"
    entities.append(entity)


def trim(text: str, entities: list[JsonDict]) -> tuple[str, list[JsonDict]]:
    """Strip surrounding whitespace like Telegram does, shifting/clipping entities to match."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    lead = utf16_len(text[: len(text) - len(text.lstrip())])
    total = utf16_len(stripped)
    result: list[JsonDict] = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        stop = min(entity["offset"] + entity["length"] - lead, total)
        if stop > start:
            result.append({**entity, "offset": start, "length": stop - start})
    return stripped, result


def check_text(
    text: object,
    parse_mode: object,
    *,
    strict: bool = True,
    limit: int = MAX_MESSAGE_LENGTH,
    caption: bool = False,
) -> tuple[str, list[JsonDict]]:
    """Validate a message text or caption; return the stored (plain text, entities)."""
    if text is None or text == "":
        if caption:
            return "", []
        raise bad_request("message text is empty")
    if not isinstance(text, str):
        text = str(text)
    entities: list[JsonDict] = []
    if parse_mode in (None, ""):
        plain = text
    elif parse_mode not in PARSE_MODES:
        raise bad_request(f"unsupported parse_mode {parse_mode}")
    elif parse_mode == "HTML":
        plain, entities = parse_html(text, strict=strict)
    else:
        plain = text  # Markdown is not validated by the fake.
    plain, entities = trim(plain, entities)
    if not plain and not caption:
        raise bad_request("message text is empty")
    if len(plain) > limit:
        raise bad_request("message caption is too long" if caption else "message is too long")
    return plain, entities


def validate_reply_markup(markup: object) -> None:
    """Check an (already JSON-decoded) reply_markup the way Telegram rejects bad keyboards."""
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        _validate_inline_keyboard(markup["inline_keyboard"])
    elif "keyboard" in markup:
        rows = markup["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad_request('field "keyboard" must be an Array')
        for row in rows:
            for button in row:
                label = button.get("text") if isinstance(button, dict) else button
                if not isinstance(label, str):
                    raise bad_request("can't parse keyboard button: Text must be a String")
                if not label.strip():
                    raise bad_request("BUTTON_TEXT_EMPTY")
    elif not ("remove_keyboard" in markup or "force_reply" in markup):
        raise bad_request("can't parse reply keyboard markup JSON object")


def _validate_inline_keyboard(rows: object) -> None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request('field "inline_keyboard" must be an Array of Arrays')
    count = 0
    for row in rows:
        for button in row:
            count += 1
            if not isinstance(button, dict):
                raise bad_request(
                    "can't parse inline keyboard button: InlineKeyboardButton must be an Object"
                )
            label = button.get("text")
            if not isinstance(label, str):
                raise bad_request("can't parse inline keyboard button: Text must be a String")
            if not label.strip():
                raise bad_request("BUTTON_TEXT_EMPTY")
            actions = [key for key in INLINE_BUTTON_ACTIONS if key in button]
            if not actions:
                raise bad_request("text buttons are unallowed in the inline keyboard")
            if len(actions) > 1:
                raise bad_request(
                    "can't parse inline keyboard button: exactly one of "
                    + ", ".join(actions)
                    + " must be specified"
                )
            if "callback_data" in button:
                data = button["callback_data"]
                if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES:
                    raise bad_request("BUTTON_DATA_INVALID")
            if "url" in button:
                url = button["url"]
                if not isinstance(url, str) or not re.match(r"^(https?|tg)://\S+$", url):
                    raise bad_request("BUTTON_URL_INVALID")
    if count > MAX_INLINE_BUTTONS:
        raise bad_request("reply markup is too long")


def validate_commands(commands: object) -> list[JsonDict]:
    """Check setMyCommands input: 1-32 chars of [a-z0-9_], description 1-256 chars."""
    if not isinstance(commands, list):
        raise bad_request("can't parse commands JSON object")
    if len(commands) > MAX_COMMANDS:
        raise bad_request("too many commands specified")
    result: list[JsonDict] = []
    for item in commands:
        if not isinstance(item, dict):
            raise bad_request("can't parse BotCommand: BotCommand must be an Object")
        command = item.get("command")
        description = item.get("description")
        if not isinstance(command, str) or not _COMMAND_RE.fullmatch(command):
            raise bad_request("BOT_COMMAND_INVALID")
        if (
            not isinstance(description, str)
            or not 1 <= len(description.strip()) <= MAX_COMMAND_DESCRIPTION_LENGTH
        ):
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        result.append({"command": command, "description": description})
    return result


def bot_command_entities(text: str) -> list[JsonDict]:
    """Entities Telegram adds to a user's text for every ``/command`` (optionally @bot)."""
    entities: list[JsonDict] = []
    for match in re.finditer(r"(?<![\w/])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,64})?", text):
        entities.append(
            {
                "type": "bot_command",
                "offset": utf16_len(text[: match.start()]),
                "length": utf16_len(match.group()),
            }
        )
    return entities
