"""HTML rendering: escaped, within Telegram's limits, and the plain twin is faithful."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.reply import CALLBACK_LIMIT, TEXT_LIMIT, Button, Reply, escape, fit, to_plain


@given(st.text(max_size=9000))
def test_plain_replies_round_trip_and_fit(text: str) -> None:
    reply = Reply.plain(text)
    assert len(reply.html) <= TEXT_LIMIT
    if len(escape(text)) <= TEXT_LIMIT:
        assert reply.text == text
    else:
        assert reply.text.endswith("…")
        assert text.startswith(reply.text[:-1])


@pytest.mark.parametrize("text", ["<b>", "&", "<script>alert(1)</script>", "a < b && c > d", "&amp;"])
def test_markup_is_escaped(text: str) -> None:
    html = Reply.plain(text).html
    assert "<" not in html and ">" not in html
    assert to_plain(html) == text


def test_fit_cuts_long_html_at_a_safe_place() -> None:
    long = "<b>title</b>\n" + escape("x & y\n" * 2000)
    cut = fit(long)
    assert len(cut) <= TEXT_LIMIT and cut.endswith("…")
    assert "&amp" not in cut[-6:-1] or cut[-6:-1].endswith("&amp;")


def test_callback_data_over_64_bytes_is_refused() -> None:
    Button("ok", "e:" + "x" * (CALLBACK_LIMIT - 2))
    with pytest.raises(ValueError):
        Button("too long", "é" * 33)
    with pytest.raises(ValueError):
        Button("empty", "")
