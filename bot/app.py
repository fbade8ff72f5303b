"""Build the core once, the same way for every adapter: load knowledge, open the store, add features."""

from __future__ import annotations

from pathlib import Path

from bot import qa
from bot.conversation import Clock, Coach, NullScheduler, Scheduler, utcnow
from bot.knowledge import load_knowledge
from bot.retrieval import Index
from bot.store import Store


def build_coach(knowledge: Path, db: str | Path, *, clock: Clock = utcnow,
                scheduler: Scheduler | None = None) -> Coach:
    """Raise KnowledgeError before touching the database if the knowledge folder is bad."""
    kb = load_knowledge(knowledge)
    index = Index(kb)
    store = Store(db)
    coach = Coach(kb=kb, index=index, store=store, clock=clock, scheduler=scheduler or NullScheduler())
    qa.register(coach)
    return coach
