"""Broadcast fan-out figures: achieved rate against a fake Bot API enforcing R msg/s, 429s, lost and
duplicated deliveries, and the sender's peak RSS.

    .venv/bin/python benchmarks/ledger.py --subscribers 10000 --rate 200
    .venv/bin/python benchmarks/ledger.py --subscribers 2000 --rate 25 --json

The fake server (tests/fakebot, stdlib threaded HTTP) runs in a child process, so it neither shares
the GIL with the sender nor counts towards the sender's RSS; it answers 429 above `R` sends in any
sliding second and above 1/s per chat. The sender is the production path: bot.broadcasts.sender.deliver with
bot.adapters.telegram.broadcasting.make_send on a plain python-telegram-bot Bot, ledger in a SQLite file.
Target (issue 5) for N=10,000, R=200: achieved/R >= 0.95, zero 429s, zero lost, zero duplicates.
With --profile the sender's time is split into: waiting for the pacer, the HTTP call, ledger writes.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import multiprocessing as mp
import resource
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

USER_BASE = 10_000_000


def serve(conn: Connection, rate: int) -> None:
    """Child process: the fake Bot API with flood limits on; answers one 'report' request, then exits."""
    from tests.fakebot import FakeBotApi

    with FakeBotApi(global_per_second=rate, per_chat_per_second=1.0) as api:
        conn.send((api.token, api.base_url))
        conn.recv()  # "report"
        ok: dict[int, int] = {}
        n429 = 0
        times: list[float] = []
        for call in api.calls_of("sendMessage"):
            if call.status == 200:
                chat = int(call.params["chat_id"])
                ok[chat] = ok.get(chat, 0) + 1
                times.append(call.at)
            elif call.status == 429:
                n429 += 1
        span = (max(times) - min(times)) if len(times) > 1 else 0.0
        # The server's own view of the rate: deliveries over the span between first and last accepted.
        conn.send({"ok": ok, "http_429": n429, "span": span, "accepted": len(times)})


def fill(store: Any, n: int) -> None:
    from datetime import UTC, datetime

    stamp = datetime.now(UTC).isoformat()
    with store.db.conn:
        store.db.conn.executemany(
            "insert into subscribers (user_id, chat_id, active, subscribed_at) values (?, ?, 1, ?)",
            ((USER_BASE + i, USER_BASE + i, stamp) for i in range(n)),
        )


@dataclasses.dataclass
class Profile:
    pacing: float = 0.0
    http: float = 0.0
    calls: int = 0


async def run(
    n: int, rate: int, token: str, base_url: str, db: Path, profile: Profile | None
) -> dict[str, Any]:
    from bot.adapters.telegram.broadcasting import broadcast_bot, make_send
    from bot.broadcasts import feed, ledger, sender
    from bot.broadcasts.text import prepare
    from bot.config import Config
    from bot.core.coach import utcnow
    from bot.storage.database import Store

    store = Store(db, extra=[ledger.migrations, feed.migrations])
    fill(store, n)
    bid = ledger.create(store, prepare("<b>New guide</b>: hips in line."), "cli", utcnow(), approve_now=True)
    config = dataclasses.replace(Config.from_env({}), token=token, api_base_url=base_url)
    sleep: Any = asyncio.sleep
    async with broadcast_bot(config) as bot:
        send = make_send(bot)
        if profile is not None:
            inner = send

            async def send(chat_id: int, html: str) -> sender.SendResult:
                t = time.perf_counter()
                try:
                    return await inner(chat_id, html)
                finally:
                    profile.http += time.perf_counter() - t
                    profile.calls += 1

            async def sleep(seconds: float) -> None:
                t = time.perf_counter()
                await asyncio.sleep(seconds)
                profile.pacing += time.perf_counter() - t

        start = time.perf_counter()
        report = await sender.deliver(store, bid, send, rate, sleep=sleep)
        elapsed = time.perf_counter() - start
    store.close()
    return {"report": dataclasses.asdict(report), "elapsed": elapsed}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--json", action="store_true", help="last line: one JSON object")
    parser.add_argument("--profile", action="store_true", help="split the sender's time")
    args = parser.parse_args(argv)
    n, rate = args.subscribers, args.rate

    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    server = ctx.Process(target=serve, args=(child, rate), daemon=True)
    server.start()
    token, base_url = parent.recv()
    profile = Profile() if args.profile else None
    with tempfile.TemporaryDirectory() as tmp:
        result = asyncio.run(run(n, rate, token, base_url, Path(tmp) / "bench.db", profile))
    parent.send("report")
    seen = parent.recv()
    server.join(10)

    ok: dict[int, int] = seen["ok"]
    expected = {USER_BASE + i for i in range(n)}
    lost = len(expected - set(ok))
    duplicates = sum(c - 1 for c in ok.values() if c > 1)
    achieved = n / result["elapsed"] if result["elapsed"] else 0.0
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures = {
        "subscribers": n,
        "rate_limit": rate,
        "elapsed_s": round(result["elapsed"], 2),
        "achieved_per_s": round(achieved, 1),
        "achieved_ratio": round(achieved / rate, 3),
        "server_ratio": round((seen["accepted"] - 1) / seen["span"] / rate, 3) if seen["span"] else 0.0,
        "http_429": seen["http_429"],
        "lost": lost,
        "duplicates": duplicates,
        "peak_rss_mb": round(peak_rss_mb, 1),
        "ledger": {k: result["report"][k] for k in ("status", "sent", "blocked", "failed", "pending")},
    }
    print(f"subscribers {n}, limit {rate}/s: sent in {figures['elapsed_s']} s")
    print(f"achieved {figures['achieved_per_s']}/s = {figures['achieved_ratio']:.3f} of the limit")
    print(f"  (server's view, first to last accepted send: {figures['server_ratio']:.3f})")
    print(f"HTTP 429: {figures['http_429']}, lost: {lost}, duplicates: {duplicates}")
    print(f"peak RSS of the sender: {figures['peak_rss_mb']} MB; ledger {figures['ledger']}")
    if profile is not None and profile.calls:
        other = result["elapsed"] - profile.http - profile.pacing
        print(
            f"time: pacer waits {profile.pacing:.2f} s, HTTP {profile.http:.2f} s "
            f"({1000 * profile.http / profile.calls:.2f} ms/call), ledger and loop {other:.2f} s"
        )
    if args.json:
        print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
