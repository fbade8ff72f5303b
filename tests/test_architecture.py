"""The shape of bot/: which package may import which (adapters above the composition root, the root
above the features, features above the base: core, knowledge, storage, config; no feature importing
another), only bot/adapters/telegram importing python-telegram-bot, and units small enough to read."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parent.parent / "bot"
BASE = {"core", "knowledge", "storage", "config"}
FEATURES = {"account", "answering", "session", "checkins", "broadcasts", "voice", "reminders", "progress"}
ALLOWED = {
    **{part: BASE for part in BASE},
    **{feature: BASE | {feature} for feature in FEATURES},
    "app": BASE | FEATURES | {"app"},
    "adapters": BASE | FEATURES | {"app", "adapters"},
    "__main__": BASE | FEATURES | {"app", "adapters"},
}
MODULES = sorted(p for p in BOT.rglob("*.py") if p.name != "__init__.py" or p.parent != BOT)


def part_of(module: Path) -> str:
    first = module.relative_to(BOT).parts[0]
    return first.removesuffix(".py")


def imports(module: Path) -> list[str]:
    """Absolute names this module imports, at any depth (lazy imports count too)."""
    names = []
    for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names += [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
    return names


def test_the_rule_knows_every_package() -> None:
    assert {part_of(m) for m in MODULES} <= set(ALLOWED)


@pytest.mark.parametrize("module", MODULES, ids=[str(m.relative_to(BOT)) for m in MODULES])
def test_imports_point_down_the_layers(module: Path) -> None:
    mine = part_of(module)
    for name in imports(module):
        parts = name.split(".")
        if parts[0] == "bot" and len(parts) > 1 and parts[1] in ALLOWED:
            assert parts[1] in ALLOWED[mine], f"{module.relative_to(BOT)} ({mine}) imports {name}"


@pytest.mark.parametrize("module", MODULES, ids=[str(m.relative_to(BOT)) for m in MODULES])
def test_only_the_telegram_adapter_imports_telegram(module: Path) -> None:
    if module.is_relative_to(BOT / "adapters" / "telegram"):
        return
    assert not [n for n in imports(module) if n.split(".")[0] == "telegram"], module


FUNCTION_LINES = 60
CLASS_LINES = 250


@pytest.mark.parametrize("module", MODULES, ids=[str(m.relative_to(BOT)) for m in MODULES])
def test_no_function_or_class_is_too_long_to_read(module: Path) -> None:
    for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            assert node.end_lineno is not None
            length = node.end_lineno - node.lineno + 1
            limit = CLASS_LINES if isinstance(node, ast.ClassDef) else FUNCTION_LINES
            assert length <= limit, f"{module.relative_to(BOT)}:{node.lineno} {node.name} is {length} lines"
