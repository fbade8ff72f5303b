"""/progress and /export end to end: the real Application against the fake Bot API server sends the
chart with sendPhoto (a PNG Telegram accepts, its caption the summary line) and the CSV with
sendDocument; a user with no sessions gets a text message. The chart is drawn off the event loop."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

from PIL import Image

from tests.checkins.clocked import Bot
from tests.fakebot import FakeBotApi
from tests.reminders.helpers import train
from tests.support import FakeClock, exchange, make_config, running_bot

USER = 7272


async def test_progress_is_a_photo_and_export_a_csv_document(fake_api: FakeBotApi, tmp_path: Path) -> None:
    trained = Bot(tmp_path, FakeClock(datetime.now(UTC) - timedelta(hours=1)))  # the bot's clock is real
    train(trained, USER)
    trained.close()
    async with running_bot(fake_api, make_config(tmp_path)):
        [photo] = await exchange(fake_api, USER, "/progress")
        assert photo["caption"].startswith("1 session done, now in week 2 of 10.")
        largest = photo["photo"][-1]
        assert (largest["width"], largest["height"]) == (800, 600)
        with Image.open(io.BytesIO(fake_api.file_bytes(largest["file_id"]))) as image:
            assert image.format == "PNG" and image.size == (800, 600)
        [document] = await exchange(fake_api, USER, "/export")
        assert document["document"]["file_name"].endswith(".csv")
        text = fake_api.file_bytes(document["document"]["file_id"]).decode("utf-8")
        assert [r["reps"] for r in csv.DictReader(text.splitlines())] == ["5", "5"]
        [empty] = await exchange(fake_api, USER + 1, "/progress")
        assert "No sessions yet" in empty["text"]
