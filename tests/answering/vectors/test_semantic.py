"""Sentence vectors: what they are for (paraphrases close, strangers apart), that padding in a batch
changes nothing, and that the cache in the bot's database is used, keyed by text, and never creates it."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import sqlite_utils
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.answering.index import Index
from bot.answering.vectors import classifier, semantic
from bot.answering.vectors.encoder import Encoder, ModelMissing, shared_encoder
from bot.knowledge.base import KnowledgeBase, load_knowledge

ENCODER = shared_encoder()


def cosine(a: str, b: str) -> float:
    va, vb = ENCODER.encode([a, b])
    return float(va @ vb)


def test_vectors_are_unit_length_and_paraphrases_are_close() -> None:
    vectors = ENCODER.encode(["why do my calves cramp", "", "🙂", "x" * 5000])
    assert vectors.shape == (4, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    near = cosine("why do my calves cramp", "calf cramps during nordic curls")
    far = cosine("why do my calves cramp", "what is the best bench press program")
    assert near > 0.6 > far


@settings(max_examples=25, deadline=None)
@given(st.lists(st.text(max_size=80), min_size=1, max_size=6))
def test_a_text_gets_the_same_vector_whatever_it_is_encoded_with(texts: list[str]) -> None:
    """An example question stored at start-up must match the vector it gets when asked."""
    together = ENCODER.encode(texts)
    alone = np.stack([ENCODER.encode([t])[0] for t in texts])
    assert np.array_equal(together, alone)
    assert np.isfinite(together).all()


def test_the_cache_never_creates_the_database(tmp_path: Path) -> None:
    Index(load_knowledge(), vector_db=tmp_path / "none.db")
    assert not (tmp_path / "none.db").exists()


def test_vectors_are_kept_in_the_database_and_read_back(tmp_path: Path) -> None:
    db = tmp_path / "bot.db"
    sqlite_utils.Database(db).execute("create table hello (x)")
    cache = semantic.VectorCache(ENCODER, db)
    texts = ["kept across restarts 1", "kept across restarts 2"]
    first = cache.vectors(texts)
    assert sqlite_utils.Database(db)[semantic.TABLE].count >= 2
    semantic.forget_memory()  # as after a restart
    again = semantic.VectorCache(ENCODER, db).vectors(texts)
    assert np.array_equal(first, again)


def test_an_edited_example_question_is_encoded_again(tmp_path: Path) -> None:
    kb = load_knowledge()
    entry = kb.entries["doms-how-long"]
    edited = dataclasses.replace(entry, questions=(*entry.questions, "zebra crossing timetable"))
    kb2 = dataclasses.replace(kb, entries={**kb.entries, entry.id: edited})
    assert Index(kb).answer("zebra crossing timetable").entry is None
    answer = Index(kb2).answer("zebra crossing timetable")
    assert answer.entry is not None and answer.entry.id == "doms-how-long"


def test_vectors_of_texts_edited_away_leave_the_database(tmp_path: Path) -> None:
    db = tmp_path / "bot.db"
    sqlite_utils.Database(db).execute("create table hello (x)")
    kb = load_knowledge()
    entry = kb.entries["doms-how-long"]
    with_example = dataclasses.replace(entry, questions=(*entry.questions, "an example soon edited away"))
    kb2 = dataclasses.replace(kb, entries={**kb.entries, entry.id: with_example})
    Index(kb2, vector_db=db)  # the shipped file lacks the new example: it is encoded and stored
    stored = {row["key"] for row in sqlite_utils.Database(db)[semantic.TABLE].rows}
    assert semantic._key("an example soon edited away") in stored
    Index(kb, vector_db=db)  # the coach removed it again
    assert semantic._key("an example soon edited away") not in {
        row["key"] for row in sqlite_utils.Database(db)[semantic.TABLE].rows
    }
    assert sqlite_utils.Database(db)["hello"].exists()


def test_a_damaged_cache_row_is_encoded_again(tmp_path: Path) -> None:
    db = tmp_path / "bot.db"
    text = "a row someone truncated"
    good = semantic.VectorCache(ENCODER, None).vectors([text])
    sqlite_utils.Database(db).table(semantic.TABLE).insert(
        {"key": semantic._key(text), "vector": b"\x00" * 10}, pk="key"
    )
    semantic.forget_memory()
    again = semantic.VectorCache(ENCODER, db).vectors([text])
    assert np.array_equal(good, again)


def test_a_cache_that_is_not_a_database_costs_time_not_answers(tmp_path: Path) -> None:
    db = tmp_path / "bot.db"
    db.write_bytes(b"this is not an SQLite file" * 100)
    semantic.forget_memory()
    vectors = semantic.VectorCache(ENCODER, db).vectors(["still answered"])
    assert vectors.shape == (1, 384) and np.isfinite(vectors).all()


def test_a_missing_model_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelMissing, match="cannot load the sentence model"):
        Encoder(folder=tmp_path)


def _own_entries(vectors: semantic.EntryVectors) -> list[str]:
    return [vectors.ids[i] for i, row in enumerate(vectors.grid) for j in row if j < len(vectors.matrix)]


def _training_data(vectors: semantic.EntryVectors) -> tuple[np.ndarray, np.ndarray, int]:
    rows = np.vstack([vectors.matrix, vectors.off_topic])
    own = [vectors.ids.index(e) for e in _own_entries(vectors)]
    labels = np.array(own + [len(vectors.ids)] * len(vectors.off_topic))
    return rows, labels, len(vectors.ids) + 1


def test_the_classifier_knows_the_examples_and_not_the_off_topic_questions() -> None:
    """It is fitted on the example questions (one class per entry) and on off_topic.yaml (one more
    class, dropped): each example should score highest for its own entry, and off-topic questions
    low for every entry."""
    vectors = Index(load_knowledge()).vectors
    assert vectors is not None and vectors.classifier.probabilities
    n = len(vectors.ids)
    scores = [vectors.classifier.scores(v)[:n] for v in vectors.matrix]
    own = _own_entries(vectors)
    hits = sum(vectors.ids[int(s.argmax())] == e for s, e in zip(scores, own, strict=True))
    assert hits / len(own) > 0.9
    off = np.array([vectors.classifier.scores(v)[:n] for v in vectors.off_topic])
    assert float(np.median(off.max(axis=1))) < 0.4


def test_the_shipped_classifier_is_the_fit_of_todays_knowledge() -> None:
    """Start-up reads the weights instead of fitting (about 0.5 s); they must be what a fit gives now."""
    kb = load_knowledge()
    vectors = Index(kb).vectors
    assert vectors is not None
    n = len(vectors.ids)
    shipped = semantic.read_shipped_weights(
        kb.folder / semantic.SHIPPED, semantic.CLASSIFIER, vectors.fingerprint, (385, n + 1)
    )
    assert shipped is not None, (
        "vectors.npz holds no classifier for today's knowledge: run `hamcoach vectors`"
    )
    assert np.array_equal(vectors.classifier.weights, shipped)
    fresh = classifier.fit(*_training_data(vectors))
    probe = vectors.matrix[::50]
    assert np.allclose(
        [fresh.scores(v) for v in probe], [vectors.classifier.scores(v) for v in probe], atol=0.02
    )


def test_a_knowledge_base_too_big_for_a_quick_logistic_fit_gets_ridge() -> None:
    vectors = Index(load_knowledge()).vectors
    assert vectors is not None
    rows, labels, classes = _training_data(vectors)
    ridge = classifier.fit(rows, labels, classes, limit=len(rows) * classes - 1)
    assert not ridge.probabilities
    own = _own_entries(vectors)
    hits = sum(
        vectors.ids[int(ridge.scores(v)[:-1].argmax())] == e for v, e in zip(vectors.matrix, own, strict=True)
    )
    assert hits / len(own) > 0.9


def test_the_knowledge_folder_ships_a_vector_for_every_text() -> None:
    """So even a first start on a fresh machine encodes nothing (under a second, benchmarks/qa.py)."""
    missing = semantic.missing_from_shipped(load_knowledge())
    assert missing == 0, f"{missing} texts lack a vector: run `hamcoach vectors`, commit vectors.npz"


def test_shipped_vectors_are_the_encoders() -> None:
    kb = load_knowledge()
    stored = semantic.read_shipped(kb.folder / semantic.SHIPPED)
    texts = semantic.knowledge_texts(kb)[::97]
    fresh = ENCODER.encode(texts)
    for text, vector in zip(texts, fresh, strict=True):
        shipped = stored[semantic._key(text)].astype(np.float32)
        # graph.py's 7-bit weights give the same integers on every CPU (full int8 gave cosine 0.987-0.995
        # between an AVX2 and an AVX-512 VNNI machine); only float16 storage is left between them.
        assert float(shipped @ vector) > 0.9995


def _small_copy(tmp_path: Path) -> KnowledgeBase:
    """A knowledge folder of our own (so its vectors.npz can be damaged), cut to three entries."""
    shutil.copytree(load_knowledge().folder, tmp_path / "kb")
    kb = load_knowledge(tmp_path / "kb")
    keep = ("toes-calf-cramps", "hips-forward", kb.red_flags.entry)
    messages = tuple(m for m in kb.messages if set(m.entries) & set(keep))[:6]
    small = {k: kb.entries[k] for k in keep}
    return dataclasses.replace(kb, entries=small, off_topic=kb.off_topic[:3], messages=messages)


def _no_match(path: Path) -> None:
    np.savez(path, keys=np.array(["a", "b"]), vectors=np.zeros((3, 384), np.float16))


def _stored(path: Path, vectors: Callable[[int], np.ndarray]) -> None:
    """Write a vectors file whose keys are right for the folder, with the given vectors."""
    kb = load_knowledge(path.parent)
    keys = [semantic._key(t) for t in semantic.knowledge_texts(kb)]
    np.savez(path, keys=np.array(keys), vectors=vectors(len(keys)))


def _wrong_width(path: Path) -> None:
    _stored(path, lambda n: np.ones((n, 10), np.float16))


def _not_numbers(path: Path) -> None:
    _stored(path, lambda n: np.full((n, 384), "x"))


def _not_finite(path: Path) -> None:
    _stored(path, lambda n: np.full((n, 384), np.nan, np.float16))


@pytest.mark.parametrize(
    ("damage", "warns"),
    [
        (lambda path: path.write_bytes(b"not a zip file" * 50), True),
        (lambda path: path.write_bytes(path.read_bytes()[:5000]), True),  # truncated
        (_no_match, True),
        (_not_numbers, True),
        (_wrong_width, False),  # each vector is refused as it is read
        (_not_finite, False),
    ],
    ids=["garbage", "truncated", "arrays-disagree", "not-numbers", "wrong-width", "not-finite"],
)
def test_a_damaged_vectors_file_costs_time_not_answers(
    tmp_path: Path, damage: Callable[[Path], None], warns: bool, caplog: pytest.LogCaptureFixture
) -> None:
    kb = _small_copy(tmp_path)
    damage(kb.folder / semantic.SHIPPED)
    semantic.forget_memory()
    index = Index(kb)
    answer = index.answer("why do my calves cramp?")
    assert answer.entry is not None and answer.entry.id == "toes-calf-cramps"
    assert index.vectors is not None
    assert np.allclose(np.linalg.norm(index.vectors.matrix, axis=1), 1, atol=1e-3)
    assert warns == any("hamcoach vectors" in r.getMessage() for r in caplog.records)


def _resave(path: Path, **changes: np.ndarray) -> None:
    with np.load(path) as data:
        arrays = {name: data[name] for name in data.files}
    np.savez(path, **{**arrays, **changes})


@pytest.mark.parametrize(
    "changes",
    [
        {
            "classifier_key": np.array("fitted on other questions"),
            "classifier": np.zeros((385, 4), np.float32),
        },
        {"classifier": np.ones((10, 4), np.float32)},
        {"classifier": np.full((385, 4), np.nan, np.float32)},  # three entries + off-topic
        {"classifier": np.full((385, 4), "x")},
        {"ngrams_key": np.array("fitted on other questions")},
        {"ngrams": np.ones((10, 4), np.float16)},
        {"ngrams": np.full((1, 1), "x")},
    ],
    ids=[
        *("stale", "wrong-shape", "not-finite", "not-numbers"),
        *("letters-stale", "letters-wrong-shape", "letters-not-numbers"),
    ],
)
def test_a_damaged_shipped_classifier_is_fitted_again(tmp_path: Path, changes: dict[str, np.ndarray]) -> None:
    kb = _small_copy(tmp_path)
    path, _ = semantic.write_shipped(kb)
    good = Index(kb).vectors
    assert good is not None
    _resave(path, **changes)
    semantic.forget_memory()
    index = Index(kb)
    assert index.vectors is not None and index.vectors.classifier.probabilities
    assert np.allclose(index.vectors.classifier.weights, good.classifier.weights, atol=1e-3)
    assert index.vectors.letters is not None and good.letters is not None
    assert np.allclose(index.vectors.letters.weights, good.letters.weights, atol=1e-3)
    answer = index.answer("why do my calves cramp?")
    assert answer.entry is not None and answer.entry.id == "toes-calf-cramps"


def _weights(vectors: semantic.EntryVectors, name: str) -> tuple[np.ndarray, str]:
    """A fit's weights and fingerprint: the sentence classifier's or the letter-run classifier's."""
    if name == semantic.CLASSIFIER:
        return vectors.classifier.weights, vectors.fingerprint
    assert vectors.letters is not None
    return vectors.letters.weights, vectors.letters_fingerprint


