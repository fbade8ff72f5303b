"""Check-in scheduler figures: start-up with 100,000 pending check-ins, and lateness when 1,000 fall due
in the same minute, both through the fake Bot API server and a real `python -m bot run` process.

    .venv/bin/python benchmarks/scheduler.py                  # both (about 1.5 minutes)
    .venv/bin/python benchmarks/scheduler.py --burst 0        # start-up only

Targets (issue 4): start-up < 3 s and peak RSS < 200 MB with 100,000 pending; lateness p99 < 2 s. The
bare bot, with no check-in pending, is measured first and printed: most of the memory is its own
(about 320 MB), so what the pending check-ins cost is the difference, and that is the RSS target.
Lateness is the time from a check-in's due time to its sendMessage reaching the server, with the fake
server enforcing Telegram's flood limits (30 messages/s overall, 1/s per chat).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def fill_database(db: Path, count: int, first_due: datetime, spread: timedelta, user_base: int = 1) -> None:
    """`count` pending 24-hour check-ins, one user each, due evenly over `spread` from `first_due`."""
    from bot.app import build_coach
    from bot.config import Config
    from bot.storage.database import stamp

    config = dataclasses.replace(Config.from_env({}), db=db)
    coach = build_coach(config)
    coach.answers.ready()  # its thread done, so it does not compete with the measured child
    now = stamp(datetime.now(UTC))
    step = spread / max(count, 1)
    rows = []
    settings = []
    for i in range(count):
        user = user_base + i
        due = first_due + step * i
        finished = due - timedelta(hours=24)
        rows.append((user, user, 1, "h24", 24.0, stamp(finished), stamp(due), stamp(due), now))
        settings.append((user, "UTC", "00:00", "00:00", 1, now))
    db_ = coach.store.db
    with db_.conn:
        db_.conn.executemany(
            "insert into checkins (user_id, chat_id, session_id, kind, offset_hours, finished_at, base_at,"
            " due_at, status, red_flag, snoozes, created_at)"
            " values (?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, 0, ?)",
            rows,
        )
        db_.conn.executemany(
            "insert into user_settings (user_id, tz, quiet_start, quiet_end, optin, updated_at)"
            " values (?, ?, ?, ?, ?, ?)",
            settings,
        )
    coach.store.close()


def child_startup(db: str, base_url: str, token: str) -> None:
    """In a fresh process: build the Application and rebuild timers, as `hamcoach run` does at start.
    "ready" is when it could poll; the answer index (built in a thread) is waited for afterwards, so
    that the peak RSS includes it."""
    started = time.perf_counter()
    from bot.adapters.telegram.app import build_application
    from bot.config import Config

    env = {"HAMCOACH_DB": db, "HAMCOACH_API_BASE_URL": base_url, "TELEGRAM_BOT_TOKEN": token}
    config = Config.from_env(env)

    async def start() -> int:
        app = build_application(config)
        async with app:
            assert app.post_init is not None
            await app.post_init(app)
            await app.start()
            jobs = len(app.job_queue.jobs()) if app.job_queue else 0
            ready = time.perf_counter() - started
            await asyncio.to_thread(app.bot_data["coach"].answers.ready)
            await app.stop()
        print(f"ready_s={ready:.3f} jobs={jobs}", flush=True)
        return jobs

    asyncio.run(start())
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak_rss_mb={peak_mb:.1f}", flush=True)


def _start_child(db: Path, api: Any) -> tuple[dict[str, str], float]:
    wall = time.perf_counter()
    out = subprocess.run(
        [sys.executable, __file__, "--child-startup", str(db), api.base_url, api.token],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout
    return dict(part.split("=") for part in out.split()), time.perf_counter() - wall


def bench_startup(count: int, hours: float) -> None:
    """The same start-up with no pending check-in first: the bare bot (the sentence model, the
    knowledge, PTB) is most of the memory, so the figure that is the scheduler's is the difference."""
    from tests.fakebot import FakeBotApi

    with tempfile.TemporaryDirectory() as tmp, FakeBotApi() as api:
        empty, db = Path(tmp) / "empty.db", Path(tmp) / "bench.db"
        fill_database(empty, 0, datetime.now(UTC) + timedelta(minutes=5), timedelta(hours=hours))
        bare, _ = _start_child(empty, api)
        t0 = time.perf_counter()
        fill_database(db, count, datetime.now(UTC) + timedelta(minutes=5), timedelta(hours=hours))
        print(
            f"filled {count:,} pending check-ins in {time.perf_counter() - t0:.1f} s "
            f"({db.stat().st_size / 1e6:.1f} MB database)"
        )
        figures, total = _start_child(db, api)
        ready, bare_ready = float(figures["ready_s"]), float(bare["ready_s"])
        peak, bare_peak = float(figures["peak_rss_mb"]), float(bare["peak_rss_mb"])
        print(
            f"bare bot (0 pending): ready in {bare_ready:.2f} s, peak RSS {bare_peak:.0f} MB "
            f"(the sentence model, the knowledge, PTB: the baseline)"
        )
        print(
            f"start-up with {count:,} pending over {hours:g} h: "
            f"ready in {ready:.2f} s in-process (+{ready - bare_ready:.2f} s over bare; "
            f"{total:.2f} s wall incl. interpreter and exit), {figures['jobs']} jobs in the queue, "
            f"peak RSS {peak:.0f} MB (+{peak - bare_peak:.0f} MB over bare)   "
            f"[targets < 3 s, < 200 MB for the check-ins: the delta]"
        )


