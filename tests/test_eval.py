"""The evaluation set: top-1 accuracy and abstention on the held-out half (the threshold was tuned
on the other half only). Run with `-s` to see the figures."""

from __future__ import annotations

from bot.evaluation import DEV_FILE, evaluate, load_cases, split
from bot.knowledge import load_knowledge
from bot.retrieval import Index

# The target is 0.95 for both. Words, sentence vectors and the answer model reach 0.859 and 0.923
# on the held-out half (the lexical retriever alone: 0.72 and 0.88), and 0.937 and 0.950 on the 269
# questions of dev.yaml's third batch, which the answer model's fit did not see; see CHANGELOG. These
# floors catch regressions; raise them as it improves.
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
    for case in [*load_cases(), *load_cases(DEV_FILE)]:
        assert case.expect <= set(kb.entries), case


def test_held_out_accuracy_and_abstention() -> None:
    _, held = split(load_cases())
    score = evaluate(Index(load_knowledge()), held)
    print(
        f"\nheld-out: top-1 accuracy {score.accuracy:.3f} ({score.correct}/{score.in_scope}), "
        f"abstention {score.abstention:.3f} ({score.abstained}/{score.off_topic})"
    )
    for question, expected, got in score.wrong:
        print(f"  miss: {question!r} expected {expected} got {got}")
    assert score.accuracy >= ACCURACY_FLOOR
    assert score.abstention >= ABSTENTION_FLOOR
