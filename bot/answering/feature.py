"""Question answering as a conversation feature: /start, /help, /topics, free text, answer buttons."""

from __future__ import annotations

from bot.answering.answerer import Answer
from bot.core.coach import Coach, Incoming
from bot.core.reply import Button, Reply, bold, clip_label, escape, italic
from bot.knowledge.base import Entry, KnowledgeBase

MESSAGE_LIMIT = 4000  # characters of a question we read; the rest is ignored with a note


def render_entry(kb: KnowledgeBase, entry: Entry) -> str:
    """An answer as it appears on a phone: title, answer, source."""
    sources = "; ".join(kb.source_titles(entry))
    return f"{bold(entry.title)}\n{escape(entry.answer)}\n\n{italic('Source: ' + sources)}"


def entry_buttons(kb: KnowledgeBase, ids: tuple[str, ...]) -> list[list[Button]]:
    return [[Button(clip_label(kb.entries[i].title), f"e:{i}")] for i in ids if i in kb.entries]


def topic_buttons(kb: KnowledgeBase) -> list[list[Button]]:
    """Topic buttons two to a row, as they fit on a phone."""
    buttons = [Button(t.label, f"t:{t.id}") for t in kb.topics.values()]
    return [buttons[i : i + 2] for i in range(0, len(buttons), 2)]


def answer_replies(kb: KnowledgeBase, answer: Answer) -> list[Reply]:
    """The safety answer first when a red flag is mentioned, then the answer or an honest 'don't know'."""
    if answer.entry is None:
        return [Reply.plain(kb.texts["dont_know"], topic_buttons(kb))]
    if not answer.red_flag:
        return [Reply.make(render_entry(kb, answer.entry), entry_buttons(kb, answer.entry.related))]
    intro = escape(kb.texts["safety_intro"])
    replies = [Reply.make(f"{intro}\n\n{render_entry(kb, answer.entry)}")]
    if answer.also is not None:
        replies.append(Reply.make(render_entry(kb, answer.also), entry_buttons(kb, answer.also.related)))
    return replies


def topics_button(kb: KnowledgeBase) -> list[list[Button]]:
    """The one "Topics" button under a reply that leads nowhere else."""
    return [[Button(kb.texts["button_topics"], "m:topics")]]


class AnsweringFeature:
    """Q&A's handlers: /start, /help, /topics, the menu, topic and entry buttons, and free text."""

    def __init__(self, coach: Coach) -> None:
        self.coach = coach
        self.kb = coach.kb

    def start(self, msg: Incoming, args: str) -> list[Reply]:
        """/start: the welcome, with every feature's start buttons two to a row."""
        buttons = self.coach.start_buttons
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
        if not text.strip():
            return [*prefix, Reply.plain(self.kb.texts["empty"], topics_button(self.kb))]
        if len(text) > MESSAGE_LIMIT:
            prefix.append(Reply.plain(self.kb.texts["too_long"]))
            text = text[:MESSAGE_LIMIT]
        answer = self.coach.index.answer(text)
        self._log(msg, text, answer)
        return [*prefix, *answer_replies(self.kb, answer)]

    def _log(self, msg: Incoming, text: str, answer: Answer) -> None:
        """Keep the question and what it got, so the coach can see what the bot could not answer."""
        entry_id = answer.entry.id if answer.entry else None
        self.coach.store.log_question(
            msg.user_id, text, entry_id, answer.score, answer.red_flag, self.coach.clock()
        )


def register(coach: Coach) -> AnsweringFeature:
    """Wire Q&A into the coach: its start buttons first, its commands and buttons, and the fallback."""
    kb = coach.kb
    feature = AnsweringFeature(coach)
    coach.start_buttons.extend(
        [Button(kb.texts["button_topics"], "m:topics"), Button(kb.texts["button_help"], "m:help")]
    )
    coach.command("start", "What I can do")(feature.start)
    coach.command("help", "How to use me")(feature.help)
    coach.command("topics", "Browse what I know")(feature.topics)
    coach.button("m")(feature.menu)
    coach.button("t")(feature.topic)
    coach.button("e")(feature.entry)
    coach.fallback_text = feature.ask
    return feature
