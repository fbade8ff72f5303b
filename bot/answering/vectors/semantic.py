"""How close a question is in meaning to each knowledge entry, from the cosines between the question and
the entry's title and example questions.

Encoding the ~4,100 titles, example questions, messages and near misses takes about eight seconds, so
their vectors are kept:
- in `vectors.npz` in the knowledge folder, written by `hamcoach vectors` after the knowledge changes,
  so even a first start on a fresh machine reads them instead of encoding (float16: 3.4 MB, with the
  classifier's weights, bot/answering/vectors/classifier.py);
- in memory for the life of the process (tests and benchmarks build many indexes);
- when the bot's database exists, in a `text_vectors` table there, for texts the file lacks (a coach
  edited an example and did not run `hamcoach vectors`): a restart reads them back in milliseconds, and
  rows of texts the knowledge no longer has are deleted; likewise the last classifier fitted at start-up
  (table `classifier_weights`). The cache never creates the database:
  `hamcoach ask` in an empty folder leaves no file behind.
A vector's key is the model name plus the exact text, so an edited example question is simply encoded
again, and a stale or damaged file costs time, never answers.
"""

from __future__ import annotations

import errno
import functools
import hashlib
import logging
import os
import sqlite3
import threading
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import sqlite_utils

from bot.answering import ngrams
from bot.answering.vectors import classifier
from bot.answering.vectors.encoder import HIDDEN, MODEL_NAME, Encoder, shared_encoder
from bot.core.textnorm import MAX_TOKENS, words
from bot.knowledge.base import Entry, KnowledgeBase
from bot.storage.transaction import transaction

log = logging.getLogger(__name__)

TABLE = "text_vectors"
# The fits kept beside the vectors, by name: the sentence classifier (classifier.py) and the letter-run
# one (bot/answering/ngrams.py). vectors.npz holds each as arrays `name` and `name_key` (its fingerprint);
# the database, the latest fit of each in its own table.
CLASSIFIER, NGRAMS = "classifier", "ngrams"
WEIGHT_TABLES = {CLASSIFIER: "classifier_weights", NGRAMS: "ngram_weights"}
CLASSIFIER_TABLE = WEIGHT_TABLES[CLASSIFIER]
SHIPPED = "vectors.npz"  # in the knowledge folder
BEST_SHARE = 0.7  # closeness = 0.7 x best cosine + 0.3 x second best: two close examples beat one fluke
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

    def known_weights(self, name: str, key: str, shape: tuple[int, int]) -> np.ndarray | None:
        """Logistic weights of fit `name` fitted on exactly these rows (`key`): from vectors.npz, else
        from the database, where an earlier start left them; None if neither has them."""
        if self.shipped is not None:
            shipped = read_shipped_weights(self.shipped, name, key, shape)
            if shipped is not None:
                return shipped
        if self.db_path is None:
            return None
        table = WEIGHT_TABLES[name]
        try:
            db = sqlite_utils.Database(self.db_path)
            row = None
            if table in db.table_names():
                row = db.execute(f"select weights from {table} where key = ?", [key]).fetchone()
            db.close()
        except sqlite3.Error as exc:
            log.warning("could not read the cached %s weights from %s: %s", name, self.db_path, exc)
            return None
        if row is None or not isinstance(row[0], bytes) or len(row[0]) != 4 * shape[0] * shape[1]:
            return None
        weights = np.frombuffer(row[0], dtype=np.float32).reshape(shape)
        return weights.copy() if np.isfinite(weights).all() else None

    def store_weights(self, name: str, key: str, weights: np.ndarray) -> None:
        """Keep a fit for the next start (replacing the last one), when the bot's database exists."""
        if self.db_path is None:
            return
        table = WEIGHT_TABLES[name]
        try:
            db = sqlite_utils.Database(self.db_path)
            with transaction(db):
                db.execute(f"create table if not exists {table} (key text primary key, weights blob)")
                db.execute(f"delete from {table}")
                db.execute(f"insert into {table} values (?, ?)", [key, weights.astype(np.float32).tobytes()])
            db.close()
        except sqlite3.Error as exc:
            log.warning("could not cache the %s weights in %s: %s", name, self.db_path, exc)

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

    def prune(self, keep: frozenset[str]) -> int:
        """Delete the stored vectors of every text but those keyed in `keep` (examples a coach edited
        away), so the table stays the size of the knowledge instead of growing with each edit. Returns
        how many went."""
        if self.db_path is None:
            return 0
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


