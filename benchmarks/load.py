"""Load: K simulated users against the bot in its own process, next to a bare python-telegram-bot echo bot.

    .venv/bin/python benchmarks/load.py --users 20 [--rounds 10] [--paced-users 50] [--reps 1] [--json]

The fake Bot API server (tests/fakebot) runs here, with the simulated users; each bot runs in a
subprocess of its own, long-polling that server over 127.0.0.1 like it would Telegram, so the users and
the server never share the bot's interpreter, GIL or CPU accounting. Per bot, one after the other on the
same server:

- start-up: from spawning `python -m bot run` (the real command) to its first getUpdates;
- question burst: K users each ask --rounds questions, each the moment the answer to the last arrived;
- button burst: K users each walk a guided session by its buttons (/session, safety, ..., reps), as fast;
- paced: --paced-users users (50) each ask a question every 2-5 s (--paced-rounds each).

A reply's latency runs from queueing the update at the server to the arrival of the bot's last message
for it (the server's clock). CPU is the bot process's user + system time over the phase, divided by the
updates handled; peak RSS is the process's high-water mark. The echo bot is one MessageHandler replying
with the text (and, for the button phase, a CallbackQueryHandler answering the query and replying with
its data: the same two API calls a press costs hamcoach). Both run without PTB's AIORateLimiter, which
holds sends to Telegram's ~30 messages/s and would measure that cap instead of the bot's own cost; the
fake server answers at once unless --latency is given. With --json, the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import heapq
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

Message = dict[str, Any]
QUESTIONS = (
    "why do my calves cramp?",
    "how long does doms last",
    "where do my hips go?",
    "what is a nordic curl",
    "do I need a partner",
    "can I do them every day",
    "my knees hurt on the floor",
    "how fast should I lower",
    "what if I cant push back up",
    "how many sets should I do",
    "legs are toast after yesterday",
    "best time to do them",
)
# Variations, so that answers are not mostly the ranker's cache hits: 300 distinct messages.
OPENINGS = ("", "hi, ", "quick one: ", "coach, ", "sorry, ")
ENDINGS = ("", " please", " thanks", " today", " again")
LABELS = ("No, I'm fine", "Yes, legs are warm", "I'm set up", "Got it", "Ready", "Start my sets")
FIRST_USER = 800_000
STARTUP_USER = 799_999
TICK = os.sysconf("SC_CLK_TCK")
BOT_ROOT_VARIABLE = "LOAD_BOT_ROOT"  # the checkout whose `bot` the bot processes import
PROFILE_VARIABLE = "LOAD_PROFILE"  # a file: the hamcoach bot runs under cProfile and writes it there


# ----------------------------------------------------------------------------- the bots (subprocesses)


def serve(kind: str) -> None:
    """Run one bot in this process until SIGINT: hamcoach's Application, or the bare echo bot."""
    sys.path.insert(0, os.environ.get(BOT_ROOT_VARIABLE, str(ROOT)))
    import bot  # noqa: F401  (its thread settings apply before numpy is imported)
    from bot.config import Config

    config = Config.from_env()
    if kind == "hamcoach":
        from bot.adapters.telegram import app as telegram_app

        app = telegram_app.build_application(config, rate_limiter=False)
        if hasattr(telegram_app, "WarmUp"):  # as `hamcoach run` does
            telegram_app.WarmUp(app)
        elif hasattr(telegram_app, "warm_up"):  # --bot-root: older trees
            telegram_app.warm_up(app)
    else:
        app = _echo_application(config.token, config.api_base_url or "")
    from telegram import Update

    profile = os.environ.get(PROFILE_VARIABLE) if kind == "hamcoach" else None
    if not profile:
        app.run_polling(poll_interval=0, timeout=10, allowed_updates=Update.ALL_TYPES)
        return
    import cProfile

    with cProfile.Profile() as profiler:
        app.run_polling(poll_interval=0, timeout=10, allowed_updates=Update.ALL_TYPES)
    profiler.dump_stats(profile)


