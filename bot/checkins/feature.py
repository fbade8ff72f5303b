"""DOMS check-ins as a conversation feature: schedule after a session, ask, advise, hold on red flags.

`register` wires the parts into the coach: the scheduler (jobs derived from rows), the service (what a
user does), the handlers (commands, buttons, text, events). It provides `coach.readiness` and uses
`coach.answers` and the core's events, so no other feature is imported.
"""

from __future__ import annotations

from bot.checkins.handlers import CheckinHandlers
from bot.checkins.plan import CheckinPlan
from bot.checkins.readiness import CheckinReadiness
from bot.checkins.scheduler import CheckinScheduler
from bot.checkins.service import CheckinService
from bot.checkins.store import CheckinStore
from bot.checkins.usertime import CheckinLocalTime
from bot.checkins.views import PREFIX
from bot.core.coach import Coach


def register(coach: Coach, plan: CheckinPlan) -> CheckinHandlers:
    """Wire check-ins into the coach: buttons `ci:*`, timers `ci:*`, /checkins, /timezone."""
    store = CheckinStore(coach.store.db)
    timers = CheckinScheduler(coach, plan, store)
    handlers = CheckinHandlers(coach, plan, CheckinService(coach, plan, store, timers))
    coach.button(PREFIX)(handlers.on_button)
    coach.timers[PREFIX] = timers.fire
    coach.pending.append(timers.pending)
    coach.text_hooks.append(handlers.on_text)
    coach.on("session_finished", handlers.on_session_finished)
    coach.on("forget", handlers.on_forget)
    coach.on("hold_cleared", handlers.on_hold_cleared)
    coach.readiness = CheckinReadiness(coach.store, coach.clock)
    coach.local_time = CheckinLocalTime(store, plan)
    coach.command("checkins", "Soreness check-ins: what's coming, on/off")(handlers.checkins)
    coach.command("timezone", "Set your time zone for check-ins and reminders")(handlers.timezone)
    return handlers
