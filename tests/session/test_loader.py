"""session.yaml read into a Flow: the real file loads; each kind of mistake is reported at file:line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.knowledge.base import DEFAULT_DIR
from bot.knowledge.texts import fill
from bot.knowledge.yamlfile import KnowledgeError
from bot.session.loader import MESSAGE_LIMIT, WORST, load_flow

FLOW = load_flow(DEFAULT_DIR)


def test_the_real_session_yaml_loads_and_every_text_is_short() -> None:
    assert FLOW.start == "safety" and FLOW.sets_step.id == "sets"
    assert FLOW.rest_seconds == 120
    for step in FLOW.steps.values():
        for text in (step.text, step.rest_text, *step.more):
            if text:
                message = f"{fill(step.title, WORST)}\n{fill(text, WORST)}"
                assert len(message) < MESSAGE_LIMIT, (step.id, len(message))
    for key, text in FLOW.texts.items():
        assert len(fill(text, WORST)) < MESSAGE_LIMIT, key


def test_issue_steps_are_there() -> None:
    text = " ".join(
        f"{s.title} {s.text} {s.rest_text} {' '.join(s.more)}" for s in FLOW.steps.values()
    ).lower()
    for phrase in (
        "injury",
        "clinician",
        "end of your leg workout",
        "anchor",
        "knees are padded",
        "toes",
        '"l"',
    ):
        assert phrase in text, phrase
    for phrase in ("glutes", "without using your hands", "2-3 reps", "calf", "sharp", "soreness"):
        assert phrase in text, phrase
    wrap = FLOW.steps["wrap-up"]
    assert [c.data for c in wrap.buttons] == ["ci:optin", "sub:on", "rm:offer"]


def broken(tmp_path: Path, old: str, new: str) -> list[str]:
    """Copy the knowledge folder, replace `old` by `new` in session.yaml and return the problems."""
    folder = tmp_path / "kb"
    shutil.copytree(DEFAULT_DIR, folder)
    path = folder / "session.yaml"
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(KnowledgeError) as caught:
        load_flow(folder)
    return [str(p) for p in caught.value.problems]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("          to: warm-up\n", "          to: warmup\n", "unknown step 'warmup'"),
        ('        - label: "No, I\'m cold"\n          to: warm-up\n', "", "never reached"),
        ('        - label: "I\'m warm now"\n          to: setup\n', "", "dead end"),
        (
            '        - label: "It\'s gone, carry on"\n          to: back\n        - label: "Stop for today"\n'
            "          to: stop-user\n",
            '        - label: "Again"\n          to: cramp\n',
            "dead end",
        ),
        ("  start: safety", "  start: nowhere", "unknown step 'nowhere'"),
        ("    - id: injury", "    - id: safety", "duplicate step id 'safety'"),
        ("Have you\n        just trained legs?", "Have you {lifted} legs?", "unknown placeholder {lifted}"),
        ("Have you\n        just trained legs?", "Have you " + "really " * 40 + "trained?", "under 400"),
        ("          to: stop-injury", '          data: "x:y"', "only end and stop steps"),
        ('          data: "sub:on"', "          to: safety", "need 'data'"),
        ("  rest_seconds: 120", "  rest_seconds: soon", "rest_seconds"),
        ("    stale: ", "    stall: ", "missing text 'stale'"),
        ("      kind: sets\n", "", "'next' and 'rest_text' belong to the sets step only"),
        (
            '      title: "Safety first"\n',
            '      title: "Safety first"\n      colour: red\n',
            "unknown field",
        ),
    ],
)
def test_broken_yaml_says_file_and_line(tmp_path: Path, old: str, new: str, expected: str) -> None:
    problems = broken(tmp_path, old, new)
    assert any(expected in p for p in problems), problems
    assert all(":" in p and "session.yaml:" in p for p in problems), problems
    line = int(problems[0].split("session.yaml:")[1].split(":")[0])
    assert line >= 1


def test_a_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    problems = broken(tmp_path, "  steps:\n", "  steps: [\n")
    assert "YAML syntax error" in problems[0]


def test_hamcoach_check_validates_session_yaml(tmp_path: Path) -> None:
    import subprocess
    import sys

    folder = tmp_path / "kb"
    shutil.copytree(DEFAULT_DIR, folder)
    path = folder / "session.yaml"
    path.write_text(path.read_text().replace("          to: warm-up\n", "          to: warmup\n", 1))
    result = subprocess.run(
        [sys.executable, "-m", "bot", "check", str(folder)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert "session.yaml:" in result.stderr and "warmup" in result.stderr
