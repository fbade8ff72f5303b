"""Question-answering speed: start-up, answers per second, p50/p99 latency, and what the sentence
vectors cost against the lexical retriever alone.

    .venv/bin/python benchmarks/qa.py [--rounds N] [--grow N]

Start-up is timed in a fresh Python process (imports included): with bot/knowledge/data/vectors.npz (a first
start on a fresh machine), then on a copy of the knowledge without it, once with an empty database
(every text encoded) and once with the vectors that first start left in the database.
Latency is for questions the index has not seen before (its per-question caches are new each round),
over the evaluation set's questions, against the real knowledge base and against one grown --grow
times by generated entries (real entries re-worded with synthetic words).

Encoding a grown knowledge base's examples would take minutes (x100: about 180,000 texts), so only
--encode-sample of them are encoded, to time the encoder and to see how far a re-worded text's vector
lies from its original's; every other one gets its original's vector moved as far, at random. The
search then runs over a matrix of the grown size, which is what latency at scale depends on.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.answering.evaluation import load_cases
from bot.answering.index import Index
from bot.answering.vectors.encoder import shared_encoder
from bot.answering.vectors.semantic import SHIPPED, VectorCache, encoder_text, remember
from bot.knowledge.base import DEFAULT_DIR, KnowledgeBase, load_knowledge
from tests.data import EVAL_FILE

ROOT = Path(__file__).resolve().parent.parent

STARTUP = """
import json, sys, time
t0 = time.perf_counter()
from pathlib import Path
from bot.knowledge.base import load_knowledge
from bot.answering.index import Index
kb = load_knowledge(Path(sys.argv[2]))
t1 = time.perf_counter()
Index(kb, vector_db=Path(sys.argv[1]))
t2 = time.perf_counter()
print(json.dumps({"load": t1 - t0, "index": t2 - t1}))
"""


def grown(kb: KnowledgeBase, factor: int, seed: int = 7) -> tuple[KnowledgeBase, list[tuple[str, str]]]:
    """The knowledge base plus (factor - 1) generated copies of every entry, each with made-up words;
    and each generated title and question with the text it was made from."""
    rng = random.Random(seed)
    entries = dict(kb.entries)
    made: list[tuple[str, str]] = []
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
            made.append((copy.title, entry.title))
            made.extend(zip(copy.questions, entry.questions, strict=True))
    return dataclasses.replace(kb, entries=entries), made


def prefill(kb: KnowledgeBase, made: list[tuple[str, str]], sample: int, seed: int = 7) -> float:
    """Encode `sample` generated texts; give the rest their original's vector moved as far as the
    sample's moved on average. Returns the seconds per text encoded."""
    rng = np.random.default_rng(seed)
    pairs = list({encoder_text(new): encoder_text(old) for new, old in made}.items())
    order = rng.permutation(len(pairs))
    chosen, rest = [pairs[i] for i in order[:sample]], [pairs[i] for i in order[sample:]]
    cache = VectorCache(shared_encoder(), shipped=kb.folder / SHIPPED)
    t0 = time.perf_counter()
    real = cache.vectors([new for new, _ in chosen])
    per_text = (time.perf_counter() - t0) / max(len(chosen), 1)
    cosine = float(np.mean(np.sum(real * cache.vectors([old for _, old in chosen]), axis=1)))
    # a unit vector plus noise of spread s per dimension keeps cosine about 1 / sqrt(1 + d s^2)
    spread = np.sqrt(max(1 / max(cosine, 0.05) ** 2 - 1, 0.0) / real.shape[1])
    base = cache.vectors([old for _, old in rest])
    moved = base + rng.normal(0.0, spread, base.shape).astype(np.float32)
    remember([new for new, _ in rest], moved / np.linalg.norm(moved, axis=1, keepdims=True))
    print(
        f"  encoded {len(chosen):,} of {len(pairs):,} generated texts ({per_text * 1000:.1f} ms each; "
        f"cosine to their original {cosine:.2f}), the rest moved as far from theirs at random"
    )
    return per_text