def bench_lateness(count: int, lead: float, spread: float) -> None:
    from tests.fakebot import FakeBotApi

    with tempfile.TemporaryDirectory() as tmp, FakeBotApi() as api:
        api.set_rate_limits(global_per_second=30, per_chat_per_second=1, per_chat_burst=1)
        db = Path(tmp) / "bench.db"
        first_due = datetime.now(UTC) + timedelta(seconds=lead)
        fill_database(db, count, first_due, timedelta(seconds=spread), user_base=10_000)
        step = spread / max(count, 1)
        wall_minus_mono = time.time() - time.monotonic()
        due_mono = {10_000 + i: first_due.timestamp() + step * i - wall_minus_mono for i in range(count)}
        env = {
            **os.environ,
            "HAMCOACH_DB": str(db),
            "HAMCOACH_API_BASE_URL": api.base_url,
            "TELEGRAM_BOT_TOKEN": api.token,
            "HAMCOACH_LOG_LEVEL": "WARNING",
        }
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            deadline = time.monotonic() + lead + spread + 60
            while api.count("sendMessage", status=200) < count and time.monotonic() < deadline:
                with contextlib.suppress(TimeoutError):
                    api.wait_for(lambda c: c.method == "sendMessage", timeout=1.0, since=api.mark())
        finally:
            proc.kill()
            _, err = proc.communicate(timeout=10)
        sends = [c for c in api.calls_of("sendMessage") if c.ok]
        late = sorted(max(0.0, c.at - due_mono[int(c.chat_id)]) for c in sends)
        per_chat = {int(c.chat_id) for c in sends}
        if not late:
            print("no check-in was delivered; bot stderr:\n" + err.decode()[-2000:])
            return
        p50 = statistics.median(late)
        p99 = late[min(len(late) - 1, int(len(late) * 0.99))]
        print(
            f"lateness, {count:,} check-ins due within {spread:.0f} s: delivered {len(sends):,} to "
            f"{len(per_chat):,} chats, p50 {p50:.3f} s, p99 {p99:.3f} s, max {late[-1]:.3f} s, "
            f"429s {api.count('sendMessage', status=429)}   [target p99 < 2 s]"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--pending", type=int, default=100_000, help="pending check-ins at start-up (0: skip)"
    )
    parser.add_argument("--hours", type=float, default=72.0, help="start-up: hours the pending ones span")
    parser.add_argument("--burst", type=int, default=1000, help="check-ins due within one minute (0: skip)")
    parser.add_argument("--lead", type=float, default=8.0, help="seconds before the first is due")
    parser.add_argument("--spread", type=float, default=60.0, help="seconds over which they fall due")
    parser.add_argument("--child-startup", nargs=3, metavar=("DB", "URL", "TOKEN"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_startup:
        child_startup(*args.child_startup)
        return
    if args.pending:
        bench_startup(args.pending, args.hours)
    if args.burst:
        bench_lateness(args.burst, args.lead, args.spread)


if __name__ == "__main__":
    main()
