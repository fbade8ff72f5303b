"""Reminder and chart figures: start-up with 10,000 users who have reminders on, and the /progress
chart for a year of sessions (render time and PNG size), plus /progress end to end in the core.

    .venv/bin/python benchmarks/progress.py                # up to 2 minutes
    .venv/bin/python benchmarks/progress.py --lateness 0   # without the lateness run (about 30 s)

Targets (issue 15): start-up < 2 s with 10,000 users with reminders; the chart < 200 ms and < 100 KB
for a year of sessions; /progress < 1 s end to end; a reminder sent within 2 s of its time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.app import build_coach  # noqa: E402
from bot.config import Config  # noqa: E402
from bot.progress import chart  # noqa: E402
from bot.storage.database import stamp  # noqa: E402

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def fill(db: Path, users: int, start: datetime = NOW, spread: bool = True) -> None:
    """`users` rules with their next ping armed, in UTC: at times spread over a day from `start`
    (Mon Wed Fri), or all at `start` (its weekday)."""
    config = dataclasses.replace(Config.from_env({}), db=db)
    coach = build_coach(config, clock=lambda: start)
    rows, pings = [], []
    for n in range(users):
        user, minute = 10_000 + n, n % 1440 if spread else 0
        due = start + timedelta(minutes=minute)
        days = "024" if spread else str(due.weekday())
        rows.append((user, user, f"{days}:{due:%H%M}", 1, stamp(start)))
        pings.append((user, user, f"{due:%Y-%m-%dT%H:%M}", stamp(due), "pending", 0, stamp(start)))
    with coach.store.db.conn:
        coach.store.db.conn.executemany("insert into reminders values (?, ?, ?, ?, ?)", rows)
        coach.store.db.conn.executemany(
            "insert into reminder_pings (user_id, chat_id, slot, due_at, status, snoozes, created_at)"
            " values (?, ?, ?, ?, ?, ?, ?)",
            pings,
        )
    coach.store.close()


def start_up(db: Path) -> tuple[float, float, int]:
    """Seconds to build the core and to rebuild its timers, and how many timers that made."""
    config = dataclasses.replace(Config.from_env({}), db=db)
    began = time.perf_counter()
    coach = build_coach(config, clock=lambda: NOW)
    built = time.perf_counter()
    timers = coach.pending_timers()
    done = time.perf_counter()
    coach.store.close()
    return done - began, done - built, len(timers)


def lateness(count: int) -> None:
    """`count` reminders due at the same minute, sent by a real `python -m bot run` through the fake
    server (Telegram's flood limits on): how late each sendMessage reaches the server."""
    from tests.fakebot import FakeBotApi

    due = (datetime.now(UTC) + timedelta(seconds=80)).replace(second=0, microsecond=0)  # 20-80 s ahead
    with tempfile.TemporaryDirectory() as folder, FakeBotApi() as api:
        api.set_rate_limits(global_per_second=30, per_chat_per_second=1, per_chat_burst=1)
        db = Path(folder) / "bench.db"
        fill(db, count, due, spread=False)
        due_mono = due.timestamp() - (time.time() - time.monotonic())
        env = {**os.environ, "HAMCOACH_DB": str(db), "HAMCOACH_API_BASE_URL": api.base_url}
        env |= {"TELEGRAM_BOT_TOKEN": api.token, "HAMCOACH_LOG_LEVEL": "WARNING"}
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"], cwd=ROOT, env=env, stderr=subprocess.PIPE
        )
        try:
            deadline = time.monotonic() + 150
            while api.count("sendMessage", status=200) < count and time.monotonic() < deadline:
                with contextlib.suppress(TimeoutError):
                    api.wait_for(lambda c: c.method == "sendMessage", timeout=1.0, since=api.mark())
        finally:
            proc.kill()
            proc.communicate(timeout=10)
        late = sorted(c.at - due_mono for c in api.calls_of("sendMessage") if c.ok)
    if not late:
        print("lateness: no reminder was delivered")
        return
    print(
        f"lateness, {count} reminders due at {due:%H:%M:%S} UTC: delivered {len(late)}, p50"
        f" {statistics.median(late):.3f} s, max {late[-1]:.3f} s, early {sum(x < 0 for x in late)}"
        f" (target: within 2 s)"
    )