def startup() -> list[tuple[str, dict[str, float]]]:
    """Start-up times in fresh processes, each with a new (empty) database unless said otherwise."""

    def timed(db: Path, knowledge: Path) -> dict[str, float]:
        db.touch()  # the cache fills an existing database; it never creates one
        command = [sys.executable, "-c", STARTUP, str(db), str(knowledge)]
        out = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
        return dict(json.loads(out.stdout))

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        shipped = timed(folder / "a.db", DEFAULT_DIR)
        shutil.copytree(DEFAULT_DIR, folder / "kb", ignore=shutil.ignore_patterns(SHIPPED))
        cold = timed(folder / "b.db", folder / "kb")
        warm = timed(folder / "b.db", folder / "kb")
    return [
        ("with bot/knowledge/data/vectors.npz", shipped),
        ("without it, nothing cached", cold),
        ("without it, cached in the db", warm),
    ]


def latencies(kb: KnowledgeBase, questions: list[str], rounds: int, semantic: bool) -> dict[str, float]:
    """Each round builds a new index (vectors of the knowledge come from memory), so every question
    is new to it: the figure a user with a fresh question sees."""
    times = []
    for _ in range(rounds):
        index = Index(kb, semantic=semantic)
        for q in questions:
            t0 = time.perf_counter()
            index.answer(q)
            times.append(time.perf_counter() - t0)
    times.sort()
    return {
        "answers_per_s": len(times) / sum(times),
        "p50_ms": statistics.median(times) * 1000,
        "p99_ms": times[int(len(times) * 0.99) - 1] * 1000,
        "max_ms": times[-1] * 1000,
    }


def row(name: str, r: dict[str, float]) -> str:
    return f"{name:<30}{r['answers_per_s']:>11.0f}{r['p50_ms']:>9.3f}{r['p99_ms']:>9.3f}{r['max_ms']:>9.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--grow", type=int, default=100)
    parser.add_argument("--encode-sample", type=int, default=1000, help="generated texts really encoded")
    args = parser.parse_args()
    questions = [c.question for c in load_cases(EVAL_FILE)]

    for name, r in startup():
        total = r["load"] + r["index"]
        parts = f"imports + load + validate {r['load']:.2f} s, index {r['index']:.2f} s"
        print(f"start-up, {name}: {total:.2f} s ({parts})")

    kb = load_knowledge()
    Index(kb)  # encode the knowledge once; later indexes take the vectors from memory
    header = f"{'new questions':<30}{'answers/s':>11}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}"
    print(header)
    blend = latencies(kb, questions, args.rounds, semantic=True)
    lexical = latencies(kb, questions, args.rounds, semantic=False)
    print(row(f"blend, real ({len(kb.entries)})", blend))
    print(row(f"lexical only, real ({len(kb.entries)})", lexical))
    print(f"ratio blend/lexical: p99 {blend['p99_ms'] / lexical['p99_ms']:.1f}x")

    if args.grow > 1:
        big_kb, made = grown(kb, args.grow)
        per_text = prefill(kb, made, args.encode_sample)
        t0 = time.perf_counter()
        Index(big_kb)
        print(
            f"x{args.grow} ({len(big_kb.entries)} entries) first build, vectors in memory: "
            f"{time.perf_counter() - t0:.1f} s (encoding all {len(made):,} would add about "
            f"{per_text * len(made):.0f} s, once: `hamcoach vectors` ships them)"
        )
        big = latencies(big_kb, questions, 1, semantic=True)
        print(row(f"blend, x{args.grow} ({len(big_kb.entries)})", big))
        print(
            f"ratio x{args.grow}/real: p50 {big['p50_ms'] / blend['p50_ms']:.2f}x, "
            f"p99 {big['p99_ms'] / blend['p99_ms']:.2f}x"
        )


if __name__ == "__main__":
    main()
