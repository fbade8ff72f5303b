"""Question answering as a conversation feature: /start, /help, /topics, free text, answer buttons."""

from __future__ import annotations

from bot.answering.index import Answer, Index
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


def register(coach: Coach, index: Index) -> None:
    """Wire Q&A into the coach."""
    kb = coach.kb
    coach.start_buttons.extend(
        [Button(kb.texts["button_topics"], "m:topics"), Button(kb.texts["button_help"], "m:help")]
    )

    def start_buttons() -> list[list[Button]]:
        return [coach.start_buttons[i : i + 2] for i in range(0, len(coach.start_buttons), 2)]

    @coach.command("start", "What I can do")
    def start(msg: Incoming, args: str) -> list[Reply]:
        return [Reply.plain(kb.texts["welcome"], start_buttons())]

    @coach.command("help", "How to use me")
    def help_(msg: Incoming, args: str) -> list[Reply]:
        lines = [escape(kb.texts["help"]), ""]
        lines += [f"/{c.name} - {escape(c.description)}" for c in coach.menu()]
        return [Reply.make("\n".join(lines), [[Button(kb.texts["button_topics"], "m:topics")]])]

    @coach.command("topics", "Browse what I know")
    def topics(msg: Incoming, args: str) -> list[Reply]:
        return [Reply.plain(kb.texts["topics_intro"], topic_buttons(kb))]

    @coach.button("m")
    def menu(msg: Incoming, payload: str) -> list[Reply]:
        handler = {"topics": topics, "help": help_, "start": start}.get(payload)
        return handler(msg, "") if handler else coach.stale()

    @coach.button("t")
    def topic(msg: Incoming, payload: str) -> list[Reply]:
        chosen = kb.topics.get(payload)
        if chosen is None:
            return coach.stale()
        ids = tuple(e.id for e in kb.in_topic(chosen.id))
        return [Reply.make(f"{bold(chosen.label)}\n{escape(chosen.blurb)}", entry_buttons(kb, ids))]

    @coach.button("e")
    def entry(msg: Incoming, payload: str) -> list[Reply]:
        chosen = kb.entries.get(payload)
        if chosen is None:
            return coach.stale()
        return [Reply.make(render_entry(kb, chosen), entry_buttons(kb, chosen.related))]

    def ask(msg: Incoming, text: str) -> list[Reply]:
        prefix: list[Reply] = []
        if msg.kind == "edited":
            prefix.append(Reply.plain(kb.texts["edited"]))
        if not text.strip():
            topics_button = [[Button(kb.texts["button_topics"], "m:topics")]]
            return [*prefix, Reply.plain(kb.texts["empty"], topics_button)]
        if len(text) > MESSAGE_LIMIT:
            prefix.append(Reply.plain(kb.texts["too_long"]))
            text = text[:MESSAGE_LIMIT]
        answer = index.answer(text)
        coach.store.log_question(
            msg.user_id,
            text,
            answer.entry.id if answer.entry else None,
            answer.score,
            answer.red_flag,
            coach.clock(),
        )
        return [*prefix, *answer_replies(kb, answer)]

    coach.fallback_text = ask