def a_year() -> chart.ChartData:
    """Three sessions a week for 52 weeks, two soreness scores after each, a few holds."""
    points, scores = [], []
    for n in range(156):
        when = NOW - timedelta(days=365) + timedelta(days=n * 7 / 3)
        target = (10, 12, 18, 24, 30, 30)[min(n // 6, 5)]
        points.append(chart.Point(when, max(0, target - 4 + n % 7), target, hold=n % 50 == 49))
        scores += [
            chart.Score(when + timedelta(hours=24), (n * 3) % 8),
            chart.Score(when + timedelta(hours=48), n % 5),
        ]
    labels = {
        "title": "Your ham raise sessions",
        "reps": "reps you did",
        "target": "the plan's target",
        "hold": "stopped for a warning sign",
        "reps_axis": "reps",
        "soreness": "soreness 0-10",
    }
    return chart.ChartData(tuple(points), tuple(scores), labels)


def chart_figures(runs: int) -> None:
    """Wall and CPU time per render (the CPU time is what a busy machine does not inflate)."""
    data = a_year()
    began = time.perf_counter()
    first = chart.render(data)
    print(f"chart, first render (imports matplotlib): {1000 * (time.perf_counter() - began):.0f} ms")
    wall, cpu = [], []
    for _ in range(runs):
        began, used = time.perf_counter(), time.process_time()
        png = chart.render(data)
        wall.append(time.perf_counter() - began)
        cpu.append(time.process_time() - used)
    median, median_cpu = statistics.median(wall), statistics.median(cpu)
    print(f"chart, a year (156 sessions, 312 scores), {runs} renders: median {1000 * median:.0f} ms wall,")
    print(
        f"  {1000 * median_cpu:.0f} ms CPU (target < 200 ms: {0.2 / median:.1f}x by wall,"
        f" {0.2 / median_cpu:.1f}x by CPU)"
    )
    print(
        f"  PNG {len(png) / 1024:.1f} KB (target < 100 KB: {100 * 1024 / len(png):.1f}x under;"
        f" first {len(first)} B)"
    )


async def progress_round_trip(folder: Path, runs: int) -> None:
    """/progress through the fake Bot API server: from the update to the photo reaching it."""
    from tests.checkins.clocked import Bot
    from tests.fakebot import FakeBotApi
    from tests.reminders.helpers import train
    from tests.support import FakeClock, exchange, make_config, running_bot

    trained = Bot(folder, FakeClock(datetime.now(UTC) - timedelta(hours=1)))
    train(trained, 5)
    trained.close()
    with FakeBotApi() as api:
        async with running_bot(api, make_config(folder)):
            await exchange(api, 5, "/progress", timeout=30)  # matplotlib imported once
            times = []
            for _ in range(runs):
                began = time.perf_counter()
                await exchange(api, 5, "/progress", timeout=30)
                times.append(time.perf_counter() - began)
    median = statistics.median(times)
    print(
        f"/progress end to end through the fake server: median {1000 * median:.0f} ms over {runs}"
        f" (target < 1 s: {1 / median:.1f}x under)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--renders", type=int, default=20)
    parser.add_argument(
        "--lateness", type=int, default=20, help="reminders due together; 0 skips (up to 90 s)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "bench.db"
        fill(db, args.users)
        total, rebuild, timers = start_up(db)
        print(
            f"start-up with {args.users} users with reminders: {total:.2f} s (timers rebuilt in"
            f" {1000 * rebuild:.0f} ms: {timers} jobs within the hour plus the sweep); target < 2 s:"
            f" {2 / total:.1f}x under"
        )
    chart_figures(args.renders)
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(progress_round_trip(Path(folder), 5))
    if args.lateness:
        lateness(args.lateness)


if __name__ == "__main__":
    main()
