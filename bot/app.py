"""Build the core once, the same way for every adapter: load knowledge, open the store, add features."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.account import feature as account_feature
from bot.answering import feature as qa
from bot.answering.index import Index
from bot.broadcasts import feature as broadcast_feature
from bot.broadcasts import feed, ledger
from bot.checkins import feature as checkin_feature
from bot.checkins import store as checkin_store
from bot.checkins.plan import CheckinPlan, load_checkins
from bot.config import Config
from bot.core.coach import Clock, Coach, NullScheduler, Scheduler, utcnow
from bot.knowledge.base import KnowledgeBase, load_knowledge
from bot.knowledge.replies import ReplyWords, load_replies
from bot.progress import feature as progress_feature
from bot.progress.texts import load_progress
from bot.reminders import feature as reminder_feature
from bot.reminders import store as reminder_store
from bot.reminders.rules import ReminderRules, load_reminders
from bot.session import feature as session_feature
from bot.session import store as session_store
from bot.session.flow import Flow
from bot.session.loader import load_flow
from bot.storage import health, outbox
from bot.storage.database import Store
from bot.voice import feature as voice_feature
from bot.voice import speaking
from bot.voice import store as voice_store
from bot.voice.pronunciations import load_pronunciations
from bot.voice.speech import best_engine


@dataclass(frozen=True)
class Knowledge:
    """Every knowledge file, loaded and validated: the entries and texts, and each feature's own YAML."""

    kb: KnowledgeBase
    checkins: CheckinPlan
    flow: Flow
    pronunciations: dict[str, str]
    replies: ReplyWords
    reminders: ReminderRules
    progress: dict[str, str]


def load_all(folder: Path) -> Knowledge:
    """The one list of knowledge loaders (`hamcoach check` and every start-up use it); raises
    KnowledgeError naming file:line."""
    kb = load_knowledge(folder)
    checkins = load_checkins(folder, set(kb.sources))
    flow, pronunciations = load_flow(folder), load_pronunciations(folder)
    reminders = load_reminders(folder, set(kb.sources))
    return Knowledge(
        kb, checkins, flow, pronunciations, load_replies(folder), reminders, load_progress(folder)
    )


def build_coach(config: Config, *, clock: Clock = utcnow, scheduler: Scheduler | None = None) -> Coach:
    """Raise KnowledgeError before touching the database if the knowledge folder is bad.

    Features register in order; each may add commands, buttons, text hooks, timers and its own
    migration set (passed to Store so its tables exist before any handler runs).
    """
    knowledge = load_all(config.knowledge)
    kb = knowledge.kb
    store = Store(
        config.db,
        extra=[
            checkin_store.migrations,
            session_store.migrations,
            ledger.migrations,
            feed.migrations,
            voice_store.migrations,
            reminder_store.migrations,
            health.migrations,
            outbox.migrations,
        ],
    )
    index = Index(kb, vector_db=config.db, later=True)  # adapters start it (coach.answers.start)
    coach = Coach(
        kb=kb,
        store=store,
        config=config,
        clock=clock,
        scheduler=scheduler or NullScheduler(),
        replies=knowledge.replies,
    )
    qa.register(coach, index)
    # Sessions before check-ins: a typed number mid-set is reps.
    session_feature.register(coach, knowledge.flow)
    checkin_feature.register(coach, knowledge.checkins)
    reminder_feature.register(coach, knowledge.reminders)
    progress_feature.register(coach, knowledge.progress)
    account_feature.register(coach)
    broadcast_feature.register(coach)
    speaking.register(coach, best_engine())  # /voice: spoken replies (engine loaded on first use)
    # Last: the voice feature's language model includes the buttons the others registered.
    voice_feature.register(coach, knowledge.pronunciations)
    return coach
