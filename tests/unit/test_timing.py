"""rnnsec.timing.cpu_seconds: the result, the least of the repeats, and clear errors."""

import pytest

from rnnsec.timing import cpu_seconds


def test_cpu_seconds_returns_the_result_and_a_time_per_run():
    calls = []

    def work(n, *, scale):
        calls.append(n)
        return sum(i * scale for i in range(n))

    result, seconds = cpu_seconds(work, 20_000, scale=2, repeats=3)
    assert result == 2 * sum(range(20_000))
    assert len(calls) == 3
    assert 0.0 <= seconds < float("inf")


@pytest.mark.parametrize("repeats", [0, -1, 1.5])
def test_cpu_seconds_rejects_bad_repeats(repeats):
    with pytest.raises((ValueError, TypeError), match="repeats"):
        cpu_seconds(lambda: None, repeats=repeats)


def test_cpu_seconds_rejects_a_non_callable():
    with pytest.raises(TypeError, match="fn must be callable"):
        cpu_seconds(3)
