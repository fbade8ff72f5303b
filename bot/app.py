"""Build the core once, the same way for every adapter: load knowledge, open the store, add features."""

from __future__ import annotations

from bot.answering import feature as qa
from bot.answering.index import Index
from bot.broadcasts import feature as broadcast_feature
from bot.broadcasts import feed
from bot.broadcasts import ledger as broadcast
from bot.checkins import feature as checkin_feature
from bot.checkins import policy as checkins
from bot.checkins import store as checkin_store
from bot.checkins.policy import load_checkins
from bot.config import Config
from bot.core.coach import Clock, Coach, NullScheduler, Scheduler, utcnow
from bot.knowledge.base import load_knowledge
from bot.session import feature as session_feature
from bot.session import store as session_store
from bot.session.flow import load_flow
from bot.storage.database import Store
from bot.voice import feature as voice_feature
from bot.voice.pronunciations import load_pronunciations


def build_coach(config: Config, *, clock: Clock = utcnow, scheduler: Scheduler | None = None) -> Coach:
    """Raise KnowledgeError before touching the database if the knowledge folder is bad.

    Features register in order; each may add commands, buttons, text hooks, timers and its own
    migration set (passed to Store so its tables exist before any handler runs).
    """
    kb = load_knowledge(config.knowledge)
    checkin_plan = load_checkins(config.knowledge, set(kb.sources))
    session_flow = load_flow(config.knowledge)
    pronunciations = load_pronunciations(config.knowledge)
    store = Store(
        config.db,
        extra=[checkin_store.migrations, session_store.migrations, broadcast.migrations, feed.migrations],
    )
    index = Index(kb, vector_db=config.db)
    coach = Coach(
        kb=kb, index=index, store=store, config=config, clock=clock, scheduler=scheduler or NullScheduler()
    )
    qa.register(coach)
    # Sessions before check-ins: a typed number mid-set is reps.
    sessions = session_feature.register(coach, session_flow)
    checkin_feature.register(coach, checkin_plan)
    broadcast_feature.register(coach)
    voice_feature.register(coach, pronunciations)  # last: it listens for the buttons registered above
    sessions.soreness_of = lambda user: checkins.latest_soreness(store, user, coach.clock())
    sessions.held_of = lambda user: checkins.held(store, user)
    return coach
