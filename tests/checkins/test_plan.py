"""checkins.yaml: every problem named by file and line, and `hamcoach check` exits 1 on it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.checkins.plan import load_checkins
from bot.knowledge.base import DEFAULT_DIR
from bot.knowledge.yamlfile import KnowledgeError


def broken_copy(tmp_path: Path, old: str, new: str) -> Path:
    folder = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_DIR, folder)
    path = folder / "checkins.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return folder


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("      min: 4\n", "      min: 5\n", "without advice: 4"),
        ("      max: 6\n", "      max: 7\n", "overlap at scores: 7"),
        ('start: "22:00"', "start: 22:00", "quoted 24-hour time"),
        (
            "    - id: h48\n      offset_hours: 48",
            "    - id: h48\n      offset_hours: 12",
            "offsets must grow",
        ),
        ("{checkin: h48, min_score: 4}", "{checkin: h96, min_score: 4}", "earlier check-in"),
        ("  snooze_hours: 2", "  snooze_hours: 2\n  snooze_hour: 2", "unknown field 'snooze_hour'"),
        ("source: [cheung-2003]", "source: [cheung-2004]", "unknown source 'cheung-2004'"),
        ("UTC]", "Mars/Olympus]", "not a time zone name"),
        ('    button_stop: "Stop check-ins"\n', "", "missing text 'button_stop'"),
    ],
)
def test_checkins_yaml_errors_name_file_and_line(tmp_path: Path, old: str, new: str, message: str) -> None:
    folder = broken_copy(tmp_path, old, new)
    with pytest.raises(KnowledgeError) as caught:
        load_checkins(folder, {"cheung-2003", "oslo-protocol", "general-safety"})
    problems = [str(p) for p in caught.value.problems]
    assert any(message in p and "checkins.yaml:" in p for p in problems), problems


def test_hamcoach_check_validates_checkins_yaml(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from bot.__main__ import main

    folder = broken_copy(tmp_path, "      max: 6\n", "      max: 7\n")
    assert main(["check", str(folder)]) == 1
    assert "checkins.yaml:" in capsys.readouterr().err
    assert main(["check", str(DEFAULT_DIR)]) == 0
