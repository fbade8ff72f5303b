"""How close a question is in meaning to each knowledge entry, from the cosines between the question and
the entry's title and example questions.

Encoding the ~2,300 titles, example and off-topic questions takes about four seconds, so their vectors
are kept:
- in `vectors.npz` in the knowledge folder, written by `hamcoach vectors` after the knowledge changes,
  so even a first start on a fresh machine reads them instead of encoding (float16: 1.6 MB);
- in memory for the life of the process (tests and benchmarks build many indexes);
- when the bot's database exists, in a `text_vectors` table there, for texts the file lacks (a coach
  edited an example and did not run `hamcoach vectors`): a restart reads them back in milliseconds, and
  rows of texts the knowledge no longer has are deleted. The cache never creates the database:
  `hamcoach ask` in an empty folder leaves no file behind.
A vector's key is the model name plus the exact text, so an edited example question is simply encoded
again, and a stale or damaged file costs time, never answers.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import threading
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sqlite_utils

from bot.knowledge import Entry, KnowledgeBase
from bot.minilm import MODEL_NAME, Encoder, shared_encoder
from bot.minilm_graph import HIDDEN
from bot.textnorm import MAX_TOKENS, words

log = logging.getLogger(__name__)

TABLE = "text_vectors"
SHIPPED = "vectors.npz"  # in the knowledge folder
BEST_SHARE = 0.7  # closeness = 0.7 x best cosine + 0.3 x second best: two close examples beat one fluke
RIDGE = 1.0  # L2 penalty of the per-entry linear classifier (chosen on tests/data/dev.yaml)
_CHUNK = 8192  # rows per step when fitting it
_memo: dict[str, np.ndarray] = {}
_memo_lock = threading.Lock()


def _key(text: str) -> str:
    return hashlib.sha256(f"{MODEL_NAME}\0{text}".encode()).hexdigest()


class VectorCache:
    """Vectors by text, in memory and optionally in an SQLite file."""

    def __init__(self, encoder: Encoder, db_path: Path | None = None, shipped: Path | None = None) -> None:
        self.encoder = encoder
        self.db_path = db_path if db_path is not None and db_path.is_file() else None
        self.shipped = shipped if shipped is not None and shipped.is_file() else None
        self._shipped: dict[str, np.ndarray] | None = None  # read on first need, then kept

    def vectors(self, texts: Sequence[str]) -> np.ndarray:
        keys = [_key(t) for t in texts]
        with _memo_lock:
            missing = {k: t for k, t in zip(keys, texts, strict=True) if k not in _memo}
        if missing and self.shipped is not None:
            missing = self._read_shipped(missing)
        if missing and self.db_path is not None:
            try:
                missing = self._read_stored(missing)
            except sqlite3.Error as exc:  # a cache: a locked or unreadable database costs time, not answers
                log.warning("could not read cached vectors from %s: %s", self.db_path, exc)
        if missing:
            fresh = dict(zip(missing, self.encoder.encode(list(missing.values())), strict=True))
            _remember(fresh, missing)
            if self.db_path is not None:
                try:
                    self._store(fresh)
                except sqlite3.Error as exc:
                    log.warning("could not cache vectors in %s: %s", self.db_path, exc)
        with _memo_lock:
            if not keys:
                return np.zeros((0, self.encoder.dimensions), np.float32)
            return np.stack([_memo[k] for k in keys])

    def _read_shipped(self, missing: dict[str, str]) -> dict[str, str]:
        if self._shipped is None:
            assert self.shipped is not None
            self._shipped = read_shipped(self.shipped, self.encoder.dimensions)
        stored = self._shipped
        return _remember({k: stored[k].astype(np.float32) for k in missing if k in stored}, missing)

    def _table(self) -> sqlite_utils.db.Table:
        assert self.db_path is not None
        db = sqlite_utils.Database(self.db_path)
        table = db.table(TABLE)
        table.create({"key": str, "vector": bytes}, pk="key", if_not_exists=True)
        return table

    def _read_stored(self, missing: dict[str, str]) -> dict[str, str]:
        table = self._table()
        found: dict[str, np.ndarray] = {}
        keys = list(missing)
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for key, blob in table.db.execute(
                f"select key, vector from {TABLE} where key in ({marks})", chunk
            ):
                if isinstance(blob, bytes) and len(blob) == 4 * self.encoder.dimensions:  # else: encode again
                    found[key] = np.frombuffer(blob, dtype=np.float32).copy()
        table.db.close()
        return _remember(found, missing)

    def prune(self, texts: Sequence[str]) -> int:
        """Delete the stored vectors of every other text (examples a coach edited away), so the table
        stays the size of the knowledge instead of growing with each edit. Returns how many went."""
        if self.db_path is None:
            return 0
        keep = {_key(t) for t in texts}
        try:
            table = self._table()
            stale = [key for (key,) in table.db.execute(f"select key from {TABLE}") if key not in keep]
            for start in range(0, len(stale), 500):
                chunk = stale[start : start + 500]
                table.db.execute(f"delete from {TABLE} where key in ({','.join('?' * len(chunk))})", chunk)
            table.db.conn.commit()
            table.db.close()
        except sqlite3.Error as exc:  # a cache: failing to tidy it costs disk, not answers
            log.warning("could not prune cached vectors in %s: %s", self.db_path, exc)
            return 0
        return len(stale)

    def _store(self, vectors: dict[str, np.ndarray]) -> None:
        table = self._table()
        table.insert_all(
            ({"key": k, "vector": v.astype(np.float32).tobytes()} for k, v in vectors.items()), replace=True
        )
        table.db.close()


def _remember(found: dict[str, np.ndarray], missing: dict[str, str]) -> dict[str, str]:
    """Keep the vectors found in memory; return the texts still missing."""
    with _memo_lock:
        _memo.update(found)
    return {k: t for k, t in missing.items() if k not in found}


@dataclass(frozen=True)
class Closeness:
    """One question against the knowledge: per entry the blended and the best cosine, and the best
    cosine with any off-topic near-miss question."""

    mixed: dict[str, float]
    best: dict[str, float]
    off_topic: float
    fitted: dict[str, float]  # the linear classifier's score per entry: about 1 for its entry, 0 otherwise


class EntryVectors:
    """Every entry's title and example questions as rows of one matrix, grouped by entry."""

    def __init__(self, kb: KnowledgeBase, cache: VectorCache) -> None:
        self.cache = cache
        self.ids: list[str] = []
        texts: list[str] = []
        starts: list[int] = []
        for entry in kb.entries.values():
            starts.append(len(texts))
            self.ids.append(entry.id)
            texts.extend(_entry_texts(entry))
        self.matrix = cache.vectors(texts)
        self.off_topic = cache.vectors([encoder_text(q) for q in kb.off_topic])
        # grid[i] holds the rows of entry i, padded with len(texts): a slot that always scores -1
        ends = [*starts[1:], len(texts)]
        width = max((end - start for start, end in zip(starts, ends, strict=True)), default=1)
        self.grid = np.full((len(starts), max(width, 2)), len(texts), dtype=np.intp)
        for i, (start, end) in enumerate(zip(starts, ends, strict=True)):
            self.grid[i, : end - start] = np.arange(start, end)
        # off-topic questions are one more class, so the classifier learns what none of the entries covers
        labels = np.repeat(np.arange(len(starts) + 1), [*np.subtract(ends, starts), len(self.off_topic)])
        rows = np.vstack([self.matrix, self.off_topic])
        self.classifier = _ridge_classifier(rows, labels, len(starts) + 1)[:, : len(starts)]

    def closeness(self, question: str) -> Closeness:
        return self.scores(self.cache.encoder.encode([encoder_text(question)])[0])

    def scores(self, question_vector: np.ndarray) -> Closeness:
        sims = np.append(self.matrix @ question_vector, np.float32(-1.0))[self.grid]
        top2 = -np.partition(-sims, 1, axis=1)[:, :2] if len(self.ids) else np.zeros((0, 2))
        off = float((self.off_topic @ question_vector).max()) if len(self.off_topic) else -1.0
        mixed = BEST_SHARE * top2[:, 0] + (1 - BEST_SHARE) * np.maximum(top2[:, 1], 0.0)
        fitted = np.append(question_vector, np.float32(1.0)) @ self.classifier
        return Closeness(
            dict(zip(self.ids, mixed.tolist(), strict=True)),
            dict(zip(self.ids, top2[:, 0].tolist(), strict=True)),
            off,
            dict(zip(self.ids, fitted.tolist(), strict=True)),
        )


