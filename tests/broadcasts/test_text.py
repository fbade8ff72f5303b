"""Broadcast text: whatever an admin or a feed sends is either refused clearly or accepted by Telegram,
and long texts split at a sensible place, keeping their formatting.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.broadcasts.text import MAX_PARTS, BroadcastTextError, prepare, sanitise
from tests.broadcasts.helpers import telegram_accepts
from tests.fakebot import check_text


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [*"ab <>/&;\"'=\n#x", "<b>", "</b>", "<i>", "</i>", "<a href=", "&amp;", "<pre>", "z" * 900]
        )
    ).map("".join)
)
def test_any_text_is_either_refused_clearly_or_accepted_by_telegram(text: str) -> None:
    try:
        parts = prepare(text)
    except BroadcastTextError as exc:
        assert "nothing to send" in str(exc) or "too long" in str(exc)
        return
    for part in parts:
        telegram_accepts(part)


@pytest.mark.parametrize(
    "raw",
    [
        "<b>unclosed bold",
        "<b><i>crossed</b></i>",
        "</b>stray end",
        "a & b < c > d",
        '<a href="javascript:alert(1)">click</a>',
        "<a>no href</a>",
        "<div><p>blocks</p><br/>and <span>spans</span></div>",
        "<script>alert('x')</script>visible",
        "<pre><b>bold in pre</b></pre>",
        "&bogus; &#xZZ; &",
    ],
)
def test_html_telegram_would_refuse_is_made_safe(raw: str) -> None:
    for part in prepare(raw):
        telegram_accepts(part)
        assert "alert" not in part and "javascript" not in part


def test_feed_html_loses_scripts_and_keeps_simple_formatting() -> None:
    out = sanitise(
        "<p>New <strong>guide</strong>!</p><script>steal()</script><style>p{}</style>"
        '<p>Read <a href="https://example.org/g?a=1&b=2">it</a><img src=x onerror=y></p>',
        collapse=True,
    )
    assert out == 'New <b>guide</b>!\n\nRead <a href="https://example.org/g?a=1&amp;b=2">it</a>'
    telegram_accepts(out)


def test_empty_broadcast_is_refused_clearly() -> None:
    for empty in ("", "   ", "<b></b>", "<script>x</script>"):
        with pytest.raises(BroadcastTextError, match="nothing to send"):
            prepare(empty)


def test_a_5000_character_broadcast_is_split_at_a_line_break_keeping_formatting() -> None:
    para = "<b>Hips</b> stay in line with the shoulders. " * 20
    text = "\n".join([para] * 6)  # about 5,000 visible characters, with tags
    parts = prepare(text)
    assert len(parts) == 2
    for part in parts:
        telegram_accepts(part)
    plain = [check_text(p, "HTML")[0] for p in parts]
    assert " ".join(plain).split() == check_text(text, "HTML", limit=10**6)[0].split()  # no word lost
    assert plain[0].endswith("shoulders.")  # cut at a line break, not mid-sentence
    assert parts[1].startswith("<b>Hips</b>")


def test_a_huge_broadcast_is_refused_with_the_numbers() -> None:
    with pytest.raises(BroadcastTextError, match=f"the most I send is {MAX_PARTS}"):
        prepare("word " * 5000)


def test_a_long_word_without_spaces_is_cut_hard_and_still_fits() -> None:
    parts = prepare("x" * 5000)
    assert [len(check_text(p, "HTML")[0]) for p in parts] == [4096, 904]
