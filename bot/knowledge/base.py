"""The knowledge base: entries, sources, topics, synonyms and red flags loaded from `knowledge/`.

Everything is validated on load and the whole folder is refused on any problem, so the bot
never runs half-loaded. Files are plain YAML a coach can edit; see README "Knowledge format".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path

from bot.core.textnorm import words
from bot.knowledge.schema import FileReader
from bot.knowledge.texts import Texts, read_texts
from bot.knowledge.yamlfile import KnowledgeError, Node, Problem, line_of

KINDS = ("cue", "caution", "fact")
ANSWER_LIMIT = 600
DEFAULT_DIR = Path(str(resources.files("bot.knowledge") / "data"))  # shipped with the package


@dataclass(frozen=True)
class Source:
    id: str
    title: str
    note: str = ""


@dataclass(frozen=True)
class Topic:
    id: str
    label: str
    blurb: str


@dataclass(frozen=True)
class Entry:
    id: str
    title: str
    kind: str
    topic: str
    answer: str
    questions: tuple[str, ...]
    tags: tuple[str, ...]
    related: tuple[str, ...]
    sources: tuple[str, ...]
    file: str = ""
    line: int = 0


@dataclass(frozen=True)
class RedFlags:
    entry: str
    phrases: tuple[str, ...]
    reassurances: tuple[str, ...] = ()  # phrases that rule a warning sign out ("pee is normal")
    reassured: str = ""  # the entry for a message that only rules warning signs out ("nothing popped")
    # phrases that hold a red-flag phrase's words but mean something else ("strength gains have gone up",
    # "pop an ibuprofen"): a red-flag phrase overlapping one does not count
    other_meanings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Message:
    """A message as someone typed it, filed under the entry that answers it (messages.yaml)."""

    text: str
    entries: tuple[str, ...]  # none: off topic; two or more: each answers it equally (checked, not learned)
    line: int = 0


@dataclass
class KnowledgeBase:
    """Everything the question answering needs, already cross-checked."""

    entries: dict[str, Entry]
    sources: dict[str, Source]
    topics: dict[str, Topic]
    synonyms: list[tuple[str, ...]]
    red_flags: RedFlags
    texts: Texts
    folder: Path = field(default=DEFAULT_DIR)
    off_topic: tuple[str, ...] = ()  # near-miss questions we do not answer (off_topic.yaml)
    messages: tuple[Message, ...] = ()
    # "do it", "do these": what a question that names nothing else means by them (synonyms.yaml)
    exercise_phrases: tuple[str, ...] = ()
    exercise: str = ""

    def examples(self, entry: Entry) -> tuple[str, ...]:
        """What teaches the bot an entry: its example questions and the messages filed under it alone."""
        return entry.questions + self._learned.get(entry.id, ())

    @property
    def near_misses(self) -> tuple[str, ...]:
        """What teaches the bot where its knowledge ends: off_topic.yaml and the off-topic messages."""
        return self.off_topic + tuple(m.text for m in self.messages if not m.entries)

    @cached_property
    def _learned(self) -> dict[str, tuple[str, ...]]:
        out: dict[str, list[str]] = {}
        for m in self.messages:
            if len(m.entries) == 1:
                out.setdefault(m.entries[0], []).append(m.text)
        return {entry_id: tuple(texts) for entry_id, texts in out.items()}

    def in_topic(self, topic_id: str) -> list[Entry]:
        return [e for e in self.entries.values() if e.topic == topic_id]

    def source_titles(self, entry: Entry) -> list[str]:
        return [self.sources[s].title for s in entry.sources if s in self.sources]


def _read_sources(reader: FileReader) -> list[tuple[Node, Source]]:
    out = []
    for node in reader.items(reader.load_root("sources"), "sources"):
        reader.unknown_keys(node, {"id", "title", "note"})
        out.append(
            (
                node,
                Source(
                    reader.ident(node), reader.text(node, "title"), reader.text(node, "note", required=False)
                ),
            )
        )
    return out


def _read_topics(reader: FileReader) -> list[tuple[Node, Topic]]:
    out = []
    for node in reader.items(reader.load_root("topics"), "topics"):
        reader.unknown_keys(node, {"id", "label", "blurb"})
        out.append(
            (
                node,
                Topic(
                    reader.ident(node),
                    reader.text(node, "label", max_len=24),
                    reader.text(node, "blurb", max_len=200),
                ),
            )
        )
    return out


ENTRY_FIELDS = {"id", "title", "kind", "topic", "answer", "questions", "tags", "related", "source"}


def _read_entries(reader: FileReader) -> list[tuple[Node, Entry]]:
    out = []
    for node in reader.items(reader.load_root("entries"), "entries"):
        reader.unknown_keys(node, ENTRY_FIELDS)
        entry = Entry(
            id=reader.ident(node),
            title=reader.text(node, "title", max_len=60),
            kind=reader.choice(node, "kind", KINDS),
            topic=reader.text(node, "topic"),
            answer=reader.text(node, "answer", max_len=ANSWER_LIMIT),
            questions=tuple(reader.text_list(node, "questions", min_items=2, max_len=300)),
            tags=tuple(t.lower() for t in reader.text_list(node, "tags", min_items=1, max_len=40)),
            related=tuple(reader.text_list(node, "related", required=False)),
            sources=tuple(reader.text_list(node, "source", min_items=1)),
            file=reader.path.name,
            line=node.line,
        )
        out.append((node, entry))
    return out


def _read_synonyms(reader: FileReader) -> list[tuple[str, ...]]:
    groups: list[tuple[str, ...]] = []
    value = reader.load_root("synonyms")
    if value is None:
        return groups
    if not isinstance(value, list):
        reader.error(None, "'synonyms' must be a list of lists of words")
        return groups
    for i, group in enumerate(value, start=1):
        words = [str(w).strip().lower() for w in group] if isinstance(group, list) else []
        if len([w for w in words if w]) < 2:
            reader.error(None, f"synonym group {i} must list at least two words: {group!r:.60}")
            continue
        groups.append(tuple(w for w in words if w))
    return groups


def _read_the_exercise(reader: FileReader, synonyms: list[tuple[str, ...]]) -> tuple[str, tuple[str, ...]]:
    """synonyms.yaml's optional `the_exercise:` block: what "do it" means when nothing else is named."""
    block = reader.optional_root("the_exercise")
    if block is None:
        return "", ()
    means = block.get("means") if isinstance(block, dict) else None
    phrases = block.get("phrases") if isinstance(block, dict) else None
    if not isinstance(means, str) or not isinstance(phrases, list) or not phrases:
        reader.error(block, "'the_exercise' needs 'means:' (a phrase) and 'phrases:' (a list)")
        return "", ()
    means = means.strip().lower()
    if not any(means in group for group in synonyms):
        reader.error(block, f"the_exercise means '{means}', which no synonym group lists", "means")
        return "", ()
    return means, tuple(str(p).strip().lower() for p in phrases if str(p).strip())


