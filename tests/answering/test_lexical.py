"""The lexical index: typo correction into the knowledge's spelling, and user text that cannot inject
FTS5 syntax (bot/answering/lexical.py)."""

from __future__ import annotations

from bot.answering.index import Index
from bot.answering.lexical import fts_query
from bot.knowledge.base import load_knowledge

KB = load_knowledge()
INDEX = Index(KB)


def test_fts_syntax_in_questions_is_harmless() -> None:
    for text in ['"calves" AND OR NOT NEAR(', "calf*", "hips -- ' ; drop table docs", "^toes:"]:
        INDEX.answer(text)
    assert INDEX.answer("calves cramp").entry is not None


def test_every_phrase_is_quoted_in_the_match_expression() -> None:
    assert fts_query([('calves" OR x',), ("a b", "c")]) == '("calves or x") OR ("a b" OR "c")'
    assert fts_query([("?!",)]) == '""'


def test_a_typo_takes_the_knowledge_spelling_but_a_real_word_stays() -> None:
    [nordic] = INDEX.lexicon.concepts("nordcis")
    assert "nordic" in nordic
    [sore] = INDEX.lexicon.concepts("sorness")
    assert "soreness" in sore
    assert INDEX.lexicon.concepts("powder") == [("powder",)]  # not "power"
