"""Small typed readers for knowledge YAML that collect problems instead of raising at the first.

A coach who breaks three things wants to hear about all three, each with its `file:line`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from bot.knowledge.yamlfile import KnowledgeError, Node, Problem, line_of, load_yaml

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


class FileReader:
    """Reads fields from one YAML file and records what is wrong with them."""

    def __init__(self, path: Path, problems: list[Problem]) -> None:
        self.path = path
        self.problems = problems

    @classmethod
    def required(cls, folder: Path, name: str, problems: list[Problem]) -> FileReader:
        """A reader for the knowledge folder's file `name`; KnowledgeError at once if it is missing."""
        path = Path(folder) / name
        if not path.is_file():
            raise KnowledgeError([Problem(path, 1, "required file is missing")])
        return cls(path, problems)

    def _load(self) -> tuple[bool, Any]:
        """(True, the parsed file), or (False, None) with its syntax problems recorded."""
        try:
            return True, load_yaml(self.path)
        except KnowledgeError as exc:
            self.problems.extend(exc.problems)
            return False, None

    def load_root(self, key: str) -> Any:
        """Load the file and return the value under its top-level `key` (or None)."""
        parsed, data = self._load()
        if not parsed:
            return None
        if not isinstance(data, dict) or key not in data:
            self.error(None, f"expected a top-level '{key}:'")
            return None
        return data[key]

    def optional_root(self, key: str) -> Any:
        """The value under an optional top-level `key`, None when the file lacks it (or is broken:
        `load_root` has reported that)."""
        parsed, data = self._load()
        return data.get(key) if parsed and isinstance(data, dict) else None

    def load_mapping(self, allowed: set[str], expected: str) -> Node | None:
        """The file's top-level mapping, its unknown keys reported; None (the problem recorded) if the
        file is broken or holds something else. `expected` says what it should hold."""
        parsed, root = self._load()
        if not parsed:
            return None
        if not isinstance(root, Node):
            self.error(None, f"expected {expected}")
            return None
        self.unknown_keys(root, allowed)
        return root

    def error(self, node: Any, message: str, key: str | None = None, line: int | None = None) -> None:
        """Record a problem at the line of `node` (or of its `key`)."""
        self.problems.append(Problem(self.path, line or line_of(node, key), message))

    def items(self, value: Any, what: str, at: Any = None) -> list[Node]:
        """The mappings of a list, each problem reported where it is."""
        if not isinstance(value, list):
            self.error(at, f"'{what}' must be a list")
            return []
        out: list[Node] = []
        for item in value:
            if isinstance(item, Node):
                out.append(item)
            else:
                self.error(at, f"each item of '{what}' must be a mapping, got {item!r:.40}")
        return out

    def text(self, node: Node, key: str, *, max_len: int | None = None, required: bool = True) -> str:
        """A non-empty string field."""
        value = node.get(key)
        if value is None:
            if required:
                self.error(node, f"missing field '{key}'")
            return ""
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value.strip():
            self.error(node, f"'{key}' must be non-empty text", key)
            return ""
        value = value.strip()
        if max_len is not None and len(value) > max_len:
            self.error(node, f"'{key}' is {len(value)} characters; the limit is {max_len}", key)
        return value

    def ident(self, node: Node, key: str = "id") -> str:
        """An id: lowercase letters, digits and hyphens, at most 40 characters."""
        value = self.text(node, key)
        if value and not ID_PATTERN.match(value):
            self.error(node, f"'{key}' {value!r} must be lowercase letters, digits and hyphens (max 40)", key)
        return value

    def text_list(
        self, node: Node, key: str, *, min_items: int = 0, max_len: int | None = None, required: bool = True
    ) -> list[str]:
        """A list of non-empty strings."""
        value = node.get(key)
        if value is None:
            if required:
                self.error(node, f"missing field '{key}'")
            return []
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            self.error(node, f"'{key}' must be a list", key)
            return []
        out: list[str] = []
        for item in value:
            if isinstance(item, (int, float)) and not isinstance(item, bool):
                item = str(item)
            if isinstance(item, bool):
                self.error(node, f'\'{key}\' holds {item}: quote words such as "yes", "no" and "on"', key)
                continue
            if not isinstance(item, str) or not item.strip():
                self.error(node, f"'{key}' must hold non-empty text items", key)
                continue
            if max_len is not None and len(item.strip()) > max_len:
                self.error(node, f"an item of '{key}' is longer than {max_len} characters", key)
            out.append(item.strip())
        if len(out) < min_items:
            self.error(node, f"'{key}' needs at least {min_items} items, has {len(out)}", key)
        return out

    def choice(self, node: Node, key: str, allowed: tuple[str, ...]) -> str:
        """A field whose value is one of `allowed`."""
        value = self.text(node, key)
        if value and value not in allowed:
            self.error(node, f"'{key}' must be one of {', '.join(allowed)}; got {value!r}", key)
        return value

    def texts(
        self, root: Node, required: tuple[str, ...], buttons: tuple[str, ...], *, max_len: int
    ) -> dict[str, str]:
        """`root`'s `texts:` mapping of name: text, each required name present and each button text
        short enough for a Telegram button (40 characters)."""
        node = root.get("texts")
        if not isinstance(node, Node):
            self.error(root, "'texts' must be a mapping of name: text", "texts")
            return {}
        texts = {key: self.text(node, key, max_len=max_len) for key in node}
        for key in required:
            if key not in node:
                self.error(node, f"missing text '{key}'")
        for key in buttons:
            if len(texts.get(key, "")) > 40:
                self.error(node, f"button text '{key}' is longer than 40 characters", key)
        return texts

    def unknown_keys(self, node: Node, allowed: set[str]) -> None:
        """Typos in field names are reported, not silently ignored."""
        for key in node:
            if key not in allowed:
                self.error(node, f"unknown field '{key}' (allowed: {', '.join(sorted(allowed))})", key)
