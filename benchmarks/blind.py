"""Issue 14's figures on a labelled batch: top-1 accuracy, off-topic abstention, red flags caught,
negated red flags that do not lead with the clinician message, two-part messages with both halves
answered, and the in-process answer latency.

    .venv/bin/python benchmarks/blind.py [--figures-only] [FILE]     (default: tests/data/check4.yaml)

`--figures-only` leaves out the misses: a fresh blind batch is measured that way, so that filing it as a
held-out set stays honest (nothing was read from it). Without it, each miss is listed.

Each in-scope item may carry `kind: plain | red_flag | negated | two_part`; off-topic items may be
strings or `{q, kind}` (near_miss, unrelated, uncovered: in scope but not in the knowledge).
"""

from __future__ import annotations

import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.answering.index import Index
from bot.knowledge.base import load_knowledge

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT / "tests" / "data" / "check4.yaml"


@dataclass
class Tally:
    right: int = 0
    total: int = 0
    misses: list[str] = field(default_factory=list)

    def add(self, ok: bool, miss: str) -> None:
        self.total += 1
        self.right += ok
        if not ok:
            self.misses.append(miss)

    def line(self, name: str) -> str:
        share = self.right / self.total if self.total else 0.0
        return f"{name}: {share:.3f} ({self.right}/{self.total})"


def items(data: dict[str, list[object]], section: str) -> list[dict[str, object]]:
    return [i if isinstance(i, dict) else {"q": i} for i in data.get(section) or []]


def main(path: Path, misses: bool = True) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    index = Index(load_knowledge())
    flag = index.kb.red_flags.entry
    index.answer("warm up")  # the index builds on first use: not an answer's latency
    tallies = {k: Tally() for k in ("in scope", "off topic", "red flags", "negated", "two-part")}
    times: list[float] = []
    for item in items(data, "in_scope"):
        q, kind = str(item["q"]), item.get("kind", "plain")
        raw = item["expect"]
        expect = {raw} if isinstance(raw, str) else {str(e) for e in raw}  # type: ignore[attr-defined]
        start = time.perf_counter()
        a = index.answer(q)
        times.append(time.perf_counter() - start)
        got = {e.id for e in (a.entry, a.also) if e is not None}
        top = a.entry.id if a.entry else "-"
        tallies["in scope"].add(top in expect, f"{q!r}: expected {'/'.join(sorted(expect))}, got {top}")
        if kind == "red_flag":
            tallies["red flags"].add(a.red_flag and top == flag, f"{q!r}: got {top}")
        elif kind == "negated":
            tallies["negated"].add(not a.red_flag, f"{q!r}: led with the clinician message")
        elif kind == "two_part" and len(expect) == 2:
            tallies["two-part"].add(expect <= got, f"{q!r}: expected {sorted(expect)}, got {sorted(got)}")
    for item in items(data, "off_topic"):
        q = str(item["q"])
        a = index.answer(q)
        tallies["off topic"].add(
            a.entry is None, f"{q!r} ({item.get('kind', '')}): got {a.entry and a.entry.id}"
        )
    for name, tally in tallies.items():
        print(tally.line(name if name != "off topic" else "off-topic abstention"))
        for miss in tally.misses if misses else []:
            print(f"  miss: {miss}")
    times.sort()
    p99 = times[int(0.99 * (len(times) - 1))] * 1000
    print(f"answer latency in process: p50 {statistics.median(times) * 1000:.1f} ms, p99 {p99:.1f} ms")


if __name__ == "__main__":
    quiet = "--figures-only" in sys.argv[1:]
    paths = [a for a in sys.argv[1:] if a != "--figures-only"]
    main(Path(paths[0]) if paths else DEFAULT, misses=not quiet)
