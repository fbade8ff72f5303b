"""The letter-run classifier (bot/answering/ngrams.py): its features, that the knowledge ships its weights,
that it holds up under misspellings, and that its vote changes which entry answers, never whether."""

from __future__ import annotations

import random

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.answering import ngrams
from bot.answering.answerer import Answerer
from bot.answering.evaluation import load_cases
from bot.answering.index import Index
from bot.answering.ranker import Ranker
from bot.answering.vectors import semantic
from bot.knowledge.base import load_knowledge
from tests.data import EVAL_FILE

KB = load_knowledge()
INDEX = Index(KB)


def _letters() -> ngrams.NgramClassifier:
    vectors = INDEX.vectors
    assert vectors is not None and vectors.letters is not None
    return vectors.letters


def test_features_are_words_word_pairs_and_each_words_letter_runs() -> None:
    got = ngrams.features("sore hams")
    assert {"w:sore", "w:hams", "p:sore hams"} <= set(got)
    assert {" s", "so", "sor", " sore", "ore ", "e ", " ham", "ams "} <= set(got)
    assert "p:hams sore" not in got and "e h" not in got  # no run crosses a word's edge
    assert ngrams.features("") == []


@settings(max_examples=30, deadline=None)
@given(st.lists(st.text(alphabet="abcde ", max_size=20), min_size=1, max_size=12), st.randoms())
def test_the_vocabulary_does_not_depend_on_the_order_of_the_texts(
    texts: list[str], rng: random.Random
) -> None:
    shuffled = texts[:]
    rng.shuffle(shuffled)
    a, b = ngrams.Vocabulary.of(texts), ngrams.Vocabulary.of(shuffled)
    assert a.columns == b.columns and np.array_equal(a.idf, b.idf)


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=300))
def test_any_text_gets_probabilities(text: str) -> None:
    scores = _letters().scores(semantic.encoder_text(text))
    assert scores.shape == (len(KB.entries) + 1,)
    assert np.isfinite(scores).all() and abs(float(scores.sum()) - 1.0) < 1e-6


def test_the_knowledge_ships_the_letter_run_weights_of_todays_examples() -> None:
    """Fitting them takes about ten seconds: start-up must read them from vectors.npz instead."""
    assert not semantic.stale_shipped_classifier(KB), "run `hamcoach vectors bot/knowledge/data`"
    vectors = INDEX.vectors
    assert vectors is not None and vectors.letters is not None
    shape = ngrams.shape(vectors.letters.vocabulary, len(KB.entries) + 1)
    shipped = semantic.read_shipped_weights(
        KB.folder / semantic.SHIPPED, semantic.NGRAMS, vectors.letters_fingerprint, shape
    )
    assert shipped is not None and np.array_equal(shipped, vectors.letters.weights)


def test_a_dropped_letter_seldom_moves_an_example_to_another_entry() -> None:
    """What the classifier is for: "hamstirng" keeps most of "hamstring"'s letter runs."""
    letters, ids = _letters(), list(KB.entries)
    kept = total = 0
    for entry in KB.entries.values():
        for example in KB.examples(entry)[:8]:
            words = semantic.encoder_text(example).split()
            longest = max(range(len(words)), key=lambda i: len(words[i]), default=None)
            if longest is None or len(words[longest]) < 6:
                continue
            word = words[longest]
            words[longest] = word[:3] + word[4:]
            total += 1
            kept += ids[int(letters.scores(" ".join(words))[: len(ids)].argmax())] == entry.id
    assert total > 150
    assert kept / total >= 0.9, f"{kept}/{total}"


def test_the_vote_changes_which_entry_answers_never_whether() -> None:
    parts = INDEX.parts()
    unvoted = Ranker(KB, parts.lexicon, parts.vectors, parts.red_flags, letters_weight=0.0)
    plain = Answerer(unvoted, parts.red_flags)
    questions = [case.question for case in load_cases(EVAL_FILE)]
    changed = 0
    for question in questions:
        assert INDEX.signals(question) == unvoted.signals(question), question
        voted, alone = INDEX.answer(question), plain.answer(question)
        assert voted.matched == alone.matched, question
        changed += voted.entry != alone.entry
    assert changed > 0, "the vote never changed an answer: is it wired in?"
