"""How the session looks: a step with its buttons, the rest countdown, notes, summaries, history.

Pure functions of a stored row, its sets and the flow's texts, returning `Reply` objects; the
service fetches what they need, so each screen can be checked without a database.
"""

from __future__ import annotations

from bot.core.coach import Answered
from bot.core.reply import Button, Number, Reply, bold, escape
from bot.knowledge.texts import fill
from bot.session.buttons import BEGIN, CLEARED, callback
from bot.session.flow import Choice, Flow, Step
from bot.session.store import SessionRow

Sets = list[tuple[int, int]]  # (set_no, reps) logged, in order
# Notes that stand alone; after any other note the current step is shown again.
ALONE = frozenset({"not_a_number", "out_of_range", "resting", "session_over"})


def rest_label(seconds: int) -> str:
    """120 -> "2 minutes", 90 -> "1 min 30 s", 45 -> "45 seconds"."""
    minutes, rest = divmod(seconds, 60)
    if not minutes:
        return f"{seconds} seconds"
    if not rest:
        return f"{minutes} minute{'s' if minutes > 1 else ''}"
    return f"{minutes} min {rest} s"


def countdown(seconds: int) -> str:
    """What is left of a rest: 75 -> "1:15"."""
    return f"{seconds // 60}:{seconds % 60:02d}"


def summary(sets: Sets) -> str:
    reps = [r for _, r in sets]
    shown = " and ".join(str(r) for r in reps) if len(reps) < 3 else ", ".join(str(r) for r in reps)
    noun = "set" if len(reps) == 1 else "sets"
    return f"You logged {len(reps)} {noun}: {shown} reps, {sum(reps)} in total."


def values(flow: Flow, row: SessionRow, sets: Sets) -> dict[str, object]:
    """The placeholders of session.yaml's texts, for this session as it stands."""
    plan, state = row.plan, row.state
    step = flow.steps.get(state.step)
    shown = max(1, min(state.set_no - 1 if state.resting else state.set_no, plan.sets))
    target = plan.targets[shown - 1] if step is not None and step.kind == "sets" else plan.target_text
    return {
        "sets": plan.sets,
        "target": target,
        "rest": rest_label(flow.rest_seconds),
        "set_no": shown,
        "reps": dict(sets).get(shown, 0),
        "summary": summary(sets),
        "next": "",
        "left": "",
        "step": "",
        "max": flow.max_typed_reps,
    }


def step_title(flow: Flow, row: SessionRow, sets: Sets) -> str:
    return fill(flow.steps[row.state.step].title, values(flow, row, sets))


def start_button(flow: Flow) -> Button:
    return Button(flow.text("start_button"), BEGIN)


def continue_button(flow: Flow, row: SessionRow) -> Button:
    return Button(flow.text("continue_button"), callback(row, "cont"))


def resume_button(flow: Flow, row: SessionRow) -> Button:
    return Button(flow.text("resume_button"), callback(row, "resume"))


def skip_rest_button(flow: Flow, row: SessionRow) -> Button:
    return Button(flow.text("skip_rest_button"), callback(row, "skip"))


def stops(flow: Flow, choice: Choice) -> bool:
    """The choice ends the session early ("Stop for today", "Sharp pain"): a destructive button."""
    target = flow.steps.get(choice.to or "")
    return target is not None and target.kind == "stop"


def anytime_row(flow: Flow, row: SessionRow, step: Step) -> list[Button]:
    """Cramp, sharp pain...: offered under every step that allows them, off the main path."""
    if not step.anytime:
        return []
    return [
        Button(c.label, callback(row, f"a{i}"), destructive=stops(flow, c), aside=True)
        for i, c in enumerate(flow.anytime)
    ]


def reps_rows(flow: Flow, row: SessionRow) -> list[list[Button]]:
    """0 .. reps_buttons, five to a row."""
    buttons = [Button(str(n), callback(row, f"r{n}")) for n in range(flow.reps_buttons + 1)]
    return [buttons[i : i + 5] for i in range(0, len(buttons), 5)]


def asks_reps(flow: Flow, row: SessionRow) -> Number:
    """A typed or spoken count presses the reps button of that number, up to max_typed_reps."""
    set_no = min(row.state.set_no, row.plan.sets)
    name = flow.text("reps_name", set_no=set_no)
    return Number(name, 0, flow.max_typed_reps, callback(row, "r{n}"))