def _read_off_topic(reader: FileReader) -> tuple[str, ...]:
    """Questions close to our subject that the knowledge base does not answer ("rest between squat
    sets"): a question nearer to one of these than to its best entry gets an honest "I don't know"."""
    root = reader.load_mapping({"questions"}, "a top-level 'questions:' list")
    return () if root is None else tuple(reader.text_list(root, "questions", max_len=200))


MESSAGE_LIMIT = 600


def _read_messages(reader: FileReader) -> tuple[Message, ...]:
    """Real messages, each under the entry that answers it or under `off_topic`. They teach the bot as
    example questions do, in the words people really use, and benchmarks/calibrate.py checks on them
    how sure to be (each scored by a bot that learned from the others)."""
    root = reader.load_mapping({"in_scope", "off_topic"}, "top-level 'in_scope:' and 'off_topic:' lists")
    if root is None:
        return ()
    out: list[Message] = []
    for node in reader.items(root.get("in_scope", []), "in_scope", root):
        reader.unknown_keys(node, {"q", "expect"})
        text = reader.text(node, "q", max_len=MESSAGE_LIMIT)
        entries = reader.text_list(node, "expect", min_items=1)
        if text and entries:
            out.append(Message(text, tuple(entries), node.line))
    for text in reader.text_list(root, "off_topic", max_len=MESSAGE_LIMIT, required=False):
        out.append(Message(text, (), line_of(root, "off_topic")))
    return tuple(out)


