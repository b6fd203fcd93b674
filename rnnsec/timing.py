"""CPU time of a computation, for the cost columns of the chapters' tables.

Chapters 3.3 and 6.2 compare secure inference with plaintext inference by the CPU time of
this process (``time.process_time``), which, unlike wall-clock time, does not count time the
process waits for other work on a shared machine. The book measures speed and never asserts it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from rnnsec._validate import check_number

__all__ = ["cpu_seconds"]


def cpu_seconds(fn: Callable, *args, repeats: int = 1, **kwargs) -> tuple[object, float]:
    """Run ``fn(*args, **kwargs)`` ``repeats`` times; return its last result and the least time.

    Args:
        fn: the computation to time.
        args, kwargs: the positional and keyword arguments passed to ``fn``.
        repeats: how many runs (>= 1); the least CPU time of them is reported, the usual way
            to filter out interference (the timeit module's advice).

    Returns:
        ``(result, seconds)``: ``fn``'s result of the last run and the least CPU seconds of
        this process over the runs.

    Chapters 3.3 and 6.2.
    """
    if not callable(fn):
        raise TypeError(f"fn must be callable, got {type(fn).__name__}")
    check_number("repeats", repeats, low=1, integer=True)
    best, result = float("inf"), None
    for _ in range(repeats):
        tic = time.process_time()
        result = fn(*args, **kwargs)
        best = min(best, time.process_time() - tic)
    return result, best
