"""Recognition in worker processes, so a note being heard does not hold the bot's GIL: a thread kept
other chats waiting (their p50 went from about 30 ms to about 480 ms on two cores, issue 13).

Each worker is started with the spawn method (no copy of the bot's threads, sockets or database) and
builds its recogniser once, in its initializer; a note's samples go there and its words come back. The
bot starts its pool in post_init without waiting (the workers load while it starts polling); elsewhere
a pool starts on its first note. If a worker dies (killed,
out of memory), the pool is replaced and the note tried once more there; a worker whose parent is gone
exits by itself. Pools are shared by every Ears of the same recogniser in one process (tests build
many bots), and `close_all` stops them: the bot calls it in post_shutdown, after the last update.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

import numpy as np

log = logging.getLogger(__name__)
ORPHAN_CHECK_S = 2.0  # how often a worker checks that the bot that started it is still there


@dataclass(frozen=True)
class Spec:
    """What a worker needs to build the recogniser: picklable, and the key of the shared pools."""

    backend: str
    sentences: tuple[str, ...]
    pronunciations: tuple[tuple[str, str], ...]
    prompt: str
    fallback: bool


class WorkerDied(RuntimeError):
    """The note could not be heard in a worker, even in a fresh one."""


Recognise = Callable[[np.ndarray, Sequence[str]], tuple[str, str]]
_worker: tuple[Recognise, str] | None = None  # in a worker: its recogniser and the backend's name


def _start(spec: Spec, build: Callable[[Spec], tuple[Recognise, str]]) -> None:
    """A worker's initializer: ignore Ctrl-C (the bot handles it and stops us), leave when the parent
    is gone, build the recogniser once."""
    global _worker
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = os.getppid()
    threading.Thread(target=_watch, args=(parent,), daemon=True, name="orphan-check").start()
    _worker = build(spec)


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(ORPHAN_CHECK_S)
    os._exit(0)


def _recognise(samples: np.ndarray, expected: tuple[str, ...]) -> tuple[str, str, str]:
    """In a worker: (text, choice, backend name)."""
    assert _worker is not None, "the worker's initializer builds the recogniser"
    recognise, backend = _worker
    text, choice = recognise(samples, expected)
    return text, choice, backend


def _pid() -> int:
    return os.getpid()


class Pool:
    """A few worker processes hearing notes; started on first use, replaced when one dies."""

    def __init__(self, spec: Spec, build: Callable[[Spec], tuple[Recognise, str]], workers: int) -> None:
        self.spec, self.build, self.workers = spec, build, workers
        self._executor: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ProcessPoolExecutor(
                    self.workers,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_start,
                    initargs=(self.spec, self.build),
                )
            return self._executor

    def transcribe(self, samples: np.ndarray, expected: Sequence[str]) -> tuple[str, str, str]:
        """(text, choice, backend) from a worker; WorkerDied if a fresh worker fails it too."""
        for attempt in (1, 2):
            executor = self.executor()
            try:
                return executor.submit(_recognise, samples, tuple(expected)).result()
            except BrokenProcessPool as exc:
                log.warning("a voice worker died (attempt %d): %s; starting a new one", attempt, exc)
                self._discard(executor)
        raise WorkerDied("voice workers keep dying")

    def start(self) -> None:
        """Start the workers now, without waiting for them to build the recogniser."""
        self.executor().submit(_pid)

    def pids(self) -> list[int]:
        """The workers' process ids (starting them if need be): for tests and operators."""
        executor = self.executor()
        executor.submit(_pid).result()
        processes: dict[int, Any] = getattr(executor, "_processes", None) or {}
        return sorted(processes)

    def _discard(self, executor: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._executor is executor:
                self._executor = None
        executor.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        """Stop the workers, after the notes they are hearing."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)


_pools: dict[tuple[Spec, int], Pool] = {}
_pools_lock = threading.Lock()


def shared(spec: Spec, build: Callable[[Spec], tuple[Recognise, str]], workers: int) -> Pool:
    """The process's pool for this recogniser and size."""
    with _pools_lock:
        return _pools.setdefault((spec, workers), Pool(spec, build, workers))


def start_all() -> None:
    """Start every pool's workers (the bot's post_init), so the first note does not wait for them."""
    with _pools_lock:
        pools = list(_pools.values())
    for pool in pools:
        pool.start()


def close_all() -> None:
    """Stop every pool's workers (the bot's post_shutdown); a later note starts them again."""
    with _pools_lock:
        pools = list(_pools.values())
    for pool in pools:
        pool.close()
