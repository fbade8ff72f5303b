"""`bot/knowledge/data/progress.yaml` read and checked (missing or over-long texts named by file:line)."""

from __future__ import annotations

from pathlib import Path

from bot.knowledge.schema import FileReader
from bot.knowledge.yamlfile import KnowledgeError, Node, Problem

FILE_NAME = "progress.yaml"
REQUIRED = tuple(
    "no_sessions summary summary_maintenance one_session sessions chart_title chart_reps chart_target"
    " chart_hold chart_reps_axis chart_soreness export_caption export_empty".split()
)
CHART_LABEL_LIMIT = 40
CAPTION_LIMIT = 1024  # Telegram's caption limit


def load_progress(folder: Path) -> dict[str, str]:
    """The texts of progress.yaml; raise KnowledgeError listing every `file:line` problem."""
    problems: list[Problem] = []
    reader = FileReader.required(folder, FILE_NAME, problems)
    root = reader.load_root("progress")
    texts: dict[str, str] = {}
    if isinstance(root, Node):
        reader.unknown_keys(root, {"texts"})
        node = root.get("texts")
        if isinstance(node, Node):
            texts = {key: reader.text(node, key, max_len=CAPTION_LIMIT // 2) for key in node}
            for key in REQUIRED:
                if key not in node:
                    reader.error(node, f"missing text '{key}'")
                elif key.startswith("chart_") and len(texts[key]) > CHART_LABEL_LIMIT:
                    reader.error(
                        node, f"chart text '{key}' is longer than {CHART_LABEL_LIMIT} characters", key
                    )
        else:
            reader.error(root, "'texts' must be a mapping of name: text", "texts")
    elif root is not None:
        reader.error(None, "'progress' must be a mapping")
    if problems or not texts:
        raise KnowledgeError(problems or [Problem(reader.path, 1, "progress.yaml has no texts")])
    return texts
