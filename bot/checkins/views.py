"""What the check-in feature says: pure functions from the plan's texts and the rows to Reply objects.

Nothing here reads the database or the clock, so every message and button can be tested directly;
callback data is `ci:...`, well inside Telegram's 64 bytes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, time

from bot.checkins.local_time import local_text, quiet_window
from bot.checkins.plan import CheckinPlan
from bot.checkins.scores import MAX_SCORE
from bot.checkins.store import CheckinRow, Settings
from bot.checkins.timezones import zone
from bot.core.reply import Button, Number, Reply, clip_label, escape, italic
from bot.knowledge.base import Source
from bot.knowledge.texts import fill

PREFIX = "ci"  # the feature's buttons and timers

Buttons = list[list[Button]]


def say(plan: CheckinPlan, key: str) -> Reply:
    """One of the plan's texts as it stands ("expired", "stopped", "fine_done", ...)."""
    return Reply.plain(plan.texts[key])


def score_buttons(plan: CheckinPlan, checkin_id: int) -> Buttons:
    """0-10 in two rows, then snooze and stop."""
    scores = [Button(str(n), f"{PREFIX}:s:{checkin_id}:{n}") for n in range(MAX_SCORE + 1)]
    return [
        scores[:6],
        scores[6:],
        [
            Button(plan.texts["button_snooze"], f"{PREFIX}:z:{checkin_id}"),
            Button(plan.texts["button_stop"], f"{PREFIX}:stop", destructive=True),
        ],
    ]


def asks_score(plan: CheckinPlan, checkin_id: int) -> Number:
    """A typed or spoken number answers the check-in, even mid-set (the latest question wins)."""
    return Number(plan.texts["score_name"], 0, MAX_SCORE, f"{PREFIX}:s:{checkin_id}:{{n}}")


def question(plan: CheckinPlan, row: CheckinRow) -> Reply:
    """The check-in itself: its step's question (the first step's if the plan no longer has it)."""
    step = plan.step(row.kind)
    text = step.question if step else plan.steps[0].question
    return Reply.plain(text, score_buttons(plan, row.id), asks_score(plan, row.id))


def ask_again(plan: CheckinPlan, key: str, checkin_id: int) -> Reply:
    """A text ("not_a_score", "out_of_range", "snooze_limit") with the score buttons again."""
    return Reply.plain(plan.texts[key], score_buttons(plan, checkin_id), asks_score(plan, checkin_id))


def timezone_buttons(plan: CheckinPlan) -> Buttons:
    """The plan's time zones by city name, two to a row."""
    buttons = [
        Button(clip_label(z.rsplit("/", 1)[-1].replace("_", " ")), f"{PREFIX}:tz:{z}")
        for z in plan.timezone_buttons
    ]
    return [buttons[i : i + 2] for i in range(0, len(buttons), 2)]


def timezone_prompt(plan: CheckinPlan, key: str = "timezone_prompt") -> Reply:
    return Reply.plain(plan.texts[key], timezone_buttons(plan))


def timezone_unknown(plan: CheckinPlan, text: str) -> Reply:
    shown = text.strip()[:40]
    return Reply.plain(fill(plan.texts["timezone_unknown"], text=shown), timezone_buttons(plan))


def timezone_set(plan: CheckinPlan, name: str, now: datetime) -> Reply:
    local_now = now.astimezone(zone(name)).strftime("%H:%M")
    return Reply.plain(fill(plan.texts["timezone_set"], tz=name, now=local_now))


def quiet_set(plan: CheckinPlan, start: time, end: time) -> Reply:
    return Reply.plain(
        fill(plan.texts["quiet_set"], start=start.strftime("%H:%M"), end=end.strftime("%H:%M"))
    )


def snoozed(plan: CheckinPlan, due: datetime, settings: Settings) -> Reply:
    return Reply.plain(fill(plan.texts["snoozed"], when=local_text(plan, due, settings)))