@pytest.mark.parametrize("name", [semantic.CLASSIFIER, semantic.NGRAMS])
def test_a_classifier_fitted_at_start_up_is_kept_in_the_database_for_the_next(
    tmp_path: Path, name: str
) -> None:
    kb = _small_copy(tmp_path)  # its vectors.npz holds no classifier for these three entries
    db = tmp_path / "bot.db"
    table = semantic.WEIGHT_TABLES[name]
    sqlite_utils.Database(db).execute("create table hello (x)")
    first = Index(kb, vector_db=db).vectors
    assert first is not None and first.classifier.probabilities
    weights, key = _weights(first, name)
    [row] = sqlite_utils.Database(db)[table].rows
    assert row["key"] == key
    # what the next start reads is what is stored: make it recognisable
    marked = weights * 2
    sqlite_utils.Database(db).execute(
        f"update {table} set weights = ?", [marked.astype(np.float32).tobytes()]
    ).connection.commit()
    semantic.forget_memory()
    again = Index(kb, vector_db=db).vectors
    assert again is not None and np.array_equal(_weights(again, name)[0], marked)
    # a broken row is fitted again, not trusted
    sqlite_utils.Database(db).execute(f"update {table} set weights = ?", [b"\x00" * 7]).connection.commit()
    refit = Index(kb, vector_db=db).vectors
    assert refit is not None and np.allclose(_weights(refit, name)[0], weights, atol=1e-3)


