"""The guided session as a conversation feature: its commands, button prefix, text hook and timers.

The pieces: `flow` (the pure state machine, loaded by `loader`), `typed` and `buttons` (what input
means), `service` (sessions over `store`), `views` (replies) and `handlers` (the entry points).
"""

from __future__ import annotations

from bot.core.coach import Coach
from bot.session import buttons, timers, views
from bot.session.flow import Flow
from bot.session.handlers import SessionHandlers
from bot.session.service import SessionService
from bot.session.store import SessionStore
from bot.session.training import SessionTraining


def register(coach: Coach, flow: Flow) -> SessionHandlers:
    """Wire the session into the coach; planning asks `coach.readiness`, questions `coach.answers`."""
    service = SessionService(coach, flow, SessionStore(coach.store.db))
    handlers = SessionHandlers(service)
    coach.training = SessionTraining(service)
    coach.command("session", "Start a guided session")(handlers.cmd_session)
    coach.command("pause", "Pause the session")(handlers.cmd_pause)
    coach.command("resume", "Resume a paused session")(handlers.cmd_resume)
    coach.command("cancel", "Cancel the session")(handlers.cmd_cancel)
    coach.command("history", "Your past sessions")(handlers.cmd_history)
    coach.button(buttons.PREFIX)(handlers.on_button)
    coach.text_hooks.append(handlers.on_text)
    coach.timers[timers.PREFIX] = handlers.on_timer
    coach.pending.append(handlers.pending)
    coach.on("forget", handlers.forget)
    coach.start_buttons.append(views.start_button(flow))
    coach.start_variants[buttons.BEGIN] = handlers.start_button
    return handlers
