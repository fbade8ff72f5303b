"""The check-in feature's entry points: /checkins, /timezone, the `ci:*` buttons, the text hook and
the core events. Each reads its input and hands it to the service; nothing is decided here.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from bot.checkins import views
from bot.checkins.plan import CheckinPlan
from bot.checkins.scores import MAX_SCORE
from bot.checkins.service import CheckinService
from bot.core.coach import Coach, Incoming
from bot.core.reply import Reply

log = logging.getLogger(__name__)


def finished_session(data: dict[str, object]) -> tuple[int, datetime] | None:
    """(session_id, finished_at in UTC) from a `session_finished` event; None (logged) if malformed."""
    session_id, finished_at = data.get("session_id"), data.get("finished_at")
    if not isinstance(session_id, int) or isinstance(session_id, bool) or not isinstance(finished_at, str):
        log.warning("session_finished with bad data %r", data)
        return None
    try:
        finished = datetime.fromisoformat(finished_at)
    except ValueError:
        log.warning("session_finished with a bad finished_at %r", finished_at)
        return None
    finished = finished.replace(tzinfo=UTC) if finished.tzinfo is None else finished.astimezone(UTC)
    return session_id, finished


class CheckinHandlers:
    """What the coach calls; `service` does the work."""

    def __init__(self, coach: Coach, plan: CheckinPlan, service: CheckinService) -> None:
        self.coach = coach
        self.plan = plan
        self.service = service

    def checkins(self, msg: Incoming, args: str) -> list[Reply]:
        """/checkins [on|off|stop|quiet HH:MM-HH:MM]: without a word, what is coming and the settings."""
        word, _, rest = args.strip().partition(" ")
        word = word.lower()
        if word == "on":
            return self.service.opt_in(msg)
        if word in ("off", "stop"):
            return self.service.stop(msg)
        if word == "quiet":
            return self.service.set_quiet(msg, rest.strip())
        return self.service.overview(msg)

    def timezone(self, msg: Incoming, args: str) -> list[Reply]:
        """/timezone [NAME]: without a name, the time-zone buttons."""
        if not args.strip():
            return [views.timezone_prompt(self.plan)]
        return self.service.set_timezone(msg, args)

    def on_button(self, msg: Incoming, payload: str) -> list[Reply]:
        """`ci:s:ID:N` score, `ci:z:ID` snooze, `ci:u:ID:N` undo, `ci:tz[:ZONE]`,
        `ci:optin|stop|fine|list`; else stale."""
        action, _, rest = payload.partition(":")
        if action == "s":
            return self.score_pressed(msg, rest)
        if action == "z" and rest.isdigit():
            return self.service.snooze(msg, int(rest))
        undo_id, _, undo_score = rest.partition(":")
        if action == "u" and undo_id.isdigit() and undo_score.isdigit():
            return self.service.undo(msg, int(undo_id), int(undo_score))
        if action == "tz":
            return self.service.set_timezone(msg, rest) if rest else [views.timezone_prompt(self.plan)]
        simple = {
            "optin": self.service.opt_in,
            "stop": self.service.stop,
            "fine": self.service.fine,
            "list": self.service.overview,
        }
        handler = simple.get(action)
        return handler(msg) if handler and not rest else self.coach.stale()

    def score_pressed(self, msg: Incoming, rest: str) -> list[Reply]:
        """`ID:N` from a score button; anything else is a stale button."""
        id_text, _, score_text = rest.partition(":")
        if not (id_text.isdigit() and score_text.isdigit() and int(score_text) <= MAX_SCORE):
            return self.coach.stale()
        return self.service.press_score(msg, int(id_text), int(score_text))

    def on_text(self, msg: Incoming) -> list[Reply] | None:
        """Typed text (or an edit) for the check-ins first; None passes it on to Q&A."""
        if msg.kind not in ("text", "edited") or not msg.text.strip():
            return None
        return self.service.typed(msg, msg.text.strip())

    def on_session_finished(self, user_id: int, data: dict[str, object]) -> list[Reply]:
        """Remember the session; if the user opted in, schedule its check-ins and say when."""
        finished = finished_session(data)
        return self.service.after_session(user_id, *finished) if finished else []

    def on_hold_cleared(self, user_id: int, data: dict[str, object]) -> list[Reply]:
        """The user told the session feature a clinician cleared them: lift our red-flag hold too."""
        self.service.clear_hold(user_id)
        return []

    def on_forget(self, user_id: int, data: dict[str, object]) -> list[Reply]:
        """Delete only this feature's rows of the user and cancel its jobs; /forget is bot/account's."""
        self.service.forget(user_id)
        return []
