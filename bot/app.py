"""Build the core once, the same way for every adapter: load knowledge, open the store, add features."""

from __future__ import annotations

from bot import qa
from bot.config import Config
from bot.conversation import Clock, Coach, NullScheduler, Scheduler, utcnow
from bot.knowledge import load_knowledge
from bot.retrieval import Index
from bot.store import Store


def build_coach(config: Config, *, clock: Clock = utcnow, scheduler: Scheduler | None = None) -> Coach:
    """Raise KnowledgeError before touching the database if the knowledge folder is bad.

    Features register in order; each may add commands, buttons, text hooks, timers and its own
    migration set (passed to Store so its tables exist before any handler runs).
    """
    kb = load_knowledge(config.knowledge)
    index = Index(kb)
    store = Store(config.db, extra=[])
    coach = Coach(
        kb=kb, index=index, store=store, config=config, clock=clock, scheduler=scheduler or NullScheduler()
    )
    qa.register(coach)
    return coach
