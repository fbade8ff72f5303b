"""Warning signs a message rules out are not red flags, in their clause only (bot/answering/negation.py,
bot/answering/redflags.py): "no sharp pain, just sore" gets the soreness answer and a line on the signs;
"no swelling but a sharp pain" still gets the safety answer first."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.answering.index import Index
from bot.answering.negation import NEGATIONS, tokenize
from bot.answering.redflags import GAP_MARK
from bot.answering.views import answer_replies
from bot.core.textnorm import is_filler, words
from bot.knowledge.base import load_knowledge

KB = load_knowledge()
INDEX = Index(KB)
DETECTOR = INDEX.red_flags
# "can't walk" carries its own negation: "no can't walk" is no English to rule it out
FLAGS = sorted(p.replace(f" {GAP_MARK} ", " ") for p in KB.red_flags.phrases if not set(words(p)) & NEGATIONS)

# the reassuring messages (5 of 10 such messages led with "stop and see a clinician")
REASSURING = [
    "just really sore, no sharp pain, is that ok",
    "no swelling or bruising, just achy hammies",
    "it's a dull ache not a stabbing pain",
    "pee is normal colour, no bruises",
    "nothing popped",
    "didn't hear a pop, just really tight the next day",
    "no swelling, bruising or dark pee, just stiff",
    "neither swelling nor bruising, only sore",
    "haven't noticed any swelling or bruising, how long will the soreness last",
    # a hedge, a list of kinds of pain, and two-word denials
    "not really a sharp pain, more of an ache",
    "no stabbing or shooting pain, just sore",
    "a dull ache rather than sharp pain",
    "free of any swelling, just sore hamstrings",
    # a list closed with "or anything like that", a sign denied in other words, a hedged reassurance,
    # and nobody reporting one (from a development batch of safety messages, benchmarks/data/dev11.yaml)
    "no dark pee or anything like that, just regular soreness",
    "its not sharp its more like a dull throb, day 4 now. when does it stop",
    "pee looks totally normal, just really sore",
    "nobody reported sharp pain, just soreness",
]
# a warning sign the message reports, next to one it rules out, or in doubt: still red flags
ALARMING = [
    "no swelling but sharp pain when I lower",
    "no swelling but a sharp pain behind the knee",
    "no swelling, sharp pain when i sit down",
    "nothing popped but now it's swollen",
    "not sure if it popped",
    "no idea why my hamstring is swollen",
    "no my leg is swollen",
    "not much swelling yet",
    "never had a sharp pain like this before",
    "no bruising until this morning",
    "no pain at first and then it popped",
    "my pee isn't a normal colour",
    "no it really popped",
    "not really sure if it popped",
    "sharp pain rather than an ache",
    "never had a pop like that before",
    "my pee looks totally not normal",
]


def leads_with_safety(text: str) -> bool:
    replies = answer_replies(KB, INDEX.answer(text))
    return KB.entries[KB.red_flags.entry].title in replies[0].text


@pytest.mark.parametrize("text", REASSURING)
def test_ruled_out_warning_signs_get_the_soreness_answer_and_a_line_on_the_signs(text: str) -> None:
    answer = INDEX.answer(text)
    assert not answer.red_flag and not INDEX.is_red_flag(text) and not leads_with_safety(text)
    assert answer.entry is not None and answer.entry.topic == "soreness", answer.entry
    [reply] = answer_replies(KB, answer)
    assert reply.text.rstrip().endswith(KB.texts["warning_signs"].rstrip())


@pytest.mark.parametrize("text", ALARMING)
def test_a_reported_or_doubtful_warning_sign_still_leads(text: str) -> None:
    assert DETECTOR.mentioned(text), DETECTOR.scan(text)
    assert INDEX.answer(text).red_flag and leads_with_safety(text)


def test_what_else_a_mixed_message_asks_is_answered_after_the_safety_answer() -> None:
    answer = INDEX.answer("no swelling but sharp pain when I lower, how do i control the way down")
    assert answer.red_flag and answer.also is not None and answer.also.id == "eccentric-control"
    assert "swelling" not in DETECTOR.without("no swelling but sharp pain when I lower")


# reassurance first, then a question about something else: the question is what gets answered
# (with the denied complaints, "no pain", "nothing weird", in the text asked, each got doms-what)
ASKED_AFTER_REASSURING = [
    ("no pain, no swelling, all good. how many sets should i do this week", "protocol-10-week"),
    ("no aches, no swelling, legs fine, what should i do with my hands", "using-hands"),
    ("no swelling, no pain, nothing weird, whats a good warm up", "warm-up"),
    # a complaint denied in words no phrase lists: the sentence vectors read "sharp" and "weak" and led
    # with the safety answer (from a development batch, benchmarks/data/dev10.yaml)
    ("nothing sharp, just a dull ache all over my hamstrings. what helps?", "doms-relief"),
    ("nothing sharp, it just hurts to sit down, when does it stop", "doms-how-long"),
    ("legs arent weak or bruised, theyre just sore. whats actually going on in the muscle?", "doms-what"),
    # ruling signs out says the message is about the soreness: its question needs less certainty (it got
    # the reassured entry, doms-what, at probability 0.33; answerer.REASSURED_SHARE)
    ("no bruise, no swelling, legs just ache. is a hot bath or ice better", "doms-relief"),
]


@pytest.mark.parametrize(("text", "expect"), ASKED_AFTER_REASSURING)
def test_the_question_after_the_reassurance_is_answered(text: str, expect: str) -> None:
    answer = INDEX.answer(text)
    assert answer.entry is not None and answer.entry.id == expect and answer.reassured
    assert not answer.red_flag and not leads_with_safety(text)


@pytest.mark.parametrize(
    "text",
    [
        "didnt feel anything sharp at all, its only a dull ache. can i train tomorrow",
        "nothing sharp at all",
        "never anything sharp, it only aches a bit",
    ],
)
def test_a_message_whose_only_complaints_are_denied_never_leads_with_the_safety_answer(text: str) -> None:
    # meaning alone ranked the safety entry first, and what is left once the denial is out is answered
    # by nothing confidently: it is about ordinary soreness (from benchmarks/data/dev12.yaml's one miss)
    answer = INDEX.answer(text)
    assert not answer.red_flag and answer.reassured and answer.entry is not None


@pytest.mark.parametrize(
    "text",
    [
        "didnt feel anything sharp but i cant feel my foot now",
        "nothing sharp, but i cant straighten my leg now",
    ],
)
def test_a_denial_beside_an_inability_keeps_the_safety_answer(text: str) -> None:
    # what a leg cannot do is no ordinary soreness, named by a safety.yaml phrase or not
    assert INDEX.answer(text).red_flag


@pytest.mark.parametrize(
    "text", ["no discolouration or bruises, just tight", "nothing snapped or popped, just stiff hammies"]
)
def test_any_word_joined_by_or_is_an_item_of_the_denied_list(text: str) -> None:
    # "discolouration" and "snapped" are no warning-sign words, yet they stand in the list "no ... or"
    assert not DETECTOR.mentioned(text) and DETECTOR.ruled_out(text)
    assert not INDEX.answer(text).red_flag


@pytest.mark.parametrize(
    "text",
    [
        "none of the kids reported swelling, they're just stiff",
        "nobody on my team had sharp pain, only soreness",
        "no one reports bruising, just achy legs",
        "no red flags like swelling, just tired hamstrings",
    ],
)
def test_a_coach_saying_no_one_reported_a_sign_rules_it_out(text: str) -> None:
    # "none of my players reported": who did not report it stands between the negation and the sign
    assert not DETECTOR.mentioned(text) and DETECTOR.ruled_out(text)
    assert not INDEX.answer(text).red_flag


def test_after_ruling_signs_out_meaning_alone_does_not_lead_with_the_safety_answer() -> None:
    # nothing is named and nothing is said to be impossible: "sore as hell" is soreness
    answer = INDEX.answer("pee is normal, no swelling, legs are just sore as hell. what is doms even")
    assert not answer.red_flag and answer.reassured and answer.entry is not None


def test_a_denial_of_no_known_warning_sign_is_dropped_when_the_whole_is_not_answered() -> None:
    # "no weakness" is no safety.yaml phrase, so nothing is ruled out; asked whole, the message abstained
    answer = INDEX.answer("legs feel totally normal, no weakness, just curious how long to rest between sets")
    assert answer.entry is not None and answer.entry.id == "rest-between-sets" and not answer.red_flag


def test_a_denied_complaint_is_taken_out_of_the_question_with_its_denial() -> None:
    assert DETECTOR.without_denied("its a dull ache not sharp, is that too much") == (
        "its a dull ache, is that too much"
    )
    assert DETECTOR.without_denied("no real weakness, how often should i train") == "how often should i train"
    assert not INDEX.answer("didn't swell up or bruise, just aches").red_flag


def test_what_a_leg_cannot_do_is_not_a_denial() -> None:
    # "can't straighten it" reports a loss, so it is kept; a plain denial ("nothing sharp") is dropped
    assert DETECTOR.undenied("cant straighten my leg since, how often should i train").startswith("cant")
    assert DETECTOR.undenied("nothing sharp, how often should i train") == "how often should i train"
    assert not DETECTOR.denies_a_symptom("cant straighten it, is it sharp")
    answer = INDEX.answer("cant straighten my leg properly since i did them, how often should i train")
    assert answer.entry is None or answer.entry.id != "frequency"


def test_a_preamble_before_but_does_not_sink_the_question_after_it() -> None:
    # "dumb" and "silly" are chat filler, and a whole that is not answered is asked again after its "but"
    # (this one abstained before either)
    answer = INDEX.answer("ok dumb question but what even is the nordic")
    assert answer.entry is not None and answer.entry.id == "what-is-ham-raise"
    assert all(is_filler(w) for w in ("dumb", "silly", "stupid", "random"))


def test_clauses_of_denial_are_dropped_and_the_rest_kept_with_its_punctuation() -> None:
    text = "No pain, nothing weird, no bruising. but how often, and when?"
    assert DETECTOR.undenied(text) == "but how often, and when"
    assert DETECTOR.undenied("not a sharp pain, and not swollen") == ""


def test_a_reassurance_with_nothing_else_asked_keeps_its_subject() -> None:
    # with its clauses of denial gone, "is that bad" alone is not answerable: the whole is asked
    answer = INDEX.answer("no soreness at all and no bruising, is that bad")
    assert answer.entry is not None and answer.entry.topic == "soreness" and not answer.red_flag


def test_only_the_warning_line_is_added_after_ruled_out_signs() -> None:
    plain = answer_replies(KB, INDEX.answer("how long does doms last"))
    assert KB.texts["warning_signs"] not in plain[0].text


def test_tokens_are_the_words_with_the_punctuation_between_them() -> None:
    tokens = tokenize("No swelling, but: a POP - then it's… swollen")
    assert tokens.words == ("no", "swelling", "but", "a", "pop", "then", "its", "swollen")
    assert tokens.breaks == ("", "", ",", ".", "", ".", "", ".")


@given(st.text(max_size=60))
def test_tokenizing_keeps_exactly_the_words(text: str) -> None:
    assert list(tokenize(text).words) == words(text)


NEGATE = st.sampled_from(
    [
        "no",
        "not",
        "not a",
        "without",
        "without any",
        "never",
        "never had",
        "never felt a",
        "nothing",
        "no sign of",
        "no signs of any",
        "didn't feel any",
        "didn\u2019t notice",  # a phone's curly apostrophe
        "isn't",
        "wasn't",
        "haven't had any",
        "there's no",
        "no obvious",
        "nor",
    ]
)
BEFORE = st.sampled_from(
    ["", "my hamstrings are really sore,", "day two after nordics and", "hammies ache but"]
)
AFTER = st.sampled_from(["", ", is that ok?", ", just achy", ". how long will the soreness last", " at all"])


@settings(max_examples=150, deadline=None)
@given(BEFORE, NEGATE, st.sampled_from(FLAGS), AFTER)
def test_a_negation_before_any_red_flag_phrase_turns_it_off(
    before: str, negation: str, phrase: str, after: str
) -> None:
    text = f"{before} {negation} {phrase}{after}".strip()
    assert DETECTOR.mentioned(f"{before} {phrase}{after}".strip())
    assert not DETECTOR.mentioned(text) and DETECTOR.ruled_out(text), DETECTOR.scan(text)
    assert not INDEX.answer(text).red_flag


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(FLAGS), st.sampled_from(["but", "and", ", then", ". now", ", just"]), NEGATE)
def test_the_negation_ends_with_its_clause(phrase: str, joint: str, negation: str) -> None:
    text = f"{negation} cramp {joint} {phrase}"
    assert DETECTOR.mentioned(text), DETECTOR.scan(text)
    assert INDEX.answer(text).red_flag
