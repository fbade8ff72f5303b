"""Start-up stays quick: the bot polls Telegram before its answer index is built (bot/answering/index.py),
so the modules that take seconds to import are imported only by the thread that builds it, or on first
use (onnx alone took 1.5 s: it registers ml_dtypes' number types with numpy)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# PyAV loads FFmpeg (voice notes only); feedparser is for the site feed only; matplotlib, after polling starts
HEAVY = (
    *("onnx", "onnxruntime", "ml_dtypes", "tokenizers", "safetensors", "hibari", "faster_whisper"),
    *("av", "feedparser", "matplotlib"),
)


def test_importing_the_bot_imports_no_model_runtime() -> None:
    code = (
        "import sys, bot.__main__, bot.adapters.telegram.app\n"
        f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""
