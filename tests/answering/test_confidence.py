"""The answer model: a probability whatever the signals, and it moves the way the signals say."""

from __future__ import annotations

import dataclasses

from hypothesis import given
from hypothesis import strategies as st

from bot.answering.confidence import Signals, probability, read_fitted
from bot.answering.index import Index
from bot.knowledge.base import load_knowledge

TYPICAL = Signals(
    blend=0.6,
    coverage=0.5,
    closeness=0.7,
    best_cosine=0.75,
    off_topic_gap=-0.3,
    lead=0.1,
    unknown_share=0.2,
    concepts=3.0,
)


@given(st.lists(st.floats(allow_nan=False, allow_infinity=False, width=32), min_size=8, max_size=8))
def test_any_signals_give_a_probability(values: list[float]) -> None:
    p = probability(Signals(*values))
    assert 0.0 <= p <= 1.0


def test_nearer_an_off_topic_question_means_less_likely_right() -> None:
    near = dataclasses.replace(TYPICAL, off_topic_gap=0.05)
    assert probability(near) < probability(TYPICAL)


def test_a_clear_lead_means_more_likely_right() -> None:
    clear = dataclasses.replace(TYPICAL, lead=0.3)
    assert probability(clear) > probability(TYPICAL)


def test_the_answer_score_is_the_probability() -> None:
    index = Index(load_knowledge())
    question = "why do my calves cramp"
    signals = index.signals(question)
    assert signals is not None
    answer = index.answer(question)
    assert answer.score == probability(signals) and answer.score >= 0.5


def test_the_fitted_weights_are_those_of_todays_inputs() -> None:
    """benchmarks/calibrate.py wrote bot/answering/data/confidence.json with a hash of the knowledge's
    YAML, eval.yaml and the signals' code; an edit to any since means the weights are stale."""
    from benchmarks.calibrate import input_files, inputs_digest

    fitted = read_fitted()
    folder = load_knowledge().folder
    assert fitted["inputs"] == inputs_digest(folder), (
        f"the answer model was fitted on other inputs ({len(input_files(folder))} files hashed): "
        "run benchmarks/calibrate.py and commit bot/answering/data/confidence.json"
    )
