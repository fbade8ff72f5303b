"""The evaluation sets: eval.yaml (split into tuning and held-out halves) and the held-out files below,
only ever measured. They live with the tests, outside the package: the bot never learns from them."""

from pathlib import Path

EVAL_FILE = Path(__file__).resolve().parent / "eval.yaml"
# besides the held-out half of eval.yaml; each file's header says how it was written and first measured
HELD_OUT = {
    "check.yaml": "a second held-out set",
    "check2.yaml": "a third, written after the 2026-11-24 changes",
    "check3.yaml": "a fourth and hardest: phrasing varied on purpose",
    "check4.yaml": "a fifth: issue 14's blind batch, labelled kinds",
    "check5.yaml": "a sixth: issue 14's second blind batch (2026-12-03)",
    "check6.yaml": "a seventh: the blind batch of 2026-12-04",
    "check7.yaml": "an eighth: the blind batch of 2026-12-07",
    "check8.yaml": "a ninth: the second blind batch of 2026-12-07",
    "check9.yaml": "a tenth: the third blind batch of 2026-12-07",
    "check10.yaml": "an eleventh: blind batch H of 2026-12-08",
    "check11.yaml": "a twelfth: blind batch L of 2026-12-08",
    "check12.yaml": "a thirteenth: blind batch N of 2026-12-08",
}
HELD_OUT_FILES = tuple(EVAL_FILE.with_name(name) for name in HELD_OUT)
