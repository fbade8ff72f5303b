"""Step round trip of the guided session: 50 users doing sessions at once through the fake Bot API server.

    .venv/bin/python benchmarks/session.py [--users 50] [--sessions 1] [--think 1.0]

The real Application long-polls the fake server (tests/fakebot) on 127.0.0.1 and writes to a real SQLite
file. Each user is a thread that taps through a whole session (safety ... sets, reps, skip rest, wrap-up);
a step's round trip runs from the moment the update is queued at the server to the moment the bot's
last reply to it has arrived there. Two runs: "burst" (no pause between steps: every user taps as fast as
the bot answers) and "paced" (a random think time of 0.5x-1.5x --think seconds between steps, closer to
people with a phone on the floor). Prints median, p90, p99 and max per run.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fakebot import FakeBotApi
from tests.support import BotThread, make_config

FIRST_USER = 700_000
LABELS = ("No, I'm fine", "Yes, legs are warm", "I'm set up", "Got it", "Ready", "Start my sets")


def data_of(message: dict[str, Any], label: str) -> str:
    for row in message.get("reply_markup", {}).get("inline_keyboard", []):
        for button in row:
            if button["text"] == label:
                return str(button["callback_data"])
    raise AssertionError(f"no {label!r} in {message.get('text')!r}")


class User:
    """One person doing sessions; records the round trip of every step.

    Replies reach the user through the `Watcher` (one thread reading the server's call log), so fifty
    waiting users do not contend for the fake server's lock; times are the server's own: from queueing
    the update to the arrival of the bot's last sendMessage for it.
    """

    def __init__(self, api: FakeBotApi, user_id: int, think: float, rng: random.Random) -> None:
        self.api, self.id, self.think, self.rng = api, user_id, think, rng
        self.times: list[float] = []
        self.inbox: list[tuple[float, dict[str, Any]]] = []
        self.cond = threading.Condition()

    def deliver(self, at: float, message: dict[str, Any]) -> None:
        with self.cond:
            self.inbox.append((at, message))
            self.cond.notify_all()

    def _step(self, send: Any, expect: int) -> dict[str, Any]:
        if self.think:
            time.sleep(self.think * self.rng.uniform(0.5, 1.5))
        with self.cond:
            before = len(self.inbox)
        t0 = time.monotonic()
        send()
        with self.cond:
            if not self.cond.wait_for(lambda: len(self.inbox) >= before + expect, timeout=30):
                raise TimeoutError(f"user {self.id}: no reply")
            at, message = self.inbox[before + expect - 1]
        self.times.append(at - t0)
        return message

    def press(self, message: dict[str, Any], label: str, expect: int = 1) -> dict[str, Any]:
        data = data_of(message, label)
        return self._step(lambda: self.api.user_presses(self.id, message["message_id"], data), expect)

    def session(self) -> None:
        message = self._step(lambda: self.api.user_sends_command(self.id, "/session"), 1)
        for label in LABELS:
            message = self.press(message, label)
        message = self.press(message, str(self.rng.randint(1, 5)))
        message = self.press(message, "Skip rest")
        self.press(message, str(self.rng.randint(0, 5)), expect=2)


class Watcher:
    """Reads the server's call log once, in order, and hands each sent message to its user."""

    def __init__(self, api: FakeBotApi, users: dict[int, User]) -> None:
        self.api, self.users = api, users
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.watch, daemon=True)

    def watch(self) -> None:
        index = 0
        while not self.done.is_set():
            try:
                call = self.api.wait_for(lambda c: True, timeout=0.2, since=index)
            except TimeoutError:
                continue
            index += 1
            if call.method == "sendMessage" and call.ok and call.chat_id in self.users:
                self.users[call.chat_id].deliver(call.at, call.result)

    def __enter__(self) -> Watcher:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.thread.join(5)


def run(
    users: int,
    sessions: int,
    think: float,
    rate_limiter: bool,
    concurrent: bool = True,
    latency: float = 0.0,
    seed: int = 3,
) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp, FakeBotApi() as api:
        for method in ("sendMessage", "answerCallbackQuery"):  # Telegram is tens of ms away, not 0
            api.set_delay(latency, method)
        config = make_config(Path(tmp))
        # production runs PTB's AIORateLimiter (about 30 messages/s per bot, Telegram's own limit)
        with BotThread(api, config, rate_limiter=rate_limiter, concurrent_updates=concurrent):
            people = [User(api, FIRST_USER + i, think, random.Random(seed + i)) for i in range(users)]
            watcher = Watcher(api, {u.id: u for u in people}).__enter__()
            errors: list[BaseException] = []

            def work(user: User) -> None:
                try:
                    for _ in range(sessions):
                        user.session()
                except BaseException as exc:
                    errors.append(exc)

            threads = [threading.Thread(target=work, args=(u,)) for u in people]
            start = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            wall = time.perf_counter() - start
            watcher.__exit__()
        if errors:
            raise errors[0]
        failed = [c for c in api.calls if c.status != 200 and c.method != "getUpdates"]  # 409 at shutdown
        assert not failed, failed[:3]
    times = sorted(t for u in people for t in u.times)
    return {
        "steps": len(times),
        "steps_per_s": len(times) / wall,
        "median_ms": statistics.median(times) * 1000,
        "p90_ms": times[int(len(times) * 0.90) - 1] * 1000,
        "p99_ms": times[int(len(times) * 0.99) - 1] * 1000,
        "max_ms": times[-1] * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--sessions", type=int, default=1, help="sessions per user")
    parser.add_argument("--think", type=float, default=3.0, help="mean seconds between steps (paced runs)")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds the fake server waits per send")
    args = parser.parse_args()
    print(
        f"{args.users} users x {args.sessions} session(s), 10 steps each, fake Bot API on 127.0.0.1, "
        f"{args.latency * 1000:g} ms per send"
    )
    print(f"{'run':<40}{'steps':>7}{'steps/s':>9}{'median ms':>11}{'p90 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    runs = (
        (f"rate limiter on, paced (think ~{args.think:g} s)", True, args.think, True),
        (f"rate limiter off, paced (think ~{args.think:g} s)", False, args.think, True),
        ("rate limiter off, burst (no think time)", False, 0.0, True),
        ("  same, one update at a time", False, 0.0, False),
        ("rate limiter on, burst (no think time)", True, 0.0, True),
    )
    rows = {}
    for name, limiter, think, concurrent in runs:
        row = rows[name] = run(args.users, args.sessions, think, limiter, concurrent, args.latency)
        print(
            f"{name:<40}{row['steps']:>7.0f}{row['steps_per_s']:>9.0f}{row['median_ms']:>11.1f}"
            f"{row['p90_ms']:>9.1f}{row['p99_ms']:>9.1f}{row['max_ms']:>9.1f}",
            flush=True,
        )
    per_chat, one = rows[runs[2][0]], rows[runs[3][0]]
    speedup = per_chat["steps_per_s"] / one["steps_per_s"]
    print(
        f"burst, chats in parallel vs one update at a time: throughput x{speedup:.2f}, "
        f"p99 x{per_chat['p99_ms'] / one['p99_ms']:.2f}"
    )
    print("target: p99 under 50 ms with 50 concurrent users. The rate limiter holds sends to Telegram's")
    print("~30 messages/s per bot, so a burst of more steps per second than that queues by design.")


if __name__ == "__main__":
    main()