def remember(texts: Sequence[str], vectors: np.ndarray) -> None:
    """Take these as the texts' vectors for the life of the process (benchmarks/qa.py --grow gives a
    knowledge base 100 times ours vectors it would take minutes to encode)."""
    found = {_key(t): np.asarray(v, np.float32) for t, v in zip(texts, vectors, strict=True)}
    with _memo_lock:
        _memo.update(found)


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
    fitted: dict[str, float]  # the classifier's probability per entry (bot/answering/vectors/classifier.py)
    letters: dict[str, float]  # the letter-run classifier's (bot/answering/ngrams.py); empty without it


class EntryVectors:
    """Every entry's title and example questions as rows of one matrix, grouped by entry."""

    def __init__(self, kb: KnowledgeBase, cache: VectorCache) -> None:
        self.cache = cache
        self.ids = list(kb.entries)
        layout = _layout(kb)
        texts = [t for group in layout.entry_texts for t in group]
        self.matrix = cache.vectors(texts)
        self.off_topic = cache.vectors(layout.off_topic)
        # grid[i] holds the rows of entry i, padded with len(texts): a slot that always scores -1
        sizes = [len(group) for group in layout.entry_texts]
        self.grid = np.full((len(sizes), max([*sizes, 2])), len(texts), dtype=np.intp)
        for i, (start, size) in enumerate(zip(np.cumsum([0, *sizes])[:-1], sizes, strict=True)):
            self.grid[i, :size] = np.arange(start, start + size)
        self.fingerprint = layout.fingerprint
        self.keys = frozenset(layout.keys)  # every text's key: what the database cache should keep
        classes = len(self.ids) + 1
        known = cache.known_weights(CLASSIFIER, self.fingerprint, (self.matrix.shape[1] + 1, classes))
        if known is not None:
            self.classifier = classifier.Classifier(known, probabilities=True)
        else:
            rows = np.vstack([self.matrix, self.off_topic])
            self.classifier = classifier.fit(rows, layout.labels, classes)
            if self.classifier.probabilities:
                cache.store_weights(CLASSIFIER, self.fingerprint, self.classifier.weights)
        self.letters, self.letters_fingerprint = _letters(layout, classes, cache)
        # a message's halves are ranked in and out of its context: the letters see the same text
        self._letter_scores = functools.lru_cache(maxsize=64)(self.letters.scores) if self.letters else None

    def closeness(self, question: str, within: str | None = None) -> Closeness:
        """`within`: the message `question` is a part of (a half of a two-part message), whose encoder
        pass it is read from rather than encoded again (Encoder.part_vector)."""
        text = encoder_text(question)
        part = self.cache.encoder.part_vector(encoder_text(within), text) if within is not None else None
        return self.scores(part if part is not None else self.cache.encoder.encode([text])[0], text)

    def scores(self, question_vector: np.ndarray, text: str) -> Closeness:
        """`text`: the question as the encoder saw it, for the letter-run classifier."""
        sims = np.append(self.matrix @ question_vector, np.float32(-1.0))[self.grid]
        top2 = -np.partition(-sims, 1, axis=1)[:, :2] if len(self.ids) else np.zeros((0, 2))
        off = float((self.off_topic @ question_vector).max()) if len(self.off_topic) else -1.0
        mixed = BEST_SHARE * top2[:, 0] + (1 - BEST_SHARE) * np.maximum(top2[:, 1], 0.0)
        fitted = self.classifier.scores(question_vector)[: len(self.ids)]  # the last class is off-topic
        letters = self._letter_scores(text)[: len(self.ids)] if self._letter_scores is not None else None
        return Closeness(
            dict(zip(self.ids, mixed.tolist(), strict=True)),
            dict(zip(self.ids, top2[:, 0].tolist(), strict=True)),
            off,
            dict(zip(self.ids, fitted.tolist(), strict=True)),
            dict(zip(self.ids, letters.tolist(), strict=True)) if letters is not None else {},
        )


