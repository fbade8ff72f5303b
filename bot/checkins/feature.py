"""DOMS check-ins as a conversation feature: schedule after a session, ask, advise, hold on red flags.

Consent first: nothing is scheduled until the user presses "Check in on my soreness" (`ci:optin`,
offered at the end of a session and under /checkins); the choice is remembered, and "Stop check-ins"
turns it off. The database is the truth: a check-in is a row before it is a job, a timer only sends
what the row says is still pending, and only check-ins due within `HORIZON` are jobs in memory; a
sweep timer (`ci:sweep`) brings the next ones in, so 100,000 future check-ins cost no memory.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time, timedelta, tzinfo

from bot.checkins.policy import (
    MAX_SCORE,
    CheckinPlan,
    CheckinReadiness,
    Step,
    after_quiet_hours,
    canonical_zone,
    needs_rest,
    parse_clock,
    parse_score,
    zone,
)
from bot.checkins.store import CheckinRow, CheckinStore, Settings
from bot.core.coach import Coach, Due, Incoming, Outgoing
from bot.core.reply import Button, Reply, clip_label, escape, italic
from bot.knowledge.texts import fill

log = logging.getLogger(__name__)

PREFIX = "ci"
SWEEP = "ci:sweep"
HORIZON = timedelta(hours=1)  # check-ins due sooner than this are jobs in the adapter's queue
SWEEP_EVERY = timedelta(minutes=15)  # < HORIZON, so every check-in is a job well before it is due
MAX_JOBS = 1000  # jobs per sweep: the adapter's job queue stays small whatever the crowd
CROWD_RECHECK = timedelta(seconds=10)
ACTIVE_AFTER_ANSWER = timedelta(hours=24)  # a red flag this soon after an answer still holds the session
TOO_EARLY = timedelta(seconds=1)


def timer_name(checkin_id: int) -> str:
    return f"{PREFIX}:{checkin_id}"


class CheckinFeature:
    """State lives in SQLite (CheckinStore); this object only holds references."""

    def __init__(self, coach: Coach, plan: CheckinPlan) -> None:
        self.coach = coach
        self.plan = plan
        self.texts = plan.texts
        self.store = CheckinStore(coach.store.db)
        self.jobs: dict[str, datetime] = {}  # what we asked the adapter to run, so sweeps don't repeat it

    # ------------------------------------------------------------------ time helpers

    @property
    def grace(self) -> timedelta:
        return timedelta(hours=self.coach.config.checkin_grace_hours)

    @property
    def window(self) -> timedelta:
        return timedelta(hours=self.plan.answer_window_hours)

    def quiet(self, settings: Settings) -> tuple[time, time]:
        start = parse_clock(settings.quiet_start or "") or self.plan.quiet_start
        end = parse_clock(settings.quiet_end or "") or self.plan.quiet_end
        return start, end

    def due_for(self, base: datetime, settings: Settings) -> datetime:
        start, end = self.quiet(settings)
        return after_quiet_hours(base, zone(settings.tz), start, end)

    def local(self, when: datetime, settings: Settings) -> str:
        tz: tzinfo = zone(settings.tz)
        return when.astimezone(tz).strftime(self.texts["when_format"])

    def put_job(self, checkin_id: int, due: datetime, now: datetime) -> None:
        """A job for check-ins due within the horizon; later ones are brought in by the sweep."""
        name = timer_name(checkin_id)
        if due <= now + HORIZON:
            self.coach.scheduler.schedule(name, due)
            self.jobs[name] = due
        else:
            self.drop_job(checkin_id)

    def drop_job(self, checkin_id: int) -> None:
        self.coach.scheduler.cancel(timer_name(checkin_id))
        self.jobs.pop(timer_name(checkin_id), None)

    # ------------------------------------------------------------------ scheduling

    def create(
        self, user_id: int, chat_id: int, session_id: int, finished_at: datetime, steps: tuple[Step, ...]
    ) -> list[int]:
        """Rows (then jobs) for `steps` of one session; steps already due are skipped, never sent late."""
        now = self.coach.clock()
        settings = self.store.settings(user_id)
        created = []
        for step in steps:
            base = finished_at + timedelta(hours=step.offset_hours)
            if base <= now:
                continue
            due = self.due_for(base, settings)
            new_id = self.store.add(
                user_id=user_id,
                chat_id=chat_id,
                session_id=session_id,
                kind=step.id,
                offset_hours=step.offset_hours,
                finished_at=finished_at,
                base_at=base,
                due_at=due,
                now=now,
            )
            if new_id is not None:
                self.put_job(new_id, due, now)
                created.append(new_id)
        return created

    def due_jobs(self) -> list[Due]:
        """Stale pings are marked missed; the next ones (at most MAX_JOBS) are due as jobs.

        Less late than the grace (HAMCOACH_CHECKIN_GRACE_HOURS) means send now, more means missed:
        never a burst of stale pings after a long outage.
        """
        now = self.coach.clock()
        missed = self.store.miss_stale(now - self.grace)
        expired = self.store.expire_sent(now - self.window)
        if missed or expired:
            log.info("check-ins: %d missed while down, %d expired unanswered", missed, expired)
        rows = self.store.due_until(now + HORIZON, limit=MAX_JOBS)
        sweep = now + SWEEP_EVERY
        if len(rows) == MAX_JOBS:  # a crowd falls due (08:00 in one time zone): come back for the rest
            sweep = min(sweep, max(rows[-1][1], now + CROWD_RECHECK))
        return [*(Due(timer_name(i), when) for i, when in rows), Due(SWEEP, sweep)]

    def pending(self) -> list[Due]:
        """Start-up: the adapter schedules what this returns."""
        due = self.due_jobs()
        self.jobs = {d.name: d.when for d in due}
        return due

    def fire(self, name: str) -> list[Outgoing]:
        """A timer is due; the row decides. A repeated or late fire sends nothing twice."""
        self.jobs.pop(name, None)
        if name == SWEEP:
            for due in self.due_jobs():
                if self.jobs.get(due.name) != due.when:
                    self.coach.scheduler.schedule(due.name, due.when)
                    self.jobs[due.name] = due.when
            return []
        try:
            checkin_id = int(name.split(":", 1)[1])
        except (IndexError, ValueError):
            log.warning("bad check-in timer name %r", name)
            return []
        row = self.store.get(checkin_id)
        if row is None or row.status != "pending":
            return []
        now = self.coach.clock()
        if row.due_at > now + TOO_EARLY:  # moved (snooze, time zone) after this job was made
            self.put_job(row.id, row.due_at, now)
            return []
        if now - row.due_at > self.grace:
            self.store.set_status(row.id, "missed", only_from=("pending",))
            return []
        settings = self.store.settings(row.user_id)
        if settings.optin is False:
            self.store.set_status(row.id, "cancelled", only_from=("pending",))
            return []
        later = self.due_for(now, settings)
        if later > now + TOO_EARLY:  # the time zone or quiet hours changed: never wake anyone
            self.store.reschedule(row.id, row.base_at, later, snooze=False)
            self.put_job(row.id, later, now)
            return []
        if not self.store.claim_for_sending(row.id, now):
            return []
        for older in self.store.of_session(row.user_id, row.session_id):
            if older.id != row.id and older.status == "sent":
                self.store.set_status(older.id, "missed", only_from=("sent",))
        return [Outgoing(row.chat_id, self.question(row))]

    # ------------------------------------------------------------------ replies

    def score_buttons(self, checkin_id: int) -> list[list[Button]]:
        scores = [Button(str(n), f"{PREFIX}:s:{checkin_id}:{n}") for n in range(MAX_SCORE + 1)]
        return [
            scores[:6],
            scores[6:],
            [
                Button(self.texts["button_snooze"], f"{PREFIX}:z:{checkin_id}"),
                Button(self.texts["button_stop"], f"{PREFIX}:stop"),
            ],
        ]

    def question(self, row: CheckinRow) -> Reply:
        step = self.plan.step(row.kind)
        text = step.question if step else self.plan.steps[0].question
        return Reply.plain(text, self.score_buttons(row.id))

    def timezone_buttons(self) -> list[list[Button]]:
        buttons = [
            Button(clip_label(z.rsplit("/", 1)[-1].replace("_", " ")), f"{PREFIX}:tz:{z}")
            for z in self.plan.timezone_buttons
        ]
        return [buttons[i : i + 2] for i in range(0, len(buttons), 2)]

    def fine_button(self) -> list[list[Button]]:
        return [[Button(self.texts["button_fine"], f"{PREFIX}:fine")]]

    def upcoming_lines(self, user_id: int) -> list[str]:
        settings = self.store.settings(user_id)
        rows = self.store.for_user(user_id, ("pending",))
        return [f"• {escape(self.local(r.due_at, settings))} ({r.offset_hours:g} h)" for r in rows]

    def advice(self, user_id: int, score: int, lead: str) -> list[Reply]:
        band = self.plan.band(score)
        sources = "; ".join(
            self.coach.kb.sources[s].title for s in band.sources if s in self.coach.kb.sources
        )
        body = f"{escape(lead)}\n\n{escape(band.text)}"
        if sources:
            body += f"\n\n{italic('Source: ' + sources)}"
        replies = [Reply.make(body)]
        if needs_rest(self.coach.store, user_id, self.plan.heavy_score, self.coach.clock()):
            replies.append(Reply.plain(self.plan.heavy_twice))
        if self.store.settings(user_id).held_since is not None:
            replies.append(Reply.plain(self.texts["held_line"], self.fine_button()))
        return replies

    # ------------------------------------------------------------------ answers

    def record(self, msg: Incoming, row: CheckinRow | None, score: int) -> list[Reply]:
        """A score for one check-in: stored once (a second press corrects it), then advice."""
        now = self.coach.clock()
        if row is None or row.user_id != msg.user_id or row.status in ("missed", "cancelled"):
            return [Reply.plain(self.texts["expired"])]
        if row.status == "sent" and row.sent_at is not None and now - row.sent_at > self.window:
            self.store.set_status(row.id, "missed", only_from=("sent",))
            return [Reply.plain(self.texts["expired"])]
        if row.status == "answered" and row.answered_at is not None and now - row.answered_at > self.window:
            return [Reply.plain(self.texts["expired"])]
        corrected = row.status == "answered"
        self.store.answer(row, score, now)
        self.drop_job(row.id)  # a snoozed check-in answered from its message
        if not corrected:
            step = self.plan.step(row.kind)
            if step is not None:
                followers = self.plan.followers(step.id, score)
                self.create(row.user_id, row.chat_id, row.session_id, row.finished_at, followers)
        lead = fill(self.texts["corrected" if corrected else "answered"], score=score)
        return self.advice(msg.user_id, score, lead)

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
        if awaiting is not None:
            self.store.mark_red_flag(awaiting.id)
        return [*answered.replies, Reply.plain(self.plan.red_flag_followup, self.fine_button())]

    def on_text(self, msg: Incoming) -> list[Reply] | None:
        """Typed scores, only while a sent check-in awaits one; anything else goes on to Q&A."""
        if msg.kind not in ("text", "edited") or not msg.text.strip():
            return None
        text = msg.text.strip()
        now = self.coach.clock()
        awaiting = self.store.awaiting(msg.user_id, now - self.window)
        if self.coach.answers.is_red_flag(text) and (awaiting or self.has_activity(msg.user_id, now)):
            return self.red_flag(msg, text, awaiting)
        if awaiting is None:
            return None
        reading = parse_score(text)
        if reading.kind == "score" and reading.score is not None:
            return self.record(msg, awaiting, reading.score)
        if reading.kind == "out_of_range":
            return [Reply.plain(self.texts["out_of_range"], self.score_buttons(awaiting.id))]
        if "?" in text or self.coach.answers.knows(text):
            return None  # a question while a check-in waits: Q&A answers, the check-in keeps waiting
        return [Reply.plain(self.texts["not_a_score"], self.score_buttons(awaiting.id))]

    # ------------------------------------------------------------------ settings and consent

    def opt_in(self, msg: Incoming) -> list[Reply]:
        now = self.coach.clock()
        self.store.update_settings(msg.user_id, now, optin=1)
        settings = self.store.settings(msg.user_id)
        if settings.last_session_id is not None and settings.last_finished_at is not None:
            self.create(
                msg.user_id,
                msg.chat_id,
                settings.last_session_id,
                settings.last_finished_at,
                self.plan.first_steps(),
            )
        lines = [escape(self.texts["optin_done"]), *self.upcoming_lines(msg.user_id)]
        replies = [Reply.make("\n".join(lines))]
        if settings.tz is None:
            replies.append(Reply.plain(self.texts["optin_need_timezone"], self.timezone_buttons()))
        return replies

    def stop(self, msg: Incoming) -> list[Reply]:
        self.store.update_settings(msg.user_id, self.coach.clock(), optin=0)
        for checkin_id in self.store.cancel_pending(msg.user_id):
            self.drop_job(checkin_id)
        return [Reply.plain(self.texts["stopped"])]

    def set_timezone(self, msg: Incoming, text: str) -> list[Reply]:
        name = canonical_zone(text)
        if name is None:
            shown = text.strip()[:40]
            return [Reply.plain(fill(self.texts["timezone_unknown"], text=shown), self.timezone_buttons())]
        now = self.coach.clock()
        self.store.update_settings(msg.user_id, now, tz=name)
        self.refit(msg.user_id)
        local_now = now.astimezone(zone(name)).strftime("%H:%M")
        return [Reply.plain(fill(self.texts["timezone_set"], tz=name, now=local_now))]

    def refit(self, user_id: int) -> None:
        """After a time-zone or quiet-hours change, pending check-ins move to fit the new local night."""
        now = self.coach.clock()
        settings = self.store.settings(user_id)
        for row in self.store.for_user(user_id, ("pending",)):
            due = self.due_for(row.base_at, settings)
            if due != row.due_at:
                self.store.reschedule(row.id, row.base_at, due, snooze=False)
                self.put_job(row.id, due, now)

    def snooze(self, msg: Incoming, checkin_id: int) -> list[Reply]:
        row = self.store.get(checkin_id)
        now = self.coach.clock()
        if row is not None and row.user_id == msg.user_id and row.status == "pending" and row.snoozes:
            settings = self.store.settings(msg.user_id)  # pressed twice: already snoozed
            return [Reply.plain(fill(self.texts["snoozed"], when=self.local(row.due_at, settings)))]
        if row is None or row.user_id != msg.user_id or row.status != "sent":
            return [Reply.plain(self.texts["expired"])]
        if row.sent_at is not None and now - row.sent_at > self.window:
            self.store.set_status(row.id, "missed", only_from=("sent",))
            return [Reply.plain(self.texts["expired"])]
        if row.snoozes >= self.plan.snooze_limit:
            return [Reply.plain(self.texts["snooze_limit"], self.score_buttons(row.id))]
        settings = self.store.settings(msg.user_id)
        base = now + timedelta(hours=self.plan.snooze_hours)
        due = self.due_for(base, settings)
        self.store.reschedule(row.id, base, due, snooze=True)
        self.put_job(row.id, due, now)
        return [Reply.plain(fill(self.texts["snoozed"], when=self.local(due, settings)))]

    def fine(self, msg: Incoming) -> list[Reply]:
        if self.store.settings(msg.user_id).held_since is None:
            return [Reply.plain(self.texts["fine_not_held"])]
        self.store.update_settings(msg.user_id, self.coach.clock(), held_since=None)
        return [Reply.plain(self.texts["fine_done"])]

    def overview(self, msg: Incoming) -> list[Reply]:
        settings = self.store.settings(msg.user_id)
        start, end = self.quiet(settings)
        lines: list[str] = []
        buttons: list[list[Button]] = []
        if settings.optin is True:
            upcoming = self.upcoming_lines(msg.user_id)
            lines += (
                [escape(self.texts["list_header"]), *upcoming]
                if upcoming
                else [escape(self.texts["list_empty"])]
            )
            buttons.append([Button(self.texts["button_stop"], f"{PREFIX}:stop")])
        else:
            lines.append(escape(self.texts["list_off" if settings.optin is False else "list_never"]))
            buttons.append([Button(self.texts["button_optin"], f"{PREFIX}:optin")])
        tz_name = settings.tz or "UTC"
        line = fill(
            self.texts["settings_line"], tz=tz_name, start=start.strftime("%H:%M"), end=end.strftime("%H:%M")
        )
        lines += ["", escape(line)]
        buttons.append([Button(self.texts["button_timezone"], f"{PREFIX}:tz")])
        if settings.held_since is not None:
            lines += ["", escape(self.texts["held_line"])]
            buttons += self.fine_button()
        return [Reply.make("\n".join(lines), buttons)]

    def set_quiet(self, msg: Incoming, text: str) -> list[Reply]:
        first, _, second = text.replace("\u2013", "-").partition("-")
        start, end = parse_clock(first), parse_clock(second)
        if start is None or end is None:
            return [Reply.plain(self.texts["quiet_bad"])]
        now = self.coach.clock()
        self.store.update_settings(
            msg.user_id, now, quiet_start=start.strftime("%H:%M"), quiet_end=end.strftime("%H:%M")
        )
        self.refit(msg.user_id)
        return [
            Reply.plain(
                fill(self.texts["quiet_set"], start=start.strftime("%H:%M"), end=end.strftime("%H:%M"))
            )
        ]

    # ------------------------------------------------------------------ events

    def on_session_finished(self, user_id: int, data: dict[str, object]) -> list[Reply]:
        """Remember the session; if the user opted in, schedule its check-ins and say when."""
        session_id, finished_at = data.get("session_id"), data.get("finished_at")
        if (
            not isinstance(session_id, int)
            or isinstance(session_id, bool)
            or not isinstance(finished_at, str)
        ):
            log.warning("session_finished with bad data %r", data)
            return []
        try:
            finished = datetime.fromisoformat(finished_at)
        except ValueError:
            log.warning("session_finished with a bad finished_at %r", finished_at)
            return []
        finished = finished.replace(tzinfo=UTC) if finished.tzinfo is None else finished.astimezone(UTC)
        now = self.coach.clock()
        self.store.update_settings(user_id, now, last_session_id=session_id, last_finished_at=finished)
        if self.store.settings(user_id).optin is not True:
            return []  # the session feature offers the "ci:optin" button
        created = self.create(user_id, self.chat_of(user_id), session_id, finished, self.plan.first_steps())
        if not created:
            return []
        lines = [escape(self.texts["scheduled_after_session"]), *self.upcoming_lines(user_id)]
        return [Reply.make("\n".join(lines))]

    def chat_of(self, user_id: int) -> int:
        rows = list(self.coach.store.db.query("select chat_id from users where user_id = ?", [user_id]))
        return int(rows[0]["chat_id"]) if rows and rows[0]["chat_id"] is not None else user_id

    def on_hold_cleared(self, user_id: int, data: dict[str, object]) -> list[Reply]:
        """The user told the session feature a clinician cleared them: lift our red-flag hold too."""
        if self.store.settings(user_id).held_since is not None:
            self.store.update_settings(user_id, self.coach.clock(), held_since=None)
        return []

    def on_forget(self, user_id: int, data: dict[str, object]) -> list[Reply]:
        """Delete the user's check-in rows and cancel their jobs."""
        for checkin_id in self.store.forget(user_id):
            self.drop_job(checkin_id)
        return []

    # ------------------------------------------------------------------ buttons

    def on_button(self, msg: Incoming, payload: str) -> list[Reply]:
        action, _, rest = payload.partition(":")
        if action == "s":
            id_text, _, score_text = rest.partition(":")
            if not (id_text.isdigit() and score_text.isdigit() and int(score_text) <= MAX_SCORE):
                return self.coach.stale()
            return self.record(msg, self.store.get(int(id_text)), int(score_text))
        if action == "z" and rest.isdigit():
            return self.snooze(msg, int(rest))
        if action == "tz":
            if not rest:
                return [Reply.plain(self.texts["timezone_prompt"], self.timezone_buttons())]
            return self.set_timezone(msg, rest)
        simple = {"optin": self.opt_in, "stop": self.stop, "fine": self.fine, "list": self.overview}
        handler = simple.get(action)
        return handler(msg) if handler and not rest else self.coach.stale()


