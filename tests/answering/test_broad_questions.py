"""Broad and definitional questions get the overview entries (the key cues, eccentric and concentric,
what the research says); a word the knowledge has never seen, or a swapped pair of letters, does not
sink a covered question; near misses that name the exercise but ask what the sources do not cover get
an honest "I don't know"."""

from __future__ import annotations

import pytest

from bot.answering.index import Index
from bot.knowledge.base import load_knowledge

KB = load_knowledge()
INDEX = Index(KB)


@pytest.mark.parametrize(
    ("question", "entry"),
    [
        ("nordic curl form tips", "key-cues"),
        ("any form tips for ham raises?", "key-cues"),
        ("what does eccentric mean", "eccentric-meaning"),
        ("eccentric means what exactly", "eccentric-meaning"),
        ("is there research", "research"),
        ("is there actual research behind nordics or is it broscience", "research"),
        ("where do my hnads go", "using-hands"),  # two letters swapped
        # one word the knowledge has never seen, in an otherwise covered question
        ("why do my calves cramp broscience", "toes-calf-cramps"),
        ("is it broscience that nordics prevent injuries", "injury-prevention"),
        ("how long does doms last lmaoo", "doms-how-long"),
        # the exercise is the only thing named (or "it" stands for it): the names do not decide
        ("how do I do it", "key-cues"),
        ("how do i do nordics", "key-cues"),
        ("Should my back be arched?", "hips-forward"),
    ],
)
def test_broad_and_definitional_questions(question: str, entry: str) -> None:
    answer = INDEX.answer(question)
    assert answer.entry is not None and answer.entry.id == entry, INDEX.rank(question)[:3]


@pytest.mark.parametrize(
    "question",
    [
        "will nordics make my legs bigger",
        "best age for kids to start nordic curls",
        "how much weight should I hold for weighted nordics",
    ],
)
def test_near_misses_that_name_the_exercise_abstain(question: str) -> None:
    answer = INDEX.answer(question)
    assert answer.entry is None, (answer.entry.id if answer.entry else None, answer.score)


@pytest.mark.parametrize(
    "question", ["hey hows it going", "hello, could you tell me what time it is", "is it ok"]
)
def test_it_means_the_exercise_only_when_something_is_done_to_it(question: str) -> None:
    assert INDEX.lexicon.concepts(question) == []
    assert INDEX.answer(question).entry is None


def test_it_stands_for_the_exercise_only_when_nothing_else_is_named() -> None:
    exercise = INDEX.lexicon.concepts("ham raise")
    assert INDEX.lexicon.concepts("how do I do it") == exercise
    assert exercise[0] not in INDEX.lexicon.concepts("where do I do it in my session")


def test_overview_entries_cite_their_sources() -> None:
    assert "letters" in KB.entries["key-cues"].sources
    assert {"petersen-2011", "mjolsnes-2004"} <= set(KB.entries["research"].sources)
