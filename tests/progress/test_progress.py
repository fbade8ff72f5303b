"""/progress and /export through the core and `hamcoach chat`'s terminal: the chart's PNG opens at
800x600 and stays small for a year, the CSV's columns round-trip, and a user with no sessions gets a
friendly line instead of an empty chart."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from benchmarks.progress import a_year
from bot.adapters.terminal import Terminal
from bot.core.training import SessionLog, SetLog, Soreness
from bot.progress import chart
from bot.progress.export import COLUMNS, to_csv
from tests.checkins.clocked import MONDAY_NOON, Bot
from tests.reminders.helpers import train
from tests.support import USER, FakeClock, say

T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def test_a_year_of_sessions_is_a_small_800_by_600_png() -> None:
    png = chart.render(a_year())
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG" and image.size == (800, 600)
    assert len(png) < 100 * 1024


def test_no_sessions_gets_a_friendly_line_not_an_empty_chart(tmp_path: Path) -> None:
    bot = Bot(tmp_path, FakeClock(MONDAY_NOON))
    [reply] = say(bot.coach, "/progress")
    assert reply.attachment is None and "No sessions yet" in reply.text
    assert say(bot.coach, "/export")[0].attachment is None


def test_progress_after_a_session_is_a_picture_with_one_line(tmp_path: Path) -> None:
    bot = Bot(tmp_path, FakeClock(MONDAY_NOON))
    train(bot, USER)
    [reply] = say(bot.coach, "/progress")
    assert reply.attachment is not None and reply.attachment.kind == "picture"
    assert reply.text.startswith("1 session done, now in week 2 of 10. Last 4 weeks: 100%")
    with Image.open(io.BytesIO(reply.attachment.make())) as image:
        assert image.size == (800, 600)


def test_hamcoach_chat_saves_the_picture_and_the_file_and_prints_their_paths(tmp_path: Path) -> None:
    bot = Bot(tmp_path, FakeClock(MONDAY_NOON))
    train(bot, USER)
    out = io.StringIO()
    terminal = Terminal(bot.coach, out)
    terminal.show(say(bot.coach, "/progress"))
    terminal.show(say(bot.coach, "/export"))
    picture = re.search(r"\[picture: (.+\.png)\]", out.getvalue())
    file = re.search(r"\[file: (.+\.csv)\]", out.getvalue())
    assert picture and file, out.getvalue()
    with Image.open(picture.group(1)) as image:
        assert image.size == (800, 600)
    rows = list(csv.DictReader(Path(file.group(1)).read_text(encoding="utf-8").splitlines()))
    assert [(r["record"], r["set_no"], r["reps"], r["target"]) for r in rows] == [
        ("set", "1", "5", "5"),
        ("set", "2", "5", "5"),
    ]


sets = st.lists(st.tuples(st.integers(0, 30), st.integers(0, 12)), max_size=4)
sessions = st.lists(st.tuples(sets, st.sampled_from(["finished", "cancelled"])), max_size=6)


@settings(max_examples=50)
@given(sessions, st.lists(st.tuples(st.integers(0, 10), st.booleans()), max_size=5))
def test_the_csv_columns_round_trip(
    made: list[tuple[list[tuple[int, int]], str]], scores: list[tuple[int, bool]]
) -> None:
    logs = [
        SessionLog(
            i + 1,
            T0 + timedelta(days=2 * i),
            T0 + timedelta(days=2 * i, minutes=30),
            status,
            1 + i // 3,
            3,
            "",
            tuple(
                SetLog(n + 1, reps, target, T0 + timedelta(days=2 * i, minutes=n))
                for n, (reps, target) in enumerate(s)
            ),
        )
        for i, (s, status) in enumerate(made)
    ]
    sore = [
        Soreness(T0 + timedelta(days=2 * i, hours=24), score, i + 1, flag)
        for i, (score, flag) in enumerate(scores)
    ]
    reader = csv.DictReader(io.StringIO(to_csv(logs, sore).decode("utf-8")))
    rows = list(reader)
    assert tuple(reader.fieldnames or ()) == COLUMNS
    got_sets = [
        (int(r["session_id"]), int(r["set_no"]), int(r["reps"]), int(r["target"]))
        for r in rows
        if r["record"] == "set"
    ]
    want_sets = [(s.id, x.set_no, x.reps, x.target) for s in logs for x in s.sets]
    assert sorted(got_sets) == sorted(want_sets)
    got_scores = [
        (int(r["soreness"]), r["red_flag"] == "1", datetime.fromisoformat(r["date"]))
        for r in rows
        if r["record"] == "soreness"
    ]
    assert sorted(got_scores) == sorted((s.score, s.red_flag, s.recorded_at) for s in sore)
    assert {int(r["session_id"]) for r in rows if r["record"] == "session"} == {
        s.id for s in logs if not s.sets
    }


def test_a_broken_progress_file_is_refused_naming_its_line(tmp_path: Path) -> None:
    import shutil

    import pytest

    from bot.knowledge.base import DEFAULT_DIR
    from bot.knowledge.yamlfile import KnowledgeError
    from bot.progress.texts import load_progress

    folder = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_DIR, folder)
    path = folder / "progress.yaml"
    text = path.read_text(encoding="utf-8").replace(
        'chart_hold: "stopped for a warning sign"', 'chart_hold: "' + "x" * 50 + '"'
    )
    path.write_text(text.replace("    export_empty:", "    export_nothing:"), encoding="utf-8")
    with pytest.raises(KnowledgeError) as caught:
        load_progress(folder)
    problem = str(caught.value)
    assert "chart text 'chart_hold' is longer than 40" in problem and "missing text 'export_empty'" in problem
    assert "progress.yaml:" in problem
