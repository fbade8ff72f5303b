"""The evaluation sets: top-1 accuracy and abstention on the held-out half of eval.yaml and on check.yaml
(nothing was tuned on either). Run with `-s` to see the figures."""

from __future__ import annotations

from bot.evaluation import CHECK_FILE, DEV_FILE, Score, evaluate, load_cases, split
from bot.knowledge import load_knowledge
from bot.retrieval import Index

# The target is 0.95 for both. Words, sentence vectors and the answer model reach 0.859 and 0.923
# on the held-out half (the lexical retriever alone: 0.72 and 0.88), and 0.888 and 0.917 on check.yaml,
# a second held-out set written after everything was tuned; see CHANGELOG. These floors catch
# regressions; raise them as it improves.
ACCURACY_FLOOR = 0.82
ABSTENTION_FLOOR = 0.88


def test_eval_set_is_big_enough_and_split() -> None:
    cases = load_cases()
    tune, held = split(cases)
    assert sum(1 for c in cases if c.expect) >= 80
    assert sum(1 for c in cases if not c.expect) >= 25
    assert not {c.question for c in tune} & {c.question for c in held}


def test_eval_and_development_questions_name_real_entries() -> None:
    kb = load_knowledge()
    for case in [*load_cases(), *load_cases(DEV_FILE), *load_cases(CHECK_FILE)]:
        assert case.expect <= set(kb.entries), case


def report(name: str, score: Score) -> None:
    print(
        f"\n{name}: top-1 accuracy {score.accuracy:.3f} ({score.correct}/{score.in_scope}), "
        f"abstention {score.abstention:.3f} ({score.abstained}/{score.off_topic})"
    )
    for question, expected, got in score.wrong:
        print(f"  miss: {question!r} expected {expected} got {got}")


def test_held_out_accuracy_and_abstention() -> None:
    _, held = split(load_cases())
    score = evaluate(Index(load_knowledge()), held)
    report("held-out", score)
    assert score.accuracy >= ACCURACY_FLOOR
    assert score.abstention >= ABSTENTION_FLOOR


def test_second_held_out_set() -> None:
    score = evaluate(Index(load_knowledge()), load_cases(CHECK_FILE))
    report("check.yaml", score)
    assert score.accuracy >= ACCURACY_FLOOR
    assert score.abstention >= ABSTENTION_FLOOR