def _check_examples(
    entries: list[tuple[Path, Node, Entry]],
    readers: dict[Path, FileReader],
    off_topic: tuple[str, ...],
    off_topic_reader: FileReader,
    messages: tuple[Message, ...],
    messages_reader: FileReader,
) -> None:
    """One example question teaches one answer: the same question (ignoring case and punctuation) in two
    entries, or in an entry and off_topic.yaml, would pull the bot two ways. Messages likewise."""
    owner: dict[str, str] = {}
    for path, node, entry in entries:
        for question in entry.questions:
            key = " ".join(words(question))
            first = owner.setdefault(key, entry.id)
            if key and first != entry.id:
                readers[path].error(
                    node,
                    f"example question {question!r} is also in entry '{first}'; keep it in one",
                    "questions",
                )
    for question in off_topic:
        entry_id = owner.get(" ".join(words(question)))
        if entry_id is not None:
            off_topic_reader.error(
                None, f"{question!r} is an example question of entry '{entry_id}', so it is not off-topic"
            )
    near_misses = {" ".join(words(q)) for q in off_topic}
    for m in messages:
        key = " ".join(words(m.text))
        if len(m.entries) == 1:
            first = owner.setdefault(key, m.entries[0])
            if key and first != m.entries[0]:
                messages_reader.error(None, f"{m.text!r} is also an example of entry '{first}'", line=m.line)
            elif key in near_misses:
                messages_reader.error(None, f"{m.text!r} is also in off_topic.yaml", line=m.line)
        elif not m.entries and key in owner:
            messages_reader.error(
                None, f"{m.text!r} is an example of entry '{owner[key]}', so it is not off-topic", line=m.line
            )


def _read_red_flags(reader: FileReader) -> tuple[Node | None, RedFlags]:
    value = reader.load_root("red_flags")
    if not isinstance(value, Node):
        if value is not None:
            reader.error(None, "'red_flags' must be a mapping with 'entry' and 'phrases'")
        return None, RedFlags("", ())
    reader.unknown_keys(value, {"entry", "phrases", "reassurances", "reassured", "other_meanings"})
    phrases = tuple(p.lower() for p in reader.text_list(value, "phrases", min_items=1))
    reassurances = tuple(p.lower() for p in reader.text_list(value, "reassurances", required=False))
    reassured = reader.text(value, "reassured", required=False)
    others = tuple(p.lower() for p in reader.text_list(value, "other_meanings", required=False))
    flag_words = {w for p in phrases for w in words(p)}
    for other in others:
        if not flag_words & set(words(other)):
            problem = f"other_meanings '{other}' shares no word with a red-flag phrase"
            reader.error(value, problem, "other_meanings")
    return value, RedFlags(reader.text(value, "entry"), phrases, reassurances, reassured, others)


def _unique(
    reader_by_path: dict[Path, FileReader],
    items: Iterable[tuple[Path, Node, str]],
    what: str,
) -> set[str]:
    seen: dict[str, tuple[Path, int]] = {}
    for path, node, ident in items:
        if not ident:
            continue
        if ident in seen:
            first_path, first_line = seen[ident]
            reader_by_path[path].error(
                node, f"duplicate {what} id '{ident}' (first at {first_path.name}:{first_line})", "id"
            )
        else:
            seen[ident] = (path, node.line)
    return set(seen)


def _check_references(
    r: FileReader, node: Node, entry: Entry, topic_ids: set[str], entry_ids: set[str], source_ids: set[str]
) -> None:
    """An entry's topic, related entries and sources must exist."""
    if entry.topic and entry.topic not in topic_ids:
        r.error(node, f"unknown topic '{entry.topic}' (see topics.yaml)", "topic")
    for ref in entry.related:
        if ref not in entry_ids:
            r.error(node, f"related entry '{ref}' does not exist", "related")
        elif ref == entry.id:
            r.error(node, "an entry cannot be related to itself", "related")
    for ref in entry.sources:
        if ref not in source_ids:
            r.error(node, f"unknown source '{ref}' (see sources.yaml)", "source")


