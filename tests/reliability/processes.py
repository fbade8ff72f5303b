"""`python -m bot run` as a real process against the fake Bot API server, for crash and shutdown tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.fakebot import FakeBotApi

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def bot_process(api: FakeBotApi, db: Path, log: Path, **env: str) -> Iterator[subprocess.Popen[bytes]]:
    """The bot, its output appended to `log`; killed with SIGKILL if the test has not stopped it."""
    full_env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": api.token,
        "HAMCOACH_API_BASE_URL": api.base_url,
        "HAMCOACH_DB": str(db),
        "HAMCOACH_LOG_LEVEL": "INFO",
        **env,
    }
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"], cwd=ROOT, env=full_env, stdout=out, stderr=out
        )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)


def stop(proc: subprocess.Popen[bytes], sig: signal.Signals, log: Path) -> int:
    """Send `sig` and wait for the process to end; returns its exit code."""
    proc.send_signal(sig)
    try:
        return proc.wait(timeout=30)
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"the bot did not stop on {sig.name}:\n{log.read_text()[-3000:]}") from exc


def delivered(api: FakeBotApi) -> Counter[int]:
    """Accepted sendMessage calls per chat."""
    return Counter(c.chat_id for c in api.calls_of("sendMessage") if c.ok)