def _letters(layout: _Layout, classes: int, cache: VectorCache) -> tuple[ngrams.NgramClassifier | None, str]:
    """The letter-run classifier and its fingerprint: shipped or cached weights, else fitted now (about ten
    seconds, then cached). None for a knowledge base too big to fit at start-up (the sentence classifier's
    limit): the ranking then goes without its vote."""
    texts = layout.texts()
    key = ngrams.fingerprint(texts, layout.labels)
    if not classifier.is_logistic(len(texts), classes):
        return None, key
    vocabulary = ngrams.Vocabulary.of(texts)
    weights = cache.known_weights(NGRAMS, key, ngrams.shape(vocabulary, classes))
    if weights is None:
        weights = ngrams.fit(vocabulary, texts, layout.labels, classes)
        cache.store_weights(NGRAMS, key, weights)
    return ngrams.NgramClassifier(vocabulary, weights), key


@dataclass(frozen=True)
class _Layout:
    """The classifier's training rows in order (each entry's texts, then the off-topic questions, which
    are one more class, so it learns what none of the entries covers) and what identifies a fit of them."""

    entry_texts: list[list[str]]
    off_topic: list[str]
    keys: list[str]  # of every row, in order
    labels: np.ndarray
    fingerprint: str

    def texts(self) -> list[str]:
        """Every row's text, in order."""
        return [*(t for group in self.entry_texts for t in group), *self.off_topic]


def _layout(kb: KnowledgeBase) -> _Layout:
    entry_texts = [_entry_texts(entry, kb.examples(entry)) for entry in kb.entries.values()]
    off_topic = [encoder_text(q) for q in kb.near_misses]
    labels = np.repeat(np.arange(len(entry_texts) + 1), [*map(len, entry_texts), len(off_topic)])
    keys = [_key(t) for group in entry_texts for t in group] + [_key(t) for t in off_topic]
    return _Layout(entry_texts, off_topic, keys, labels, classifier.fingerprint(keys, labels))


def encoder_text(text: str) -> str:
    """What the encoder sees of a text, a question and an example alike: its words, lowercased, without
    punctuation, at most 120 (a 10,000-character message stays cheap).

    Why the examples too: encoded as written, "Can't I..." in an example and "cant i" in a question
    differed for no reason; the same treatment for both lifted top-1 ranking on tests/data/dev.yaml
    from 956 to 962 of 993 (3 of them in batch 3, which no example was written from)."""
    return " ".join(words(text)[: 3 * MAX_TOKENS])


def _entry_texts(entry: Entry, examples: tuple[str, ...]) -> list[str]:
    return list(dict.fromkeys(encoder_text(t) for t in [entry.title, *examples]))


def knowledge_texts(kb: KnowledgeBase) -> list[str]:
    """Every text of the knowledge that gets a vector, as the encoder sees it, each once."""
    return list(dict.fromkeys(_layout(kb).texts()))


def entry_vectors(kb: KnowledgeBase, db_path: Path | None = None) -> EntryVectors:
    cache = VectorCache(shared_encoder(), db_path, kb.folder / SHIPPED)
    vectors = EntryVectors(kb, cache)
    cache.prune(vectors.keys)
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


