"""reminders.yaml is validated on load (and by `hamcoach check`): every problem names its file:line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.knowledge.base import DEFAULT_DIR
from bot.knowledge.yamlfile import KnowledgeError
from bot.reminders.rules import load_reminders


def test_the_shipped_file_loads() -> None:
    rules = load_reminders(DEFAULT_DIR, {"ripley-2021"})
    assert rules.offered(3)[0].days_text() == "Mon Wed Fri"
    assert rules.offered(7) == rules.offered(3) and rules.snooze.total_seconds() == 3600


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('"Mon Thu 18:00"', '"Mon Thu 25:00"', "is not days and a time"),
        ("  snooze_hours: 1", "  snooze_hours: 100", "'snooze_hours' must be a number"),
        (
            '    button_skip: "Skip today"',
            '    button_skip: "Skip today, tomorrow and every day after that"',
            "longer than 40",
        ),
        ("  missed_source: ripley-2021", "  missed_source: nobody-2099", "unknown source 'nobody-2099'"),
        ('    ping: "Session', '    pong: "Session', "missing text 'ping'"),
    ],
)
def test_a_broken_file_is_refused_naming_its_line(tmp_path: Path, old: str, new: str, message: str) -> None:
    folder = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_DIR, folder)
    path = folder / "reminders.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(KnowledgeError) as caught:
        load_reminders(folder, {"ripley-2021"})
    problem = str(caught.value)
    assert message in problem and "reminders.yaml:" in problem, problem
    line = int(problem.split("reminders.yaml:")[1].split(":")[0])
    assert line > 1
