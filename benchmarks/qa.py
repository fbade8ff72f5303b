"""Question-answering speed in process: start-up, answers per second, p50/p99 latency.

    .venv/bin/python benchmarks/qa.py [--rounds N]

Runs the evaluation set's questions against the real knowledge base, then against one grown 100 times
by generated entries (real entries re-worded with synthetic words), and prints both with their ratio.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.evaluation import load_cases
from bot.knowledge import KnowledgeBase, load_knowledge
from bot.retrieval import Index


def grown(kb: KnowledgeBase, factor: int, seed: int = 7) -> KnowledgeBase:
    """The knowledge base plus (factor - 1) generated copies of every entry, each with made-up words."""
    rng = random.Random(seed)
    entries = dict(kb.entries)
    for n in range(1, factor):
        for entry in kb.entries.values():
            noise = " ".join(f"w{rng.randrange(50_000)}" for _ in range(6))
            copy = dataclasses.replace(
                entry,
                id=f"{entry.id[:30]}-g{n}",
                title=f"{entry.title} {noise[:20]}",
                questions=tuple(f"{q} {noise}" for q in entry.questions),
                answer=f"{entry.answer[:400]} {noise}",
            )
            entries[copy.id] = copy
    return dataclasses.replace(kb, entries=entries)


def measure(index: Index, questions: list[str], rounds: int) -> dict[str, float]:
    for q in questions:  # warm the caches, as a running bot's would be
        index.answer(q)
    latencies = []
    start = time.perf_counter()
    for _ in range(rounds):
        for q in questions:
            t0 = time.perf_counter()
            index.answer(q)
            latencies.append(time.perf_counter() - t0)
    total = time.perf_counter() - start
    latencies.sort()
    return {
        "answers_per_s": len(latencies) / total,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "cold_p99_ms": 0.0,
    }


def cold(index_factory: type[Index], kb: KnowledgeBase, questions: list[str]) -> float:
    """p99 of first-time questions (empty caches): the worst a user can see."""
    index = index_factory(kb)
    latencies = []
    for q in questions:
        t0 = time.perf_counter()
        index.answer(q)
        latencies.append(time.perf_counter() - t0)
    latencies.sort()
    return latencies[int(len(latencies) * 0.99) - 1] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    questions = [c.question for c in load_cases()]

    t0 = time.perf_counter()
    kb = load_knowledge()
    index = Index(kb)
    startup = time.perf_counter() - t0
    print(f"start-up (load, validate, index {len(kb.entries)} entries): {startup * 1000:.0f} ms")

    base = measure(index, questions, args.rounds)
    base["cold_p99_ms"] = cold(Index, kb, questions)
    big_kb = grown(kb, 100)
    t0 = time.perf_counter()
    big_index = Index(big_kb)
    big_build = time.perf_counter() - t0
    big = measure(big_index, questions, max(1, args.rounds // 4))
    big["cold_p99_ms"] = cold(Index, big_kb, questions)

    print(f"{'knowledge base':<22}{'answers/s':>12}{'p50 ms':>10}{'p99 ms':>10}{'cold p99 ms':>13}")
    for name, row in ((f"real ({len(kb.entries)})", base), (f"x100 ({len(big_kb.entries)})", big)):
        print(
            f"{name:<22}{row['answers_per_s']:>12.0f}{row['p50_ms']:>10.3f}{row['p99_ms']:>10.3f}"
            f"{row['cold_p99_ms']:>13.3f}"
        )
    print(f"x100 index build: {big_build * 1000:.0f} ms")
    print(
        f"ratio x100/real: throughput {big['answers_per_s'] / base['answers_per_s']:.3f}, "
        f"p99 {big['p99_ms'] / base['p99_ms']:.2f}x"
    )


if __name__ == "__main__":
    main()