def read_shipped_weights(path: Path, name: str, key: str, shape: tuple[int, int]) -> np.ndarray | None:
    """The weights of fit `name` from vectors.npz when their fingerprint is `key` and they are sound,
    else None (then they are fitted again: time, not answers)."""
    try:
        with np.load(path, allow_pickle=False) as data:
            if name not in data or f"{name}_key" not in data:
                return None
            stored_key, weights = data[f"{name}_key"], data[name]
    except (OSError, ValueError, KeyError, zipfile.BadZipFile):
        return None  # read_shipped has said so already
    if stored_key.shape != () or str(stored_key) != key:
        return None
    if weights.shape != shape or weights.dtype.kind != "f" or not np.isfinite(weights).all():
        log.warning("ignoring the %s weights in %s, they do not fit: run `hamcoach vectors`", name, path)
        return None
    return weights.astype(np.float32)


def missing_from_shipped(kb: KnowledgeBase) -> int:
    """How many of the knowledge's texts vectors.npz lacks (each costs ~2 ms at start-up). No model needed."""
    stored = read_shipped(kb.folder / SHIPPED)
    return sum(1 for text in knowledge_texts(kb) if _key(text) not in stored)


def stale_shipped_classifier(kb: KnowledgeBase) -> bool:
    """Whether start-up will have to fit a classifier (about a second, the letter-run one about ten) for
    want of current weights in vectors.npz. No model needed."""
    layout = _layout(kb)
    classes = len(kb.entries) + 1
    if not classifier.is_logistic(len(layout.labels), classes):
        return False  # ridge, fitted at start-up in any case, and no letter-run classifier
    path = kb.folder / SHIPPED
    if read_shipped_weights(path, CLASSIFIER, layout.fingerprint, (HIDDEN + 1, classes)) is None:
        return True
    texts = layout.texts()
    shape = ngrams.shape(ngrams.Vocabulary.of(texts), classes)
    return read_shipped_weights(path, NGRAMS, ngrams.fingerprint(texts, layout.labels), shape) is None


def _check_writable(path: Path, partial: Path) -> None:
    """Raise the OSError the final write would raise: the folder refuses new files, or a folder sits
    where the file goes."""
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, "a folder is in the way", str(path))
    partial.touch()
    partial.unlink()


def write_shipped(kb: KnowledgeBase) -> tuple[Path, int]:
    """Write the vector of every text of the knowledge to its folder's vectors.npz (only those: stale
    vectors go; the file's own are reused, the rest encoded), with the classifier fitted on them.
    Written to a temporary file first, so a crash never leaves half a file."""
    path = kb.folder / SHIPPED
    partial = path.with_name(f".{SHIPPED}.{os.getpid()}.npz")
    _check_writable(path, partial)  # before the encoding: a minute's work must not end in "cannot write"
    texts = knowledge_texts(kb)
    # Thousands of texts at once, nothing else waiting: every core (the bot's encoder uses one). The
    # vectors are the same whatever the thread count, so those already in the file are kept and only the
    # texts a coach added or edited are encoded: seconds instead of a minute.
    cache = VectorCache(Encoder(threads=os.cpu_count() or 1), shipped=path)
    keys = [_key(t) for t in texts]
    shipped = cache.vectors(texts).astype(np.float16)
    # fit on the vectors as start-up will read them (float16), or the shipped fit is not the one it makes
    _remember({k: v.astype(np.float32) for k, v in zip(keys, shipped, strict=True)}, {})
    fitted = EntryVectors(kb, cache)
    arrays: dict[str, Any] = {"keys": np.array(keys, dtype=str)}
    arrays["vectors"] = shipped
    if fitted.classifier.probabilities:  # ridge is fitted in milliseconds at start-up: not worth shipping
        arrays[CLASSIFIER] = fitted.classifier.weights
        arrays[f"{CLASSIFIER}_key"] = np.array(fitted.fingerprint)
    if fitted.letters is not None:
        arrays[NGRAMS] = fitted.letters.weights.astype(np.float16)  # exactly: ngrams.fit rounded them
        arrays[f"{NGRAMS}_key"] = np.array(fitted.letters_fingerprint)
    try:
        np.savez_compressed(partial, **arrays)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return path, len(texts)


def forget_memory() -> None:
    """Drop the in-process vectors (the database copy stays): what a restart does."""
    with _memo_lock:
        _memo.clear()
