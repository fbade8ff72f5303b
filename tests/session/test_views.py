"""The session's replies as pure functions of a stored row, its sets and session.yaml's texts."""

from __future__ import annotations

from dataclasses import replace

from bot.core.coach import Answered
from bot.core.reply import Reply
from bot.knowledge.base import DEFAULT_DIR
from bot.session import views
from bot.session.flow import State
from bot.session.loader import load_flow
from tests.session.rows import ROW

FLOW = load_flow(DEFAULT_DIR)


def datas(replies: list[Reply]) -> list[str]:
    return [b.data for r in replies for row in r.buttons for b in row]


def test_labels_and_summaries() -> None:
    assert [views.rest_label(s) for s in (120, 90, 45, 60)] == [
        "2 minutes",
        "1 min 30 s",
        "45 seconds",
        "1 minute",
    ]
    assert [views.countdown(s) for s in (75, 0, 600)] == ["1:15", "0:00", "10:00"]
    assert views.summary([(1, 3), (2, 2)]) == "You logged 2 sets: 3 and 2 reps, 5 in total."
    assert views.summary([(1, 4)]) == "You logged 1 set: 4 reps, 4 in total."
    assert views.summary([(1, 8), (2, 7), (3, 6)]) == "You logged 3 sets: 8, 7, 6 reps, 21 in total."


def test_a_set_offers_reps_then_a_rest_offers_skip() -> None:
    [set1] = views.screen(FLOW, ROW, [])
    assert set1.text.startswith("Set 1 of 2")
    reps = [f"s:7.3:r{n}" for n in range(FLOW.reps_buttons + 1)]
    assert datas([set1]) == [*reps, *(f"s:7.3:a{i}" for i in range(len(FLOW.anytime)))]
    resting = replace(ROW, state=State("sets", set_no=2, resting=True), seq=4)
    [rest] = views.screen(FLOW, resting, [(1, 3)])
    assert "Set 1: 3 reps logged" in rest.text and "2 minutes" in rest.text
    assert datas([rest])[0] == "s:7.4:skip"


def test_the_end_step_says_what_comes_next_and_hands_over_to_other_features() -> None:
    done = replace(ROW, state=State("wrap-up", set_no=3, done=True), status="finished")
    replies = views.screen(FLOW, done, [(1, 3), (2, 2)], "week 2, 2 sets of 6.")
    assert "You logged 2 sets: 3 and 2 reps, 5 in total." in replies[0].text
    assert "Next: week 2, 2 sets of 6." in replies[-1].text
    assert datas(replies) == ["ci:optin", "sub:on", "rm:offer"]


def test_notes_carry_the_buttons_that_help() -> None:
    resting = replace(ROW, state=State("sets", set_no=2, resting=True))
    note = views.note(FLOW, resting, "resting", "1:15")
    assert note.text.startswith("Resting: about 1:15 left") and datas([note]) == ["s:7.3:skip"]
    assert "couldn't read a number" in views.note(FLOW, ROW, "not_a_number", "0:00").text
    assert datas([views.note(FLOW, ROW, "out_of_range", "0:00")])[0] == "s:7.3:r0"
    assert views.note(FLOW, ROW, "stale", "0:00").buttons == ()
    assert "stale" not in views.ALONE and "session_over" in views.ALONE


def test_running_paused_held_and_history() -> None:
    [running] = views.already(FLOW, ROW, "Set 1 of 2")
    assert 'going, at "Set 1 of 2"' in running.text
    assert datas([running]) == ["s:7.3:cont", "s:7.3:over"]
    paused = replace(ROW, status="paused")
    [again] = views.already(FLOW, paused, "Set-up")
    assert 'paused at "Set-up"' in again.text and datas([again]) == ["s:7.3:resume", "s:7.3:over"]
    [now] = views.paused(FLOW, paused, "Set-up")
    assert now.text.startswith('Paused at "Set-up"') and datas([now]) == ["s:7.3:resume"]
    assert datas([views.paused_reply(FLOW, paused)]) == ["s:7.3:resume"]
    assert datas(views.hold(FLOW)) == ["s:cleared"]
    [empty] = views.history(FLOW, [], "")
    assert empty.text.startswith("No sessions yet") and datas([empty]) == ["s:begin"]
    [one] = views.history(FLOW, [(ROW, [(1, 3), (2, 2)])], "week 2.")
    assert "active · 3 + 2 = 5 reps" in one.text and one.text.endswith("Next: week 2.")


def test_a_question_mid_session_and_a_rest_ending_elsewhere() -> None:
    answered = Answered([Reply.plain("Point your toes.")], matched=True, red_flag=True)
    replies = views.question(FLOW, ROW, "Set 1 of 2", answered)
    assert replies[0].text == "Point your toes." and 'waiting at "Set 1 of 2"' in replies[1].text
    assert datas(replies)[0] == "s:7.3:cont" and "s:7.3:a0" in datas(replies)
    [ping] = views.rest_over(FLOW, ROW, False, None)
    assert ping.text == "Rest is over." and datas([ping]) == ["s:7.3:cont"]
    late = views.rest_over(FLOW, ROW, True, [Reply.plain("Set 2 of 2")])
    assert [r.text for r in late] == ["Rest is over (it ended while I was offline).", "Set 2 of 2"]
