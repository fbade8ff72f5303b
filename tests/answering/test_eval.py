"""The evaluation sets: top-1 accuracy and abstention on the held-out half of eval.yaml and on check.yaml,
check2.yaml to check12.yaml (nothing was tuned on them). Run with `-s` to see the figures."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.answering.evaluation import Score, evaluate, load_cases, split
from bot.answering.index import Index
from bot.answering.vectors.semantic import encoder_text
from bot.knowledge.base import load_knowledge
from tests.data import EVAL_FILE, HELD_OUT, HELD_OUT_FILES

# Floors: fixed numbers, (top-1 accuracy, off-topic abstention) per held-out set. They never move down:
# a change that falls below one is not done, whatever else it improves; raise them as figures improve.
# Each is the highest that pair ever had here (issue 14 restored check3's abstention floor, once lowered
# from 0.95 to 0.94 to fit a figure). Figures: see CHANGELOG.md and `pytest -s` on this file.
HELD_OUT_HALF_FLOORS = (0.96, 0.96)
# check4 is the blind batch of 2026-12-02 (measured once before filing: 0.736 / 0.796 on all 219 messages),
# its floors the figures of the 195 filed after the near copies of knowledge texts were taken out.
# check5 is the blind batch of 2026-12-03 (measured once before filing: 0.958 / 0.967 on all 180), its
# floors the figures of the 126 filed. Raised on 2026-12-03 to the figures of the encoder that gives the
# same vectors on every CPU (before, they depended on the machine: check4 0.688 on an AVX-512 VNNI one).
# check6 is the blind batch of 2026-12-04 (measured once before filing: 0.933 / 0.985 on all 200), its
# floors the figures of the 141 filed (0.904 / 0.979); raised on 2026-12-07, with check5's, to today's
# figures (0.926, check5 0.955). check7 is the blind batch of 2026-12-07 (measured once before filing:
# 0.919 / 1.000 on all 200), its floors just under the figures of the 127 filed (0.918 / 1.000; one
# off-topic miss of its 30 would give 0.967). check8 is the second blind batch of 2026-12-07 (measured once
# before filing: 0.926 / 1.000 on all 200), its floors just under the figures of the 141 filed (0.911 /
# 1.000; one off-topic miss of its 40 would give 0.975). check9 is the third (measured once before filing:
# 0.904 / 0.954 on all 200), its floors just under the figures of the 135 filed (0.891 / 0.912).
# Top-1 floors raised on 2026-12-08 to just under the figures with the letter-run vote (ranker.py):
# eval half 0.969, check3 0.946, check6 0.957, check7 0.928, check8 0.921, check9 0.901; and again that
# day with the reassured question's lower threshold (answerer.REASSURED_SHARE): check6 0.968, check7
# 0.938, check8 0.931, check9 0.911 (check4 fell to 0.723, over its floor). check10 is blind batch H of
# 2026-12-08 (measured once before filing: 0.963 / 0.985 on all 200), its floors just under the figures of
# the 112 filed (0.949 / 0.970; one off-topic miss more of its 33 would give 0.939). check11 is blind batch
# L of 2026-12-08 (measured once before filing: 0.927 / 0.967 on all 210), its floors just under the
# figures of the 135 filed (0.910 / 0.958; 101/111 is 0.9099, and one off-topic miss more of its 24 would
# give 0.917). check12 is blind batch N of 2026-12-08 (measured once before filing: 0.947 / 0.950 on all
# 210), its floors just under the figures of the 123 filed (0.924 / 0.903). check10's top-1 floor raised
# that day to 0.96, one miss under its figure with the red-flag phrases of dev16 (0.975).
FLOORS = {
    "check.yaml": (0.96, 0.98),
    "check2.yaml": (0.98, 1.00),
    "check3.yaml": (0.94, 0.96),
    "check4.yaml": (0.71, 0.81),
    "check5.yaml": (0.95, 0.94),
    "check6.yaml": (0.96, 0.97),
    "check7.yaml": (0.93, 0.96),
    "check8.yaml": (0.93, 0.97),
    "check9.yaml": (0.91, 0.91),
    "check10.yaml": (0.96, 0.96),
    "check11.yaml": (0.90, 0.95),
    "check12.yaml": (0.92, 0.90),
}


def test_every_held_out_set_has_floors() -> None:
    assert sorted(FLOORS) == sorted(HELD_OUT)


def test_eval_set_is_big_enough_and_split() -> None:
    cases = load_cases(EVAL_FILE)
    tune, held = split(cases)
    assert sum(1 for c in cases if c.expect) >= 80
    assert sum(1 for c in cases if not c.expect) >= 25
    assert not {c.question for c in tune} & {c.question for c in held}


def test_evaluation_questions_name_real_entries() -> None:
    kb = load_knowledge()
    for case in [*load_cases(EVAL_FILE), *(c for f in HELD_OUT_FILES for c in load_cases(f))]:
        assert case.expect <= set(kb.entries), case


def report(name: str, score: Score) -> None:
    print(
        f"\n{name}: top-1 accuracy {score.accuracy:.3f} ({score.correct}/{score.in_scope}), "
        f"abstention {score.abstention:.3f} ({score.abstained}/{score.off_topic})"
    )
    for question, expected, got in score.wrong:
        print(f"  miss: {question!r} expected {expected} got {got}")


def test_held_out_accuracy_and_abstention() -> None:
    _, held = split(load_cases(EVAL_FILE))
    score = evaluate(Index(load_knowledge()), held)
    report("held-out", score)
    accuracy_floor, abstention_floor = HELD_OUT_HALF_FLOORS
    assert score.accuracy >= accuracy_floor
    assert score.abstention >= abstention_floor


@pytest.mark.parametrize("path", HELD_OUT_FILES, ids=[f.stem for f in HELD_OUT_FILES])
def test_later_held_out_sets(path: Path) -> None:
    score = evaluate(Index(load_knowledge()), load_cases(path))
    report(path.name, score)
    accuracy_floor, abstention_floor = FLOORS[path.name]
    assert score.accuracy >= accuracy_floor
    assert score.abstention >= abstention_floor


def test_no_evaluation_question_is_also_an_example_or_a_message() -> None:
    """An example question or a message is answered by construction, so one in an evaluation set would
    flatter it (in the tuning half, it would teach benchmarks/calibrate.py to trust too easily)."""
    kb = load_knowledge()
    known = {encoder_text(q) for e in kb.entries.values() for q in e.questions}  # titles are fair game
    known |= {encoder_text(q) for q in (*kb.off_topic, *(m.text for m in kb.messages))}
    for cases in (load_cases(EVAL_FILE), *(load_cases(f) for f in HELD_OUT_FILES)):
        shared = sorted({encoder_text(c.question) for c in cases} & known)
        assert not shared, f"remove these from the knowledge: {shared}"
