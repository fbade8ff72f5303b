"""The command-line contracts of DESIGN.md, run as real subprocesses."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from bot.knowledge.base import DEFAULT_DIR


def hamcoach(
    *args: str,
    stdin: str = "",
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=full_env,
        timeout=300,  # encoding every text takes ~20 s, far longer on a loaded machine
    )


def test_ask_prints_the_answer(tmp_path: Path) -> None:
    result = hamcoach("ask", "why do my calves cramp?", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "toes" in result.stdout.lower()
    assert not (tmp_path / "hamcoach.db").exists(), "ask needs no database"


def test_ask_json_reads_one_question_per_line() -> None:
    result = hamcoach("ask", "--json", "-", stdin="where do my hips go?\nbest bench program?\n\n")
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 3
    for line in lines:
        assert {"question", "matched", "answer", "topic", "score", "sources"} <= set(line)
    hips, bench, empty = lines
    assert hips["matched"] is True and hips["topic"] == "hips-forward" and hips["sources"]
    assert bench["matched"] is False and bench["topic"] is None and "don't know" in bench["answer"]
    assert empty["matched"] is False


def test_a_reader_that_stops_early_gets_no_traceback() -> None:
    """`hamcoach ask --json - < questions | head -1`: the pipe closes while answers are still coming."""
    questions = "".join(f"why do my calves cramp {i}\n" for i in range(200))
    with subprocess.Popen(
        [sys.executable, "-m", "bot", "ask", "--json", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
        proc.stdin.write(questions)
        proc.stdin.close()
        assert json.loads(proc.stdout.readline())["matched"] is True
        proc.stdout.close()
        errors = proc.stderr.read()
        assert proc.wait(timeout=120) == 1
    assert "Traceback" not in errors, errors


def test_status_json_has_the_contract_keys(tmp_path: Path) -> None:
    result = hamcoach("status", "--json", env={"HAMCOACH_DB": str(tmp_path / "s.db")})
    counts = json.loads(result.stdout)
    for key in ("users", "sessions", "pending_checkins", "pending_reminders", "subscribers", "deliveries"):
        assert isinstance(counts[key], int)


def test_chat_reads_a_pipe_and_presses_buttons_by_number(tmp_path: Path) -> None:
    result = hamcoach(
        "chat", stdin="/start\n1\nwhy do my calves cramp\n", env={"HAMCOACH_DB": str(tmp_path / "c.db")}
    )
    assert result.returncode == 0, result.stderr
    assert "[1] Browse topics" in result.stdout
    assert "Pick a topic" in result.stdout  # "1" pressed the first button
    assert "calf" in result.stdout.lower()
    status = json.loads(hamcoach("status", "--json", env={"HAMCOACH_DB": str(tmp_path / "c.db")}).stdout)
    assert status["users"] == 1


def test_chat_numbers_never_press_stop_and_a_number_asked_for_is_the_answer(tmp_path: Path) -> None:
    steps = "/session\nno\nyes\nok\nok\nok\nok\n12\n2\n"
    result = hamcoach("chat", stdin=steps, env={"HAMCOACH_DB": str(tmp_path / "c.db")})
    assert result.returncode == 0, result.stderr
    assert "[type: Sharp pain]" in result.stdout, "a destructive button has no number"
    assert "Set 1: 12 reps logged" in result.stdout, "12 is the reps asked for, not a button"
    assert "[1] Skip rest" in result.stdout and "Stop now" not in result.stdout


def test_unanswered_lists_what_the_bot_did_not_know(tmp_path: Path) -> None:
    env = {"HAMCOACH_DB": str(tmp_path / "u.db")}
    hamcoach("chat", stdin="best bench program?\nwhy do my calves cramp\n", env=env)
    listed = hamcoach("unanswered", env=env).stdout
    assert "best bench program?" in listed
    assert "calves" not in listed


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("HAMCOACH_LOG_LEVEL", "LOUD", "HAMCOACH_LOG_LEVEL"),
        ("HAMCOACH_ADMIN_IDS", "alice", "HAMCOACH_ADMIN_IDS"),
        ("HAMCOACH_BROADCAST_RATE", "0", "HAMCOACH_BROADCAST_RATE"),
    ],
)
def test_bad_settings_are_named(name: str, value: str, message: str) -> None:
    result = hamcoach("ask", "hips", env={name: value})
    assert result.returncode == 2
    assert message in result.stderr


def test_run_without_token_explains(tmp_path: Path) -> None:
    result = hamcoach("run", env={"TELEGRAM_BOT_TOKEN": "", "HAMCOACH_DB": str(tmp_path / "r.db")})
    assert result.returncode == 2
    assert "TELEGRAM_BOT_TOKEN" in result.stdout


def test_check_notes_missing_vectors_and_the_vectors_command_stores_them(tmp_path: Path) -> None:
    folder = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_DIR, folder)
    (folder / "vectors.npz").unlink()
    noted = hamcoach("check", str(folder))
    assert noted.returncode == 0, noted.stderr
    assert f"run `hamcoach vectors {folder}`" in noted.stdout
    # the file back, with one vector marked (a unit axis no sentence encodes to) to see it is kept
    with np.load(DEFAULT_DIR / "vectors.npz") as shipped:
        arrays = {name: shipped[name] for name in shipped.files}
    marked = str(arrays["keys"][0])
    arrays["vectors"][0] = np.eye(arrays["vectors"].shape[1], dtype=arrays["vectors"].dtype)[0]
    np.savez_compressed(folder / "vectors.npz", **arrays)
    # a coach adds an example: check notes its missing vector, and `vectors` encodes it (only it: the
    # file's other vectors are kept, which is what makes the command quick after an edit)
    entries = folder / "entries" / "basics.yaml"
    lines = entries.read_text(encoding="utf-8").splitlines(keepends=True)
    example = next(i for i, line in enumerate(lines) if line.startswith("      - "))
    added = [*lines[:example], "      - what do coaches mean by a ham raise anyway\n", *lines[example:]]
    entries.write_text("".join(added), encoding="utf-8")
    noted = hamcoach("check", str(folder))
    assert noted.returncode == 0 and f"run `hamcoach vectors {folder}`" in noted.stdout, noted.stdout
    stored = hamcoach("vectors", str(folder))
    assert stored.returncode == 0, stored.stderr
    assert (folder / "vectors.npz").is_file() and "vectors" in stored.stdout
    with np.load(folder / "vectors.npz") as written:
        kept = dict(zip(written["keys"].tolist(), written["vectors"], strict=True))
    assert kept[marked][0] == 1 and not kept[marked][1:].any(), "the file's own vector was encoded again"
    clean = hamcoach("check", str(folder))
    assert clean.returncode == 0 and "no stored vector" not in clean.stdout and "note:" not in clean.stdout
    # a coach deletes an example: every vector is still there, but the classifier was fitted with it
    entries.write_text("".join(lines[:example] + lines[example + 1 :]), encoding="utf-8")
    edited = hamcoach("check", str(folder))
    assert edited.returncode == 0, edited.stderr
    assert "classifier" in edited.stdout and f"run `hamcoach vectors {folder}`" in edited.stdout


def test_every_command_is_documented() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    commands = ("chat", "ask", "check", "vectors", "status", "run", "unanswered", "broadcast", "transcribe")
    for command in (f"hamcoach {c}" for c in commands):
        assert command in readme, command


def test_vectors_into_a_folder_that_cannot_be_written_is_a_clear_error(tmp_path: Path) -> None:
    folder = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_DIR, folder)
    (folder / "vectors.npz").unlink()
    (folder / "vectors.npz").mkdir()  # the file's place is taken: writing it must fail, even as root
    result = hamcoach("vectors", str(folder))
    assert result.returncode == 1
    assert "cannot write" in result.stderr and "Traceback" not in result.stderr
    assert not [p for p in folder.iterdir() if p.name.startswith(".")], "no partial file left behind"


def test_unanswered_yaml_files_into_messages_yaml_once_an_entry_is_named(tmp_path: Path) -> None:
    knowledge = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_DIR, knowledge)
    env = {"HAMCOACH_DB": str(tmp_path / "u.db"), "HAMCOACH_KNOWLEDGE": str(knowledge)}
    asked = 'best bench program?\nbest   bench program?\nhow do i cook "rice"\x00 fast\n'
    hamcoach("chat", stdin=asked, env=env)
    listed = hamcoach("unanswered", "--yaml", env=env)
    assert listed.returncode == 0, listed.stderr
    filed = yaml.safe_load(listed.stdout)
    assert sorted(item["q"] for item in filed) == ["best bench program?", 'how do i cook "rice" fast']
    messages = knowledge / "messages.yaml"
    original = messages.read_text()
    messages.write_text(original.replace("in_scope:\n", "in_scope:\n" + listed.stdout, 1))
    refused = hamcoach("check", str(knowledge), env=env)
    assert refused.returncode == 1 and "messages.yaml" in refused.stderr, "an unfilled expect is refused"
    named = listed.stdout.replace('expect: ""', "expect: eccentric-control")
    messages.write_text(original.replace("in_scope:\n", "in_scope:\n" + named, 1))
    accepted = hamcoach("check", str(knowledge), env=env)
    assert accepted.returncode == 0, accepted.stderr
