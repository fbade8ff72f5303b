"""How answers look on a phone: an entry's title, answer and source, its related entries as buttons,
the safety answer first on a red flag, and an honest "don't know" with topic buttons."""

from __future__ import annotations

from bot.answering.answerer import Answer
from bot.core.reply import Button, Reply, bold, clip_label, escape, italic
from bot.knowledge.base import Entry, KnowledgeBase


def render_entry(kb: KnowledgeBase, entry: Entry) -> str:
    """An answer as it appears on a phone: title, answer, source."""
    sources = "; ".join(kb.source_titles(entry))
    return f"{bold(entry.title)}\n{escape(entry.answer)}\n\n{italic('Source: ' + sources)}"


def entry_buttons(kb: KnowledgeBase, ids: tuple[str, ...]) -> list[list[Button]]:
    return [[Button(clip_label(kb.entries[i].title), f"e:{i}", aside=True)] for i in ids if i in kb.entries]


def topic_buttons(kb: KnowledgeBase) -> list[list[Button]]:
    """Topic buttons two to a row, as they fit on a phone."""
    buttons = [Button(t.label, f"t:{t.id}", aside=True) for t in kb.topics.values()]
    return [buttons[i : i + 2] for i in range(0, len(buttons), 2)]


def answer_replies(kb: KnowledgeBase, answer: Answer) -> list[Reply]:
    """The safety answer first when a red flag is mentioned, then the answer or an honest 'don't know';
    after warning signs the message ruled out, one line on what they are; a message that asked two
    things gets a second reply for the second, each within Telegram's limit (Reply.make)."""
    warning = f"\n\n{kb.texts['warning_signs']}" if answer.reassured else ""
    if answer.entry is None:
        return [Reply.plain(kb.texts["dont_know"] + warning, topic_buttons(kb))]
    if not answer.red_flag:
        text = render_entry(kb, answer.entry) + escape(warning)
        replies = [Reply.make(text, entry_buttons(kb, answer.entry.related))]
        if answer.also is not None:  # a second question in the same message: its own answer and source
            replies.append(Reply.make(render_entry(kb, answer.also), entry_buttons(kb, answer.also.related)))
        return replies
    intro = escape(kb.texts["safety_intro"])
    replies = [Reply.make(f"{intro}\n\n{render_entry(kb, answer.entry)}")]
    if answer.also is not None:
        replies.append(Reply.make(render_entry(kb, answer.also), entry_buttons(kb, answer.also.related)))
    return replies


def topics_button(kb: KnowledgeBase) -> list[list[Button]]:
    """The one "Topics" button under a reply that leads nowhere else."""
    return [[Button(kb.texts["button_topics"], "m:topics")]]
