"""The outbox's rows: a reply survives the round trip through JSON with its buttons and the number it
asks for, a chat's replies come back oldest first, and which chats wait is known after a restart."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from bot.core.reply import Button, Number, Reply
from bot.storage.database import Store
from bot.storage.outbox import Outbox, decode, encode, migrations

NOW = datetime(2026, 12, 2, 21, 0, tzinfo=UTC)

labels = st.text(min_size=1, max_size=20)
buttons = st.builds(
    Button, labels, st.text(alphabet="abc:0123456789", min_size=1, max_size=30), st.booleans(), st.booleans()
)


@given(
    st.text(max_size=300),
    st.lists(st.lists(buttons, min_size=1, max_size=3), max_size=3),
    st.none() | st.integers(0, 30).map(lambda high: Number("reps", 0, high, "st:r:{n}")),
)
def test_a_reply_survives_the_round_trip(html: str, rows: list[list[Button]], asks: Number | None) -> None:
    reply = Reply.make(html, rows, asks)
    assert decode(encode(reply)) == reply


def test_replies_come_back_oldest_first_and_chats_are_known_after_a_restart(tmp_path: Path) -> None:
    store = Store(tmp_path / "bot.db", extra=[migrations])
    outbox = Outbox(store)
    outbox.keep(7, [Reply.plain("one"), Reply.plain("two")], NOW)
    outbox.keep(8, [Reply.plain("other")], NOW)
    outbox.keep(7, [Reply.plain("three")], NOW)
    store.close()

    store = Store(tmp_path / "bot.db", extra=[migrations])
    outbox = Outbox(store)
    assert outbox.chats == {7, 8}
    texts = []
    while (queued := outbox.first(7)) is not None:
        texts.append(queued[1].text)
        outbox.sent(queued[0])
    assert texts == ["one", "two", "three"]
    assert not outbox.waiting(7) and outbox.waiting(8)
    assert outbox.drop(8) == 1 and outbox.chats == set()
    store.close()
