"""What a user does with check-ins: consent, scores, snoozes, time zone and quiet hours, red-flag holds.

Consent first: nothing is scheduled until the user presses "Check in on my soreness" (`ci:optin`,
offered at the end of a session and under /checkins); the choice is remembered, and "Stop check-ins"
turns it off. Every change is written to the rows first; the scheduler's jobs follow from them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.checkins import views
from bot.checkins.local_time import due_time
from bot.checkins.plan import CheckinPlan
from bot.checkins.quiet_hours import parse_clock
from bot.checkins.readiness import needs_rest
from bot.checkins.scheduler import CheckinScheduler
from bot.checkins.scores import parse_score, score_in
from bot.checkins.store import CheckinRow, CheckinStore
from bot.checkins.timezones import canonical_zone
from bot.core.coach import Coach, Incoming
from bot.core.reply import Reply

ACTIVE_AFTER_ANSWER = timedelta(hours=24)  # a red flag this soon after an answer still holds the session


class CheckinService:
    """The check-in conversation's actions on the store; replies come from `views`."""

    def __init__(
        self, coach: Coach, plan: CheckinPlan, store: CheckinStore, timers: CheckinScheduler
    ) -> None:
        self.coach = coach
        self.plan = plan
        self.store = store
        self.timers = timers

    def listing(self, key: str, user_id: int) -> Reply:
        """A text followed by the user's pending check-ins."""
        pending = self.store.for_user(user_id, ("pending",))
        return views.listing(self.plan, key, self.store.settings(user_id), pending)

    # ------------------------------------------------------------------ sessions

    def after_session(self, user_id: int, session_id: int, finished: datetime) -> list[Reply]:
        """Remember the session; if the user opted in, schedule its check-ins and say when."""
        now = self.coach.clock()
        self.store.update_settings(user_id, now, last_session_id=session_id, last_finished_at=finished)
        if self.store.settings(user_id).optin is not True:
            return []  # the session feature offers the "ci:optin" button
        steps = self.plan.first_steps()
        if not self.timers.create(user_id, self.chat_of(user_id), session_id, finished, steps):
            return []
        return [self.listing("scheduled_after_session", user_id)]

    def chat_of(self, user_id: int) -> int:
        rows = list(self.coach.store.db.query("select chat_id from users where user_id = ?", [user_id]))
        return int(rows[0]["chat_id"]) if rows and rows[0]["chat_id"] is not None else user_id

    # ------------------------------------------------------------------ scores

    def press_score(self, msg: Incoming, checkin_id: int, score: int) -> list[Reply]:
        return self.record(msg, self.store.get(checkin_id), score)

    def lapsed(self, row: CheckinRow, now: datetime) -> bool:
        """A sent check-in unanswered for longer than the answer window is missed (and marked so)."""
        if row.sent_at is None or now - row.sent_at <= self.plan.answer_window:
            return False
        self.store.set_status(row.id, "missed", only_from=("sent",))
        return True

    def record(self, msg: Incoming, row: CheckinRow | None, score: int) -> list[Reply]:
        """A score for one check-in: stored once (a second press corrects it), then advice."""
        now = self.coach.clock()
        if row is None or row.user_id != msg.user_id or row.status in ("missed", "cancelled"):
            return [views.say(self.plan, "expired")]
        if row.status == "sent" and self.lapsed(row, now):
            return [views.say(self.plan, "expired")]
        window = self.plan.answer_window
        if row.status == "answered" and row.answered_at is not None and now - row.answered_at > window:
            return [views.say(self.plan, "expired")]
        corrected = row.status == "answered"
        self.store.answer(row, score, now)
        self.timers.drop_job(row.id)  # a snoozed check-in answered from its message
        if not corrected:
            step = self.plan.step(row.kind)
            if step is not None:
                followers = self.plan.followers(step.id, score)
                self.timers.create(row.user_id, row.chat_id, row.session_id, row.finished_at, followers)
        lead = views.answered_lead(self.plan, score, corrected)
        return self.advice(msg.user_id, score, lead, undo=row.id)

    def advice(self, user_id: int, score: int, lead: str, undo: int | None = None) -> list[Reply]:
        rest = needs_rest(self.coach.store, user_id, self.plan.heavy_score, self.coach.clock())
        held = self.store.settings(user_id).held_since is not None
        sources = self.coach.kb.sources
        return views.advice(self.plan, sources, score, lead, rest=rest, held=held, undo=undo)

    def undo(self, msg: Incoming, checkin_id: int, score: int) -> list[Reply]:
        """Take back `score` (a misheard voice note, a slip of the thumb) within the answer window;
        the check-in is asked again. An old Undo for a score since changed does nothing."""
        row, now = self.store.get(checkin_id), self.coach.clock()
        if row is None or row.status != "answered" or row.user_id != msg.user_id or row.score != score:
            return [views.say(self.plan, "nothing_to_undo")]
        if row.answered_at is None or now - row.answered_at > self.plan.answer_window:
            return [views.say(self.plan, "expired")]
        step = self.plan.step(row.kind)
        kinds = tuple(s.id for s in self.plan.followers(step.id, score)) if step else ()
        for dropped in self.store.unanswer(row, kinds):
            self.timers.drop_job(dropped)
        return [views.ask_again(self.plan, "score_undone", row.id)]

    def typed(self, msg: Incoming, text: str) -> list[Reply] | None:
        """Scores only while a sent check-in awaits one, red flags while check-ins are active; None
        leaves the text to Q&A (a question while a check-in waits: the check-in keeps waiting)."""
        now = self.coach.clock()
        awaiting = self.store.awaiting(msg.user_id, now - self.plan.answer_window)
        if self.coach.answers.is_red_flag(text) and (awaiting or self.has_activity(msg.user_id, now)):
            return self.red_flag(msg, text, awaiting)
        if awaiting is None:
            return None
        reading = parse_score(text)
        if reading.kind == "score" and reading.score is not None:
            return self.record(msg, awaiting, reading.score)
        if reading.kind == "out_of_range":
            return [views.ask_again(self.plan, "out_of_range", awaiting.id)]
        if "?" in text or self.coach.answers.knows(text):
            return None
        return [views.ask_again(self.plan, "not_a_score", awaiting.id)]

    # ------------------------------------------------------------------ red-flag holds

    def has_activity(self, user_id: int, now: datetime) -> bool:
        """Check-ins coming, waiting, or answered in the last day: a red flag now concerns training."""
        rows = self.store.for_user(user_id, ("pending", "sent", "answered"))
        return any(
            r.status != "answered" or (r.answered_at and now - r.answered_at < ACTIVE_AFTER_ANSWER)
            for r in rows
        )

    def red_flag(self, msg: Incoming, text: str, awaiting: CheckinRow | None) -> list[Reply]:
        """The safety answer, then a hold on the next session until the user says they are fine."""
        now = self.coach.clock()
        answered = self.coach.answers.ask(msg.user_id, text)
        if self.store.settings(msg.user_id).held_since is None:
            self.store.update_settings(msg.user_id, now, held_since=now)
        kept: list[Reply] = []
        if awaiting is not None:
            score = score_in(text)
            if score is not None:  # "it's a 6 but I have sharp pain": the 6 is kept, and said
                self.store.answer(awaiting, score, now)
                self.timers.drop_job(awaiting.id)
                kept = [views.score_kept(self.plan, score)]
            self.store.mark_red_flag(awaiting.id)
        return [*answered.replies, *kept, views.red_flag_followup(self.plan)]

    def fine(self, msg: Incoming) -> list[Reply]:
        """The user says they are fine: the hold is lifted."""
        if self.store.settings(msg.user_id).held_since is None:
            return [views.say(self.plan, "fine_not_held")]
        self.store.update_settings(msg.user_id, self.coach.clock(), held_since=None)
        return [views.say(self.plan, "fine_done")]

    def clear_hold(self, user_id: int) -> None:
        """A clinician cleared the user (told to the session feature): lift our hold too."""
        if self.store.settings(user_id).held_since is not None:
            self.store.update_settings(user_id, self.coach.clock(), held_since=None)

    # ------------------------------------------------------------------ consent and settings

    def opt_in(self, msg: Incoming) -> list[Reply]:
        """Consent: schedule the last session's check-ins, if any, and ask for a time zone if unset."""
        now = self.coach.clock()
        self.store.update_settings(msg.user_id, now, optin=1)
        settings = self.store.settings(msg.user_id)
        if settings.last_session_id is not None and settings.last_finished_at is not None:
            self.timers.create(
                msg.user_id,
                msg.chat_id,
                settings.last_session_id,
                settings.last_finished_at,
                self.plan.first_steps(),
            )
        replies = [self.listing("optin_done", msg.user_id)]
        if settings.tz is None:
            replies.append(views.timezone_prompt(self.plan, "optin_need_timezone"))
        return replies

    def stop(self, msg: Incoming) -> list[Reply]:
        self.store.update_settings(msg.user_id, self.coach.clock(), optin=0)
        for checkin_id in self.store.cancel_pending(msg.user_id):
            self.timers.drop_job(checkin_id)
        return [views.say(self.plan, "stopped")]

    def overview(self, msg: Incoming) -> list[Reply]:
        settings = self.store.settings(msg.user_id)
        return [views.overview(self.plan, settings, self.store.for_user(msg.user_id, ("pending",)))]

    def set_timezone(self, msg: Incoming, text: str) -> list[Reply]:
        name = canonical_zone(text)
        if name is None:
            return [views.timezone_unknown(self.plan, text)]
        now = self.coach.clock()
        self.store.update_settings(msg.user_id, now, tz=name)
        self.refit(msg.user_id)
        return [views.timezone_set(self.plan, name, now)]

    def set_quiet(self, msg: Incoming, text: str) -> list[Reply]:
        """'23:00-07:00' (an en dash works too) as the user's quiet hours."""
        first, _, second = text.replace("\u2013", "-").partition("-")
        start, end = parse_clock(first), parse_clock(second)
        if start is None or end is None:
            return [views.say(self.plan, "quiet_bad")]
        now = self.coach.clock()
        self.store.update_settings(
            msg.user_id, now, quiet_start=start.strftime("%H:%M"), quiet_end=end.strftime("%H:%M")
        )
        self.refit(msg.user_id)
        return [views.quiet_set(self.plan, start, end)]

    def refit(self, user_id: int) -> None:
        """After a time-zone or quiet-hours change, pending check-ins move to fit the new local night."""
        now = self.coach.clock()
        settings = self.store.settings(user_id)
        for row in self.store.for_user(user_id, ("pending",)):
            due = due_time(self.plan, row.base_at, settings)
            if due != row.due_at:
                self.timers.move(row.id, row.base_at, due, now, snooze=False)
        self.coach.emit("local_time_changed", user_id, {})  # reminders move theirs too

    def snooze(self, msg: Incoming, checkin_id: int) -> list[Reply]:
        """Ask again in `snooze_hours` (after quiet hours), up to `snooze_limit` times."""
        row = self.store.get(checkin_id)
        now = self.coach.clock()
        if row is not None and row.user_id == msg.user_id and row.status == "pending" and row.snoozes:
            settings = self.store.settings(msg.user_id)  # pressed twice: already snoozed
            return [views.snoozed(self.plan, row.due_at, settings)]
        if row is None or row.user_id != msg.user_id or row.status != "sent" or self.lapsed(row, now):
            return [views.say(self.plan, "expired")]
        if row.snoozes >= self.plan.snooze_limit:
            return [views.ask_again(self.plan, "snooze_limit", row.id)]
        settings = self.store.settings(msg.user_id)
        base = now + timedelta(hours=self.plan.snooze_hours)
        due = due_time(self.plan, base, settings)
        self.timers.move(row.id, base, due, now, snooze=True)
        return [views.snoozed(self.plan, due, settings)]

    # ------------------------------------------------------------------ forget

    def forget(self, user_id: int) -> None:
        """Delete the user's check-in rows (check-ins, soreness, settings) and cancel their jobs."""
        for checkin_id in self.store.forget(user_id):
            self.timers.drop_job(checkin_id)
