"""Loading and validating the knowledge folder: the real one loads, broken ones name file and line."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.knowledge.base import ANSWER_LIMIT, DEFAULT_DIR, load_knowledge
from bot.knowledge.yamlfile import KnowledgeError


def test_real_knowledge_loads_and_covers_the_seed() -> None:
    kb = load_knowledge(DEFAULT_DIR)
    assert len(kb.entries) >= 30
    assert kb.red_flags.entry in kb.entries
    for entry in kb.entries.values():
        assert len(entry.answer) < ANSWER_LIMIT
        assert entry.sources and all(s in kb.sources for s in entry.sources)
        assert len(entry.questions) >= 2
    tags = {t for e in kb.entries.values() for t in e.tags}
    for must in ("calves", "hips", "doms", "glutes", "sartorius"):
        assert any(must in t for t in tags), must


@pytest.fixture
def kb_copy(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_DIR, target)
    return target


def _problems(folder: Path) -> list[str]:
    with pytest.raises(KnowledgeError) as info:
        load_knowledge(folder)
    return [str(p) for p in info.value.problems]


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def _line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def test_yaml_syntax_error_names_file_and_line(kb_copy: Path) -> None:
    path = kb_copy / "entries" / "technique.yaml"
    line = _line_of(path, "id: toes-calf-cramps")
    _replace(path, "id: toes-calf-cramps", "id: [toes-calf-cramps")
    problems = _problems(kb_copy)
    assert any(p.startswith(f"{path}:") and "YAML syntax error" in p for p in problems), problems
    reported = int(next(p for p in problems if "syntax" in p).split(":")[1])
    assert abs(reported - line) <= 2


def test_missing_field_duplicate_id_and_dangling_refs(kb_copy: Path) -> None:
    path = kb_copy / "entries" / "technique.yaml"
    _replace(path, "kind: cue", "kin: cue")
    _replace(path, "id: glutes", "id: hips-forward")
    _replace(path, "source: [letters]", "source: [no-such-source]")
    problems = "\n".join(_problems(kb_copy))
    assert "missing field 'kind'" in problems
    assert "unknown field 'kin'" in problems
    assert "duplicate entry id 'hips-forward'" in problems
    assert "unknown source 'no-such-source'" in problems
    assert f"{path}:" in problems


def test_dangling_related_and_topic(kb_copy: Path) -> None:
    path = kb_copy / "entries" / "soreness.yaml"
    text = path.read_text()
    path.write_text(
        text.replace("topic: soreness", "topic: nowhere", 1).replace("related: [", "related: [ghost, ", 1)
    )
    problems = "\n".join(_problems(kb_copy))
    assert "unknown topic 'nowhere'" in problems
    assert "related entry 'ghost' does not exist" in problems


def test_overlong_answer_and_red_flag_target(kb_copy: Path) -> None:
    path = kb_copy / "entries" / "safety.yaml"
    _replace(path, "answer: >-", "answer: >-\n      " + "x" * ANSWER_LIMIT)
    _replace(kb_copy / "safety.yaml", "entry: red-flags", "entry: missing-entry")
    problems = "\n".join(_problems(kb_copy))
    assert f"the limit is {ANSWER_LIMIT}" in problems
    assert "red_flags entry 'missing-entry' does not exist" in problems


def test_an_other_meaning_that_shares_no_flag_word_names_its_line(kb_copy: Path) -> None:
    path = kb_copy / "safety.yaml"
    line = _line_of(path, "other_meanings:")
    _replace(path, "    - strength gains\n", "    - protein shakes\n")
    problems = _problems(kb_copy)
    assert f"{path}:{line}: other_meanings 'protein shakes' shares no word with a red-flag phrase" in problems


def test_the_exercise_block_is_checked_with_its_line(kb_copy: Path) -> None:
    path = kb_copy / "synonyms.yaml"
    line = _line_of(path, "means: ham raise")
    _replace(path, "means: ham raise", "means: squat")
    problems = _problems(kb_copy)
    assert f"{path}:{line}: the_exercise means 'squat', which no synonym group lists" in problems, problems
    _replace(path, "means: squat", "means: [ham raise]")
    assert any("'the_exercise' needs 'means:'" in p for p in _problems(kb_copy))


def test_missing_files_are_reported(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    problems = "\n".join(_problems(tmp_path / "empty"))
    assert "sources.yaml:1: required file is missing" in problems
    assert "no entries/*.yaml" in problems


def test_check_command_exit_codes(kb_copy: Path) -> None:
    ok = subprocess.run([sys.executable, "-m", "bot", "check", str(kb_copy)], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert "OK" in ok.stdout
    _replace(kb_copy / "topics.yaml", "id: safety", "id: Safety!")
    bad = subprocess.run([sys.executable, "-m", "bot", "check", str(kb_copy)], capture_output=True, text=True)
    assert bad.returncode == 1
    assert f"{kb_copy / 'topics.yaml'}:" in bad.stderr
    assert "lowercase letters" in bad.stderr


def test_bot_refuses_to_start_on_bad_knowledge(kb_copy: Path, tmp_path: Path) -> None:
    _replace(kb_copy / "sources.yaml", "id: letters", "id: letters\n    id: twice")
    env = {"HAMCOACH_KNOWLEDGE": str(kb_copy), "HAMCOACH_DB": str(tmp_path / "x.db"), "PATH": "/usr/bin"}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "chat"], input="/start\n", capture_output=True, text=True, env=env
    )
    assert result.returncode == 1
    assert "refusing to start" in result.stderr
    assert not (tmp_path / "x.db").exists(), "nothing is written before the knowledge is valid"


def test_off_topic_questions_are_optional_and_checked(kb_copy: Path) -> None:
    path = kb_copy / "off_topic.yaml"
    assert load_knowledge(kb_copy).off_topic, "the real folder lists near-miss questions"
    path.write_text("# near misses\nquestions:\n  - ''\n  - [not, text]\nextra: 1\n")
    problems = _problems(kb_copy)
    assert any(p.startswith(f"{path}:2:") and "non-empty text" in p for p in problems), problems
    assert any(p.startswith(f"{path}:") and "extra" in p for p in problems), problems
    path.unlink()
    assert load_knowledge(kb_copy).off_topic == ()


def test_one_example_question_teaches_one_answer(kb_copy: Path) -> None:
    path = kb_copy / "entries" / "technique.yaml"
    text = path.read_text()
    marker = "    questions:\n"
    at = text.index(marker, text.index("id: toes-calf-cramps")) + len(marker)
    # one of doms-what's examples, bar case and "?"
    path.write_text(text[:at] + '      - "WHY am I sore the day after??"\n' + text[at:])
    (kb_copy / "off_topic.yaml").write_text('questions:\n  - "calves cramp during nordics"\n')
    problems = _problems(kb_copy)
    assert any(p.startswith(f"{path}:") and "also in entry 'doms-what'" in p for p in problems), problems
    assert any("off_topic.yaml" in p and "toes-calf-cramps" in p for p in problems), problems


def test_messages_teach_their_entry_and_the_limits(kb_copy: Path) -> None:
    kb = load_knowledge(kb_copy)
    assert len(kb.messages) > 1000, "the real folder files real messages"
    learned = next(m for m in kb.messages if len(m.entries) == 1)
    assert learned.text in kb.examples(kb.entries[learned.entries[0]])
    shared = next(m for m in kb.messages if len(m.entries) > 1)
    assert not any(shared.text in kb.examples(e) for e in kb.entries.values()), "checked, not learned"
    off = next(m for m in kb.messages if not m.entries)
    assert off.text in kb.near_misses and off.text not in kb.off_topic
    (kb_copy / "messages.yaml").unlink()
    assert load_knowledge(kb_copy).messages == (), "the file is optional"


def test_bad_messages_name_file_and_line(kb_copy: Path) -> None:
    path = kb_copy / "messages.yaml"
    path.write_text(
        "in_scope:\n"
        "- q: 'fine message about calves'\n"
        "  expect: toes-calf-cramps\n"
        "- q: 'which entry?'\n"  # line 4
        "  expect: no-such-entry\n"
        "- q: ''\n"  # line 6
        "  expect: glutes\n"
        "- q: 'WHY am I sore the day after??'\n"  # line 8: an example question of doms-what
        "  expect: glutes\n"
        "- q: 'no expect here'\n"  # line 10
        "  colour: blue\n"
        "off_topic:\n"  # line 12
        "- 'calves cramp during nordics'\n"
    )
    problems = _problems(kb_copy)
    assert any(p.startswith(f"{path}:4:") and "'no-such-entry' does not exist" in p for p in problems)
    assert any(p.startswith(f"{path}:6:") and "non-empty text" in p for p in problems), problems
    assert any(p.startswith(f"{path}:8:") and "also an example of entry 'doms-what'" in p for p in problems)
    assert any(p.startswith(f"{path}:10:") and "missing field 'expect'" in p for p in problems), problems
    assert any(p.startswith(f"{path}:") and "unknown field 'colour'" in p for p in problems), problems
    assert any(p.startswith(f"{path}:12:") and "not off-topic" in p for p in problems), problems
    path.write_text("- just a list\n")
    assert any(p.startswith(f"{path}:1:") and "in_scope" in p for p in _problems(kb_copy))


_yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    value=st.one_of(
        _yaml_values,
        st.fixed_dictionaries({"in_scope": _yaml_values, "off_topic": _yaml_values}),
        st.fixed_dictionaries(
            {"in_scope": st.lists(st.fixed_dictionaries({"q": _yaml_values, "expect": _yaml_values}))}
        ),
    )
)
def test_any_messages_yaml_loads_or_is_refused_with_its_file_named(kb_copy: Path, value: object) -> None:
    path = kb_copy / "messages.yaml"
    path.write_text(yaml.safe_dump(value, allow_unicode=True))
    try:
        kb = load_knowledge(kb_copy)
    except KnowledgeError as exc:
        assert exc.problems and all(p.path == path for p in exc.problems), exc.problems
    else:
        assert all(m.text and all(e in kb.entries for e in m.entries) for m in kb.messages)