def test_writing_the_vectors_file_keeps_exactly_the_current_texts(tmp_path: Path) -> None:
    kb = _small_copy(tmp_path)
    path, count = semantic.write_shipped(kb)
    assert count == len(semantic.knowledge_texts(kb)) and semantic.missing_from_shipped(kb) == 0
    assert len(semantic.read_shipped(path)) == count  # vectors of dropped texts are gone
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".")], "no partial file left"


def test_a_damaged_model_is_not_reported_as_missing(tmp_path: Path) -> None:
    """Files that are there but unreadable are a damaged install, not a missing one; and an error of
    ours (a wrong argument) is not relabelled as the model at all."""
    from bot.answering.vectors.encoder import ModelDamaged

    (tmp_path / "model.safetensors").write_bytes(b"not safetensors" * 10)
    (tmp_path / "tokenizer.json").write_text("{}")
    with pytest.raises(ModelDamaged, match="damaged") as caught:
        Encoder(folder=tmp_path)
    assert not isinstance(caught.value, ModelMissing)
    with pytest.raises(TypeError):
        Encoder(folder="a string, not a Path")  # type: ignore[arg-type]


def test_a_missing_model_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "tokenizer.json").write_text("{}")
    with pytest.raises(ModelMissing, match=r"model\.safetensors"):
        Encoder(folder=tmp_path)


def test_a_two_part_message_is_encoded_once() -> None:
    """Its halves' vectors are read from the whole message's pass (Encoder.part_vector)."""
    index = Index(load_knowledge())
    index.answer("warm up")
    states = type(ENCODER)._states
    states.cache_clear()
    index.answer("what do i put under my sore knees on the floor and how many sets in week one")
    assert states.cache_info().misses == 1


def test_a_part_is_read_only_on_whole_words_inside_the_pass() -> None:
    whole = "where do nordics go and how many sets"
    part = ENCODER.part_vector(whole, "how many sets")
    assert part is not None and abs(float(np.linalg.norm(part)) - 1.0) < 1e-5
    assert float(part @ ENCODER.encode(["how many sets"])[0]) > 0.8  # the same words, in context
    assert ENCODER.part_vector(whole, "ow many") is None  # not whole words
    assert ENCODER.part_vector(whole, "how many reps") is None  # not in the message
    assert ENCODER.part_vector(" ".join(["nordics"] * 200), "nordics nordics") is not None
    assert ENCODER.part_vector(" ".join(["word"] * 100 + ["tail end"]), "tail end") is None  # truncated
