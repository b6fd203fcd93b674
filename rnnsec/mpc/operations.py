"""Per-operation costs of secure arithmetic, beside CrypTen's published timings (Chapter 3.3).

CrypTen (Knott et al. 2021) publishes no recurrent model, but its repository publishes the
two-party CPU time of the building blocks a secure LSTM is made of: sigmoid, tanh, exp and
elementwise and matrix products on (100, 100) tensors of uniform [0, 1) values, the median of
10 runs (``benchmarks/benchmark.py``, ``FuncBenchmarks``; the numbers below are its file
``benchmarks/dash_app/data/2020-05-26/2PC/func_benchmarks.csv``, column "runtime crypten").
:func:`operation_costs` times rnnsec's versions of the same operations the same way and counts
their rounds and bytes. The comparison is indicative only: the machines differ, and an
in-process :class:`~rnnsec.mpc.Session` does both parties' work in one process, without
sockets.
"""

from __future__ import annotations

import time

import numpy as np

from rnnsec._validate import check_number
from rnnsec.mpc import functions
from rnnsec.mpc.session import Session

CRYPTEN_2PC_SECONDS = {"sigmoid": 0.05237693898379803, "tanh": 0.052694255486130714,
                       "exp": 0.011887779459357262, "mul": 0.0022600460797548294,
                       "matmul": 0.003416461870074272}
CRYPTEN_SOURCE = ("CrypTen repository, benchmarks/dash_app/data/2020-05-26/2PC/"
                  "func_benchmarks.csv")


def operation_costs(seed: int = 0, loops: int = 10) -> list[dict]:
    """rnnsec's median time, rounds and online bytes for CrypTen's benchmarked operations.

    Args:
        seed: seeds the session and the (100, 100) uniform inputs.
        loops: timed repetitions per operation (CrypTen's script: 10); the median is kept.

    Returns:
        One dict per operation: ``op``, ``seconds``, ``rounds``, ``bytes`` (online) and
        ``crypten`` (CrypTen's published seconds).

    Knott et al. 2021 (CrypTen); Chapter 3.3 (running the parties apart).
    """
    check_number("loops", loops, low=1, integer=True)
    rng = np.random.default_rng(seed)
    session = Session(parties=2, seed=seed)
    x = session.share(rng.random((100, 100)), owner=0, name="x")
    y = session.share(rng.random((100, 100)), owner=1, name="y")
    ops = {"sigmoid": lambda: functions.sigmoid(x), "tanh": lambda: functions.tanh(x),
           "exp": lambda: functions.exp(x), "mul": lambda: x * y, "matmul": lambda: x @ y}
    rows = []
    for name, op in ops.items():
        mark = session.mark()
        op()
        stats = session.stats(since=mark)
        times = []
        for _ in range(loops):
            start = time.perf_counter()
            op()
            times.append(time.perf_counter() - start)
        rows.append({"op": name, "seconds": float(np.median(times)), "rounds": stats.rounds,
                     "bytes": stats.online_bytes, "crypten": CRYPTEN_2PC_SECONDS[name]})
    return rows


def format_operations(rows: list[dict]) -> str:
    """The table of :func:`operation_costs`: rnnsec and CrypTen milliseconds, ratio, rounds."""
    lines = [f"{'operation':10s} {'rnnsec ms':>10s} {'CrypTen ms':>11s} {'ratio':>6s} "
             f"{'rounds':>7s} {'online KB':>10s}"]
    for r in rows:
        lines.append(f"{r['op']:10s} {1e3 * r['seconds']:10.1f} {1e3 * r['crypten']:11.1f} "
                     f"{r['seconds'] / r['crypten']:6.2f} {r['rounds']:7d} "
                     f"{r['bytes'] / 1e3:10.0f}")
    return "\n".join(lines)
