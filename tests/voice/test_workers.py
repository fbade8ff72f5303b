"""Voice notes heard in worker processes (bot/voice/pool.py): a killed worker is replaced and the next
note still heard; `hamcoach run` stops its workers on SIGTERM. pocketsphinx, since it builds fastest:
the pool is the same for either backend."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from bot.knowledge.base import DEFAULT_DIR, load_knowledge
from bot.voice.feature import sentences
from bot.voice.pronunciations import load_pronunciations
from bot.voice.recogniser import Ears
from tests.fakebot import FakeBotApi
from tests.reliability.processes import bot_process, stop

VOICE = Path(__file__).resolve().parents[1] / "data" / "voice"
MUSCLES = (VOICE / "muscles.ogg").read_bytes()
USER = 5454


def ears(workers: int) -> Ears:
    kb = load_knowledge()
    pronunciations = load_pronunciations(DEFAULT_DIR)
    return Ears(sentences(kb), pronunciations, 60, backend="pocketsphinx", workers=workers)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


def test_a_killed_worker_is_replaced_and_the_next_note_is_heard() -> None:
    pooled = ears(workers=1)
    assert pooled.pool is not None
    try:
        first = pooled.hear(MUSCLES)
        assert first.text == ears(workers=0).hear(MUSCLES).text, "the same words either way"
        [worker] = pooled.pool.pids()
        assert worker != os.getpid()
        os.kill(worker, signal.SIGKILL)
        again = pooled.hear(MUSCLES)
        assert again.text == first.text and again.backend == "pocketsphinx"
        [fresh] = pooled.pool.pids()
        assert fresh != worker and not alive(worker)
    finally:
        pooled.pool.close()


def workers_of(pid: int) -> list[int]:
    """The process's children that are multiprocessing workers (not its resource tracker)."""
    tasks = Path(f"/proc/{pid}/task")
    kids = [int(c) for t in tasks.iterdir() for c in (t / "children").read_text().split()]
    return [k for k in kids if b"spawn_main" in Path(f"/proc/{k}/cmdline").read_bytes()]


def test_sigterm_stops_the_voice_workers_with_the_bot(fake_api: FakeBotApi, tmp_path: Path) -> None:
    log = tmp_path / "bot.log"
    backend = {"HAMCOACH_VOICE_BACKEND": "pocketsphinx", "HAMCOACH_VOICE_WORKERS": "1"}
    with bot_process(fake_api, tmp_path / "bot.db", log, **backend) as bot:
        fake_api.user_sends_voice(USER, MUSCLES, duration=3)
        heard, answer = fake_api.wait_for_messages(USER, 2, timeout=60)
        assert heard["text"].startswith("🎙 I heard:") and "hamstrings" in answer["text"]
        workers = workers_of(bot.pid)
        assert workers, "the note was heard in a worker process"
        assert stop(bot, signal.SIGTERM, log) == 0, log.read_text()[-3000:]
    assert not any(alive(w) for w in workers), "no worker outlives the bot"
    assert "database closed" in log.read_text()
