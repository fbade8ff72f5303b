"""Build the core once, the same way for every adapter: load knowledge, open the store, add features."""

from __future__ import annotations

from bot import (
    broadcast,
    broadcast_feature,
    checkin_feature,
    checkin_store,
    checkins,
    feed,
    qa,
    session_feature,
    session_store,
    voice_feature,
)
from bot.checkins import load_checkins
from bot.config import Config
from bot.conversation import Clock, Coach, NullScheduler, Scheduler, utcnow
from bot.knowledge import load_knowledge
from bot.pronunciations import load_pronunciations
from bot.retrieval import Index
from bot.session import load_flow
from bot.store import Store


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
