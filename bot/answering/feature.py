"""Question answering as a conversation feature: /start, /help, /topics, free text, answer buttons."""

from __future__ import annotations

from bot.answering.index import Index
from bot.answering.service import Questions
from bot.answering.views import entry_buttons, render_entry, topic_buttons, topics_button
from bot.core.coach import Coach, Incoming
from bot.core.reply import Button, Reply, bold, escape
from bot.core.textnorm import words

MESSAGE_LIMIT = 4000  # characters of a question we read; the rest is ignored with a note


class AnsweringFeature:
    """Q&A's handlers: /start, /help, /topics, the menu, topic and entry buttons, and free text."""

    def __init__(self, coach: Coach, questions: Questions) -> None:
        self.coach = coach
        self.kb = coach.kb
        self.questions = questions

    def start(self, msg: Incoming, args: str) -> list[Reply]:
        """/start: the welcome, with every feature's start buttons two to a row."""
        buttons = self.coach.starts(msg.user_id)
        rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
        return [Reply.plain(self.kb.texts["welcome"], rows)]

    def help(self, msg: Incoming, args: str) -> list[Reply]:
        """/help: how to use the bot, then every command of the menu."""
        lines = [escape(self.kb.texts["help"]), ""]
        lines += [f"/{c.name} - {escape(c.description)}" for c in self.coach.menu()]
        return [Reply.make("\n".join(lines), topics_button(self.kb))]

    def topics(self, msg: Incoming, args: str) -> list[Reply]:
        """/topics: every topic as a button."""
        return [Reply.plain(self.kb.texts["topics_intro"], topic_buttons(self.kb))]

    def menu(self, msg: Incoming, payload: str) -> list[Reply]:
        """An `m:` button does what /topics, /help or /start does."""
        handler = {"topics": self.topics, "help": self.help, "start": self.start}.get(payload)
        return handler(msg, "") if handler else self.coach.stale()

    def topic(self, msg: Incoming, payload: str) -> list[Reply]:
        """A `t:` button: the topic's blurb, with its entries as buttons."""
        chosen = self.kb.topics.get(payload)
        if chosen is None:
            return self.coach.stale()
        ids = tuple(e.id for e in self.kb.in_topic(chosen.id))
        return [Reply.make(f"{bold(chosen.label)}\n{escape(chosen.blurb)}", entry_buttons(self.kb, ids))]

    def entry(self, msg: Incoming, payload: str) -> list[Reply]:
        """An `e:` button: that entry's answer, with its related entries as buttons."""
        chosen = self.kb.entries.get(payload)
        if chosen is None:
            return self.coach.stale()
        return [Reply.make(render_entry(self.kb, chosen), entry_buttons(self.kb, chosen.related))]

    def ask(self, msg: Incoming, text: str) -> list[Reply]:
        """Any other text is a question: its answer or an honest "don't know", logged for the coach."""
        prefix = [Reply.plain(self.kb.texts["edited"])] if msg.kind == "edited" else []
        if not words(text):  # nothing but punctuation, emoji or invisible characters
            return [*prefix, Reply.plain(self.kb.texts["empty"], topics_button(self.kb))]
        if len(text) > MESSAGE_LIMIT:
            prefix.append(Reply.plain(self.kb.texts["too_long"]))
            text = text[:MESSAGE_LIMIT]
        return [*prefix, *self.questions.ask(msg.user_id, text).replies]


def register(coach: Coach, index: Index) -> AnsweringFeature:
    """Wire Q&A into the coach: start buttons, commands, buttons, the fallback, and `coach.answers`."""
    kb = coach.kb
    questions = Questions(index, coach.store, coach.clock)
    coach.answers = questions
    feature = AnsweringFeature(coach, questions)
    coach.start_buttons.extend(
        [
            Button(kb.texts["button_topics"], "m:topics", aside=True),
            Button(kb.texts["button_help"], "m:help", aside=True),
        ]
    )
    coach.command("start", "What I can do")(feature.start)
    coach.command("help", "How to use me")(feature.help)
    coach.command("topics", "Browse what I know")(feature.topics)
    coach.button("m")(feature.menu)
    coach.button("t")(feature.topic)
    coach.button("e")(feature.entry)
    coach.group_buttons.update({"t", "e", "m:topics"})  # browsing the knowledge works in a group too
    coach.fallback_text = feature.ask
    return feature
