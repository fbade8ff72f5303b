"""The held-out figures are honest only if the knowledge holds nothing close to a held-out question: an
example question, message, near miss or answer at cosine >= 0.90 (the project's own encoder) to one
answers it by construction, near copies included, not just exact ones. Titles are exempt: they name an
entry's subject ("Sartorius", "Rest between sets") and were never written from an evaluation set, and a
question that only names the subject is answered by design. Tests must not quote a held-out question
either: a test that pins one down invites fixing the knowledge for it."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np

from bot.answering.evaluation import load_cases, split
from bot.answering.vectors.encoder import shared_encoder
from bot.answering.vectors.semantic import SHIPPED, VectorCache, encoder_text
from bot.knowledge.base import KnowledgeBase, load_knowledge
from tests.data import EVAL_FILE, HELD_OUT_FILES

LEAK_COSINE = 0.90
TESTS = Path(__file__).resolve().parent.parent


def held_out_questions() -> list[str]:
    """The held-out half of eval.yaml and every question of the held-out files (tests/data)."""
    _, held = split(load_cases(EVAL_FILE))
    cases = [*held, *(c for path in HELD_OUT_FILES for c in load_cases(path))]
    return list(dict.fromkeys(encoder_text(c.question) for c in cases))


def knowledge_texts(kb: KnowledgeBase) -> list[str]:
    """Everything in the knowledge that could answer a question by being near it, titles aside."""
    texts = [q for e in kb.entries.values() for q in e.questions]
    texts += [e.answer for e in kb.entries.values()]
    texts += [*kb.off_topic, *(m.text for m in kb.messages)]
    return list(dict.fromkeys(encoder_text(t) for t in texts))


def test_no_knowledge_text_is_near_a_held_out_question() -> None:
    kb = load_knowledge()
    texts, questions = knowledge_texts(kb), held_out_questions()
    cache = VectorCache(shared_encoder(), shipped=kb.folder / SHIPPED)
    similarity = cache.vectors(questions) @ cache.vectors(texts).T
    pairs = np.argwhere(similarity >= LEAK_COSINE)
    leaks = sorted((float(similarity[i, j]), questions[i], texts[j]) for i, j in pairs)
    assert not leaks, "reword or remove these knowledge texts:\n" + "\n".join(
        f"{cos:.3f} held out {q!r} ~ knowledge {t!r}" for cos, q, t in leaks
    )


def quoted_strings(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        encoder_text(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and " " in node.value.strip()
    }


def test_no_test_quotes_a_held_out_question() -> None:
    held = set(held_out_questions())
    quoted = {(path.name, s) for path in TESTS.rglob("test_*.py") for s in quoted_strings(path) & held}
    assert not quoted, f"these tests quote held-out questions word for word: {sorted(quoted)}"
