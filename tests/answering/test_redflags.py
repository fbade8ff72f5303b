"""Red flags: the safety answer comes first whenever a red-flag phrase is used, and by meaning alone only
with a clear lead (bot/answering/redflags.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.answering.index import Index
from bot.answering.redflags import RedFlagDetector
from bot.answering.views import answer_replies
from bot.core.reply import escape
from bot.knowledge.base import load_knowledge

KB = load_knowledge()
INDEX = Index(KB)


def test_red_flag_comes_first_whatever_else_is_asked() -> None:
    answer = INDEX.answer("sharp pain in my hamstring, and how do I stop calf cramps?")
    assert answer.red_flag and answer.entry is not None and answer.entry.id == KB.red_flags.entry
    replies = answer_replies(KB, answer)
    assert "clinician" in replies[0].text.lower()
    assert len(replies) == 2 and "cramp" in replies[1].text.lower()


@pytest.mark.parametrize("text", ["my pee looks like cola", "it went pop and now its swollen", "i cant walk"])
def test_red_flag_phrasings(text: str) -> None:
    assert INDEX.answer(text).red_flag


# a knee or leg giving way, a leg that will not lift, a tearing or knife-like pain: the sources' sharp
# pain and lost strength in other words, caught by phrase (each was answered as soreness or not at all)
@pytest.mark.parametrize(
    "text",
    [
        "my knee buckled under me on the way down",
        "leg feels weak, i can't even lift my leg onto the bed",
        "knife like pain in the back of my leg",
        "felt a ripping feeling mid rep",
        "back of my thigh ballooned overnight",
        "zero strength in that leg since yesterday's session",
        "i cannot even bend my knee properly against the pad",
        "my right leg is way weaker than before the workout",
        "legs feel weaker than usual since the nordics",
        "my leg just gives way when i go down stairs",
        "my leg kinda buckles when i walk",
        "leg wont work properly since my nordic session",
        "lost all my power in that leg",
        # from a development batch of safety messages (benchmarks/data/dev13.yaml), in other words
        "my piss is dark brown after nordics",
        "got a purple patch on my thigh",
        "felt a ping in my hammy on the way down",
        "i cant put weight on my left leg",
        "my hamstring just wont work since yesterday",
        "my strength is just gone since the nordics",
        # from benchmarks/data/dev15.yaml, in other words
        "my left leg gave out on the stairs this morning",
        "since the session i cant even curl my leg up",
        "my leg collapsed under me after the set",
        "felt a popp behind my knee",  # a letter typed twice: "pop" is too short for other typos
        "my knee, it just gives way on the stairs",
        "not sure but my leg seems weaker since the session",
        # from benchmarks/data/dev16.yaml, in other words
        "got a sharp twinge at the bottom of the rep",
        "the back of my knee has puffed up since yesterday",
        "he can't push off with that leg since the session",
        "she can't really flex her knee since training",
        "my pee is really quite dark this morning",
    ],
)
def test_giving_way_and_tearing_are_caught_by_phrase(text: str) -> None:
    assert INDEX.red_flags.mentioned(text) and INDEX.answer(text).red_flag


@pytest.mark.parametrize(
    "text", ["ping me when the rest is over", "purple band or green band for assisted nordics"]
)
def test_a_ping_or_a_purple_band_is_no_alarm(text: str) -> None:
    assert not INDEX.red_flags.mentioned(text) and not INDEX.answer(text).red_flag


@pytest.mark.parametrize(
    "text", ["i have no power rack, how do i anchor my feet", "no strength training experience, can i start"]
)
def test_no_power_rack_and_no_strength_training_are_no_alarm(text: str) -> None:
    assert not INDEX.red_flags.mentioned(text) and not INDEX.answer(text).red_flag


# each was a red flag by phrase ("strength ... gone", "lost ... strength", "pop", "bruised") before
# other_meanings
@pytest.mark.parametrize(
    "text",
    [
        "strength gains have gone up a lot since i started",
        "my strength training has gone great, how many sets next",
        "i lost all my strength gains over christmas, how do i restart nordics",
        "can i pop an ibuprofen for the doms",
        "not sharp, no pop, the muscles just feel bruised but theres no actual bruise. is that doms",
        "when my form breaks it kind of buckles at the hips, how do i fix it",  # no "it ... buckles"
        "i read about rhabdo online, how long does normal doms last",  # read about, not reported
        "i cant push off the floor hard enough with my hands to get back up",
        "do notifications pop up when the site updates",
        "my strength training has gone fine so far, how long will the soreness last",
    ],
)
def test_other_meanings_of_a_flag_phrase_are_no_alarm(text: str) -> None:
    assert not INDEX.red_flags.mentioned(text) and not INDEX.answer(text).red_flag


@pytest.mark.parametrize(
    "text",
    [
        "i heard a pop in my hamstring, can i pop a painkiller",  # the first pop is no other meaning
        "strength gains were good but now my strength is gone",
        "felt a pop, then i took an ibuprofen",
        "my hamstring is bruised, feeling really sore today",  # no "bruised feeling" across a comma
        "felt a pop up high near my glute",  # "pop up" is other only for notifications
    ],
)
def test_an_other_meaning_leaves_a_flag_elsewhere_in_the_message(text: str) -> None:
    assert INDEX.red_flags.mentioned(text) and INDEX.answer(text).red_flag


def test_strength_that_feels_normal_is_a_reassurance_and_strength_gains_are_not() -> None:
    calm = "strength feels totally normal, no odd pain, just stiff. can i do legs again tomorrow"
    assert INDEX.red_flags.ruled_out(calm) and not INDEX.answer(calm).red_flag
    assert not INDEX.red_flags.ruled_out("my strength gains feel slow but fine")


def test_the_safety_answer_by_meaning_alone_needs_a_clear_lead() -> None:
    alarming = "felt something go in my hamstring during the rep"  # no red-flag phrase, clearly meant
    assert not INDEX.red_flags.mentioned(alarming) and INDEX.answer(alarming).red_flag
    assert INDEX.is_red_flag(alarming), "what other features are told agrees with the answer"
    benign = "all of a sudden ham raises feel easy?"  # "sudden" pulls it toward red-flags, barely
    assert INDEX.rank(benign)[0][0].id != KB.red_flags.entry
    answer = INDEX.answer(benign)
    assert not answer.red_flag and answer.entry is not None and answer.entry.id == "meant-to-be-hard"
    # the same message with a red-flag phrase gets the safety answer, whatever the ranking says
    assert INDEX.answer(benign + " and a sharp pain behind the knee").red_flag


def test_where_the_exercise_is_felt_is_not_an_alarm_but_a_pop_there_is() -> None:
    felt = INDEX.answer("felt nordics behind my knees and in my butt")  # got the safety answer once
    assert not felt.red_flag and felt.entry is not None and felt.entry.id == "muscles-worked"
    assert INDEX.answer("felt a pop behind my knee").red_flag


def test_phrases_match_whole_words_whatever_the_case_and_spacing() -> None:
    detector = RedFlagDetector(KB)
    assert detector.mentioned("SHARP   pain!")
    assert not detector.mentioned("sharpen pain") and not detector.mentioned("what does the popliteus do")


def test_the_rest_of_a_red_flag_message_keeps_what_else_it_asks() -> None:
    detector = RedFlagDetector(KB)
    rest = detector.without("sharp pain in my hamstring, and how do I stop calf cramps?")
    assert "calf cramps" in rest and "sharp" not in rest and not detector.mentioned(rest)


# Questions about telling soreness from an injury, none of them an example question word for word.
AMBIGUOUS = [
    "how do I know if it's normal soreness or an injury",
    "is it normal soreness or an injury",
    "soreness or injury, how do i tell the difference",
    "could this be a strain or just doms",
]


@pytest.mark.parametrize("text", AMBIGUOUS)
def test_telling_soreness_from_injury_gets_the_warning_signs(text: str) -> None:
    examples = {q.lower() for e in KB.entries.values() for q in e.questions}
    assert text.lower() not in examples
    answer = INDEX.answer(text)
    assert answer.entry is not None and answer.entry.id == KB.red_flags.entry and answer.red_flag


AGREEMENT = [
    *AMBIGUOUS,
    "sharp pian in hammy when i lowered down",
    "no swelling but a sharp pain behind the knee",
    "felt something go in my hamstring during the rep",
    "nothing popped",
    "just really sore, no sharp pain, is that ok",
    "how long does doms last",
    "best bench program",
    *KB.entries[KB.red_flags.entry].questions[:10],
]


@pytest.mark.parametrize("text", AGREEMENT)
def test_the_red_flag_field_says_whether_the_reply_leads_with_the_safety_answer(text: str) -> None:
    answer = INDEX.answer(text)
    first = answer_replies(KB, answer)[0].text
    leads = (
        first.startswith(escape(KB.texts["safety_intro"])) and KB.entries[KB.red_flags.entry].title in first
    )
    assert answer.red_flag == leads == INDEX.is_red_flag(text)
    assert answer.red_flag == (answer.entry is not None and answer.entry.id == KB.red_flags.entry)


def test_ask_json_red_flag_agrees_with_its_answer(tmp_path: Path) -> None:
    lines = [
        "nothing popped",
        "sharp pian in my hamstring",
        "no swelling but it popped",
        "how long does doms last",
    ]
    result = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "--json", "-"],
        input="\n".join(lines),
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["red_flag"] for r in rows] == [False, True, True, False]
    for row in rows:
        assert row["answer"].startswith(KB.texts["safety_intro"]) == row["red_flag"]


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("lost like half the strength in one leg since my last session", True),
        ("i've lost so much strength in my left leg", True),
        ("losing a lot of strength in that hamstring", True),
        ("lost strength after the pop", True),
        ("i lost no strength at all, just sore", False),  # the gap holds a negation: ruled out
        ("lost my keys, strength work is hard without a partner", False),  # punctuation ends it
        ("lost my motivation and strength gains stalled", False),  # a new clause ends it
        ("lost my place in the plan, how much strength will i gain", False),  # too far apart
        ("will i lose strength if i skip a week", False),  # "lose" is not in the phrases
    ],
)
def test_a_gap_in_a_phrase_takes_a_few_words_of_one_clause(text: str, flagged: bool) -> None:
    """safety.yaml's "lost ... strength" stands for up to three words between, in one clause."""
    assert INDEX.red_flags.mentioned(text) is flagged
    if flagged:
        assert INDEX.answer(text).red_flag