def register(coach: Coach, plan: CheckinPlan) -> CheckinFeature:
    """Wire check-ins into the coach: buttons `ci:*`, timers `ci:*`, /checkins, /timezone."""
    feature = CheckinFeature(coach, plan)
    coach.button(PREFIX)(feature.on_button)
    coach.timers[PREFIX] = feature.fire
    coach.pending.append(feature.pending)
    coach.text_hooks.append(feature.on_text)
    coach.on("session_finished", feature.on_session_finished)
    coach.on("forget", feature.on_forget)
    coach.on("hold_cleared", feature.on_hold_cleared)
    coach.readiness = CheckinReadiness(coach.store, coach.clock)

    @coach.command("checkins", "Soreness check-ins: what's coming, on/off")
    def checkins(msg: Incoming, args: str) -> list[Reply]:
        word, _, rest = args.strip().partition(" ")
        word = word.lower()
        if word == "on":
            return feature.opt_in(msg)
        if word in ("off", "stop"):
            return feature.stop(msg)
        if word == "quiet":
            return feature.set_quiet(msg, rest.strip())
        return feature.overview(msg)

    @coach.command("timezone", "Set your time zone for check-ins")
    def timezone_(msg: Incoming, args: str) -> list[Reply]:
        if not args.strip():
            return [Reply.plain(feature.texts["timezone_prompt"], feature.timezone_buttons())]
        return feature.set_timezone(msg, args)

    return feature