def _ridge_classifier(rows: np.ndarray, labels: np.ndarray, classes: int) -> np.ndarray:
    """Weights (dimensions + 1 bias row, one column per class) of a least-squares fit of the example
    vectors to their class, one-hot.

    Why: the nearest example only knows one sentence at a time; a linear fit over all of an entry's
    examples learns which directions tell two neighbouring entries apart (DOMS causes vs DOMS duration).
    On tests/data/dev.yaml it lifted top-1 ranking from 0.957 to 0.970. Closed form, so it costs a few
    milliseconds at start-up and is the same on every run. The sums run in chunks and the one-hot
    targets are never built, so a knowledge base 100 times larger needs megabytes, not gigabytes.
    """
    dims = rows.shape[1] if rows.ndim == 2 else 0
    if not len(rows) or not classes:
        return np.zeros((dims + 1, classes), dtype=np.float32)
    gram = np.zeros((dims + 1, dims + 1))
    per_class = np.zeros((dims + 1, classes))  # x.T @ one_hot(labels): each class's rows summed
    for start in range(0, len(rows), _CHUNK):
        chunk = rows[start : start + _CHUNK].astype(np.float64)
        x = np.hstack([chunk, np.ones((len(chunk), 1))])
        gram += x.T @ x
        np.add.at(per_class.T, labels[start : start + _CHUNK], x)
    penalty = RIDGE * np.eye(dims + 1)
    penalty[-1, -1] = 0.0  # the bias is not shrunk
    return np.linalg.solve(gram + penalty, per_class).astype(np.float32)


