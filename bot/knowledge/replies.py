"""bot/knowledge/data/replies.yaml: the words that stand for a button ("yes", "ok", "stop"), so a
lifter can answer any step with one typed or spoken word. A coach adds words there, not in code."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.core.textnorm import words
from bot.knowledge.schema import FileReader
from bot.knowledge.yamlfile import KnowledgeError, Node, Problem

FILE = "replies.yaml"
MEANINGS = ("yes", "no", "go", "stop")


@dataclass(frozen=True)
class ReplyWords:
    """meaning -> its phrases, normalised as `phrase()` normalises typed text."""

    meanings: dict[str, tuple[str, ...]]

    def meaning(self, text: str) -> str | None:
        """ "yes", "no", "go" or "stop" when the whole of `text` is one of their phrases."""
        said = phrase(text)
        return next((m for m, phrases in self.meanings.items() if said in phrases), None)

    def phrases(self, meaning: str) -> tuple[str, ...]:
        return self.meanings.get(meaning, ())


def phrase(text: str) -> str:
    """What matching compares: lowercase words, apostrophes and punctuation gone ("I'm set up!" ->
    "im set up")."""
    return " ".join(words(text))


def read_replies(reader: FileReader) -> ReplyWords:
    root = reader.load_mapping({"replies"}, "a top-level 'replies:' mapping of meaning: [phrases]")
    body = root.get("replies") if root is not None else None
    if not isinstance(body, Node):
        if root is not None:
            reader.error(root, "'replies' must be a mapping of meaning: [phrases]", "replies")
        return ReplyWords({})
    reader.unknown_keys(body, set(MEANINGS))
    seen: dict[str, str] = {}
    meanings: dict[str, tuple[str, ...]] = {}
    for meaning in MEANINGS:
        found: list[str] = []
        for text in reader.text_list(body, meaning, min_items=1, max_len=40):
            said = phrase(text)
            if not said:
                reader.error(body, f"'{text}' has no words", meaning)
            elif said in seen and seen[said] != meaning:
                reader.error(body, f"'{text}' is under both '{seen[said]}' and '{meaning}'", meaning)
            else:
                seen[said] = meaning
                found.append(said)
        meanings[meaning] = tuple(dict.fromkeys(found))
    return ReplyWords(meanings)


def load_replies(folder: Path) -> ReplyWords:
    """The folder's reply words; KnowledgeError naming file and line (the file is required)."""
    problems: list[Problem] = []
    out = read_replies(FileReader.required(folder, FILE, problems))
    if problems:
        raise KnowledgeError(problems)
    return out
