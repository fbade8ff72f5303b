"""The evaluation sets: eval.yaml (split into tuning and held-out halves) and eight held-out files that
are only ever measured. They live with the tests, outside the package: the bot never learns from them."""

from pathlib import Path

EVAL_FILE = Path(__file__).resolve().parent / "eval.yaml"
CHECK_FILE = EVAL_FILE.with_name("check.yaml")  # a second held-out set, only ever measured
CHECK2_FILE = EVAL_FILE.with_name("check2.yaml")  # a third, written after the 2026-11-24 changes
CHECK3_FILE = EVAL_FILE.with_name("check3.yaml")  # a fourth and hardest: phrasing varied on purpose
CHECK4_FILE = EVAL_FILE.with_name("check4.yaml")  # a fifth: issue 14's blind batch, labelled kinds
CHECK5_FILE = EVAL_FILE.with_name("check5.yaml")  # a sixth: issue 14's second blind batch (2026-12-03)
CHECK6_FILE = EVAL_FILE.with_name("check6.yaml")  # a seventh: the blind batch of 2026-12-04 (its header)
CHECK7_FILE = EVAL_FILE.with_name("check7.yaml")  # an eighth: the blind batch of 2026-12-07 (its header)
CHECK8_FILE = EVAL_FILE.with_name("check8.yaml")  # a ninth: the second blind batch of 2026-12-07
# besides the held-out half of eval.yaml
HELD_OUT_FILES = (
    CHECK_FILE,
    CHECK2_FILE,
    CHECK3_FILE,
    CHECK4_FILE,
    CHECK5_FILE,
    CHECK6_FILE,
    CHECK7_FILE,
    CHECK8_FILE,
)
