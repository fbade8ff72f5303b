"""The core's `Answers` interface, for features that take a question mid-flow (a session step, a
check-in): they ask through the coach and never import this package."""

from __future__ import annotations

from dataclasses import dataclass

from bot.answering.index import Index
from bot.answering.views import answer_replies
from bot.core.coach import Answered, Clock
from bot.core.reply import Reply
from bot.core.textnorm import words
from bot.storage.database import Store


@dataclass(frozen=True)
class Questions:
    """Answers from the index, logged in the questions table like the Q&A feature's own."""

    index: Index
    store: Store
    clock: Clock

    def is_red_flag(self, text: str) -> bool:
        return self.index.is_red_flag(text)

    def knows(self, text: str) -> bool:
        return self.index.answer(text).matched

    def ask(self, user_id: int, text: str) -> Answered:
        if not words(text):  # ".", "?", emoji only: nothing to answer, nothing worth a coach's look
            return Answered([Reply.plain(self.index.kb.texts["empty"])], matched=False, red_flag=False)
        answer = self.index.answer(text)
        topic = answer.entry.id if answer.entry else None
        self.store.log_question(user_id, text, topic, answer.score, answer.red_flag, self.clock())
        return Answered(answer_replies(self.index.kb, answer), answer.matched, answer.red_flag)

    def start(self) -> None:
        self.index.start()

    def ready(self) -> None:
        self.index.parts()