def _echo_application(token: str, base_url: str) -> Any:
    from telegram import Update
    from telegram.ext import ApplicationBuilder, CallbackQueryHandler, ContextTypes, MessageHandler, filters

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_chat is not None and update.message is not None:
            await context.bot.send_message(update.effective_chat.id, update.message.text or "")

    async def press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is not None and update.effective_chat is not None:
            await query.answer()
            await context.bot.send_message(update.effective_chat.id, query.data or "")

    app = ApplicationBuilder().token(token).base_url(base_url).build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    app.add_handler(CallbackQueryHandler(press))
    return app


class BotProcess:
    """A bot in a subprocess: started, timed to its first getUpdates, measured from /proc, stopped."""

    def __init__(self, api: Any, command: list[str], folder: Path, extra_path: str = "") -> None:
        env = dict(os.environ)
        bot_root = env.get(BOT_ROOT_VARIABLE, str(ROOT))
        path = [bot_root, *([extra_path] if extra_path else []), env.get("PYTHONPATH", "")]
        env.update(
            PYTHONPATH=os.pathsep.join(p for p in path if p),
            TELEGRAM_BOT_TOKEN=api.token,
            HAMCOACH_API_BASE_URL=api.base_url,
            HAMCOACH_DB=str(folder / "load.db"),
            HAMCOACH_LOG_LEVEL="WARNING",
        )
        since = api.mark()
        # A getUpdates is logged when it returns: with an update waiting, the first one returns at once.
        api.user_sends_text(STARTUP_USER, "hello")
        started = time.monotonic()
        self.log = folder / "bot.log"
        with self.log.open("wb") as log:
            self.process = subprocess.Popen([sys.executable, *command], env=env, cwd=folder, stderr=log)
        call = api.wait_for(lambda c: c.method == "getUpdates", timeout=120, since=since)
        self.startup_s = call.at - started

    def cpu_s(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK

    def settle(self, quiet_s: float = 0.5, timeout: float = 30.0) -> None:
        """Wait until the bot is idle (under a tenth of a core for `quiet_s`): what it does once in
        the background after start-up (the answer index, matplotlib's import for /progress, the
        collection and freeze after them) must not be counted against the first measured phase."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            before = self.cpu_s()
            time.sleep(quiet_s)
            if self.cpu_s() - before < quiet_s * 0.1:
                return

    def peak_rss_mb(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def errors(self) -> int:
        """Tracebacks in the bot's log: a benchmark of failing answers measures nothing."""
        text = self.log.read_text(errors="replace")
        if "Traceback" in text:
            print(text[-3000:], file=sys.stderr)
        return text.count("Traceback")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# ----------------------------------------------------------------------------- simulated users


@dataclass
class Step:
    """One update a user sends, and how many bot messages complete the reply to it."""

    send: Callable[[Any, int], object]
    expect: int = 1


Script = Generator[Step, Message, None]


def _says(text: str) -> Callable[[Any, int], object]:
    return lambda api, uid: api.user_sends_text(uid, text)


def asks(rng: random.Random, rounds: int) -> Script:
    for _ in range(rounds):
        yield Step(_says(rng.choice(OPENINGS) + rng.choice(QUESTIONS) + rng.choice(ENDINGS)))


def data_of(message: Message, label: str) -> str:
    for row in message.get("reply_markup", {}).get("inline_keyboard", []):
        for button in row:
            if button["text"] == label:
                return str(button["callback_data"])
    raise AssertionError(f"no {label!r} in {message.get('text')!r}")


def _press(message: Message, label: str | None) -> Callable[[Any, int], object]:
    data = data_of(message, label) if label is not None else "press"
    return lambda api, uid: api.user_presses(uid, message["message_id"], data, check_button=label is not None)


def walks(rng: random.Random, echo: bool) -> Script:
    """A guided session by buttons; for the echo bot, the same number of presses on its echo."""
    message = yield Step(lambda api, uid: api.user_sends_command(uid, "/session"))
    labels = [*LABELS, str(rng.randint(1, 5)), "Skip rest", str(rng.randint(0, 5))]
    for i, label in enumerate(labels):
        last = i == len(labels) - 1
        message = yield Step(_press(message, None if echo else label), 1 if echo or not last else 2)


@dataclass
class User:
    script: Script
    step: Step | None = None
    sent_at: float = 0.0
    seen: int = 0  # bot messages received since the step was sent
    waiting: bool = False  # for the reply to `step`


@dataclass
class Phase:
    name: str
    updates: int = 0
    wall_s: float = 0.0
    cpu_s: float = 0.0
    latencies: list[float] = field(default_factory=list)

    @property
    def per_s(self) -> float:
        return self.updates / self.wall_s if self.wall_s else 0.0

    def quantile_ms(self, q: float) -> float:
        times = sorted(self.latencies)
        return times[max(0, int(len(times) * q + 0.5) - 1)] * 1000 if times else float("nan")

    @property
    def cpu_ms(self) -> float:
        return self.cpu_s / self.updates * 1000 if self.updates else float("nan")


class Driver:
    """Every simulated user in one thread: it reads the server's call log in order and, when a user's
    reply is complete, sends that user's next update (at once, or after a think time)."""

    def __init__(self, api: Any, scripts: dict[int, Script], think: tuple[float, float] | None, seed: int):
        self.api, self.think, self.rng = api, think, random.Random(seed)
        self.users = {uid: User(script) for uid, script in scripts.items()}
        self.due: list[tuple[float, int, Message]] = []  # (when, user, the message it answers)
        self.index = api.mark()
        self.phase = Phase("")

    def run(self, phase: Phase, timeout: float = 120.0) -> Phase:
        self.phase = phase
        start = time.monotonic()
        for uid in self.users:
            delay = self.rng.uniform(0, self.think[1]) if self.think else 0.0
            heapq.heappush(self.due, (start + delay, uid, {}))
        active = len(self.users)
        while active:
            now = time.monotonic()
            if now - start > timeout:
                raise TimeoutError(f"{phase.name}: {active} users still waiting after {timeout:.0f} s")
            while self.due and self.due[0][0] <= now:
                _, uid, message = heapq.heappop(self.due)
                active -= not self._next(uid, message)
            wait = min(self.due[0][0] - now, 0.2) if self.due else 0.2
            try:
                call = self.api.wait_for(lambda c: True, timeout=max(wait, 0.0005), since=self.index)
            except TimeoutError:
                continue
            self.index += 1
            self._on_call(call)
        phase.wall_s = time.monotonic() - start
        return phase

    def _next(self, uid: int, message: Message) -> bool:
        user = self.users[uid]
        try:
            user.step = user.script.send(message) if user.step is not None else next(user.script)
        except StopIteration:
            user.step = None
            return False
        user.seen, user.waiting, user.sent_at = 0, True, time.monotonic()
        user.step.send(self.api, uid)
        return True

    def _on_call(self, call: Any) -> None:
        if call.method != "sendMessage" or not call.ok:
            return
        user = self.users.get(call.chat_id)
        if user is None or user.step is None or not user.waiting:
            return
        user.seen += 1
        if user.seen < user.step.expect:
            return
        user.waiting = False
        self.phase.updates += 1
        self.phase.latencies.append(call.at - user.sent_at)
        pause = self.rng.uniform(*self.think) if self.think else 0.0
        heapq.heappush(self.due, (call.at + pause, call.chat_id, call.result))


# ----------------------------------------------------------------------------- one bot, every phase


@dataclass
class Options:
    users: int
    rounds: int
    paced_users: int
    paced_rounds: int
    seed: int = 5


def measure(bot: BotProcess, api: Any, name: str, scripts: dict[int, Script], think: Any, seed: int) -> Phase:
    before = bot.cpu_s()
    phase = Driver(api, scripts, think, seed).run(Phase(name))
    phase.cpu_s = bot.cpu_s() - before
    return phase


def phases(bot: BotProcess, api: Any, kind: str, options: Options, base: int) -> dict[str, Phase]:
    """Warm up (first answers load what is lazy), then the three measured phases, fresh users each."""
    rng = random.Random(options.seed)
    echo = kind == "echo"
    warm = {base + i: asks(random.Random(i), 3) for i in range(3)}
    warm[base + 9] = walks(rng, echo)
    measure(bot, api, "warm-up", warm, None, options.seed)
    bot.settle()
    base += 10
    k = options.users
    out = {}
    questions = {base + i: asks(random.Random(i), options.rounds) for i in range(k)}
    out["questions"] = measure(bot, api, "question burst", questions, None, 1)
    base += k
    sessions = {base + i: walks(rng, echo) for i in range(k)}
    out["buttons"] = measure(bot, api, "button burst", sessions, None, 2)
    base += k
    paced = {base + i: asks(random.Random(i), options.paced_rounds) for i in range(options.paced_users)}
    out["paced"] = measure(bot, api, "paced", paced, (2.0, 5.0), 3)
    return out


def startup_of_run_command(api: Any, folder: Path, extra_path: str) -> float:
    """`python -m bot run`, exactly as deployed (rate limiter on), to its first getUpdates."""
    bot = BotProcess(api, ["-m", "bot", "run"], folder, extra_path)
    bot.stop()
    return bot.startup_s


@contextmanager
def bot_process(api: Any, kind: str, extra_path: str) -> Iterator[BotProcess]:
    with tempfile.TemporaryDirectory() as tmp:
        bot = BotProcess(api, [str(Path(__file__).resolve()), "--serve", kind], Path(tmp), extra_path)
        try:
            yield bot
        finally:
            bot.stop()


def one_rep(api: Any, options: Options, rep: int, extra_path: str) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for n, kind in enumerate(("echo", "hamcoach")):
        base = FIRST_USER + (rep * 2 + n) * 100_000
        with bot_process(api, kind, extra_path) as bot:
            row[kind] = phases(bot, api, kind, options, base)
            row[f"{kind}_rss_mb"] = bot.peak_rss_mb()
            row[f"{kind}_serve_startup_s"] = bot.startup_s
            row[f"{kind}_errors"] = bot.errors()
    with tempfile.TemporaryDirectory() as tmp:
        row["hamcoach_startup_s"] = startup_of_run_command(api, Path(tmp), extra_path)
    row["echo_startup_s"] = row["echo_serve_startup_s"]
    return row


# ----------------------------------------------------------------------------- report


def median(rows: list[dict[str, Any]], get: Callable[[dict[str, Any]], float]) -> float:
    return statistics.median(get(row) for row in rows)


def ratio(rows: list[dict[str, Any]], phase: str) -> float:
    return median(rows, lambda r: r["hamcoach"][phase].per_s / r["echo"][phase].per_s)


def summary(rows: list[dict[str, Any]]) -> dict[str, float]:
    """Medians over the repetitions; ratios are taken per repetition first (same load, same run)."""

    def of(kind: str, phase: str, what: str) -> float:
        return median(rows, lambda r: getattr(r[kind][phase], what))

    def q(kind: str, phase: str, quant: float) -> float:
        return median(rows, lambda r: r[kind][phase].quantile_ms(quant))

    out = {
        "ratio_vs_echo": ratio(rows, "questions"),
        "buttons_ratio_vs_echo": ratio(rows, "buttons"),
        "p99_ms": q("hamcoach", "paced", 0.99),
        "updates_per_s": of("hamcoach", "questions", "per_s"),
        "startup_s": median(rows, lambda r: r["hamcoach_startup_s"]),
        "echo_startup_s": median(rows, lambda r: r["echo_startup_s"]),
        "peak_rss_mb": median(rows, lambda r: r["hamcoach_rss_mb"]),
        "echo_peak_rss_mb": median(rows, lambda r: r["echo_rss_mb"]),
        "errors": sum(r["hamcoach_errors"] + r["echo_errors"] for r in rows),
    }
    for kind in ("hamcoach", "echo"):
        for phase in ("questions", "buttons", "paced"):
            key = f"{kind}_{phase}"
            out[f"{key}_per_s"] = of(kind, phase, "per_s")
            out[f"{key}_p50_ms"] = q(kind, phase, 0.5)
            out[f"{key}_p99_ms"] = q(kind, phase, 0.99)
            out[f"{key}_cpu_ms"] = of(kind, phase, "cpu_ms")
    return {k: round(v, 3) for k, v in out.items()}


def report(options: Options, latency: float, reps: int, s: dict[str, float]) -> None:
    print(
        f"{options.users} users x {options.rounds} questions, {options.users} sessions by buttons, "
        f"{options.paced_users} paced users x {options.paced_rounds} (one every 2-5 s); "
        f"{latency * 1000:g} ms per API call; median of {reps} rep(s)"
    )
    print(f"{'phase':<16}{'bot':<10}{'updates/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'CPU ms/update':>15}")
    for phase in ("questions", "buttons", "paced"):
        for kind in ("hamcoach", "echo"):
            key = f"{kind}_{phase}"
            print(
                f"{phase:<16}{kind:<10}{s[key + '_per_s']:>10.1f}{s[key + '_p50_ms']:>9.1f}"
                f"{s[key + '_p99_ms']:>9.1f}{s[key + '_cpu_ms']:>15.2f}"
            )
    print(
        f"ratio to echo: questions {s['ratio_vs_echo']:.2f} (target >= 0.5), "
        f"buttons {s['buttons_ratio_vs_echo']:.2f} (target >= 0.8)"
    )
    print(
        f"start-up to first getUpdates: hamcoach run {s['startup_s']:.2f} s (target < 1.5), "
        f"echo {s['echo_startup_s']:.2f} s; peak RSS hamcoach {s['peak_rss_mb']:.0f} MB, "
        f"echo {s['echo_peak_rss_mb']:.0f} MB"
    )
    if s["errors"]:
        print(f"WARNING: {s['errors']:.0f} tracebacks in the bots' logs (shown above): figures are void")
    print(
        f"targets: CPU per question {s['hamcoach_questions_cpu_ms']:.1f} ms (< 8), "
        f"paced p99 {s['p99_ms']:.1f} ms (< 100 with 50 users)"
    )


def scale(api: Any, counts: list[int], rounds: int, extra_path: str) -> None:
    """How far one process goes: paced questions from more and more users (one every 2-5 s each),
    and the highest rate whose p99 stays under 100 ms."""
    print(f"{'paced users':<14}{'updates/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'CPU ms/update':>15}")
    best = 0.0
    with bot_process(api, "hamcoach", extra_path) as bot:
        base = FIRST_USER + 50 * 100_000
        measure(bot, api, "warm-up", {base + i: asks(random.Random(i), 3) for i in range(3)}, None, 0)
        for n, count in enumerate(counts):
            base += 10_000
            users = {base + i: asks(random.Random(n * 1000 + i), rounds) for i in range(count)}
            phase = measure(bot, api, f"paced {count}", users, (2.0, 5.0), n)
            p99 = phase.quantile_ms(0.99)
            best = max(best, phase.per_s) if p99 < 100 else best
            print(
                f"{count:<14}{phase.per_s:>10.1f}{phase.quantile_ms(0.5):>9.1f}{p99:>9.1f}{phase.cpu_ms:>15.2f}",
                flush=True,
            )
        if bot.errors():
            print("WARNING: tracebacks in the bot's log (shown above): figures are void")
    print(f"highest rate with p99 under 100 ms: {best:.1f} updates/s")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=20, help="users in the bursts")
    parser.add_argument("--rounds", type=int, default=10, help="questions per user in the question burst")
    parser.add_argument("--paced-users", type=int, default=50)
    parser.add_argument("--paced-rounds", type=int, default=6, help="questions per paced user")
    parser.add_argument("--reps", type=int, default=1)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds the server waits per send")
    parser.add_argument("--pythonpath", default="", help="extra import path for the bots (e.g. a test wheel)")
    parser.add_argument("--json", action="store_true", help="end with one JSON object")
    parser.add_argument("--profile", help="write a cProfile of the hamcoach bot to this file (slower)")
    parser.add_argument("--bot-root", help="run the bot of another checkout (a baseline), e.g. git archive")
    parser.add_argument("--scale", help="only paced runs of hamcoach with these user counts: 50,100,200")
    parser.add_argument("--serve", choices=("hamcoach", "echo"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return
    from tests.fakebot import FakeBotApi

    if args.bot_root:
        os.environ[BOT_ROOT_VARIABLE] = str(Path(args.bot_root).resolve())
    if args.profile:
        os.environ[PROFILE_VARIABLE] = str(Path(args.profile).resolve())
    options = Options(args.users, args.rounds, args.paced_users, args.paced_rounds)
    with FakeBotApi() as api:
        for method in ("sendMessage", "answerCallbackQuery"):
            api.set_delay(args.latency, method)
        if args.scale:
            scale(api, [int(n) for n in args.scale.split(",")], args.paced_rounds, args.pythonpath)
            return
        rows = [one_rep(api, options, rep, args.pythonpath) for rep in range(args.reps)]
    s = summary(rows)
    report(options, args.latency, args.reps, s)
    if args.json:
        print(json.dumps(s))


if __name__ == "__main__":
    main()
