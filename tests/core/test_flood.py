"""The flood guard's token bucket, by property: what it lets through, when it tells the user, and
that one user's flood never changes another user's verdicts."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from bot.core.flood import MAX_TRACKED, FloodGuard, Verdict


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


rates = st.floats(min_value=0.05, max_value=50)
bursts = st.integers(min_value=1, max_value=20)
gaps = st.lists(st.floats(min_value=0, max_value=5), min_size=1, max_size=200)


def run(guard: FloodGuard, clock: Clock, times: list[float], user: int = 1) -> list[Verdict]:
    verdicts = []
    for at in times:
        clock.now = at
        verdicts.append(guard.check(user))
    return verdicts


def arrivals(gaps: list[float]) -> list[float]:
    return list(itertools.accumulate(gaps))


@given(rates, bursts, gaps)
def test_no_window_lets_through_more_than_burst_plus_rate(rate: float, burst: int, gaps: list[float]) -> None:
    clock = Clock()
    times = arrivals(gaps)
    verdicts = run(FloodGuard(rate, burst, clock), clock, times)
    admitted = [t for t, v in zip(times, verdicts, strict=True) if v is Verdict.ADMIT]
    for i, j in itertools.combinations(range(len(admitted)), 2):
        assert j - i + 1 <= burst + rate * (admitted[j] - admitted[i]) + 1e-6


@given(rates, bursts, gaps)
def test_one_notice_opens_each_flood_and_every_refusal_is_counted(
    rate: float, burst: int, gaps: list[float]
) -> None:
    clock = Clock()
    guard = FloodGuard(rate, burst, clock)
    verdicts = run(guard, clock, arrivals(gaps))
    for before, verdict in zip([Verdict.ADMIT, *verdicts], verdicts, strict=False):
        if verdict is not Verdict.ADMIT:  # a refusal right after an admit is the flood's one notice
            assert (verdict is Verdict.NOTICE) == (before is Verdict.ADMIT)
    assert guard.dropped == sum(v is not Verdict.ADMIT for v in verdicts)
    assert guard.floods == verdicts.count(Verdict.NOTICE)


@given(rates, bursts, st.lists(st.floats(min_value=1.0, max_value=3.0), min_size=1, max_size=100))
def test_someone_within_the_rate_is_never_refused(rate: float, burst: int, factors: list[float]) -> None:
    clock = Clock()
    times = arrivals([f / rate for f in factors])
    assert set(run(FloodGuard(rate, burst, clock), clock, times)) == {Verdict.ADMIT}


@given(rates, bursts, gaps, st.lists(st.floats(min_value=0, max_value=0.01), min_size=1, max_size=300))
def test_a_flood_never_changes_anyone_elses_verdicts(
    rate: float, burst: int, gaps: list[float], flood: list[float]
) -> None:
    alone_clock, shared_clock = Clock(), Clock()
    times = arrivals(gaps)
    alone = run(FloodGuard(rate, burst, alone_clock), alone_clock, times)
    shared = FloodGuard(rate, burst, shared_clock)
    flood_times = arrivals(flood)
    mixed = []
    for at in times:
        while flood_times and flood_times[0] <= at:
            shared_clock.now = flood_times.pop(0)
            shared.check(666)
        shared_clock.now = at
        mixed.append(shared.check(1))
    assert mixed == alone


def test_a_flood_stays_muted_while_it_goes_on_and_ends_once_the_user_slows_down() -> None:
    clock = Clock()
    guard = FloodGuard(rate=1.0, burst=3, clock=clock)
    verdicts = run(guard, clock, [i / 100 for i in range(500)])  # 100 a second for 5 seconds
    assert verdicts[:3] == [Verdict.ADMIT] * 3 and verdicts[3] is Verdict.NOTICE
    assert set(verdicts[4:]) == {Verdict.DROP}, "a flood that goes on is not let through"
    assert run(guard, clock, [7.0]) == [Verdict.DROP], "not yet full again"
    assert run(guard, clock, [12.0]) == [Verdict.ADMIT], "quiet for burst/rate seconds: over"


def test_idle_users_are_forgotten_but_a_flooder_is_not() -> None:
    clock = Clock()
    guard = FloodGuard(rate=1.0, burst=1, clock=clock)
    run(guard, clock, [0.0, 0.0], user=-1)  # floods
    for user in range(MAX_TRACKED):
        guard.check(user)
    clock.now = 2.0  # everyone's bucket is full again, except that the flooder is still flagged
    guard.check(MAX_TRACKED)
    assert -1 in guard.buckets and len(guard.buckets) < MAX_TRACKED
