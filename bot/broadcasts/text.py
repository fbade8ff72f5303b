"""Broadcast text: turn admin or feed HTML into Telegram-safe HTML and split it into messages.

Why a parser and not escaping: admins may use <b>/<i>/<a>, and feed entries arrive as arbitrary web
HTML (scripts, broken nesting, unknown tags). We keep the tags Telegram accepts, balance them, drop
the rest (and the contents of script/style), so Telegram can never refuse a broadcast for its markup.
Splitting works on the same tokens, closing open tags at a cut and reopening them in the next part.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from html.parser import HTMLParser

TEXT_LIMIT = 4096  # Telegram's limit, after entity parsing
MAX_PARTS = 4  # longer texts are refused: nobody reads a 16,000-character update in a chat

_KEEP = {
    "b": "b",
    "strong": "b",
    "i": "i",
    "em": "i",
    "u": "u",
    "ins": "u",
    "s": "s",
    "strike": "s",
    "del": "s",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "a": "a",
}
_DROP_CONTENT = {"script", "style", "head", "title", "template", "noscript", "iframe", "object", "svg"}
_BLOCK = {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table", "hr"}
_LITERAL = {"code", "pre"}  # Telegram does not nest entities inside these
_SAFE_SCHEMES = ("http://", "https://", "tg://", "mailto:")


class BroadcastTextError(ValueError):
    """The text cannot be broadcast; the message says why, in words an admin understands."""


@dataclass(frozen=True)
class Tok:
    """One token: an opening tag (with href for <a>), a closing tag, or text (unescaped)."""

    kind: str  # "open" | "close" | "text"
    value: str  # tag name or text
    href: str = ""


class _Sanitiser(HTMLParser):
    def __init__(self, collapse: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.collapse = collapse
        self.tokens: list[Tok] = []
        self.stack: list[str] = []
        self.skipping: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.skipping or tag in _DROP_CONTENT:
            if tag in _DROP_CONTENT:
                self.skipping.append(tag)
            return
        if tag in _BLOCK:
            self._text("\n• " if tag == "li" else "\n")
            return
        name = _KEEP.get(tag)
        if name is None or any(t in _LITERAL for t in self.stack) or (name == "a" and "a" in self.stack):
            return
        href = ""
        if name == "a":
            href = (dict(attrs).get("href") or "").strip()
            if not href.lower().startswith(_SAFE_SCHEMES):
                return
        self.stack.append(name)
        self.tokens.append(Tok("open", name, href))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not self.skipping and tag in _BLOCK:
            self._text("\n")

    def handle_endtag(self, tag: str) -> None:
        if self.skipping:
            if tag == self.skipping[-1]:
                self.skipping.pop()
            return
        if tag in _BLOCK and tag not in ("br", "li", "hr"):
            self._text("\n")
            return
        name = _KEEP.get(tag)
        if name is None or name not in self.stack:
            return  # a stray end tag: ignored
        while self.stack:
            top = self.stack.pop()
            self.tokens.append(Tok("close", top))
            if top == name:
                break

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            if self.collapse and "pre" not in self.stack:
                data = re.sub(r"\s+", " ", data)
            self._text(data)

    def _text(self, text: str) -> None:
        if self.tokens and self.tokens[-1].kind == "text":
            self.tokens[-1] = Tok("text", self.tokens[-1].value + text)
        else:
            self.tokens.append(Tok("text", text))

    def finish(self) -> list[Tok]:
        self.close()
        while self.stack:
            self.tokens.append(Tok("close", self.stack.pop()))
        return self.tokens


def tokens(text: str, *, collapse: bool = False) -> list[Tok]:
    """Parse any HTML-ish text into balanced, Telegram-safe tokens.

    `collapse` (for web HTML) folds runs of spaces, as a browser would; admin text keeps its layout.
    """
    parser = _Sanitiser(collapse)
    parser.feed(text)
    toks = parser.finish()
    if collapse:
        toks = [Tok("text", _tidy(t.value)) if t.kind == "text" else t for t in toks]
    return toks


def _tidy(text: str) -> str:
    text = re.sub(r" *\n *", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text)


def render(toks: list[Tok]) -> str:
    out: list[str] = []
    for t in toks:
        if t.kind == "text":
            out.append(html.escape(t.value, quote=False))
        elif t.kind == "open":
            out.append(f'<a href="{html.escape(t.href)}">' if t.value == "a" else f"<{t.value}>")
        else:
            out.append(f"</{t.value}>")
    return _drop_empty("".join(out)).strip()


_EMPTY = re.compile(r"<(b|i|u|s|code|pre|blockquote|a)(?: [^>]*)?>(\s*)</\1>")


def _drop_empty(text: str) -> str:
    while True:
        new = _EMPTY.sub(r"\2", text)
        if new == text:
            return new
        text = new


def sanitise(text: str, *, collapse: bool = False) -> str:
    """Telegram-safe HTML for `text` (see the module docstring)."""
    return render(tokens(text, collapse=collapse))


def visible_len(text: str) -> int:
    """Length as Telegram may count it (UTF-16 units, the larger of its two measures)."""
    return len(text.encode("utf-16-le")) // 2


def _cut_point(text: str, room: int) -> int:
    """Index to cut `text` so the head fits `room`, preferring a line break, then a space."""
    end = 0
    used = 0
    for i, ch in enumerate(text):
        used += 2 if ord(ch) > 0xFFFF else 1
        if used > room:
            break
        end = i + 1
    head = text[:end]
    for sep in ("\n", " "):
        at = head.rfind(sep)
        if at > 0 and at >= end // 2:
            return at + 1
    return max(end, 1) if room > 0 else 0


def _cuts(plain: str, limit: int) -> list[int]:
    """Where to cut the whole plain text so each piece fits, preferring line breaks, then spaces."""
    cuts: list[int] = []
    start = 0
    while visible_len(plain[start:]) > limit:
        start += _cut_point(plain[start:], limit)
        cuts.append(start)
    return cuts


def split(toks: list[Tok], limit: int = TEXT_LIMIT) -> list[str]:
    """Split tokens into rendered parts of at most `limit` visible characters each.

    Cut points are chosen on the whole text (so a paragraph break wins over a space even when tags
    sit in between); tags open at a cut are closed there and reopened in the next part.
    """
    cuts = _cuts("".join(t.value for t in toks if t.kind == "text"), limit)
    parts: list[str] = []
    current: list[Tok] = []
    stack: list[Tok] = []

    def flush() -> None:
        nonlocal current
        closing = [Tok("close", t.value) for t in reversed(stack)]
        rendered = render(current + closing)
        if re.sub(r"<[^>]*>", "", rendered).strip():
            parts.append(rendered)
        current = list(stack)  # reopen what was open

    pos = 0
    for t in toks:
        if t.kind == "open":
            stack.append(t)
            current.append(t)
        elif t.kind == "close":
            stack.pop()
            current.append(t)
        else:
            text = t.value
            while cuts and cuts[0] <= pos + len(text):
                head = cuts.pop(0) - pos
                if head > 0:
                    current.append(Tok("text", text[:head]))
                flush()
                text, pos = text[head:], pos + head
            if text:
                current.append(Tok("text", text))
            pos += len(text)
    flush()
    return parts


def prepare(text: str, *, collapse: bool = False, limit: int = TEXT_LIMIT) -> list[str]:
    """The messages a broadcast of `text` becomes, or BroadcastTextError saying why it cannot go out."""
    parts = split(tokens(text, collapse=collapse), limit)
    if not parts:
        raise BroadcastTextError("There is nothing to send: the text is empty (after removing markup).")
    if len(parts) > MAX_PARTS:
        total = sum(visible_len(html.unescape(re.sub(r"<[^>]*>", "", p))) for p in parts)
        raise BroadcastTextError(
            f"That is too long to broadcast: about {total:,} characters would be {len(parts)} messages; "
            f"the most I send is {MAX_PARTS} ({MAX_PARTS * limit:,} characters). Please shorten it."
        )
    return parts


def excerpt(text_html: str, limit: int) -> str:
    """The first `limit` visible characters of safe HTML, still balanced, with … when cut."""
    parts = split(tokens(text_html), limit)
    if not parts:
        return ""
    return parts[0] + ("…" if len(parts) > 1 else "")
