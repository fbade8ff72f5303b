"""Reading typed soreness scores: the forms people use, out-of-range numbers, and never a crash."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.checkins.scores import parse_score


@pytest.mark.parametrize(
    ("typed", "kind", "score"),
    [
        ("7", "score", 7),
        ("7/10", "score", 7),
        ("7 / 10", "score", 7),
        ("seven", "score", 7),
        ("Seven!", "score", 7),
        ("about 6.5", "score", 7),
        ("0", "score", 0),
        ("none", "score", 0),
        ("ten out of ten", "score", 10),
        ("it's a 3", "score", 3),
        ("11", "out_of_range", None),
        ("-1", "out_of_range", None),
        ("3/5", "out_of_range", None),
        ("1e309", "not_a_score", None),
        ("7-8", "not_a_score", None),
        ("pretty sore", "not_a_score", None),
        ("", "not_a_score", None),
    ],
)
def test_parse_score(typed: str, kind: str, score: int | None) -> None:
    reading = parse_score(typed)
    assert (reading.kind, reading.score) == (kind, score)


@given(st.text(max_size=300))
def test_parse_score_never_fails_and_stays_in_range(text: str) -> None:
    reading = parse_score(text)
    assert reading.kind in ("score", "out_of_range", "not_a_score")
    assert (reading.score is not None) == (reading.kind == "score")
    if reading.score is not None:
        assert 0 <= reading.score <= 10


@given(st.integers(0, 10), st.sampled_from(["{}", "{}/10", "{} out of 10", " {} "]))
def test_every_score_form_reads_back(n: int, form: str) -> None:
    assert parse_score(form.format(n)).score == n