def test_a_negation_inside_a_gap_rules_the_flag_out() -> None:
    """ "lost no strength" denies the warning sign like "no loss of strength": the rest is answered, with
    the line on the warning signs, and the reply does not lead with the safety answer."""
    text = "i lost no strength at all, just sore, how long does it last"
    assert INDEX.red_flags.ruled_out(text) and not INDEX.red_flags.mentioned(text)
    answer = INDEX.answer(text)
    assert not answer.red_flag and answer.reassured


FILLERS = ["like", "half", "the", "most", "of", "my", "a", "lot", "some", "so", "much", "all", "that"]


@given(
    st.lists(st.sampled_from(FILLERS), max_size=3),
    st.sampled_from(["lost", "losing"]),
    st.sampled_from(["", " in my leg", " since monday"]),
)
@settings(max_examples=60, deadline=None)
def test_up_to_three_words_of_a_clause_keep_a_gapped_flag_and_a_negation_or_comma_does_not(
    gap: list[str], verb: str, tail: str
) -> None:
    text = " ".join([verb, *gap, "strength"]) + tail
    assert INDEX.red_flags.mentioned(text), text
    for breaker in ("no", "never", ",", "and"):
        broken = " ".join([verb, *gap[:2], breaker, "strength"]) + tail
        assert not INDEX.red_flags.mentioned(broken.replace(" ,", ",")), broken
    assert not INDEX.red_flags.mentioned(" ".join([verb, "a", "b", "c", "d", "strength"]))
