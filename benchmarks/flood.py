"""What one flooding user costs everyone else: another user's reply latency, alone and while a flood runs.

    .venv/bin/python benchmarks/flood.py [--questions 20] [--flood-rate 100]

The real Application long-polls the fake Bot API server (tests/fakebot) on 127.0.0.1. User B asks
--questions questions, one every 1.1 s; a reply's latency runs from queueing B's update at the server
to B's answer arriving there. Three runs: B alone; B while user A sends --flood-rate messages a second
with the flood guard on (the defaults); and the same flood with the guard off (a burst no one reaches).
Prints B's median, p90 and max latency per run, the added median and max against B alone (issue 13's
target: under 100 ms), and how many of A's messages were answered or dropped.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import Config
from tests.fakebot import FakeBotApi
from tests.support import BotThread, make_config

FLOODER, ASKER = 810_001, 810_002
WAIT = 20.0  # seconds B waits for an answer before the run counts B as swamped
QUESTIONS = (
    "why do my calves cramp?",
    "where do my hips go?",
    "how many reps should I start with?",
    "how sore will I be tomorrow?",
    "should my toes be pointed?",
)


def flood(api: FakeBotApi, per_second: float, stop: threading.Event) -> int:
    """Queue A's messages at `per_second` until told to stop; returns how many were sent."""
    sent, start = 0, time.perf_counter()
    while not stop.is_set():
        api.user_sends_text(FLOODER, f"is this a flood {sent}?")
        sent += 1
        pause = start + sent / per_second - time.perf_counter()
        if pause > 0:
            stop.wait(pause)
    return sent


def ask(api: FakeBotApi, questions: int) -> list[float]:
    """B's reply latencies in milliseconds, one question every 0.3 s."""
    times = []
    for n in range(questions):
        before = len(api.sent_messages(ASKER))
        started = time.perf_counter()
        api.user_sends_text(ASKER, QUESTIONS[n % len(QUESTIONS)])
        try:
            api.wait_for_messages(ASKER, before + 1, timeout=WAIT)
        except TimeoutError:  # swamped: say so rather than wait for every question
            times.append(math.inf)
            break
        times.append((time.perf_counter() - started) * 1000)
        time.sleep(1.1)  # within the guard's default rate, so B is never held back
    return times


def run(config: Config, questions: int, flood_rate: float | None) -> tuple[list[float], int, int]:
    """(B's latencies, A's messages sent, A's messages answered) for one bot start."""
    with FakeBotApi() as api, BotThread(api, config):
        api.user_sends_text(ASKER, "warm up: what is a ham raise?")
        api.wait_for_messages(ASKER, 1, timeout=60)
        stop, counts = threading.Event(), [0]
        flooder = threading.Thread(target=lambda: counts.__setitem__(0, flood(api, flood_rate or 1, stop)))
        if flood_rate:
            flooder.start()
            time.sleep(1.0)  # the flood is under way, the guard has stepped in
        times = ask(api, questions)
        stop.set()
        if flood_rate:
            flooder.join()
        time.sleep(1.0)
        return times, counts[0], len(api.sent_messages(FLOODER))


def line(name: str, times: list[float], alone: list[float] | None) -> str:
    if math.isinf(times[-1]):
        return f"{name:<22} B's question {len(times)} got no answer within {WAIT:g} s: swamped"
    median, p90 = statistics.median(times), statistics.quantiles(times, n=10)[-1]
    text = f"{name:<22} median {median:6.1f} ms  p90 {p90:6.1f} ms  max {max(times):6.1f} ms"
    if alone is not None:
        added, worst = median - statistics.median(alone), max(times) - max(alone)
        text += f"  added: median {added:+6.1f} ms, max {worst:+6.1f} ms"
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--questions", type=int, default=20)
    parser.add_argument("--flood-rate", type=float, default=100.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        defaults = Config.from_env({})  # the guard as shipped (make_config turns it off for tests)
        base = make_config(Path(tmp), flood_rate=defaults.flood_rate, flood_burst=defaults.flood_burst)
        off = dataclasses.replace(base, db=Path(tmp) / "off.db", flood_burst=1e9)
        alone, _, _ = run(base, args.questions, None)
        guarded, sent_on, answered_on = run(
            dataclasses.replace(base, db=Path(tmp) / "on.db"), args.questions, args.flood_rate
        )
        unguarded, sent_off, answered_off = run(off, args.questions, args.flood_rate)
    print(f"user B: {args.questions} questions, one every 1.1 s; user A floods at {args.flood_rate:g}/s")
    print(line("B alone", alone, None))
    print(line("B, flood, guard on", guarded, alone))
    print(line("B, flood, guard off", unguarded, alone))
    print(f"guard on:  A sent {sent_on}, got {answered_on} replies (the burst and one notice)")
    print(f"guard off: A sent {sent_off}, got {answered_off} replies")
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    # The unguarded bot may still be working through its backlog in a daemon thread; a normal exit
    # would tear the interpreter down under ONNX Runtime's threads (C++ terminate), so leave at once.
    os._exit(code)