def fine_button(plan: CheckinPlan) -> Buttons:
    return [[Button(plan.texts["button_fine"], f"{PREFIX}:fine")]]


def red_flag_followup(plan: CheckinPlan) -> Reply:
    return Reply.plain(plan.red_flag_followup, fine_button(plan))


def upcoming_lines(plan: CheckinPlan, settings: Settings, pending: Sequence[CheckinRow]) -> list[str]:
    """One line per pending check-in, in the user's local time."""
    return [f"• {escape(local_text(plan, r.due_at, settings))} ({r.offset_hours:g} h)" for r in pending]


def listing(plan: CheckinPlan, key: str, settings: Settings, pending: Sequence[CheckinRow]) -> Reply:
    """A text ("optin_done", "scheduled_after_session") followed by what is coming."""
    lines = [escape(plan.texts[key]), *upcoming_lines(plan, settings, pending)]
    return Reply.make("\n".join(lines))


def answered_lead(plan: CheckinPlan, score: int, corrected: bool) -> str:
    return fill(plan.texts["corrected" if corrected else "answered"], score=score)


def advice(
    plan: CheckinPlan,
    sources: Mapping[str, Source],
    score: int,
    lead: str,
    *,
    rest: bool,
    held: bool,
    undo: int | None = None,
) -> list[Reply]:
    """The band's advice with its sources, with Undo for the score just stored (`undo`: its
    check-in); then rest after two very sore days, and the hold if any."""
    band = plan.band(score)
    titles = "; ".join(sources[s].title for s in band.sources if s in sources)
    body = f"{escape(lead)}\n\n{escape(band.text)}"
    if titles:
        body += f"\n\n{italic('Source: ' + titles)}"
    buttons: Buttons = []
    if undo:
        buttons = [[Button(plan.texts["button_undo"], f"{PREFIX}:u:{undo}:{score}", aside=True)]]
    replies = [Reply.make(body, buttons)]
    if rest:
        replies.append(Reply.plain(plan.heavy_twice))
    if held:
        replies.append(Reply.plain(plan.texts["held_line"], fine_button(plan)))
    return replies


def overview(plan: CheckinPlan, settings: Settings, pending: Sequence[CheckinRow]) -> Reply:
    """/checkins: on or off and what is coming, the time zone and quiet hours, and a hold if any."""
    lines, buttons = _consent_part(plan, settings, pending)
    start, end = quiet_window(plan, settings)
    line = fill(
        plan.texts["settings_line"],
        tz=settings.tz or "UTC",
        start=start.strftime("%H:%M"),
        end=end.strftime("%H:%M"),
    )
    lines += ["", escape(line)]
    buttons.append([Button(plan.texts["button_timezone"], f"{PREFIX}:tz")])
    if settings.held_since is not None:
        lines += ["", escape(plan.texts["held_line"])]
        buttons += fine_button(plan)
    return Reply.make("\n".join(lines), buttons)


def _consent_part(
    plan: CheckinPlan, settings: Settings, pending: Sequence[CheckinRow]
) -> tuple[list[str], Buttons]:
    """Opted in: the pending check-ins and a stop button; otherwise why not and an opt-in button."""
    texts = plan.texts
    if settings.optin is True:
        upcoming = upcoming_lines(plan, settings, pending)
        lines = [escape(texts["list_header"]), *upcoming] if upcoming else [escape(texts["list_empty"])]
        return lines, [[Button(texts["button_stop"], f"{PREFIX}:stop", destructive=True)]]
    lines = [escape(texts["list_off" if settings.optin is False else "list_never"])]
    return lines, [[Button(texts["button_optin"], f"{PREFIX}:optin")]]


def score_kept(plan: CheckinPlan, score: int) -> Reply:
    """A red-flag reply that also gave a score: the score is stored, and the user is told."""
    return Reply.plain(fill(plan.texts["score_kept"], score=score))