def encoder_text(text: str) -> str:
    """What the encoder sees of a text, a question and an example alike: its words, lowercased, without
    punctuation, at most 120 (a 10,000-character message stays cheap).

    Why the examples too: encoded as written, "Can't I..." in an example and "cant i" in a question
    differed for no reason; the same treatment for both lifted top-1 ranking on tests/data/dev.yaml
    from 956 to 962 of 993 (3 of them in batch 3, which no example was written from)."""
    return " ".join(words(text)[: 3 * MAX_TOKENS])


def _entry_texts(entry: Entry) -> list[str]:
    return list(dict.fromkeys(encoder_text(t) for t in [entry.title, *entry.questions]))


def knowledge_texts(kb: KnowledgeBase) -> list[str]:
    """Every text of the knowledge that gets a vector, as the encoder sees it, each once."""
    texts = [t for entry in kb.entries.values() for t in _entry_texts(entry)]
    return list(dict.fromkeys([*texts, *(encoder_text(q) for q in kb.off_topic)]))


def entry_vectors(kb: KnowledgeBase, db_path: Path | None = None) -> EntryVectors:
    cache = VectorCache(shared_encoder(), db_path, kb.folder / SHIPPED)
    vectors = EntryVectors(kb, cache)
    cache.prune(knowledge_texts(kb))
    return vectors


def read_shipped(path: Path, dimensions: int = HIDDEN) -> dict[str, np.ndarray]:
    """Key -> vector from a knowledge folder's vectors.npz; empty (and logged) if missing or damaged.
    Vectors of another width or with non-finite values are left out: their texts get encoded again."""
    if not path.is_file():
        return {}
    try:
        with np.load(path, allow_pickle=False) as data:
            keys, vectors = data["keys"], data["vectors"]
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        log.warning("ignoring %s, unreadable (%s): run `hamcoach vectors` to write it again", path, exc)
        return {}
    shapes_ok = keys.ndim == 1 and vectors.ndim == 2 and len(keys) == len(vectors)
    if not shapes_ok or keys.dtype.kind != "U" or vectors.dtype.kind != "f":
        log.warning("ignoring %s, its arrays do not match: run `hamcoach vectors` to write it again", path)
        return {}
    usable = (vectors.shape[1] == dimensions) & np.isfinite(vectors).all(axis=1)
    return {str(k): v for k, v, ok in zip(keys, vectors, usable, strict=True) if ok}


def missing_from_shipped(kb: KnowledgeBase) -> int:
    """How many of the knowledge's texts vectors.npz lacks (each costs ~2 ms at start-up). No model needed."""
    stored = read_shipped(kb.folder / SHIPPED)
    return sum(1 for text in knowledge_texts(kb) if _key(text) not in stored)


def write_shipped(kb: KnowledgeBase) -> tuple[Path, int]:
    """Encode every text of the knowledge and write them to its folder's vectors.npz (only those: stale
    vectors go). Written to a temporary file first, so a crash never leaves half a file."""
    texts = knowledge_texts(kb)
    vectors = VectorCache(shared_encoder()).vectors(texts)
    path = kb.folder / SHIPPED
    partial = path.with_name(f".{SHIPPED}.{os.getpid()}.npz")
    keys = np.array([_key(t) for t in texts], dtype=str)
    try:
        np.savez_compressed(partial, keys=keys, vectors=vectors.astype(np.float16))
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return path, len(texts)


def forget_memory() -> None:
    """Drop the in-process vectors (the database copy stays): what a restart does."""
    with _memo_lock:
        _memo.clear()