def _check_topics_used(reader: FileReader, topics: list[tuple[Node, Topic]], used: set[str]) -> None:
    for node, topic in topics:
        if topic.id and topic.id not in used:
            reader.error(node, f"topic '{topic.id}' has no entries")


def _check_red_flag_targets(
    reader: FileReader, node: Node | None, flags: RedFlags | None, ids: set[str]
) -> None:
    for key, ref in (("entry", flags.entry), ("reassured", flags.reassured)) if flags else ():
        if ref and ref not in ids:
            reader.error(node, f"red_flags {key} '{ref}' does not exist", key)


def load_knowledge(folder: Path = DEFAULT_DIR) -> KnowledgeBase:
    """Load and cross-check a knowledge folder; raise KnowledgeError listing every problem."""
    problems: list[Problem] = []
    folder = Path(folder)
    if not folder.is_dir():
        raise KnowledgeError([Problem(folder, 1, "knowledge folder not found")])

    def reader(name: str) -> FileReader:
        path = folder / name
        if not path.is_file():
            problems.append(Problem(path, 1, "required file is missing"))
        return FileReader(path, problems)

    src_reader, topic_reader = reader("sources.yaml"), reader("topics.yaml")
    sources = _read_sources(src_reader) if src_reader.path.is_file() else []
    topics = _read_topics(topic_reader) if topic_reader.path.is_file() else []
    entry_files = sorted((folder / "entries").glob("*.yaml")) if (folder / "entries").is_dir() else []
    if not entry_files:
        problems.append(Problem(folder / "entries", 1, "no entries/*.yaml files"))
    entry_readers = {p: FileReader(p, problems) for p in entry_files}
    entries = [(p, node, e) for p, r in entry_readers.items() for node, e in _read_entries(r)]
    syn_reader, flag_reader = reader("synonyms.yaml"), reader("safety.yaml")
    synonyms = _read_synonyms(syn_reader) if syn_reader.path.is_file() else []
    the_exercise = _read_the_exercise(syn_reader, synonyms) if synonyms else ("", ())
    flag_node, red_flags = _read_red_flags(flag_reader) if flag_reader.path.is_file() else (None, None)
    texts = read_texts(reader("texts.yaml")) if (folder / "texts.yaml").is_file() else None
    off_topic_reader = FileReader(folder / "off_topic.yaml", problems)  # an optional file
    off_topic = _read_off_topic(off_topic_reader) if off_topic_reader.path.is_file() else ()
    messages_reader = FileReader(folder / "messages.yaml", problems)  # optional too
    messages = _read_messages(messages_reader) if messages_reader.path.is_file() else ()

    readers = {src_reader.path: src_reader, topic_reader.path: topic_reader, **entry_readers}
    source_ids = _unique(readers, ((src_reader.path, n, s.id) for n, s in sources), "source")
    topic_ids = _unique(readers, ((topic_reader.path, n, t.id) for n, t in topics), "topic")
    entry_ids = _unique(readers, ((p, n, e.id) for p, n, e in entries), "entry")

    for path, node, entry in entries:
        _check_references(entry_readers[path], node, entry, topic_ids, entry_ids, source_ids)
    for ref, line in ((ref, m.line) for m in messages for ref in m.entries if ref not in entry_ids):
        messages_reader.error(None, f"entry '{ref}' does not exist", line=line)
    _check_examples(entries, entry_readers, off_topic, off_topic_reader, messages, messages_reader)
    _check_topics_used(topic_reader, topics, {e.topic for _, _, e in entries})
    _check_red_flag_targets(flag_reader, flag_node, red_flags, entry_ids)

    if problems or red_flags is None or texts is None:
        raise KnowledgeError(problems or [Problem(folder, 1, "knowledge folder is incomplete")])
    return KnowledgeBase(
        entries={e.id: e for _, _, e in entries},
        sources={s.id: s for _, s in sources},
        topics={t.id: t for _, t in topics},
        synonyms=synonyms,
        red_flags=red_flags,
        texts=texts,
        folder=folder,
        off_topic=off_topic,
        messages=messages,
        exercise=the_exercise[0],
        exercise_phrases=the_exercise[1],
    )