def screen(
    flow: Flow, row: SessionRow, sets: Sets, upcoming: str = "", rest_left: int | None = None
) -> list[Reply]:
    """The current step of an active session as messages with their buttons; `upcoming` describes
    the next session, said by an end step; `rest_left` (seconds) is what a rest shown again has left."""
    step = flow.steps[row.state.step]
    filled = values(flow, row, sets)
    if rest_left is not None and rest_left < flow.rest_seconds:
        filled["rest"] = rest_label(max(1, rest_left))
    if step.kind == "end":
        filled["next"] = upcoming
    title = bold(fill(step.title, filled))
    if step.kind == "sets":
        if row.state.resting:  # a number now is not logged: the rest comes first
            undo = Button(flow.text("undo_button"), callback(row, "undo"), aside=True)
            body, rows, asks = fill(step.rest_text, filled), [[skip_rest_button(flow, row), undo]], None
        else:
            body, rows, asks = fill(step.text, filled), reps_rows(flow, row), asks_reps(flow, row)
        return [Reply.make(f"{title}\n{escape(body)}", [*rows, anytime_row(flow, row, step)], asks)]
    if step.final:
        return _final(step, title, filled)
    rows = [
        [Button(c.label, callback(row, f"b{i}"), destructive=stops(flow, c))]
        for i, c in enumerate(step.buttons)
    ]
    text = escape(fill(step.text, filled))
    return [Reply.make(f"{title}\n{text}", [*rows, anytime_row(flow, row, step)])]


def _final(step: Step, title: str, filled: dict[str, object]) -> list[Reply]:
    """An end or stop step: its messages, the last carrying the other features' buttons."""
    texts = [fill(step.text, filled), *(fill(m, filled) for m in step.more)]
    buttons = [[Button(c.label, c.data)] for c in step.buttons]
    replies = [Reply.make(f"{title}\n{escape(texts[0])}")]
    replies += [Reply.plain(t) for t in texts[1:]]
    replies[-1] = Reply.make(replies[-1].html, buttons)
    return replies


def say(flow: Flow, key: str, **filled: object) -> list[Reply]:
    """One text of session.yaml, without buttons."""
    return [Reply.plain(flow.text(key, **filled))]


def paused_reply(flow: Flow, row: SessionRow) -> Reply:
    return Reply.plain(flow.text("still_paused"), [[resume_button(flow, row)]])


def paused(flow: Flow, row: SessionRow, title: str) -> list[Reply]:
    """Just paused at the step called `title`."""
    return [Reply.plain(flow.text("paused", step=title), [[resume_button(flow, row)]])]


def note(flow: Flow, row: SessionRow, key: str, left: str) -> Reply:
    """A short explanation, with the buttons that help; unless it is `ALONE` the step follows it."""
    text = fill(flow.texts[key], {"max": flow.max_typed_reps, "left": left})
    if key in ("not_a_number", "out_of_range"):
        return Reply.plain(text, reps_rows(flow, row), asks_reps(flow, row))
    if key == "resting":
        return Reply.plain(text, [[skip_rest_button(flow, row)]])
    return Reply.plain(text)


def already(flow: Flow, row: SessionRow, title: str) -> list[Reply]:
    """/session while one runs: carry on (or resume) it, or start over."""
    over = Button(flow.text("start_over_button"), callback(row, "over"), destructive=True)
    if row.status == "paused":
        return [Reply.plain(flow.text("paused_running", step=title), [[resume_button(flow, row)], [over]])]
    carry = continue_button(flow, row)
    return [Reply.plain(flow.text("already_running", step=title), [[carry], [over]])]


def hold(flow: Flow) -> list[Reply]:
    """A red flag holds the next session until a clinician clears the user."""
    return [Reply.plain(flow.text("hold"), [[Button(flow.text("cleared_button"), CLEARED)]])]


def question(flow: Flow, row: SessionRow, title: str, answered: Answered) -> list[Reply]:
    """The answer to a question asked mid-session, then where the session waits and a way back.
    Mid-set the rep count is still asked for, so "three" after a question logs the set."""
    waiting = flow.text("question_continue", step=title)
    buttons = [[continue_button(flow, row)]]
    step = flow.steps[row.state.step]
    if answered.red_flag and step.anytime:
        buttons.append(anytime_row(flow, row, step))
    asks = asks_reps(flow, row) if step.kind == "sets" and not row.state.resting else None
    return [*answered.replies, Reply.plain(waiting, buttons, asks)]


def rest_over(flow: Flow, row: SessionRow, late: bool, shown: list[Reply] | None) -> list[Reply]:
    """The ping that ends a rest, then the set (`shown`), or a way back when the user is elsewhere."""
    ping = flow.text("rest_over_late" if late else "rest_over")
    if shown is not None:
        return [Reply.plain(ping), *shown]
    return [Reply.plain(ping, [[continue_button(flow, row)]])]


def history(flow: Flow, past: list[tuple[SessionRow, Sets]], upcoming: str) -> list[Reply]:
    """/history: one line per session, newest first, then what comes next."""
    if not past:
        return [Reply.plain(flow.text("history_empty"), [[start_button(flow)]])]
    lines = [bold(flow.text("history_title"))]
    for row, sets in past:
        day = row.started_at.date().isoformat()
        total = f" = {sum(r for _, r in sets)}" if len(sets) > 1 else ""
        reps = " + ".join(str(r) for _, r in sets) + f"{total} reps" if sets else "no sets"
        status = row.status if not row.stop_reason else f"{row.status} ({row.stop_reason})"
        lines.append(escape(f"{day} · {status} · {reps}"))
    lines.append("")
    lines.append(escape("Next: " + upcoming))
    return [Reply.make("\n".join(lines))]
