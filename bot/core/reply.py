"""Replies as Telegram-style HTML (the core's one rich-text format) and their plain-text twin.

Every piece of text from users or YAML passes through `escape`; the only tags we emit are b, i
and code, which Telegram accepts and the terminal strips.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

TEXT_LIMIT = 4096
CALLBACK_LIMIT = 64
BUTTON_LABEL_LIMIT = 40


def _check_data(data: str) -> None:
    if not 0 < len(data.encode()) <= CALLBACK_LIMIT:
        raise ValueError(f"callback data must be 1-{CALLBACK_LIMIT} bytes: {data!r}")


@dataclass(frozen=True)
class Button:
    """An inline button; `data` goes back to the core when pressed (at most 64 bytes).

    `destructive`: it stops, cancels or deletes something, so a typed or spoken word presses it only
    when it names it plainly. `aside`: off the main path (Cramp, a related topic), so a bare "ok"
    never picks it."""

    label: str
    data: str
    destructive: bool = False
    aside: bool = False

    def __post_init__(self) -> None:
        _check_data(self.data)


@dataclass(frozen=True)
class Number:
    """A reply asks for a number: `name` says what it is ("reps for set 2", "soreness score"), and
    each value from `low` to `high` presses the callback data `data` with "{n}" replaced by it."""

    name: str
    low: int
    high: int
    data: str

    def __post_init__(self) -> None:
        if "{n}" not in self.data or self.low > self.high:
            raise ValueError(f"a number needs a '{{n}}' in its data and low <= high: {self!r}")
        _check_data(self.press(self.high))

    def press(self, value: int) -> str:
        return self.data.replace("{n}", str(value))


@dataclass(frozen=True)
class Attachment:
    """A picture or a file sent with a reply, whose text becomes its caption.

    `make` builds the bytes; it is slow (a chart) and reads no database, so adapters call it off
    their event loop (`asyncio.to_thread`), then send a photo or a document named `filename`."""

    kind: Literal["picture", "file"]
    filename: str
    make: Callable[[], bytes]


CAPTION_LIMIT = 1024


@dataclass(frozen=True)
class Reply:
    """One message: HTML text, rows of buttons, the number it asks for, and a picture or file."""

    html: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    asks: Number | None = None
    attachment: Attachment | None = None

    @classmethod
    def make(
        cls, html_text: str, buttons: Sequence[Sequence[Button]] = (), asks: Number | None = None
    ) -> Reply:
        return cls(fit(html_text), tuple(tuple(row) for row in buttons if row), asks)

    @classmethod
    def with_attachment(cls, text: str, attachment: Attachment) -> Reply:
        """A caption (plain text, at most Telegram's 1,024 characters) under a picture or file."""
        return cls(fit(escape(text), CAPTION_LIMIT), attachment=attachment)

    @classmethod
    def plain(cls, text: str, buttons: Sequence[Sequence[Button]] = (), asks: Number | None = None) -> Reply:
        return cls.make(escape(text), buttons, asks)

    @property
    def text(self) -> str:
        """The reply without markup, for terminals and logs."""
        return to_plain(self.html)

    def labels(self) -> list[str]:
        return [b.label for row in self.buttons for b in row]


def escape(text: str) -> str:
    """Escape `<`, `>` and `&` (quotes are fine in Telegram HTML text)."""
    return html.escape(text, quote=False)


def bold(text: str) -> str:
    return f"<b>{escape(text)}</b>"


def italic(text: str) -> str:
    return f"<i>{escape(text)}</i>"


_TAG = re.compile(r"<[^>]*>")


def to_plain(html_text: str) -> str:
    return html.unescape(_TAG.sub("", html_text))


def fit(html_text: str, limit: int = TEXT_LIMIT) -> str:
    """Keep a reply within Telegram's limit, cutting at a line break outside any tag or entity."""
    if len(to_plain(html_text)) <= limit and len(html_text) <= limit:
        return html_text
    plain = to_plain(html_text)
    cut = plain[: limit - 1]
    if "\n" in cut[limit // 2 :]:
        cut = cut[: cut.rfind("\n")]
    shortened = escape(cut) + "…"
    while len(shortened) > limit:
        cut = cut[: len(cut) - (len(shortened) - limit) - 1]
        shortened = escape(cut) + "…"
    return shortened


def clip_label(text: str) -> str:
    return text if len(text) <= BUTTON_LABEL_LIMIT else text[: BUTTON_LABEL_LIMIT - 1] + "…"
